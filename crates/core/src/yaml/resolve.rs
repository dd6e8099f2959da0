//! How a plain YAML scalar resolves to a typed value, following the two Go YAML
//! libraries kustomize stacks: go-yaml v3 reads the input (YAML 1.2 booleans,
//! YAML 1.1 octals), go-yaml v2 decides on output whether a string needs quotes
//! (YAML 1.1 booleans such as `yes` and `on` do).

use super::timestamp::Timestamp;

/// Why a Go `strconv.Parse{Int,Uint}` call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IntError {
    Syntax,
    Range,
}

/// `strconv.ParseUint(s, 0, 64)`: `0x`, `0o`, `0b` prefixes and a leading `0` for octal.
fn go_parse_uint(s: &str) -> Result<u64, IntError> {
    let bytes = s.as_bytes();
    if bytes.is_empty() {
        return Err(IntError::Syntax);
    }
    let (base, digits): (u32, &[u8]) = if bytes[0] == b'0' {
        match bytes.get(1).map(u8::to_ascii_lowercase) {
            Some(b'b') if bytes.len() >= 3 => (2, &bytes[2..]),
            Some(b'o') if bytes.len() >= 3 => (8, &bytes[2..]),
            Some(b'x') if bytes.len() >= 3 => (16, &bytes[2..]),
            _ => (8, &bytes[1..]),
        }
    } else {
        (10, bytes)
    };
    let mut n: u64 = 0;
    for &c in digits {
        let d = (c as char).to_digit(base).ok_or(IntError::Syntax)?;
        n = n
            .checked_mul(u64::from(base))
            .and_then(|n| n.checked_add(u64::from(d)))
            .ok_or(IntError::Range)?;
    }
    Ok(n)
}

/// `strconv.ParseInt(s, 0, 64)`: an optional sign, then [`go_parse_uint`].
fn go_parse_int(s: &str) -> Result<i64, IntError> {
    let (negative, rest) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let magnitude = go_parse_uint(rest)?;
    if negative {
        if magnitude > 1 << 63 {
            return Err(IntError::Range);
        }
        Ok((magnitude as i64).wrapping_neg())
    } else if magnitude >= 1 << 63 {
        Err(IntError::Range)
    } else {
        Ok(magnitude as i64)
    }
}

/// go-yaml's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// A finite float from Go's `strconv.ParseFloat` for the forms YAML allows.
fn parse_finite_float(s: &str) -> Option<f64> {
    let f: f64 = s.parse().ok()?;
    f.is_finite().then_some(f)
}

/// `strconv.ParseInt(s[2:], 2, 64)` for a `0b`/`-0b` prefixed literal.
fn parse_binary(digits: &str, negative: bool) -> Option<ResolvedNumber> {
    if digits.is_empty() || !digits.bytes().all(|c| c == b'0' || c == b'1') {
        return None;
    }
    let magnitude = u64::from_str_radix(digits, 2).ok()?;
    if negative {
        (magnitude <= 1 << 63).then(|| ResolvedNumber::Int((magnitude as i64).wrapping_neg()))
    } else if magnitude < 1 << 63 {
        Some(ResolvedNumber::Int(magnitude as i64))
    } else {
        Some(ResolvedNumber::UInt(magnitude))
    }
}

/// A number a plain scalar resolves to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ResolvedNumber {
    Int(i64),
    UInt(u64),
    Float(f64),
}

/// What go-yaml v3 makes of a plain (unquoted, untagged) scalar.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Resolved {
    Null,
    Bool(bool),
    Number(ResolvedNumber),
    /// `.inf`, `-.inf`, `.nan`: valid YAML that JSON (and so Kubernetes) cannot hold.
    NonFinite,
    Timestamp(Timestamp),
    /// The merge key `<<`.
    Merge,
    Str,
}

