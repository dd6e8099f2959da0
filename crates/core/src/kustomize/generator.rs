//! `configMapGenerator`, `secretGenerator` and `generatorOptions`: objects
//! made from literals, files and env files, merged or replaced across layers,
//! and the content-hash name suffix kustomize appends at the end.

use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::resource::{ManifestSet, Origin, Resource};
use crate::yaml::{Mapping, Value};

/// `generatorOptions`, or a generator's own `options`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GeneratorOptions {
    /// `labels` for the generated objects.
    pub labels: Vec<(String, String)>,
    /// `annotations` for the generated objects.
    pub annotations: Vec<(String, String)>,
    /// `disableNameSuffixHash`.
    pub disable_name_suffix_hash: Option<bool>,
    /// `immutable`.
    pub immutable: Option<bool>,
}

impl GeneratorOptions {
    /// These options over `defaults` (the kustomization's `generatorOptions`).
    fn over(&self, defaults: &GeneratorOptions) -> GeneratorOptions {
        let merge = |base: &[(String, String)], over: &[(String, String)]| {
            let mut out: Vec<(String, String)> = base.to_vec();
            for (k, v) in over {
                match out.iter_mut().find(|(key, _)| key == k) {
                    Some(slot) => slot.1 = v.clone(),
                    None => out.push((k.clone(), v.clone())),
                }
            }
            out
        };
        GeneratorOptions {
            labels: merge(&defaults.labels, &self.labels),
            annotations: merge(&defaults.annotations, &self.annotations),
            disable_name_suffix_hash: self
                .disable_name_suffix_hash
                .or(defaults.disable_name_suffix_hash),
            immutable: self.immutable.or(defaults.immutable),
        }
    }
}

/// What a generator does when an object of the same name already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Behavior {
    /// `create` (the default): the object must not exist yet.
    #[default]
    Create,
    /// `merge`: its data is merged over the existing object's.
    Merge,
    /// `replace`: its data replaces the existing object's.
    Replace,
}

/// One entry of `configMapGenerator` or `secretGenerator`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GeneratorArgs {
    /// `Secret` or `ConfigMap`.
    pub kind: &'static str,
    /// `name`.
    pub name: String,
    /// `namespace`.
    pub namespace: String,
    /// `behavior`.
    pub behavior: Behavior,
    /// `literals`: `key=value`.
    pub literals: Vec<String>,
    /// `files`: `path` or `key=path`.
    pub files: Vec<String>,
    /// `envs` (and the deprecated `env`): env files.
    pub envs: Vec<String>,
    /// `type` (Secrets; `Opaque` when empty).
    pub secret_type: String,
    /// `options`.
    pub options: GeneratorOptions,
}

/// A generated object, before it joins the set.
pub(crate) struct Generated {
    pub value: Value,
    pub behavior: Behavior,
    pub needs_hash: bool,
}

/// Reads a file for a generator (the caller enforces load restrictions).
pub(crate) type ReadFile<'a> = dyn Fn(&str) -> Result<Vec<u8>, Error> + 'a;

/// kustomize's `removeQuotes`: one pair of matching surrounding quotes.
fn remove_quotes(s: &str) -> &str {
    let b = s.as_bytes();
    if b.len() >= 2 && b[0] == b[b.len() - 1] && (b[0] == b'"' || b[0] == b'\'') {
        &s[1..s.len() - 1]
    } else {
        s
    }
}

/// The key/value pairs of an env file, as kustomize reads them.
fn env_file_pairs(text: &str, file: &str) -> Result<Vec<(String, String)>, Error> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = if i == 0 {
            line.trim_start_matches('\u{feff}')
        } else {
            line
        };
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(Error::overlay(
                file,
                format!(
                    "line {}: has no '='; kustomize would read the value from the process environment, which trueup refuses (not reproducible)",
                    i + 1
                ),
            ));
        };
        // kustomize takes any key as written (`2FA_ENABLED`, `a b`), and
        // skips a line whose key is only blanks.
        if key.trim().is_empty() {
            continue;
        }
        out.push((key.to_owned(), value.to_owned()));
    }
    Ok(out)
}

