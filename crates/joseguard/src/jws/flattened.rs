//! Flattened JSON serialization (RFC 7515 §7.2.2), and the signature object that the general
//! serialization repeats.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::{decode_header, Header, Limits, RawJws, RawSignature, Serialization};
use crate::b64;
use crate::error::{Error, Result};

pub(crate) fn parse(mut map: Map<String, Value>, limits: &Limits) -> Result<RawJws<'static>> {
    let payload = take_payload(&mut map)?;
    let signature = signature_object(map, limits)?;
    Ok(RawJws {
        serialization: Serialization::Flattened,
        payload,
        signing_input: None,
        signatures: vec![signature],
    })
}

/// The `payload` member; absent means detached.
pub(crate) fn take_payload(map: &mut Map<String, Value>) -> Result<Option<Cow<'static, str>>> {
    match map.remove("payload") {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(Cow::Owned(s))),
        Some(_) => Err(Error::Malformed("payload must be a string".into())),
    }
}

/// One `{protected, header, signature}` object. Unknown members are refused: a JWS JSON object
/// that carries extra top-level members (a `signatures` array next to a `signature`, say) is a
/// polyglot that different parsers read differently (CVE-2022-39227 class).
pub(crate) fn signature_object(
    mut map: Map<String, Value>,
    limits: &Limits,
) -> Result<RawSignature<'static>> {
    // RFC 7515 lets a JSON JWS omit the protected header (RFC 7520 §4.7 does); the signing input
    // then starts with an empty segment. `alg` is still bound by the verifier's allowlist.
    let protected_b64 = match map.remove("protected") {
        Some(Value::String(s)) => s,
        Some(_) => return Err(Error::Malformed("protected must be a string".into())),
        None => String::new(),
    };
    let unprotected = match map.remove("header") {
        None => None,
        Some(Value::Object(h)) => Some(Header::from_map(h)),
        Some(_) => return Err(Error::Malformed("header must be a JSON object".into())),
    };
    let signature = match map.remove("signature") {
        Some(Value::String(s)) => b64::decode(s, "signature")?,
        Some(_) => return Err(Error::Malformed("signature must be a string".into())),
        None => return Err(Error::Malformed("signature missing".into())),
    };
    if let Some(name) = map.keys().next() {
        return Err(Error::Malformed(format!("unexpected member {name:?}")));
    }
    let protected = if protected_b64.is_empty() {
        Header::new()
    } else {
        decode_header(&protected_b64, limits)?
    };
    Ok(RawSignature {
        protected_b64: Cow::Owned(protected_b64),
        protected,
        unprotected,
        signature,
    })
}

/// The `{protected, header, signature}` members of one signature.
pub(crate) fn signature_members(
    protected_b64: &str,
    unprotected: Option<&Header>,
    signature: &[u8],
) -> Map<String, Value> {
    let mut m = Map::new();
    if !protected_b64.is_empty() {
        m.insert("protected".into(), protected_b64.into());
    }
    if let Some(h) = unprotected.filter(|h| !h.is_empty()) {
        m.insert("header".into(), Value::Object(h.members().clone()));
    }
    m.insert("signature".into(), b64::encode(signature).into());
    m
}

pub(crate) fn serialize(
    payload: Option<&str>,
    protected_b64: &str,
    unprotected: Option<&Header>,
    signature: &[u8],
) -> String {
    let mut m = Map::new();
    if let Some(p) = payload {
        m.insert("payload".into(), p.into());
    }
    m.extend(signature_members(protected_b64, unprotected, signature));
    Value::Object(m).to_string()
}
