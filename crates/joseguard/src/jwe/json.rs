//! The JSON serializations (RFC 7516 §7.2): general (`recipients` array) and flattened (one
//! recipient's `header` and `encrypted_key` at the top level).

use serde_json::{Map, Value};

use super::{decode_protected, JweLimits, RawJwe, RawRecipient};
use crate::b64;
use crate::error::{Error, Result};
use crate::header::Header;
use crate::jws::Serialization;

fn take_b64(
    map: &mut Map<String, Value>,
    name: &'static str,
    required: bool,
) -> Result<Option<Vec<u8>>> {
    match map.remove(name) {
        None if required => Err(Error::Malformed(format!("{name} missing"))),
        None => Ok(None),
        Some(Value::String(s)) => b64::decode(s, name).map(Some),
        Some(_) => Err(Error::Malformed(format!("{name} must be a string"))),
    }
}

fn take_header(map: &mut Map<String, Value>, name: &str) -> Result<Option<Header>> {
    match map.remove(name) {
        None => Ok(None),
        Some(Value::Object(h)) => Ok(Some(Header::from_map(h))),
        Some(_) => Err(Error::Malformed(format!("{name} must be a JSON object"))),
    }
}

fn recipient(mut map: Map<String, Value>) -> Result<RawRecipient> {
    let header = take_header(&mut map, "header")?;
    let encrypted_key = take_b64(&mut map, "encrypted_key", false)?.unwrap_or_default();
    Ok(RawRecipient {
        header,
        encrypted_key,
    })
}

pub(crate) fn parse(mut map: Map<String, Value>, limits: &JweLimits) -> Result<RawJwe> {
    let (protected_b64, protected) = match map.remove("protected") {
        Some(Value::String(s)) => {
            let h = decode_protected(&s, limits)?;
            (s, h)
        }
        Some(_) => return Err(Error::Malformed("protected must be a string".into())),
        None => (String::new(), Header::new()),
    };
    let unprotected = take_header(&mut map, "unprotected")?;
    let aad_b64 = match map.remove("aad") {
        None => None,
        Some(Value::String(s)) => {
            b64::decode(&s, "aad")?;
            Some(s)
        }
        Some(_) => return Err(Error::Malformed("aad must be a string".into())),
    };
    let iv = take_b64(&mut map, "iv", true)?.unwrap_or_default();
    let ciphertext = take_b64(&mut map, "ciphertext", true)?.unwrap_or_default();
    let tag = take_b64(&mut map, "tag", true)?.unwrap_or_default();
    let (serialization, recipients) = match map.remove("recipients") {
        Some(Value::Array(items)) => {
            if items.is_empty() {
                return Err(Error::Malformed("recipients is empty".into()));
            }
            if items.len() > limits.max_recipients {
                return Err(Error::TooLarge {
                    what: "recipients",
                    limit: limits.max_recipients,
                });
            }
            let recipients = items
                .into_iter()
                .map(|v| match v {
                    Value::Object(m) => recipient(m),
                    _ => Err(Error::Malformed("each recipient must be an object".into())),
                })
                .collect::<Result<Vec<_>>>()?;
            (Serialization::General, recipients)
        }
        Some(_) => return Err(Error::Malformed("recipients must be an array".into())),
        None => {
            let mut own = Map::new();
            for name in ["header", "encrypted_key"] {
                if let Some(v) = map.remove(name) {
                    own.insert(name.into(), v);
                }
            }
            (Serialization::Flattened, vec![recipient(own)?])
        }
    };
    // Anything else (a `header` beside `recipients`, unknown members) is a polyglot.
    if let Some(name) = map.keys().next() {
        return Err(Error::Malformed(format!("unexpected member {name:?}")));
    }
    Ok(RawJwe {
        serialization,
        protected_b64,
        protected,
        unprotected,
        recipients,
        aad_b64,
        iv,
        ciphertext,
        tag,
    })
}

/// One serialized recipient: (per-recipient header, encrypted key).
pub(crate) type RecipientOut = (Option<Header>, Vec<u8>);

#[allow(clippy::too_many_arguments)]
pub(crate) fn serialize(
    general: bool,
    protected_b64: &str,
    unprotected: Option<&Header>,
    recipients: &[RecipientOut],
    aad_b64: Option<&str>,
    iv: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
) -> String {
    let mut m = Map::new();
    if !protected_b64.is_empty() {
        m.insert("protected".into(), protected_b64.into());
    }
    if let Some(u) = unprotected.filter(|u| !u.is_empty()) {
        m.insert("unprotected".into(), Value::Object(u.members().clone()));
    }
    let recipient_members = |(h, ek): &RecipientOut| {
        let mut r = Map::new();
        if let Some(h) = h.as_ref().filter(|h| !h.is_empty()) {
            r.insert("header".into(), Value::Object(h.members().clone()));
        }
        if !ek.is_empty() {
            r.insert("encrypted_key".into(), b64::encode(ek).into());
        }
        r
    };
    if general {
        let rs: Vec<Value> = recipients
            .iter()
            .map(|r| Value::Object(recipient_members(r)))
            .collect();
        m.insert("recipients".into(), Value::Array(rs));
    } else if let Some(r) = recipients.first() {
        m.extend(recipient_members(r));
    }
    if let Some(a) = aad_b64 {
        m.insert("aad".into(), a.into());
    }
    m.insert("iv".into(), b64::encode(iv).into());
    m.insert("ciphertext".into(), b64::encode(ciphertext).into());
    m.insert("tag".into(), b64::encode(tag).into());
    Value::Object(m).to_string()
}
