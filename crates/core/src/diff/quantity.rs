//! Kubernetes resource quantities (`500m`, `1Gi`, `1e3`), compared by value
//! as the API server does: `1000m` == `1`, `1Gi` == `1024Mi`.

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
}
