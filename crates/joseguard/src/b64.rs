//! Strict base64url (RFC 7515 §2, RFC 4648 §5): no padding, no whitespace, no stray trailing bits.
//! Anything that is not the one canonical encoding of some bytes is refused, so a token has exactly
//! one spelling and signatures cannot be malleated through the encoding.
//!
//! The codec is `base64-simd` (SIMD where the CPU has it, a scalar fallback elsewhere): JWE
//! bodies are mostly base64, and decoding them at memory speed is what makes decryption cost
//! little more than the cipher. Its no-padding modes refuse stray trailing bits, and a test
//! below holds it to the `base64` crate's strict engine on random input.

use base64_simd::{STANDARD, URL_SAFE_NO_PAD};

use crate::error::{Error, Result};

/// Encodes bytes as unpadded base64url.
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode_to_string(bytes)
}

/// Appends the unpadded base64url encoding of `bytes` to `out`.
pub(crate) fn encode_into(bytes: &[u8], out: &mut String) {
    URL_SAFE_NO_PAD.encode_append(bytes, out);
}

/// Decodes canonical unpadded base64url; `part` names the input in the error.
pub fn decode(input: impl AsRef<[u8]>, part: &str) -> Result<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode_to_vec(input)
        .map_err(|_| Error::Base64 {
            part: part.to_owned(),
        })
}

/// Decodes standard (padded) base64, as `x5c` uses (RFC 7517 §4.7).
pub(crate) fn decode_std(input: impl AsRef<[u8]>, part: &str) -> Result<Vec<u8>> {
    STANDARD.decode_to_vec(input).map_err(|_| Error::Base64 {
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

    proptest::proptest! {
        /// The same verdict and bytes as the `base64` crate's strict engines, on random text
        /// over the alphabets plus padding and junk, and on encodings of random bytes.
        #[test]
        fn agrees_with_the_base64_crate(
            text in "[A-Za-z0-9_+/=\\- .]{0,40}",
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
        ) {
            use base64::Engine;
            let url = base64::engine::GeneralPurpose::new(
                &base64::alphabet::URL_SAFE,
                base64::engine::GeneralPurposeConfig::new()
                    .with_encode_padding(false)
                    .with_decode_padding_mode(base64::engine::DecodePaddingMode::RequireNone)
                    .with_decode_allow_trailing_bits(false),
            );
            let std = base64::engine::general_purpose::STANDARD;
            proptest::prop_assert_eq!(decode(&text, "x").ok(), url.decode(&text).ok());
            proptest::prop_assert_eq!(decode_std(&text, "x").ok(), std.decode(&text).ok());
            proptest::prop_assert_eq!(encode(&bytes), url.encode(&bytes));
            let padded = std.encode(&bytes);
            proptest::prop_assert_eq!(decode_std(&padded, "x").ok(), Some(bytes.clone()));
        }
    }
}