/// Builds the object a generator describes. `file` names the kustomization.
pub(crate) fn generate(
    args: &GeneratorArgs,
    defaults: &GeneratorOptions,
    file: &str,
    read: &ReadFile<'_>,
) -> Result<Generated, Error> {
    let is_secret = args.kind == "Secret";
    // Text values, and the bytes of binary files (ConfigMap binaryData).
    let mut data: Vec<(String, Vec<u8>)> = Vec::new();
    let add =
        |key: String, bytes: Vec<u8>, data: &mut Vec<(String, Vec<u8>)>| -> Result<(), Error> {
            // kustomize checks no more than this: `a b`, `2FA` are keys.
            if key.is_empty() {
                return Err(Error::overlay(
                    file,
                    format!("{} {}: a key name is missing", args.kind, args.name),
                ));
            }
            if data.iter().any(|(k, _)| *k == key) {
                return Err(Error::overlay(
                    file,
                    format!(
                        "{} {}: cannot add key {key:?}, another key by that name already exists",
                        args.kind, args.name
                    ),
                ));
            }
            data.push((key, bytes));
            Ok(())
        };
    for env in &args.envs {
        let bytes = read(env)?;
        let text = String::from_utf8(bytes)
            .map_err(|_| Error::overlay(file, format!("env file {env} is not UTF-8")))?;
        // Named from the root, as other files are.
        let shown = match file.rsplit_once('/') {
            Some((dir, _)) if !super::remote::is_http(env) => {
                crate::source::normalize_join(dir, env)
            }
            _ => env.clone(),
        };
        for (k, v) in env_file_pairs(&text, &shown)? {
            add(k, v.into_bytes(), &mut data)?;
        }
    }
    for (i, literal) in args.literals.iter().enumerate() {
        let (key, value) = match literal.split_once('=') {
            Some((k, v)) if !k.is_empty() => (k, remove_quotes(v)),
            // The text is not printed: it may be a secret written wrongly.
            _ => {
                return Err(Error::overlay(
                    file,
                    format!(
                        "{} {}: literals[{i}]: invalid literal source (its text is not shown), expected key=value",
                        args.kind, args.name
                    ),
                ));
            }
        };
        add(key.to_owned(), value.as_bytes().to_vec(), &mut data)?;
    }
    for source in &args.files {
        let (key, path) = match source.split_once('=') {
            Some((k, p)) => (k.to_owned(), p),
            None => (
                source.rsplit('/').next().unwrap_or(source).to_owned(),
                source.as_str(),
            ),
        };
        add(key, read(path)?, &mut data)?;
    }

    let options = args.options.over(defaults);
    let mut metadata = Mapping::default();
    metadata.insert("name".into(), Value::String(args.name.clone()));
    if !args.namespace.is_empty() {
        metadata.insert("namespace".into(), Value::String(args.namespace.clone()));
    }
    let string_map = |pairs: &[(String, String)]| {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        )
    };
    if !options.labels.is_empty() {
        metadata.insert("labels".into(), string_map(&options.labels));
    }
    if !options.annotations.is_empty() {
        metadata.insert("annotations".into(), string_map(&options.annotations));
    }
    let mut object = Mapping::default();
    object.insert("apiVersion".into(), "v1".into());
    object.insert("kind".into(), args.kind.into());
    object.insert("metadata".into(), Value::Map(metadata));
    let mut text_data = Mapping::default();
    let mut binary_data = Mapping::default();
    for (key, bytes) in data {
        if is_secret {
            text_data.insert(key, Value::String(crate::base64::encode_wrapped(&bytes)));
        } else {
            match String::from_utf8(bytes) {
                Ok(text) => {
                    text_data.insert(key, Value::String(text));
                }
                Err(e) => {
                    binary_data.insert(
                        key,
                        Value::String(crate::base64::encode_wrapped(e.as_bytes())),
                    );
                }
            }
        }
    }
    // An empty Secret still prints `data: {}`; an empty ConfigMap has no data.
    if !text_data.is_empty() || is_secret {
        object.insert("data".into(), Value::Map(text_data));
    }
    if !binary_data.is_empty() {
        object.insert("binaryData".into(), Value::Map(binary_data));
    }
    if is_secret {
        let secret_type = if args.secret_type.is_empty() {
            "Opaque"
        } else {
            &args.secret_type
        };
        object.insert("type".into(), secret_type.into());
    }
    if options.immutable == Some(true) {
        object.insert("immutable".into(), Value::Bool(true));
    }
    Ok(Generated {
        value: Value::Map(object),
        behavior: args.behavior,
        needs_hash: options.disable_name_suffix_hash != Some(true),
    })
}

