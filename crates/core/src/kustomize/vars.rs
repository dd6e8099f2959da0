//! `vars`: kustomize's deprecated `$(NAME)` substitution, as kustomize does it.
//!
//! Each kustomization's vars are matched, after its transformers ran, to
//! the one object their `objref` names (by its current or any earlier
//! identity); at the end of the build, after name hashes and name
//! references, each var's value is read from that object at `fieldref`
//! and written wherever `$(NAME)` appears in the fields `varReference`
//! lists (kustomize's built-in list plus `configurations`).

use super::fieldspec::{self, CreateKind, FieldSpec};
use super::replacement;
use crate::error::Error;
use crate::resource::{ManifestSet, ResId};
use crate::yaml::{Mapping, Value, format_float};

/// One entry of `vars`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Var {
    /// `name`: what `$(NAME)` refers to.
    pub name: String,
    /// `objref`'s group (from `apiVersion`, or `group`).
    pub group: String,
    /// `objref`'s version (from `apiVersion`, or `version`).
    pub version: String,
    /// `objref.kind`.
    pub kind: String,
    /// `objref.name`.
    pub object_name: String,
    /// `objref.namespace`; empty matches any namespace.
    pub namespace: String,
    /// `fieldref.fieldPath`, `metadata.name` by default.
    pub field_path: String,
}

impl Var {
    /// Reads one `vars` entry; `at` names it in errors. Keys match as Go's
    /// JSON decoding matches them (ignoring ASCII case: `fieldpath`).
    pub(crate) fn from_value(value: &Value, file: &str, at: &str) -> Result<Var, Error> {
        let err = |m: String| Error::overlay(file, format!("{at}: {m}"));
        let map = value
            .as_map()
            .ok_or_else(|| err(format!("expected a mapping, found {}", value.type_name())))?;
        let field = |m: &Mapping, key: &str, at: &str| -> Result<Option<Value>, Error> {
            Ok(m.iter()
                .rfind(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_null()))
            .and_then(|v| match v {
                None | Some(Value::String(_)) | Some(Value::Map(_)) => Ok(v),
                Some(other) => Err(Error::overlay(
                    file,
                    format!("{at}.{key}: expected a string, found {}", other.type_name()),
                )),
            })
        };
        let known = |m: &Mapping, keys: &[&str], at: &str| -> Result<(), Error> {
            match m
                .keys()
                .find(|k| !keys.iter().any(|known| known.eq_ignore_ascii_case(k)))
            {
                Some(k) => Err(Error::overlay(file, format!("{at}: unknown field {k:?}"))),
                None => Ok(()),
            }
        };
        let text = |m: &Mapping, key: &str, at: &str| -> Result<String, Error> {
            match field(m, key, at)? {
                Some(Value::String(s)) => Ok(s),
                Some(_) => Err(Error::overlay(
                    file,
                    format!("{at}.{key}: expected a string, found a mapping"),
                )),
                None => Ok(String::new()),
            }
        };
        known(map, &["name", "objref", "fieldref"], at)?;
        let name = text(map, "name", at)?;
        let objref = match field(map, "objref", at)? {
            Some(Value::Map(m)) => m,
            _ => Mapping::default(),
        };
        let at_ref = format!("{at}.objref");
        known(
            &objref,
            &[
                "apiVersion",
                "group",
                "version",
                "kind",
                "name",
                "namespace",
            ],
            &at_ref,
        )?;
        let (mut group, mut version) = (
            text(&objref, "group", &at_ref)?,
            text(&objref, "version", &at_ref)?,
        );
        // kustomize's Target.GVK: a non-empty apiVersion wins.
        let api_version = text(&objref, "apiVersion", &at_ref)?;
        if !api_version.is_empty() {
            let parts: Vec<&str> = api_version.split('/').collect();
            match parts.as_slice() {
                [g, v] => (group, version) = ((*g).to_owned(), (*v).to_owned()),
                [v] => version = (*v).to_owned(),
                _ => {}
            }
        }
        let fieldref = match field(map, "fieldref", at)? {
            Some(Value::Map(m)) => m,
            _ => Mapping::default(),
        };
        known(&fieldref, &["fieldPath"], &format!("{at}.fieldref"))?;
        let field_path = text(&fieldref, "fieldPath", &format!("{at}.fieldref"))?;
        Ok(Var {
            name,
            group,
            version,
            kind: text(&objref, "kind", &at_ref)?,
            object_name: text(&objref, "name", &at_ref)?,
            namespace: text(&objref, "namespace", &at_ref)?,
            field_path: if field_path.is_empty() {
                "metadata.name".to_owned()
            } else {
                field_path
            },
        })
    }

