//! JSON parsing that refuses duplicate member names at every depth.
//!
//! `serde_json` keeps the last of two equal names silently; two parsers that disagree on which one
//! wins is how a header says one thing to a gateway and another to the backend. RFC 7515 §5.2 lets
//! implementations reject such input, and RFC 8725 §3.9 asks them to.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

use crate::error::{Error, Result};

/// Nesting deeper than this is refused (serde_json has its own recursion limit of 128; ours is lower
/// because no JOSE structure needs more).
const MAX_DEPTH: usize = 64;

/// Parses `bytes` as one JSON value, refusing duplicate member names anywhere in it.
pub fn parse(bytes: &[u8], part: &'static str) -> Result<Value> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let seed = Strict { depth: 0 };
    let value = seed.deserialize(&mut de).map_err(|e| map_err(e, part))?;
    de.end().map_err(|e| map_err(e, part))?;
    Ok(value)
}

/// Parses `bytes` as a JSON object, refusing duplicate member names anywhere in it.
pub fn parse_object(bytes: &[u8], part: &'static str) -> Result<Map<String, Value>> {
    match parse(bytes, part)? {
        Value::Object(map) => Ok(map),
        _ => Err(Error::Json {
            part,
            detail: "not a JSON object".into(),
        }),
    }
}

const DUP_PREFIX: &str = "\u{0}duplicate:";

fn map_err(e: serde_json::Error, part: &'static str) -> Error {
    let msg = e.to_string();
    if let Some(rest) = msg.strip_prefix(DUP_PREFIX) {
        // serde_json appends " at line L column C"; the name is what precedes it.
        let name = rest.rsplit_once(" at line ").map_or(rest, |(n, _)| n);
        return Error::DuplicateMember {
            name: name.to_owned(),
        };
    }
    Error::Json { part, detail: msg }
}

#[derive(Clone, Copy)]
struct Strict {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Strict {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> std::result::Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> std::result::Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> std::result::Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Value, A::Error> {
        let inner = self.deeper::<A::Error>()?;
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(inner)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Value, A::Error> {
        let inner = self.deeper::<A::Error>()?;
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format_args!("{DUP_PREFIX}{key}")));
            }
            let v = map.next_value_seed(inner)?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

impl Strict {
    fn deeper<E: de::Error>(self) -> std::result::Result<Strict, E> {
        if self.depth >= MAX_DEPTH {
            return Err(E::custom("nesting too deep"));
        }
        Ok(Strict {
            depth: self.depth + 1,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_refused_at_any_depth() {
        assert_eq!(
            parse(br#"{"alg":"HS256","alg":"none"}"#, "h").unwrap_err(),
            Error::DuplicateMember { name: "alg".into() }
        );
        assert!(matches!(
            parse(br#"{"a":[{"b":1,"b":2}]}"#, "h").unwrap_err(),
            Error::DuplicateMember { .. }
        ));
        assert!(parse(br#"{"a":1} x"#, "h").is_err());
        assert!(parse_object(b"[1]", "h").is_err());
        let deep = "[".repeat(100) + &"]".repeat(100);
        assert!(parse(deep.as_bytes(), "h").is_err());
    }
}
