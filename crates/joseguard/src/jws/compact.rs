//! Compact serialization (RFC 7515 §7.1): `BASE64URL(header) . payload . BASE64URL(signature)`.

use std::borrow::Cow;

use super::{decode_header, Limits, RawJws, RawSignature, Serialization};
use crate::b64;
use crate::error::{Error, Result};

pub(crate) fn parse<'a>(token: &'a [u8], limits: &Limits) -> Result<RawJws<'a>> {
    // Count the dots before splitting anything: a token of many dots is refused in one pass
    // (CVE-2025-27144 class).
    let dots = token.iter().filter(|&&b| b == b'.').count();
    if dots != 2 {
        return Err(Error::Malformed(format!(
            "a compact JWS has 3 segments, this has {}",
            dots + 1
        )));
    }
    let text = std::str::from_utf8(token)
        .map_err(|_| Error::Malformed("compact JWS is not ASCII".into()))?;
    let mut parts = text.splitn(3, '.');
    let (header, payload, signature) = match (parts.next(), parts.next(), parts.next()) {
        (Some(h), Some(p), Some(s)) => (h, p, s),
        _ => return Err(Error::Malformed("a compact JWS has 3 segments".into())),
    };
    let protected = decode_header(header, limits)?;
    Ok(RawJws {
        serialization: Serialization::Compact,
        // An empty payload segment is how RFC 7515 Appendix F detaches content; whether it is
        // detached or empty is for the verifier's caller to say.
        payload: Some(Cow::Borrowed(payload)),
        // The signing input is the token itself up to the second dot: verified in place.
        signing_input: Some(&token[..header.len() + 1 + payload.len()]),
        signatures: vec![RawSignature {
            protected_b64: Cow::Borrowed(header),
            protected,
            unprotected: None,
            signature: b64::decode(signature, "signature")?,
        }],
    })
}

/// Joins the segments; `payload` is already in its final form (base64url, raw, or empty).
pub(crate) fn serialize(protected_b64: &str, payload: &str, signature: &[u8]) -> String {
    let mut out =
        String::with_capacity(protected_b64.len() + payload.len() + signature.len() * 4 / 3 + 4);
    out.push_str(protected_b64);
    out.push('.');
    out.push_str(payload);
    out.push('.');
    b64::encode_into(signature, &mut out);
    out
}
