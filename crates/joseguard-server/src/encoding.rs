//! Text encodings that callers and configurations use for binary values: base64 in either
//! alphabet, padded or not, and hex. One place, so that a binding, a signing request and a key
//! entry accept the same spellings.

use base64::Engine;

/// Standard or URL-safe base64, padded or not, whitespace ignored (PEM-style line breaks).
pub fn base64_any(text: &str) -> Result<Vec<u8>, String> {
    let compact: String = text.split_whitespace().collect();
    let t = compact.trim_end_matches('=');
    let engine = if t.contains(['-', '_']) {
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
    } else {
        &base64::engine::general_purpose::STANDARD_NO_PAD
    };
    engine.decode(t).map_err(|e| format!("not base64: {e}"))
}

/// Lower- or upper-case hex.
pub fn hex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_base64_and_hex() {
        for t in ["+/8=", "+/8", "-_8", "-_8=", "+/\n8="] {
            assert_eq!(base64_any(t).unwrap(), [0xfb, 0xff], "{t}");
        }
        assert!(base64_any("!!").is_err());
        assert_eq!(hex("0aFf"), Some(vec![0x0a, 0xff]));
        assert_eq!(hex("0a0"), None);
        assert_eq!(hex("zz"), None);
    }
}
