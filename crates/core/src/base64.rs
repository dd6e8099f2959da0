//! Base64 (RFC 4648 standard alphabet, padded) as Go's
//! `base64.StdEncoding` reads and writes it: `!!binary` scalars, Secret data,
//! binary files in generators.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// Go's `base64.StdEncoding`: the standard alphabet, padding written and
/// required, and (not being `.Strict()`) non-zero bits in the last symbol
/// accepted.
const GO_STD: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical)
        .with_decode_allow_trailing_bits(true),
);

/// Encodes bytes, padded.
pub(crate) fn encode(bytes: &[u8]) -> String {
    GO_STD.encode(bytes)
}

/// Encodes bytes as kustomize's generators do (`encodeBase64` in kustomize's
/// api): a text of 70 characters or more is cut into lines of 70, each ended
/// by a line break; a shorter one is left as it is.
pub(crate) fn encode_wrapped(bytes: &[u8]) -> String {
    const LINE: usize = 70;
    let flat = encode(bytes);
    if flat.len() < LINE {
        return flat;
    }
    let mut out = String::with_capacity(flat.len() + flat.len() / LINE + 1);
    for line in flat.as_bytes().chunks(LINE) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out
}

/// Go's `base64.StdEncoding.DecodeString`: padded standard alphabet, line breaks ignored.
pub(crate) fn decode(text: &str) -> Option<Vec<u8>> {
    if text.contains(['\r', '\n']) {
        let symbols: Vec<u8> = text
            .bytes()
            .filter(|b| !matches!(b, b'\r' | b'\n'))
            .collect();
        GO_STD.decode(symbols).ok()
    } else {
        GO_STD.decode(text).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_like_go() {
        assert_eq!(decode("aGVsbG8=").as_deref(), Some(&b"hello"[..]));
        assert_eq!(decode("aGVs\nbG8h").as_deref(), Some(&b"hello!"[..]));
        assert_eq!(decode("aGVsbG8"), None);
        assert_eq!(decode("a=Vs"), None);
        assert_eq!(decode("aGVsbG8==="), None);
        // Not Strict(): bits left over in the last symbol are ignored, as Go does.
        assert_eq!(decode("aGVsbG9=").as_deref(), Some(&b"hello"[..]));
    }

    #[test]
    fn encodes_like_go() {
        assert_eq!(encode(b""), "");
        assert_eq!(encode(b"admin"), "YWRtaW4=");
        assert_eq!(encode(b"<s3cr&t>"), "PHMzY3ImdD4=");
        assert_eq!(encode(&[0xff, 0xfe, 0x00]), "//4A");
        for s in ["", "a", "ab", "abc", "abcd"] {
            assert_eq!(decode(&encode(s.as_bytes())).as_deref(), Some(s.as_bytes()));
        }
    }
}
