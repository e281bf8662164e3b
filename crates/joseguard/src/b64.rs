//! Strict base64url (RFC 7515 §2, RFC 4648 §5): no padding, no whitespace, no stray trailing bits.
//! Anything that is not the one canonical encoding of some bytes is refused, so a token has exactly
//! one spelling and signatures cannot be malleated through the encoding.

use base64::alphabet::URL_SAFE;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;

use crate::error::{Error, Result};

const STRICT: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(false),
);

/// Encodes bytes as unpadded base64url.
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    STRICT.encode(bytes)
}

/// Appends the unpadded base64url encoding of `bytes` to `out`.
pub(crate) fn encode_into(bytes: &[u8], out: &mut String) {
    STRICT.encode_string(bytes, out);
}

/// Decodes canonical unpadded base64url; `part` names the input in the error.
pub fn decode(input: impl AsRef<[u8]>, part: &str) -> Result<Vec<u8>> {
    STRICT.decode(input).map_err(|_| Error::Base64 {
        part: part.to_owned(),
    })
}

/// Decodes standard (padded) base64, as `x5c` uses (RFC 7517 §4.7).
pub(crate) fn decode_std(input: impl AsRef<[u8]>, part: &str) -> Result<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(input)
        .map_err(|_| Error::Base64 {
            part: part.to_owned(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_non_canonical_forms() {
        assert_eq!(decode("AQAB", "x").unwrap(), vec![1, 0, 1]);
        for bad in [
            "AQAB=", "AQ AB", "AQ\nAB", "AQ+B", "AQ/B", "AR", "AQA=", "A",
        ] {
            assert!(decode(bad, "x").is_err(), "{bad:?} accepted");
        }
        // "AR" would decode to 0x01 with stray low bits set: refused; "AQ" is canonical.
        assert_eq!(decode("AQ", "x").unwrap(), vec![1]);
    }
}
