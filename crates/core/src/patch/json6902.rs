//! JSON Patch (RFC 6902) over [`Value`]s, with JSON Pointers (RFC 6901).

use crate::yaml::{Mapping, Value};

/// One operation of a JSON patch.
#[derive(Debug, Clone, PartialEq)]
pub enum Operation {
    /// `add`: insert into an array or set a member.
    Add {
        /// Where.
        path: String,
        /// What.
        value: Value,
    },
    /// `remove`: delete the value at `path`.
    Remove {
        /// Where.
        path: String,
    },
    /// `replace`: set an existing value.
    Replace {
        /// Where.
        path: String,
        /// What.
        value: Value,
    },
    /// `move`: remove from `from`, add at `path`.
    Move {
        /// Source.
        from: String,
        /// Destination.
        path: String,
    },
    /// `copy`: add a copy of `from` at `path`.
    Copy {
        /// Source.
        from: String,
        /// Destination.
        path: String,
    },
    /// `test`: fail unless the value at `path` equals `value`.
    Test {
        /// Where.
        path: String,
        /// The expected value.
        value: Value,
    },
}

/// A JSON patch: operations applied in order, all or nothing.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JsonPatch(pub Vec<Operation>);

impl JsonPatch {
    /// Reads a patch from its value (a sequence of operation objects).
    pub fn from_value(value: &Value) -> Result<JsonPatch, String> {
        let items = value.as_seq().ok_or_else(|| {
            format!(
                "a JSON patch is a list of operations, found {}",
                value.type_name()
            )
        })?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| operation(item).map_err(|e| format!("operation {i}: {e}")))
            .collect::<Result<_, _>>()
            .map(JsonPatch)
    }

    /// Applies the patch to a copy of `doc`; `doc` is unchanged on error.
    ///
    /// ```
    /// use trueup_core::patch::JsonPatch;
    /// use trueup_core::yaml::parse_documents;
    /// let doc = parse_documents("spec: {replicas: 1}").unwrap().remove(0).value;
    /// let ops = parse_documents("- {op: replace, path: /spec/replicas, value: 3}").unwrap().remove(0).value;
    /// let patched = JsonPatch::from_value(&ops).unwrap().apply(&doc).unwrap();
    /// assert_eq!(patched.get_path(&["spec", "replicas"]), Some(&trueup_core::Value::Int(3)));
    /// ```
    pub fn apply(&self, doc: &Value) -> Result<Value, String> {
        self.apply_in(doc, Dialect::Rfc6902)
    }

    /// Applies the patch as `kustomize build` does (its dialect: `Dialect::Kustomize`).
    ///
    /// ```
    /// use trueup_core::patch::JsonPatch;
    /// use trueup_core::yaml::parse_documents;
    /// let doc = parse_documents("metadata: {name: web}").unwrap().remove(0).value;
    /// let ops = parse_documents("- {op: add, path: /metadata/annotations/team, value: shop}").unwrap().remove(0).value;
    /// let patch = JsonPatch::from_value(&ops).unwrap();
    /// assert!(patch.apply(&doc).is_err()); // RFC 6902: no member "annotations"
    /// let patched = patch.apply_as_kustomize(&doc).unwrap();
    /// assert_eq!(patched.get_path(&["metadata", "annotations", "team"]).and_then(|v| v.as_str()), Some("shop"));
    /// ```
    pub fn apply_as_kustomize(&self, doc: &Value) -> Result<Value, String> {
        self.apply_in(doc, Dialect::Kustomize)
    }

    /// [`JsonPatch::apply_as_kustomize`] on `doc` itself, with no copy: on
    /// error `doc` is left part-patched, for callers that then drop it (a
    /// render that fails).
    pub(crate) fn apply_as_kustomize_in_place(&self, doc: &mut Value) -> Result<(), String> {
        self.apply_ops(doc, Dialect::Kustomize)
    }

    fn apply_in(&self, doc: &Value, dialect: Dialect) -> Result<Value, String> {
        let mut out = doc.clone();
        self.apply_ops(&mut out, dialect)?;
        Ok(out)
    }

    fn apply_ops(&self, out: &mut Value, dialect: Dialect) -> Result<(), String> {
        let mut copied = 0usize;
        for (i, op) in self.0.iter().enumerate() {
            let at = |e: String| format!("operation {i} ({}): {e}", op_name(op));
            // `copy` is the one operation that grows a document beyond the
            // patch's own text (each can double it): bound what it copies.
            if let Operation::Copy { from, .. } = op {
                let size = resolve(out, &parse_pointer(from).map_err(at)?)
                    .map(value_size)
                    .unwrap_or(0);
                copied = copied.saturating_add(size);
                if copied > MAX_COPIED {
                    return Err(at(format!(
                        "copies more than {MAX_COPIED} bytes in all; refusing to grow the object further"
                    )));
                }
            }
            apply_operation(out, op, dialect).map_err(at)?;
        }
        if dialect == Dialect::Kustomize {
            drop_empty_annotations(out);
        }
        Ok(())
    }
}

