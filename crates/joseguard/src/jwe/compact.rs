//! Compact serialization (RFC 7516 §7.1): five base64url segments.

use super::{decode_protected, JweLimits, RawJwe, RawRecipient};
use crate::b64;
use crate::error::{Error, Result};
use crate::jws::Serialization;

pub(crate) fn parse(token: &[u8], limits: &JweLimits) -> Result<RawJwe> {
    let dots = token.iter().filter(|&&b| b == b'.').count();
    if dots != 4 {
        return Err(Error::Malformed(format!(
            "a compact JWE has 5 segments, this has {}",
            dots + 1
        )));
    }
    let text = std::str::from_utf8(token)
        .map_err(|_| Error::Malformed("compact JWE is not ASCII".into()))?;
    let parts: Vec<&str> = text.split('.').collect();
    let protected = decode_protected(parts[0], limits)?;
    Ok(RawJwe {
        serialization: Serialization::Compact,
        protected_b64: parts[0].to_owned(),
        protected,
        unprotected: None,
        recipients: vec![RawRecipient {
            header: None,
            encrypted_key: b64::decode(parts[1], "encrypted key")?,
        }],
        aad_b64: None,
        iv: b64::decode(parts[2], "iv")?,
        ciphertext: b64::decode(parts[3], "ciphertext")?,
        tag: b64::decode(parts[4], "tag")?,
    })
}

pub(crate) fn serialize(
    protected_b64: &str,
    encrypted_key: &[u8],
    iv: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
) -> String {
    let mut out = String::with_capacity(
        protected_b64.len()
            + (encrypted_key.len() + iv.len() + ciphertext.len() + tag.len()) * 4 / 3
            + 8,
    );
    out.push_str(protected_b64);
    for part in [encrypted_key, iv, ciphertext, tag] {
        out.push('.');
        crate::b64::encode_into(part, &mut out);
    }
    out
}