/// Adds a generated object to `set`, or merges it into / replaces the object
/// it names (by current or previous identity), as kustomize's generators do.
pub(crate) fn absorb(set: &mut ManifestSet, generated: Generated, file: &str) -> Result<(), Error> {
    let origin = Origin {
        file: Some(file.to_owned()),
        document: None,
        line: None,
    };
    let mut resource = Resource::new(generated.value, origin)?;
    if generated.needs_hash {
        resource.mark_for_name_suffix();
    }
    let id = resource.id().clone();
    match (set.positions_of_any_id(&id).as_slice(), generated.behavior) {
        ([], Behavior::Create) => set.insert(resource, file),
        ([], _) => Err(Error::overlay(
            file,
            format!("{id} does not exist; a generator with behavior merge or replace needs it"),
        )),
        ([_], Behavior::Create) => Err(Error::overlay(
            file,
            format!("{id} exists already; a generator for it needs behavior merge or replace"),
        )),
        (&[i], behavior) => {
            let mut value = resource.into_value();
            let old = set.at(i).value();
            merge_into_existing(&mut value, old, behavior == Behavior::Merge);
            // kustomize: a merge keeps where the object came from.
            if behavior == Behavior::Merge
                && let Some(origin) = old
                    .get_path(&["metadata", "annotations", super::origin::ORIGIN_ANNOTATION])
                    .cloned()
                && let Some(Value::Map(annotations)) = value
                    .as_map_mut()
                    .and_then(|m| m.get_mut("metadata"))
                    .and_then(|m| m.as_map_mut())
                    .and_then(|m| m.get_mut("annotations"))
            {
                annotations.insert(super::origin::ORIGIN_ANNOTATION.into(), origin);
            }
            // The oracle: the name gets a hash only if the base generator and
            // this one both want it.
            set.keep_name_suffix_at(i, generated.needs_hash);
            set.replace_value_at(i, value, file, "generator")
        }
        _ => Err(Error::overlay(
            file,
            format!("more than one object could take the generated {id}"),
        )),
    }
}

/// Appends the content hash to the names of generated objects that want one
/// (once, at the top kustomization, from their final content).
pub(crate) fn apply_name_hashes(set: &mut ManifestSet, file: &str) -> Result<(), Error> {
    set.suffix_marked_names(file, "name hash", content_hash)
}

/// What a generator with behavior merge or replace leaves: the old object's
/// name, namespace, labels and annotations under the new ones, and for merge
/// the old data under the new.
fn merge_into_existing(new: &mut Value, old: &Value, merge_data: bool) {
    let Some(new_map) = new.as_map_mut() else {
        return;
    };
    let old_meta = old.get_path(&["metadata"]).and_then(Value::as_map);
    if let Some(Value::Map(meta)) = new_map.get_mut("metadata") {
        for key in ["labels", "annotations"] {
            let mut combined = old_meta
                .and_then(|m| m.get(key))
                .and_then(Value::as_map)
                .cloned()
                .unwrap_or_default();
            if let Some(Value::Map(mine)) = meta.get(key) {
                for (k, v) in mine {
                    combined.insert(k.clone(), v.clone());
                }
            }
            if combined.is_empty() {
                meta.shift_remove(key);
            } else {
                meta.insert(key.into(), Value::Map(combined));
            }
        }
        for key in ["name", "namespace"] {
            match old_meta.and_then(|m| m.get(key)) {
                Some(v) => {
                    meta.insert(key.into(), v.clone());
                }
                None => {
                    meta.shift_remove(key);
                }
            }
        }
    }
    if merge_data {
        for key in ["data", "binaryData"] {
            if let Some(Value::Map(old_data)) = old.get_path(&[key]) {
                let mut combined = old_data.clone();
                if let Some(Value::Map(mine)) = new_map.get(key) {
                    for (k, v) in mine {
                        combined.insert(k.clone(), v.clone());
                    }
                }
                new_map.insert(key.into(), Value::Map(combined));
            }
        }
    }
}

