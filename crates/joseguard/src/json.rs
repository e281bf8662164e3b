//! JSON parsing that refuses duplicate member names at every depth.
//!
//! `serde_json` keeps the last of two equal names silently; two parsers that disagree on which one
//! wins is how a header says one thing to a gateway and another to the backend. RFC 7515 §5.2 lets
//! implementations reject such input, and RFC 8725 §3.9 asks them to.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::borrow::Cow;
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

/// A top-level member's value as [`scan_object`] keeps it: what the registered JWT claims can be.
#[derive(Debug)]
pub(crate) enum Scalar<'a> {
    Str(Cow<'a, str>),
    Num(serde_json::Number),
    /// An array whose elements are all strings.
    Strs(Vec<Cow<'a, str>>),
    /// Anything else (bool, null, object, mixed array).
    Other,
}

impl<'a> Scalar<'a> {
    /// The same view of a parsed value, borrowing its strings.
    pub(crate) fn of(v: &'a Value) -> Scalar<'a> {
        match v {
            Value::String(s) => Scalar::Str(Cow::Borrowed(s)),
            Value::Number(n) => Scalar::Num(n.clone()),
            Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().map(Cow::Borrowed))
                .collect::<Option<Vec<_>>>()
                .map_or(Scalar::Other, Scalar::Strs),
            _ => Scalar::Other,
        }
    }
}

/// One pass over `bytes` as a JSON object, building nothing: duplicate member names are refused at
/// every depth, as [`parse`] does, and nesting is bounded. Returns every top-level name, and the
/// value of those named in `keep`. For hot paths (JWT claims) where a map is not needed.
pub(crate) fn scan_object<'a>(
    bytes: &'a [u8],
    part: &'static str,
    keep: &[&str],
) -> Result<Vec<(Cow<'a, str>, Option<Scalar<'a>>)>> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let out = de
        .deserialize_any(TopScan { keep })
        .map_err(|e| map_err(e, part))?;
    de.end().map_err(|e| map_err(e, part))?;
    Ok(out)
}

/// A member name, borrowed from the input when it has no escapes.
struct Name;

impl<'de> DeserializeSeed<'de> for Name {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Name {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> std::result::Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> std::result::Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
}

/// Names seen in one object: a short list, then a set (a million members must not cost a
/// million squared comparisons).
struct Seen<'a> {
    list: Vec<Cow<'a, str>>,
    set: Option<std::collections::HashSet<Cow<'a, str>>>,
}

impl<'a> Seen<'a> {
    fn new() -> Self {
        Seen {
            list: Vec::new(),
            set: None,
        }
    }

    /// Adds `name`; an error when it was already there.
    fn add<E: de::Error>(&mut self, name: Cow<'a, str>) -> std::result::Result<(), E> {
        let dup = match &mut self.set {
            Some(set) => !set.insert(name.clone()),
            None => self.list.contains(&name),
        };
        if dup {
            return Err(E::custom(format_args!("{DUP_PREFIX}{name}")));
        }
        if self.set.is_none() && self.list.len() >= 16 {
            let mut set: std::collections::HashSet<Cow<'a, str>> = self.list.drain(..).collect();
            set.insert(name);
            self.set = Some(set);
        } else if self.set.is_none() {
            self.list.push(name);
        }
        Ok(())
    }
}