/// How much `copy` operations may copy in one patch application: the
/// document size limit of the YAML reader.
const MAX_COPIED: usize = 16 << 20;

/// A value's weight: its text in bytes, and 8 for every other node.
fn value_size(value: &Value) -> usize {
    match value {
        Value::String(s) => s.len() + 8,
        Value::Seq(items) => items.iter().map(value_size).sum::<usize>() + 8,
        Value::Map(map) => {
            map.iter()
                .map(|(k, v)| k.len() + value_size(v))
                .sum::<usize>()
                + 8
        }
        _ => 8,
    }
}

/// Which JSON patch semantics to follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    /// RFC 6902 as written.
    Rfc6902,
    /// What `kustomize build` does, where it differs from the RFC (the oracle
    /// shows each): `replace` of a missing member of a mapping sets it, as
    /// `add` would; and every object has a `metadata.annotations` mapping
    /// during the build (kustomize keeps its own bookkeeping annotations
    /// there), so paths into a missing one resolve against an empty mapping
    /// that is dropped again if it stays empty. No other missing parent is
    /// created: `add /metadata/labels/x` without labels fails in both.
    Kustomize,
}

/// Gives an object whose `metadata` has no `annotations` an empty mapping there.
fn ensure_annotations(doc: &mut Value) {
    if let Value::Map(root) = doc
        && let Some(Value::Map(metadata)) = root.get_mut("metadata")
        && !metadata.contains_key("annotations")
    {
        metadata.insert("annotations".to_owned(), Value::Map(Mapping::default()));
    }
}

/// Removes a `metadata.annotations` mapping that is empty.
fn drop_empty_annotations(doc: &mut Value) {
    if let Value::Map(root) = doc
        && let Some(Value::Map(metadata)) = root.get_mut("metadata")
        && matches!(metadata.get("annotations"), Some(Value::Map(m)) if m.is_empty())
    {
        metadata.shift_remove("annotations");
    }
}

fn op_name(op: &Operation) -> &'static str {
    match op {
        Operation::Add { .. } => "add",
        Operation::Remove { .. } => "remove",
        Operation::Replace { .. } => "replace",
        Operation::Move { .. } => "move",
        Operation::Copy { .. } => "copy",
        Operation::Test { .. } => "test",
    }
}