/// Go's `encoding/json` string encoding, HTML escaping included.
fn go_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Go's `json.Marshal` of a `map[string]string`: keys in byte order.
fn go_json_string_map(out: &mut String, map: &Mapping) {
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    out.push('{');
    for (i, (k, v)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        go_json_string(out, k);
        out.push(':');
        match v {
            Value::String(s) => go_json_string(out, s),
            other => go_json_string(out, &crate::yaml::to_yaml(other)),
        }
    }
    out.push('}');
}

/// The content-hash suffix kustomize gives a generated ConfigMap or Secret:
/// sha256 of a compact JSON of its kind, data (and binaryData, type; not
/// its name, nor `immutable`, as the oracle shows), the first ten hex digits with `0 1 3 a e` spelled `g h k m t`.
///
/// ```
/// use trueup_core::kustomize::content_hash;
/// use trueup_core::yaml::parse_documents;
/// let empty = parse_documents("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n").unwrap().remove(0).value;
/// assert_eq!(content_hash(&empty).as_deref(), Some("6ct58987ht"));
/// ```
pub fn content_hash(object: &Value) -> Option<String> {
    let map = object.as_map()?;
    let kind = map.get("kind")?.as_str()?;
    if kind != "ConfigMap" && kind != "Secret" {
        return None;
    }
    // Go's json.Marshal of the map kustomize builds, keys sorted:
    // binaryData?, data, kind, name (always ""), type (Secrets).
    let mut json = String::from("{");
    if let Some(Value::Map(binary)) = map.get("binaryData")
        && !binary.is_empty()
    {
        json.push_str("\"binaryData\":");
        go_json_string_map(&mut json, binary);
        json.push(',');
    }
    json.push_str("\"data\":");
    match map.get("data") {
        Some(Value::Map(data)) if !data.is_empty() => go_json_string_map(&mut json, data),
        _ => json.push_str("\"\""),
    }
    json.push_str(",\"kind\":");
    go_json_string(&mut json, kind);
    json.push_str(",\"name\":\"\"");
    if kind == "Secret" {
        json.push_str(",\"type\":");
        let secret_type = map.get("type").and_then(Value::as_str).unwrap_or_default();
        go_json_string(&mut json, secret_type);
    }
    json.push('}');
    let digest = Sha256::digest(json.as_bytes());
    let hex: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
    Some(
        hex.chars()
            .map(|c| match c {
                '0' => 'g',
                '1' => 'h',
                '3' => 'k',
                'a' => 'm',
                'e' => 't',
                other => other,
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_files() {
        let pairs =
            env_file_pairs("\u{feff}# c\n\nA=1\n  B=x y  \nC=a=b\n", "v.env").expect("parses");
        assert_eq!(
            pairs,
            [
                ("A".into(), "1".into()),
                ("B".into(), "x y  ".into()),
                ("C".into(), "a=b".into())
            ]
        );
        assert!(env_file_pairs("NOVALUE\n", "v.env").is_err());
        // kustomize takes any key as written and skips blank keys (the oracle).
        assert_eq!(
            env_file_pairs("1A=x\n =skipped\n", "v.env").expect("parses"),
            [("1A".into(), "x".into())]
        );
    }

    #[test]
    fn quotes() {
        assert_eq!(remove_quotes("\"a b\""), "a b");
        assert_eq!(remove_quotes("'a'"), "a");
        assert_eq!(remove_quotes("\"a'"), "\"a'");
        assert_eq!(remove_quotes("\""), "\"");
    }
}