    /// How kustomize prints a var in its messages.
    fn describe(&self) -> String {
        format!(
            "{} (objref {}{}{}/{}{}, fieldpath {})",
            self.name,
            self.group,
            if self.group.is_empty() { "" } else { "/" },
            self.version,
            self.kind,
            if self.namespace.is_empty() {
                format!(" {}", self.object_name)
            } else {
                format!(" {}/{}", self.namespace, self.object_name)
            },
            self.field_path
        )
    }

    /// kustomize's id matcher for a var: group, version, kind and name, and
    /// the effective namespace when the var names one.
    fn matches(&self, id: &ResId) -> bool {
        id.name == self.object_name
            && id.kind == self.kind
            && id.group == self.group
            && id.version == self.version
            && (self.namespace.is_empty() || id.effective_namespace() == effective(&self.namespace))
    }
}

fn effective(namespace: &str) -> &str {
    if namespace.is_empty() {
        "default"
    } else {
        namespace
    }
}

/// The vars accumulated so far (kustomize's VarSet): one per name.
#[derive(Debug, Clone, Default)]
pub(crate) struct VarSet {
    /// Each var, with where it was declared (file and `vars[i]`).
    vars: Vec<(Var, String, usize)>,
}

impl VarSet {
    /// Adds vars; a name already there is an error, as in kustomize.
    fn merge(&mut self, incoming: Vec<(Var, String, usize)>, file: &str) -> Result<(), Error> {
        for (var, declared_in, index) in incoming {
            if let Some((_, first, _)) = self.vars.iter().find(|(v, _, _)| v.name == var.name) {
                return Err(Error::overlay(
                    file,
                    format!(
                        "var '{}' already encountered (declared in {first} and in {declared_in})",
                        var.name
                    ),
                ));
            }
            self.vars.push((var, declared_in, index));
        }
        Ok(())
    }

    /// Adds the vars of an included kustomization.
    pub(crate) fn merge_set(&mut self, other: VarSet, file: &str) -> Result<(), Error> {
        self.merge(other.vars, file)
    }

    /// Adds the vars of a kustomization after its transformers ran: each is
    /// attached to the one object its objref names now or named before
    /// (none is fine until the vars are resolved; two are an error).
    pub(crate) fn declare(
        &mut self,
        set: &mut ManifestSet,
        vars: &[Var],
        file: &str,
    ) -> Result<(), Error> {
        for var in vars {
            let matched: Vec<usize> = set
                .iter()
                .enumerate()
                .filter(|(_, r)| {
                    std::iter::once(r.id())
                        .chain(std::iter::once(r.original_id()))
                        .chain(r.previous_ids())
                        .any(|id| var.matches(id))
                })
                .map(|(i, _)| i)
                .collect();
            match matched.as_slice() {
                [] => {}
                [one] => set.add_var_name(*one, &var.name),
                many => {
                    return Err(Error::overlay(
                        file,
                        format!(
                            "vars: found {} resId matches for var {} (unable to disambiguate)",
                            many.len(),
                            var.describe()
                        ),
                    ));
                }
            }
        }
        let declared = vars
            .iter()
            .enumerate()
            .map(|(i, v)| (v.clone(), file.to_owned(), i))
            .collect();
        self.merge(declared, file)
    }

    /// Writes every var's value wherever `$(NAME)` appears in the fields
    /// `specs` list (kustomize's `ResolveVars`, at the end of a build).
    pub(crate) fn resolve(
        &self,
        set: &mut ManifestSet,
        specs: &[FieldSpec],
        file: &str,
    ) -> Result<(), Error> {
        if self.vars.is_empty() {
            return Ok(());
        }
        let mut values: Vec<(&str, Value)> = Vec::with_capacity(self.vars.len());
        for (var, declared_in, index) in &self.vars {
            let Some(found) = set.iter().find(|r| r.var_names().contains(&var.name)) else {
                return Err(Error::overlay(
                    declared_in,
                    format!(
                        "vars[{index}]: var '{}' cannot be mapped to a field in the set of known resources",
                        var.describe()
                    ),
                ));
            };
            let path = field_path(&var.field_path);
            let path: Vec<&str> = path.iter().map(String::as_str).collect();
            let value = replacement::lookup(found.value(), &path).ok_or_else(|| {
                Error::overlay(
                    declared_in,
                    format!(
                        "vars[{index}].fieldref.fieldPath: field specified in var '{}' not found in corresponding resource {}",
                        var.describe(),
                        found.id().kustomize_form()
                    ),
                )
            })?;
            values.push((&var.name, value.clone()));
        }
        let may_rename = super::fieldspec::may_touch_identity(specs);
        set.edit_each(file, "vars", may_rename, |id, object| {
            for spec in specs.iter().filter(|s| s.selects(id)) {
                let spec = FieldSpec {
                    create: false,
                    ..spec.clone()
                };
                fieldspec::apply(object, &spec, CreateKind::Scalar, &mut |place| {
                    substitute_in(place, &values)
                })?;
            }
            Ok(())
        })
    }
}