fn operation(item: &Value) -> Result<Operation, String> {
    let map = item.as_map().ok_or("an operation must be a mapping")?;
    let text = |key: &str| -> Result<String, String> {
        match map.get(key) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(other) => Err(format!(
                "{key} must be a string, found {}",
                other.type_name()
            )),
            None => Err(format!("missing {key}")),
        }
    };
    let value = || {
        map.get("value")
            .cloned()
            .ok_or_else(|| "missing value".to_owned())
    };
    let op = text("op")?;
    Ok(match op.as_str() {
        "add" => Operation::Add {
            path: text("path")?,
            value: value()?,
        },
        "remove" => Operation::Remove {
            path: text("path")?,
        },
        "replace" => Operation::Replace {
            path: text("path")?,
            value: value()?,
        },
        "move" => Operation::Move {
            from: text("from")?,
            path: text("path")?,
        },
        "copy" => Operation::Copy {
            from: text("from")?,
            path: text("path")?,
        },
        "test" => Operation::Test {
            path: text("path")?,
            value: value()?,
        },
        other => return Err(format!("unknown op {other:?}")),
    })
}

/// The reference tokens of a JSON Pointer, unescaped (`~1` → `/`, `~0` → `~`).
pub fn parse_pointer(pointer: &str) -> Result<Vec<String>, String> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(format!("JSON pointer {pointer:?} must start with /"));
    };
    rest.split('/')
        .map(|token| {
            let mut out = String::with_capacity(token.len());
            let mut chars = token.chars();
            while let Some(c) = chars.next() {
                if c == '~' {
                    match chars.next() {
                        Some('0') => out.push('~'),
                        Some('1') => out.push('/'),
                        _ => return Err(format!("JSON pointer {pointer:?} has a bad ~ escape")),
                    }
                } else {
                    out.push(c);
                }
            }
            Ok(out)
        })
        .collect()
}

/// An array index token: digits without leading zeros.
fn array_index(token: &str, len: usize, allow_end: bool) -> Result<usize, String> {
    if allow_end && token == "-" {
        return Ok(len);
    }
    let valid = !token.is_empty()
        && token.bytes().all(|b| b.is_ascii_digit())
        && (token == "0" || !token.starts_with('0'));
    let index: usize = if valid {
        token
            .parse()
            .map_err(|_| format!("index {token:?} is too large"))?
    } else {
        return Err(format!("{token:?} is not an array index"));
    };
    let max = if allow_end {
        len
    } else {
        len.saturating_sub(1)
    };
    if index > max || (!allow_end && len == 0) {
        return Err(format!("index {index} is out of range (length {len})"));
    }
    Ok(index)
}

fn resolve<'v>(doc: &'v Value, tokens: &[String]) -> Result<&'v Value, String> {
    let mut current = doc;
    for token in tokens {
        current = match current {
            Value::Map(m) => m.get(token).ok_or_else(|| format!("no member {token:?}"))?,
            Value::Seq(items) => &items[array_index(token, items.len(), false)?],
            other => {
                return Err(format!("cannot look up {token:?} in {}", other.type_name()));
            }
        };
    }
    Ok(current)
}

fn resolve_mut<'v>(doc: &'v mut Value, tokens: &[String]) -> Result<&'v mut Value, String> {
    let mut current = doc;
    for token in tokens {
        current = match current {
            Value::Map(m) => m
                .get_mut(token)
                .ok_or_else(|| format!("no member {token:?}"))?,
            Value::Seq(items) => {
                let i = array_index(token, items.len(), false)?;
                &mut items[i]
            }
            other => {
                return Err(format!("cannot look up {token:?} in {}", other.type_name()));
            }
        };
    }
    Ok(current)
}

fn add(doc: &mut Value, tokens: &[String], value: Value) -> Result<(), String> {
    let Some((last, parent)) = tokens.split_last() else {
        *doc = value;
        return Ok(());
    };
    match resolve_mut(doc, parent)? {
        Value::Map(m) => {
            m.insert(last.clone(), value);
            Ok(())
        }
        Value::Seq(items) => {
            let i = array_index(last, items.len(), true)?;
            items.insert(i, value);
            Ok(())
        }
        other => Err(format!("cannot add {last:?} to {}", other.type_name())),
    }
}

