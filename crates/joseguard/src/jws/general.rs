//! General JSON serialization (RFC 7515 §7.2.1): one payload, a `signatures` array.

use serde_json::{Map, Value};

use super::flattened::{signature_members, signature_object, take_payload};
use super::{Header, Limits, RawJws, Serialization};
use crate::error::{Error, Result};

pub(crate) fn parse(mut map: Map<String, Value>, limits: &Limits) -> Result<RawJws<'static>> {
    let payload = take_payload(&mut map)?;
    let Some(Value::Array(items)) = map.remove("signatures") else {
        return Err(Error::Malformed("signatures must be an array".into()));
    };
    if let Some(name) = map.keys().next() {
        // `protected`, `header` and `signature` must not appear beside `signatures`.
        return Err(Error::Malformed(format!("unexpected member {name:?}")));
    }
    if items.is_empty() {
        return Err(Error::Malformed("signatures is empty".into()));
    }
    if items.len() > limits.max_signatures {
        return Err(Error::TooLarge {
            what: "signatures",
            limit: limits.max_signatures,
        });
    }
    let signatures = items
        .into_iter()
        .map(|item| match item {
            Value::Object(m) => signature_object(m, limits),
            _ => Err(Error::Malformed("each signature must be an object".into())),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(RawJws {
        serialization: Serialization::General,
        payload,
        signing_input: None,
        signatures,
    })
}

pub(crate) fn serialize(
    payload: Option<&str>,
    signatures: &[(String, Option<Header>, Vec<u8>)],
) -> String {
    let mut m = Map::new();
    if let Some(p) = payload {
        m.insert("payload".into(), p.into());
    }
    let sigs: Vec<Value> = signatures
        .iter()
        .map(|(p, u, s)| Value::Object(signature_members(p, u.as_ref(), s)))
        .collect();
    m.insert("signatures".into(), Value::Array(sigs));
    Value::Object(m).to_string()
}