/// The number a `D`/`S`-hinted scalar is, by go-yaml's rules after the timestamp check.
fn resolve_number(text: &str) -> Option<ResolvedNumber> {
    let plain: std::borrow::Cow<'_, str> = if text.contains('_') {
        text.replace('_', "").into()
    } else {
        text.into()
    };
    if let Ok(i) = go_parse_int(&plain) {
        return Some(ResolvedNumber::Int(i));
    }
    if let Ok(u) = go_parse_uint(&plain) {
        return Some(ResolvedNumber::UInt(u));
    }
    if is_yaml_style_float(&plain)
        && let Some(f) = parse_finite_float(&plain)
    {
        return Some(ResolvedNumber::Float(f));
    }
    if let Some(digits) = plain.strip_prefix("0b") {
        return parse_binary(digits, false);
    }
    if let Some(digits) = plain.strip_prefix("-0b") {
        return parse_binary(digits, true);
    }
    None
}

/// Resolves a plain scalar as go-yaml v3 does when kustomize reads a file.
pub(crate) fn resolve_plain_v3(text: &str) -> Resolved {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "true" | "True" | "TRUE" => return Resolved::Bool(true),
        "false" | "False" | "FALSE" => return Resolved::Bool(false),
        ".nan" | ".NaN" | ".NAN" | ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF"
        | "-.inf" | "-.Inf" | "-.INF" => return Resolved::NonFinite,
        "-0" | "-0.0" => return Resolved::Number(ResolvedNumber::Float(-0.0)),
        "<<" => return Resolved::Merge,
        _ => {}
    }
    match text.as_bytes()[0] {
        b'.' => match parse_dot_float(text) {
            Some(f) => Resolved::Number(ResolvedNumber::Float(f)),
            None => Resolved::Str,
        },
        b'0'..=b'9' | b'+' | b'-' => {
            if let Some(t) = Timestamp::parse(text) {
                return Resolved::Timestamp(t);
            }
            match resolve_number(text) {
                Some(n) => Resolved::Number(n),
                None => Resolved::Str,
            }
        }
        _ => Resolved::Str,
    }
}

/// `strconv.ParseFloat` on a scalar starting with `.`: only `.5`, `.5e3` forms parse.
fn parse_dot_float(text: &str) -> Option<f64> {
    if is_yaml_style_float(text) {
        parse_finite_float(text)
    } else {
        None
    }
}

/// Whether go-yaml v2 would read this plain text back as something other than a
/// string, so that its encoder must quote it (kustomize's output rule).
pub(crate) fn needs_quotes_v2(text: &str) -> bool {
    match text {
        "" | "~" | "null" | "Null" | "NULL" | "y" | "Y" | "yes" | "Yes" | "YES" | "true"
        | "True" | "TRUE" | "on" | "On" | "ON" | "n" | "N" | "no" | "No" | "NO" | "false"
        | "False" | "FALSE" | "off" | "Off" | "OFF" | ".nan" | ".NaN" | ".NAN" | ".inf"
        | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF" => {
            return true;
        }
        _ => {}
    }
    let first = text.as_bytes()[0];
    let resolves = match first {
        // `<<` is in go-yaml's map but its first byte has no hint, so it stays a string.
        b'.' => is_yaml_style_float(text) && text.parse::<f64>().is_ok_and(f64::is_finite),
        b'0'..=b'9' | b'+' | b'-' => {
            Timestamp::parse(text).is_some()
                || resolve_number(text).is_some()
                || is_big_int_v2(text)
        }
        _ => false,
    };
    resolves || is_base60_float(text)
}

