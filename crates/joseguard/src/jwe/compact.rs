//! Compact serialization (RFC 7516 §7.1): five base64url segments.

use super::{decode_protected, JweLimits, RawJwe, RawRecipient};
use crate::b64;
use crate::error::{Error, Result};
use crate::jws::Serialization;

pub(crate) fn parse(token: &[u8], limits: &JweLimits) -> Result<RawJwe> {
    // The first three segments and the tag are short; the ciphertext may be most of the token.
    // So the dots are found from both ends and the ciphertext is never scanned for them: its
    // base64 decoding refuses a dot, and only then are the segments counted, for the message.
    let segments = || {
        Error::Malformed(format!(
            "a compact JWE has 5 segments, this has {}",
            token.iter().filter(|&&b| b == b'.').count() + 1
        ))
    };
    let dot = |from: usize| {
        token[from..]
            .iter()
            .position(|&b| b == b'.')
            .map(|i| from + i)
    };
    let d1 = dot(0).ok_or_else(segments)?;
    let d2 = dot(d1 + 1).ok_or_else(segments)?;
    let d3 = dot(d2 + 1).ok_or_else(segments)?;
    let d4 = token
        .iter()
        .rposition(|&b| b == b'.')
        .ok_or_else(segments)?;
    if d4 <= d3 {
        return Err(segments());
    }
    // First, so that a sixth segment is reported as such before any segment's content.
    let ciphertext = match b64::decode(&token[d3 + 1..d4], "ciphertext") {
        Ok(c) => c,
        Err(_) if token[d3 + 1..d4].contains(&b'.') => return Err(segments()),
        Err(e) => return Err(e),
    };
    let header = std::str::from_utf8(&token[..d1])
        .map_err(|_| Error::Malformed("compact JWE is not ASCII".into()))?;
    let protected = decode_protected(header, limits)?;
    Ok(RawJwe {
        serialization: Serialization::Compact,
        protected_b64: header.to_owned(),
        protected,
        unprotected: None,
        recipients: vec![RawRecipient {
            header: None,
            encrypted_key: b64::decode(&token[d1 + 1..d2], "encrypted key")?,
        }],
        aad_b64: None,
        iv: b64::decode(&token[d2 + 1..d3], "iv")?,
        ciphertext,
        tag: b64::decode(&token[d4 + 1..], "tag")?,
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