fn remove(doc: &mut Value, tokens: &[String]) -> Result<Value, String> {
    let Some((last, parent)) = tokens.split_last() else {
        return Err("cannot remove the whole document".into());
    };
    match resolve_mut(doc, parent)? {
        Value::Map(m) => m
            .shift_remove(last)
            .ok_or_else(|| format!("no member {last:?}")),
        Value::Seq(items) => {
            let i = array_index(last, items.len(), false)?;
            Ok(items.remove(i))
        }
        other => Err(format!("cannot remove {last:?} from {}", other.type_name())),
    }
}

fn apply_operation(doc: &mut Value, op: &Operation, dialect: Dialect) -> Result<(), String> {
    if dialect == Dialect::Kustomize {
        ensure_annotations(doc);
    }
    match op {
        Operation::Add { path, value } => add(doc, &parse_pointer(path)?, value.clone()),
        Operation::Remove { path } => remove(doc, &parse_pointer(path)?).map(drop),
        Operation::Replace { path, value } => {
            let tokens = parse_pointer(path)?;
            if dialect == Dialect::Kustomize
                && let Some((last, parent)) = tokens.split_last()
                && let Value::Map(m) = resolve_mut(doc, parent)?
                && !m.contains_key(last)
            {
                m.insert(last.clone(), value.clone());
                return Ok(());
            }
            let target = resolve_mut(doc, &tokens)?;
            *target = value.clone();
            Ok(())
        }
        Operation::Move { from, path } => {
            let from_tokens = parse_pointer(from)?;
            let to_tokens = parse_pointer(path)?;
            if from_tokens == to_tokens {
                return resolve(doc, &from_tokens).map(drop);
            }
            if to_tokens.len() > from_tokens.len() && to_tokens.starts_with(&from_tokens) {
                return Err("cannot move a value into itself".into());
            }
            let value = remove(doc, &from_tokens)?;
            add(doc, &to_tokens, value)
        }
        Operation::Copy { from, path } => {
            let value = resolve(doc, &parse_pointer(from)?)?.clone();
            add(doc, &parse_pointer(path)?, value)
        }
        Operation::Test { path, value } => {
            let actual = resolve(doc, &parse_pointer(path)?)?;
            if json_equal(actual, value) {
                Ok(())
            } else {
                Err(format!("test failed at {path}"))
            }
        }
    }
}

/// JSON equality: numbers compare by value (`1` equals `1.0`), mappings
/// ignore key order.
pub fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Map(x), Value::Map(y)) => maps_equal(x, y),
        (Value::Seq(x), Value::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_equal(p, q))
        }
        (
            Value::Int(_) | Value::UInt(_) | Value::Float(_),
            Value::Int(_) | Value::UInt(_) | Value::Float(_),
        ) => number(a) == number(b),
        _ => a == b,
    }
}

fn maps_equal(x: &Mapping, y: &Mapping) -> bool {
    x.len() == y.len()
        && x.iter()
            .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
}

fn number(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::UInt(u) => *u as f64,
        Value::Float(f) => *f,
        _ => f64::NAN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_doubling_is_bounded() {
        let doc = Value::Map(
            [("a".to_owned(), Value::String("x".repeat(1 << 20)))]
                .into_iter()
                .collect(),
        );
        let ops: Vec<Operation> = (0..40)
            .map(|i| Operation::Copy {
                from: "/a".into(),
                path: format!("/a{i}"),
            })
            .collect();
        let err = JsonPatch(ops).apply(&doc).expect_err("bounded");
        assert!(err.contains("copies more than"), "{err}");
    }

    #[test]
    fn pointers() {
        assert_eq!(parse_pointer("/a~1b/c~0d").expect("ok"), ["a/b", "c~d"]);
        assert_eq!(parse_pointer("").expect("ok"), Vec::<String>::new());
        assert_eq!(parse_pointer("/").expect("ok"), [""]);
        assert!(parse_pointer("a").is_err());
        assert!(array_index("01", 5, false).is_err());
        assert!(array_index("-", 5, false).is_err());
        assert_eq!(array_index("-", 5, true), Ok(5));
    }
}
