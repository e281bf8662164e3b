//! Compact serialization (RFC 7515 §7.1): `BASE64URL(header) . payload . BASE64URL(signature)`.

use std::borrow::Cow;

use super::{decode_header, Limits, RawJws, RawSignature, Serialization};
use crate::b64;
use crate::error::{Error, Result};

pub(crate) fn parse<'a>(token: &'a [u8], limits: &Limits) -> Result<RawJws<'a>> {
    // The header and signature are short, the payload may be most of the token: their dots are
    // found from the ends, and the payload is searched (memchr) for a third one. One pass, so a
    // token of many dots costs no more than its length (CVE-2025-27144 class).
    let segments = || {
        Error::Malformed(format!(
            "a compact JWS has 3 segments, this has {}",
            token.iter().filter(|&&b| b == b'.').count() + 1
        ))
    };
    let first = token.iter().position(|&b| b == b'.').ok_or_else(segments)?;
    let last = token
        .iter()
        .rposition(|&b| b == b'.')
        .ok_or_else(segments)?;
    if last == first || token[first + 1..last].contains(&b'.') {
        return Err(segments());
    }
    let text = std::str::from_utf8(token)
        .map_err(|_| Error::Malformed("compact JWS is not ASCII".into()))?;
    let (header, payload, signature) = (&text[..first], &text[first + 1..last], &text[last + 1..]);
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