/// go-yaml v2 (the sigs.k8s.io fork) reads integers beyond 64 bits as big integers.
fn is_big_int_v2(text: &str) -> bool {
    let plain = text.replace('_', "");
    if go_parse_uint(&plain) != Err(IntError::Range) {
        return false;
    }
    // big.Int.SetString(plain, 0): an optional sign, a base prefix, digits of that base.
    let unsigned = plain.strip_prefix(['+', '-']).unwrap_or(&plain);
    let (base, digits) = match unsigned.get(..2).map(str::to_ascii_lowercase).as_deref() {
        Some("0x") => (16, &unsigned[2..]),
        Some("0o") => (8, &unsigned[2..]),
        Some("0b") => (2, &unsigned[2..]),
        _ if unsigned.starts_with('0') => (8, unsigned),
        _ => (10, unsigned),
    };
    !digits.is_empty() && digits.chars().all(|c| c.is_digit(base))
}

/// go-yaml v2's `isBase60Float`: `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`.
fn is_base60_float(text: &str) -> bool {
    let b = text.as_bytes();
    if !matches!(b[0], b'+' | b'-' | b'0'..=b'9') || !text.contains(':') {
        return false;
    }
    let mut i = usize::from(matches!(b[0], b'+' | b'-'));
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    i += 1;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        // [0-5]?[0-9]: one or two digits, a two-digit group starting with 0-5.
        match (b.get(i), b.get(i + 1)) {
            (Some(d1 @ b'0'..=b'5'), Some(d2)) if d2.is_ascii_digit() => {
                let _ = d1;
                i += 2;
            }
            (Some(d), _) if d.is_ascii_digit() => i += 1,
            _ => return false,
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_integer_syntax() {
        assert_eq!(go_parse_int("0755"), Ok(493));
        assert_eq!(go_parse_int("0x1F"), Ok(31));
        assert_eq!(go_parse_int("0o17"), Ok(15));
        assert_eq!(go_parse_int("-0b101"), Ok(-5));
        assert_eq!(go_parse_int("+12"), Ok(12));
        assert_eq!(go_parse_int("08"), Err(IntError::Syntax));
        assert_eq!(go_parse_int("0x"), Err(IntError::Syntax));
        assert_eq!(go_parse_int("9223372036854775808"), Err(IntError::Range));
        assert_eq!(go_parse_int("-9223372036854775808"), Ok(i64::MIN));
    }

    #[test]
    fn v3_resolution() {
        assert_eq!(resolve_plain_v3("yes"), Resolved::Str);
        assert_eq!(resolve_plain_v3("True"), Resolved::Bool(true));
        assert_eq!(
            resolve_plain_v3("08"),
            Resolved::Number(ResolvedNumber::Float(8.0))
        );
        assert_eq!(
            resolve_plain_v3("1_000"),
            Resolved::Number(ResolvedNumber::Int(1000))
        );
        assert_eq!(
            resolve_plain_v3(".5"),
            Resolved::Number(ResolvedNumber::Float(0.5))
        );
        assert_eq!(resolve_plain_v3("1e400"), Resolved::Str);
        assert_eq!(resolve_plain_v3(".inf"), Resolved::NonFinite);
        assert_eq!(
            resolve_plain_v3("12345678901234567890"),
            Resolved::Number(ResolvedNumber::UInt(12_345_678_901_234_567_890))
        );
    }

    #[test]
    fn v2_quoting() {
        for quoted in [
            "yes",
            "on",
            "n",
            "~",
            "",
            "1.0",
            "0x1F",
            "1e3",
            "1:20",
            "1_000",
            "+.5",
            ".inf",
            "2024-01-01",
            "123456789012345678901234",
        ] {
            assert!(needs_quotes_v2(quoted), "{quoted:?} should need quotes");
        }
        for plain in ["<<", "abc", "1.2.3", "v1", "-", "1a", "2024-02-30", "1:60"] {
            assert!(!needs_quotes_v2(plain), "{plain:?} should stay plain");
        }
    }

    #[test]
    fn base60() {
        assert!(is_base60_float("1:20"));
        assert!(is_base60_float("-1:20:30.5"));
        assert!(!is_base60_float("1:"));
        assert!(!is_base60_float("a:1"));
    }
}
