//! YAML timestamps as go-yaml reads them (`time.Parse` with four layouts) and as
//! kustomize prints them after its JSON round trip (RFC 3339 with nanoseconds).

use std::fmt::Write as _;

/// A timestamp read from a plain scalar such as `2024-01-01` or
/// `2024-01-01T10:00:00.5+02:00`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timestamp {
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
    /// Offset east of UTC in seconds.
    offset: i32,
}

/// A cursor over the bytes of a candidate timestamp.
struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    /// Go's `getnum(value, false)`: one digit, or two when the second is a digit too.
    fn one_or_two_digits(&mut self) -> Option<u32> {
        let d1 = self.b.get(self.i).filter(|c| c.is_ascii_digit())?;
        self.i += 1;
        match self.b.get(self.i).filter(|c| c.is_ascii_digit()) {
            Some(d2) => {
                self.i += 1;
                Some(u32::from(d1 - b'0') * 10 + u32::from(d2 - b'0'))
            }
            None => Some(u32::from(d1 - b'0')),
        }
    }

    fn two_digits(&mut self) -> Option<u32> {
        let d = self.b.get(self.i..self.i + 2)?;
        if !d.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.i += 2;
        Some(u32::from(d[0] - b'0') * 10 + u32::from(d[1] - b'0'))
    }

    fn literal(&mut self, c: u8) -> Option<()> {
        (self.b.get(self.i) == Some(&c)).then(|| self.i += 1)
    }

    fn at_end(&self) -> bool {
        self.i == self.b.len()
    }

    /// Go's fractional seconds after the seconds field: `.` or `,` then digits.
    fn fraction(&mut self) -> u32 {
        let b = self.b;
        if self.i + 1 >= b.len()
            || !matches!(b[self.i], b'.' | b',')
            || !b[self.i + 1].is_ascii_digit()
        {
            return 0;
        }
        self.i += 1;
        let mut nanos = 0u32;
        let mut scale = 100_000_000u32;
        while self.i < b.len() && b[self.i].is_ascii_digit() {
            nanos += u32::from(b[self.i] - b'0') * scale;
            scale /= 10;
            self.i += 1;
        }
        nanos
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl Timestamp {
    /// Parses `s` with go-yaml's layouts: `2006-1-2T15:4:5.999999999Z07:00` (also
    /// with a lower-case `t`), `2006-1-2 15:4:5.999999999` and `2006-1-2`.
    pub(crate) fn parse(s: &str) -> Option<Timestamp> {
        let b = s.as_bytes();
        // go-yaml's quick check: four digits and a dash.
        if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
            return None;
        }
        let mut c = Cursor { b, i: 5 };
        let year = s[..4].parse().ok()?;
        let month = c.one_or_two_digits()?;
        c.literal(b'-')?;
        let day = c.one_or_two_digits()?;
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return None;
        }
        let mut t = Timestamp {
            year,
            month,
            day,
            hour: 0,
            minute: 0,
            second: 0,
            nanos: 0,
            offset: 0,
        };
        if c.at_end() {
            return Some(t);
        }
        let separator = b[c.i];
        if !matches!(separator, b'T' | b't' | b' ') {
            return None;
        }
        c.i += 1;
        t.hour = c.one_or_two_digits().filter(|h| *h < 24)?;
        c.literal(b':')?;
        t.minute = c.one_or_two_digits().filter(|m| *m < 60)?;
        c.literal(b':')?;
        t.second = c.one_or_two_digits().filter(|s| *s < 60)?;
        t.nanos = c.fraction();
        if separator == b' ' {
            return c.at_end().then_some(t);
        }
        match b.get(c.i) {
            Some(b'Z') => c.i += 1,
            Some(sign @ (b'+' | b'-')) => {
                let negative = *sign == b'-';
                c.i += 1;
                let hours = c.two_digits()?;
                c.literal(b':')?;
                let minutes = c.two_digits()?;
                if hours > 24 || minutes > 60 {
                    return None;
                }
                let offset = (hours * 3600 + minutes * 60) as i32;
                t.offset = if negative { -offset } else { offset };
            }
            _ => return None,
        }
        c.at_end().then_some(t)
    }

    /// Go's `time.RFC3339Nano` layout: trailing zeros of the fraction dropped, `Z` for UTC.
    pub(crate) fn to_rfc3339_nano(self) -> String {
        let mut out = String::with_capacity(35);
        let _ = write!(
            out,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        );
        if self.nanos != 0 {
            let digits = format!("{:09}", self.nanos);
            out.push('.');
            out.push_str(digits.trim_end_matches('0'));
        }
        if self.offset == 0 {
            out.push('Z');
        } else {
            let sign = if self.offset < 0 { '-' } else { '+' };
            let abs = self.offset.unsigned_abs();
            let _ = write!(out, "{sign}{:02}:{:02}", abs / 3600, abs % 3600 / 60);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::Timestamp;

    fn normalized(s: &str) -> Option<String> {
        Timestamp::parse(s).map(Timestamp::to_rfc3339_nano)
    }

    #[test]
    fn layouts() {
        assert_eq!(
            normalized("2024-01-01").as_deref(),
            Some("2024-01-01T00:00:00Z")
        );
        assert_eq!(
            normalized("2024-1-2").as_deref(),
            Some("2024-01-02T00:00:00Z")
        );
        assert_eq!(
            normalized("2024-01-01 10:00:00").as_deref(),
            Some("2024-01-01T10:00:00Z")
        );
        assert_eq!(
            normalized("2024-01-01T10:00:00.500+02:00").as_deref(),
            Some("2024-01-01T10:00:00.5+02:00")
        );
        assert_eq!(
            normalized("2024-01-01t10:00:00.123000Z").as_deref(),
            Some("2024-01-01T10:00:00.123Z")
        );
        assert_eq!(
            normalized("2024-01-01T10:00:00+00:00").as_deref(),
            Some("2024-01-01T10:00:00Z")
        );
    }

    #[test]
    fn rejects() {
        for s in [
            "2024-02-30",
            "2024-13-01",
            "2024-01-01T10:00:00",
            "2024-01-01 10:00:00Z",
            "20240-01-01",
            "2024-01-01x",
        ] {
            assert_eq!(Timestamp::parse(s), None, "{s}");
        }
        assert!(Timestamp::parse("2024-02-29").is_some());
        assert!(Timestamp::parse("2023-02-29").is_none());
    }
}
