//! RFC 8785 JSON Canonicalization Scheme (JCS): object members sorted by
//! their names' UTF-16 code units, no insignificant whitespace, strings
//! escaped as ECMAScript's `JSON.stringify` escapes them, numbers in
//! ECMAScript's shortest form.

use crate::yaml::Value;

/// `value` as RFC 8785 canonical JSON.
pub(crate) fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write(&mut out, value);
    out
}

fn write(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::UInt(u) => out.push_str(&u.to_string()),
        Value::Float(f) => out.push_str(&number(*f)),
        Value::String(s) => string(out, s),
        Value::Seq(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(out, item);
            }
            out.push(']');
        }
        Value::Map(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, (key, item)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                string(out, key);
                out.push(':');
                write(out, item);
            }
            out.push('}');
        }
    }
}

fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// ECMAScript's `Number.prototype.toString` for finite numbers (JCS has no
/// other numbers; NaN and infinities, which JSON lacks, become `null`).
fn number(f: f64) -> String {
    if !f.is_finite() {
        return "null".to_owned();
    }
    if f == 0.0 {
        return "0".to_owned();
    }
    let magnitude = f.abs();
    if (1e-6..1e21).contains(&magnitude) {
        // Rust prints the shortest digits that read back, without exponent.
        let text = format!("{f}");
        return text.strip_suffix(".0").map_or(text.clone(), str::to_owned);
    }
    let text = format!("{f:e}");
    match text.split_once('e') {
        Some((mantissa, exponent)) if !exponent.starts_with('-') => {
            format!("{mantissa}e+{exponent}")
        }
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(json: &str) -> String {
        canonical_json(&Value::from_json(json).unwrap())
    }

    #[test]
    fn sorts_members_by_utf16_and_escapes_as_ecmascript() {
        // RFC 8785 section 3.2.3's sorting example, by code units.
        assert_eq!(
            canonical(
                r#"{"\u20ac":1,"\r":2,"\ufb33":3,"1":4,"\ud83d\ude00":5,"\u0080":6,"\u00f6":7}"#
            ),
            "{\"\\r\":2,\"1\":4,\"\u{80}\":6,\"\u{f6}\":7,\"\u{20ac}\":1,\"\u{1f600}\":5,\"\u{fb33}\":3}"
        );
        assert_eq!(
            canonical(r#"{"b": [1, "x\u0001\n"], "a": null}"#),
            "{\"a\":null,\"b\":[1,\"x\\u0001\\n\"]}"
        );
    }

    #[test]
    // RFC 8785's example number, written as the RFC writes it.
    #[allow(clippy::excessive_precision)]
    fn numbers_as_ecmascript_prints_them() {
        assert_eq!(number(1.0), "1");
        assert_eq!(number(0.5), "0.5");
        assert_eq!(number(1e21), "1e+21");
        assert_eq!(number(1e-7), "1e-7");
        assert_eq!(number(-0.0), "0");
        assert_eq!(number(333333333.33333329), "333333333.3333333");
    }
}