/// A var's field path, with kustomize's reading of `ports[0]` as `ports.0`.
fn field_path(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in replacement::split_path(path) {
        match part.find('[') {
            Some(open) if open > 0 && part.ends_with(']') => {
                let inner = &part[open + 1..part.len() - 1];
                out.push(part[..open].to_owned());
                if inner.contains('=') {
                    out.push(format!("[{inner}]"));
                } else {
                    out.push(inner.to_owned());
                }
            }
            _ => out.push(part),
        }
    }
    out
}

/// kustomize's refvar filter on one field: a string is substituted; in a
/// mapping, each string value; in a sequence, each item (all must be strings).
fn substitute_in(place: &mut Value, values: &[(&str, Value)]) -> Result<(), String> {
    match place {
        Value::Null => Ok(()),
        Value::String(s) => {
            *place = substitute(s, values);
            Ok(())
        }
        Value::Map(map) => {
            for (_, v) in map.iter_mut() {
                if let Value::String(s) = v {
                    *v = substitute(s, values);
                }
            }
            Ok(())
        }
        Value::Seq(items) => {
            for item in items {
                let Value::String(s) = item else {
                    return Err("invalid value type expect a string".into());
                };
                *item = substitute(s, values);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// kustomize's `DoReplacements`: `$(NAME)` becomes the var's value (typed
/// when it is the whole text), `$$` becomes `$`, unknown names stay.
fn substitute(input: &str, values: &[(&str, Value)]) -> Value {
    // A var whose value is a mapping or a list is left as written.
    let lookup = |name: &str| {
        values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
            .filter(|v| v.scalar_text().is_some())
    };
    let bytes = input.as_bytes();
    let mut out = String::with_capacity(input.len());
    let mut checkpoint = 0;
    let mut cursor = 0;
    while cursor < bytes.len() {
        if bytes[cursor] == b'$' && cursor + 1 < bytes.len() {
            out.push_str(&input[checkpoint..cursor]);
            let rest = &input[cursor + 1..];
            let advance = match rest.as_bytes()[0] {
                b'$' => {
                    out.push('$');
                    1
                }
                b'(' => match rest[1..].find(')') {
                    Some(close) => {
                        let name = &rest[1..close + 1];
                        let found = lookup(name);
                        if input.len() == name.len() + 3 {
                            return found
                                .cloned()
                                .unwrap_or_else(|| Value::String(input.to_owned()));
                        }
                        match found {
                            Some(v) => out.push_str(&go_text(v)),
                            None => {
                                out.push_str("$(");
                                out.push_str(name);
                                out.push(')');
                            }
                        }
                        close + 2
                    }
                    None => {
                        out.push_str("$(");
                        1
                    }
                },
                _ => {
                    let c = rest.chars().next().expect("not empty");
                    out.push('$');
                    out.push(c);
                    c.len_utf8()
                }
            };
            cursor += advance;
            checkpoint = cursor + 1;
        }
        cursor += 1;
    }
    out.push_str(&input[checkpoint.min(input.len())..]);
    Value::String(out)
}

/// A value as Go's `%v` prints it.
fn go_text(v: &Value) -> String {
    match v {
        Value::Float(f) => go_float(*f),
        other => other.scalar_text().unwrap_or_default(),
    }
}

/// Go's `%v` of a float64: shortest digits, exponent form below 1e-4 or
/// from 1e21.
fn go_float(f: f64) -> String {
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..21).contains(&exp) {
        return format_float(f);
    }
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(input: &str) -> Value {
        let values = [
            ("PORT", Value::Int(8080)),
            ("HOST", Value::String("svc".into())),
            ("MAP", Value::Map(Mapping::default())),
        ];
        substitute(input, &values)
    }

    #[test]
    fn substitutes_as_kustomize() {
        assert_eq!(text("$(PORT)"), Value::Int(8080));
        assert_eq!(text("http://$(HOST):$(PORT)/"), "http://svc:8080/".into());
        assert_eq!(text("$(NOPE)"), "$(NOPE)".into());
        assert_eq!(text("$(MAP)"), "$(MAP)".into());
        assert_eq!(text("a $(NOPE) b"), "a $(NOPE) b".into());
        assert_eq!(text("$$(HOST)"), "$(HOST)".into());
        assert_eq!(text("cost $5 $"), "cost $5 $".into());
        assert_eq!(text("$(HOST"), "$(HOST".into());
        assert_eq!(text("é$(HOST)é"), "ésvcé".into());
    }

    #[test]
    fn field_paths_with_indexes() {
        assert_eq!(
            field_path("spec.ports[0].port"),
            ["spec", "ports", "0", "port"]
        );
        assert_eq!(
            field_path("spec.containers[name=app].image"),
            ["spec", "containers", "[name=app]", "image"]
        );
    }
}