/// Validates a nested value: unique names, bounded depth; builds nothing.
#[derive(Clone, Copy)]
struct Unique {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Unique {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Unique {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        let inner = self.deeper::<A::Error>()?;
        while seq.next_element_seed(inner)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        let inner = self.deeper::<A::Error>()?;
        let mut seen = Seen::new();
        while let Some(name) = map.next_key_seed(Name)? {
            seen.add(name)?;
            map.next_value_seed(inner)?;
        }
        Ok(())
    }
}

impl Unique {
    fn deeper<E: de::Error>(self) -> std::result::Result<Unique, E> {
        if self.depth >= MAX_DEPTH {
            return Err(E::custom("nesting too deep"));
        }
        Ok(Unique {
            depth: self.depth + 1,
        })
    }
}

/// Keeps a top-level value as a [`Scalar`], validating what it does not keep.
struct Capture;

impl<'de> DeserializeSeed<'de> for Capture {
    type Value = Scalar<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Capture {
    type Value = Scalar<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> std::result::Result<Self::Value, E> {
        Ok(Scalar::Other)
    }
    fn visit_i64<E>(self, v: i64) -> std::result::Result<Self::Value, E> {
        Ok(Scalar::Num(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> std::result::Result<Self::Value, E> {
        Ok(Scalar::Num(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> std::result::Result<Self::Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Scalar::Other, Scalar::Num))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> std::result::Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> std::result::Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_unit<E>(self) -> std::result::Result<Self::Value, E> {
        Ok(Scalar::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut strings = Some(Vec::new());
        while let Some(item) = seq.next_element_seed(Element)? {
            match (item, &mut strings) {
                (Some(s), Some(list)) => list.push(s),
                _ => strings = None,
            }
        }
        Ok(strings.map_or(Scalar::Other, Scalar::Strs))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<Self::Value, A::Error> {
        Unique { depth: 1 }.visit_map(map)?;
        Ok(Scalar::Other)
    }
}

/// An array element of a kept value: `Some` for a string; anything else is validated (with the
/// depth bound) and dropped.
struct Element;

impl<'de> DeserializeSeed<'de> for Element {
    type Value = Option<Cow<'de, str>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Element {
    type Value = Option<Cow<'de, str>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> std::result::Result<Self::Value, E> {
        Ok(Some(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> std::result::Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_owned())))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<Self::Value, A::Error> {
        Unique { depth: 2 }.visit_seq(seq).map(|()| None)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<Self::Value, A::Error> {
        Unique { depth: 2 }.visit_map(map).map(|()| None)
    }
}

struct TopScan<'k> {
    keep: &'k [&'k str],
}

impl<'de> Visitor<'de> for TopScan<'_> {
    type Value = Vec<(Cow<'de, str>, Option<Scalar<'de>>)>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    // An array is still walked, so that a duplicate inside it is reported as `parse` reports it.
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<Self::Value, A::Error> {
        Unique { depth: 0 }.visit_seq(seq)?;
        Err(de::Error::custom("not a JSON object"))
    }
    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut seen = Seen::new();
        let mut out = Vec::new();
        while let Some(name) = map.next_key_seed(Name)? {
            seen.add(name.clone())?;
            let value = if self.keep.contains(&name.as_ref()) {
                Some(map.next_value_seed(Capture)?)
            } else {
                map.next_value_seed(Unique { depth: 1 })?;
                None
            };
            out.push((name, value));
        }
        Ok(out)
    }
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

    #[test]
    fn scan_agrees_with_parse() {
        for bad in [
            &br#"{"alg":"HS256","alg":"none"}"#[..],
            br#"{"a":[{"b":1,"b":2}]}"#,
            br#"{"a":{"c":{"b":1,"b":2}}}"#,
            br#"{"a":1} x"#,
            b"[1]",
        ] {
            assert!(
                scan_object(bad, "h", &["a"]).is_err(),
                "{:?}",
                std::str::from_utf8(bad)
            );
            assert!(parse_object(bad, "h").is_err());
        }
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(100), "]".repeat(100));
        assert!(scan_object(deep.as_bytes(), "h", &[]).is_err());
        assert!(scan_object(deep.as_bytes(), "h", &["a"]).is_err());
        let many: String = (0..100).map(|i| format!("\"k{i}\":{i},")).collect();
        let dup = format!("{{{many}\"k7\":1}}");
        assert_eq!(
            scan_object(dup.as_bytes(), "h", &[]).unwrap_err(),
            Error::DuplicateMember { name: "k7".into() }
        );
        let ok = scan_object(
            br#"{"aud":["a","b"],"exp":1.5,"x":{"y":[1]}}"#,
            "h",
            &["aud", "exp"],
        )
        .unwrap();
        assert_eq!(ok.len(), 3);
        assert!(matches!(&ok[0].1, Some(Scalar::Strs(v)) if v.len() == 2));
        assert!(matches!(&ok[1].1, Some(Scalar::Num(_))));
        assert!(ok[2].1.is_none());
    }
}
