//! Kubernetes resource quantities (`500m`, `1Gi`, `1e3`), compared by value
//! as the API server does: `1000m` == `1`, `1Gi` == `1024Mi`; and Go
//! durations (`metav1.Duration`), where `8760h` == `8760h0m0s`.

use crate::yaml::Value;

/// A quantity as an exact count of nano-units (10^-9), when it fits.
fn nanos(text: &str) -> Option<i128> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '+' | '-')))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let (number, exponent) = match suffix.as_bytes().first() {
        Some(b'e' | b'E') if suffix.len() > 1 => {
            let exponent: i32 = suffix[1..].parse().ok()?;
            (number, exponent)
        }
        _ => {
            let (decimal, binary) = match suffix {
                "" => (0, 0),
                "n" => (-9, 0),
                "u" => (-6, 0),
                "m" => (-3, 0),
                "k" => (3, 0),
                "M" => (6, 0),
                "G" => (9, 0),
                "T" => (12, 0),
                "P" => (15, 0),
                "E" => (18, 0),
                "Ki" => (0, 10),
                "Mi" => (0, 20),
                "Gi" => (0, 30),
                "Ti" => (0, 40),
                "Pi" => (0, 50),
                "Ei" => (0, 60),
                _ => return None,
            };
            let (mantissa, fraction) = mantissa(number)?;
            let scaled = mantissa.checked_mul(1i128.checked_shl(binary)?)?;
            return shift(scaled, decimal + 9 - fraction);
        }
    };
    let (mantissa, fraction) = mantissa(number)?;
    shift(mantissa, exponent + 9 - fraction)
}

/// The digits of a decimal number as an integer, and how many were after the point.
fn mantissa(number: &str) -> Option<(i128, i32)> {
    let (negative, digits) = match number.as_bytes().first()? {
        b'-' => (true, &number[1..]),
        b'+' => (false, &number[1..]),
        _ => (false, number),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let mut value: i128 = 0;
    for b in whole.bytes().chain(fraction.bytes()) {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
    }
    let scale = i32::try_from(fraction.len()).ok()?;
    Some((if negative { -value } else { value }, scale))
}

/// `value` x 10^`exponent`, exactly; `None` when it does not fit or is not whole.
fn shift(value: i128, exponent: i32) -> Option<i128> {
    if exponent >= 0 {
        value.checked_mul(10i128.checked_pow(u32::try_from(exponent).ok()?)?)
    } else {
        let divisor = 10i128.checked_pow(u32::try_from(-exponent).ok()?)?;
        (value % divisor == 0).then(|| value / divisor)
    }
}

/// Whether two scalars are the same quantity (both must parse).
pub(crate) fn equal(a: &Value, b: &Value) -> bool {
    match (
        a.scalar_text().and_then(|t| nanos(&t)),
        b.scalar_text().and_then(|t| nanos(&t)),
    ) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// A Go duration (`time.ParseDuration`: `1h30m`, `1.5s`, `-2m`, `0`) in nanoseconds.
fn duration_nanos(text: &str) -> Option<i128> {
    let (negative, mut rest) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: i128 = 0;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_end);
        let unit_end = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_end);
        let unit: i128 = match unit {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if whole.is_empty() && fraction.is_empty() {
            return None;
        }
        let digits = |t: &str| -> Option<i128> {
            t.bytes().try_fold(0i128, |v, b| {
                v.checked_mul(10)?
                    .checked_add(i128::from(b.checked_sub(b'0').filter(|d| *d < 10)?))
            })
        };
        let whole = digits(whole)?;
        let scale = 10i128.checked_pow(u32::try_from(fraction.len()).ok()?)?;
        total = total
            .checked_add(whole.checked_mul(unit)?)?
            .checked_add(digits(fraction)?.checked_mul(unit)? / scale)?;
        rest = after;
    }
    Some(if negative { -total } else { total })
}

/// Whether two scalars are the same Go duration (both must parse).
pub(crate) fn duration_equal(a: &Value, b: &Value) -> bool {
    match (
        a.as_str().and_then(duration_nanos),
        b.as_str().and_then(duration_nanos),
    ) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// Whether two strings, each with a unit, are the same quantity or the same
/// duration: how a custom resource's field of one of those types reads
/// after the API server rewrote it to its canonical form.
pub(crate) fn same_with_units(a: &Value, b: &Value) -> bool {
    let with_unit = |v: &Value| {
        v.as_str()
            .is_some_and(|t| t.bytes().any(|b| b.is_ascii_alphabetic()))
    };
    with_unit(a) && with_unit(b) && (equal(a, b) || duration_equal(a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(a: &str, b: &str) -> bool {
        equal(&Value::String(a.into()), &Value::String(b.into()))
    }

    #[test]
    fn compares_by_value() {
        assert!(same("1000m", "1"));
        assert!(same("1Gi", "1024Mi"));
        assert!(same("0.5", "500m"));
        assert!(same("1e3", "1k"));
        assert!(same("1E", "1000P"));
        assert!(same("1.5Gi", "1536Mi"));
        assert!(equal(&Value::Int(2), &Value::String("2000m".into())));
        assert!(!same("1G", "1Gi"));
        assert!(!same("100m", "1"));
        assert!(!same("abc", "abc"));
        assert!(!same("1Xi", "1Xi"));
    }

    #[test]
    fn durations_compare_by_value() {
        let d =
            |a: &str, b: &str| duration_equal(&Value::String(a.into()), &Value::String(b.into()));
        assert!(d("8760h", "8760h0m0s"));
        assert!(d("1.5s", "1500ms"));
        assert!(d("90m", "1h30m0s"));
        assert!(d("0", "0s"));
        assert!(d("-2m", "-120s"));
        assert!(d("1\u{b5}s", "1000ns"));
        assert!(!d("1m", "1s"));
        assert!(!d("10", "10s"));
        assert!(!d("1x", "1x"));
        assert!(!d("", ""));
        assert!(!d("h", "h"));
    }

    #[test]
    fn values_with_units_compare_by_value() {
        let u =
            |a: &str, b: &str| same_with_units(&Value::String(a.into()), &Value::String(b.into()));
        assert!(u("1.25G", "1250M"));
        assert!(u("8760h", "8760h0m0s"));
        assert!(!u("1.0", "1"));
        assert!(!u("1.5", "1500m"));
        assert!(!u("1G", "1Gi"));
    }
}
