//! JOSE headers (RFC 7515 §4, RFC 7516 §4) and the rules JWS and JWE share: disjoint header
//! layers, typed registered members, `crit`, and declared private names.

use serde_json::{Map, Value};

/// A media type (`typ`, `cty`) as RFC 7515 §4.1.9-4.1.10 compares it: lower case, with the
/// `application/` prefix removed (`application/JWT` and `jwt` are the same).
pub fn normalize_media_type(t: &str) -> String {
    let t = t.to_ascii_lowercase();
    t.strip_prefix("application/")
        .map(str::to_owned)
        .unwrap_or(t)
}

use std::sync::{Arc, OnceLock};

use crate::error::{Error, Result};

/// A JOSE header: a JSON object, member order preserved. Cloning is cheap (shared, copied on
/// write).
///
/// Most protected headers are a few plain strings (`{"alg":"ES256","typ":"JWT","kid":"k1"}`).
/// Those are read without building a map: the registered string members are located in the
/// decoded JSON, and the map is built from that JSON only if something asks for it. Anything
/// else (another member, an escape, a non-string value, a duplicate) takes the full strict
/// parse, so both paths accept exactly the same headers with the same members.
#[derive(Clone, Default)]
pub struct Header(Arc<Inner>);

impl std::fmt::Debug for Header {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Header").field(self.members()).finish()
    }
}

impl PartialEq for Header {
    fn eq(&self, other: &Header) -> bool {
        self.members() == other.members()
    }
}

#[derive(Clone)]
enum Inner {
    Map(Map<String, Value>),
    Plain(Plain, OnceLock<Map<String, Value>>),
}

impl Default for Inner {
    fn default() -> Self {
        Inner::Map(Map::new())
    }
}

/// The members a plain header may have: strings only.
const PLAIN_NAMES: [&str; 5] = ["alg", "enc", "kid", "typ", "cty"];

/// A header of plain string members only: its JSON and where each member's value is.
#[derive(Clone)]
struct Plain {
    json: Vec<u8>,
    spans: [Option<(u32, u32)>; 5],
}

impl Plain {
    /// `json` back unless it is an object whose members are [`PLAIN_NAMES`] only, each at most
    /// once, each a string without escapes.
    fn parse(json: Vec<u8>) -> std::result::Result<Plain, Vec<u8>> {
        /// A member that must be a string (null is not absent: the strict path refuses it).
        #[derive(Default)]
        struct Str<'a>(Option<&'a str>);
        impl<'de: 'a, 'a> serde::Deserialize<'de> for Str<'a> {
            fn deserialize<D: serde::Deserializer<'de>>(
                d: D,
            ) -> std::result::Result<Self, D::Error> {
                <&'a str>::deserialize(d).map(|s| Str(Some(s)))
            }
        }
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Members<'a> {
            #[serde(default, borrow)]
            alg: Str<'a>,
            #[serde(default, borrow)]
            enc: Str<'a>,
            #[serde(default, borrow)]
            kid: Str<'a>,
            #[serde(default, borrow)]
            typ: Str<'a>,
            #[serde(default, borrow)]
            cty: Str<'a>,
        }
        // serde would also read a struct from an array.
        if json.first() != Some(&b'{') || json.len() > u32::MAX as usize {
            return Err(json);
        }
        let spans = match serde_json::from_slice::<Members<'_>>(&json) {
            Ok(m) => {
                let base = json.as_ptr() as usize;
                let span = |s: Str<'_>| {
                    s.0.map(|s| {
                        let start = (s.as_ptr() as usize - base) as u32;
                        (start, start + s.len() as u32)
                    })
                };
                [m.alg, m.enc, m.kid, m.typ, m.cty].map(span)
            }
            Err(_) => return Err(json),
        };
        Ok(Plain { json, spans })
    }

    fn get(&self, name: &str) -> Option<&str> {
        let i = PLAIN_NAMES.iter().position(|n| *n == name)?;
        let (start, end) = self.spans[i]?;
        std::str::from_utf8(self.json.get(start as usize..end as usize)?).ok()
    }

    fn to_map(&self) -> Map<String, Value> {
        // The strict parser accepts whatever `parse` accepted; an empty map is unreachable.
        crate::json::parse_object(&self.json, "header").unwrap_or_default()
    }
}

impl Header {
    /// An empty header.
    pub fn new() -> Header {
        Header::default()
    }

    /// A header from a JSON object.
    pub fn from_map(members: Map<String, Value>) -> Header {
        Header(Arc::new(Inner::Map(members)))
    }

    /// Parses a header from JSON text, refusing duplicate member names.
    pub fn from_json(json: &str) -> Result<Header> {
        Header::from_json_vec(json.as_bytes().to_vec(), "header")
    }

    /// Parses decoded header JSON, taking the plain path when it can.
    pub(crate) fn from_json_vec(bytes: Vec<u8>, part: &'static str) -> Result<Header> {
        match Plain::parse(bytes) {
            Ok(plain) => Ok(Header(Arc::new(Inner::Plain(plain, OnceLock::new())))),
            Err(bytes) => Ok(Header::from_map(crate::json::parse_object(&bytes, part)?)),
        }
    }

    /// True when the header holds only `alg`, `enc`, `kid`, `typ` and `cty`, as strings: no
    /// `crit`, no `b64`, no private or structured member.
    pub(crate) fn is_plain(&self) -> bool {
        matches!(*self.0, Inner::Plain(..))
    }

    fn members_mut(&mut self) -> &mut Map<String, Value> {
        let inner = Arc::make_mut(&mut self.0);
        if let Inner::Plain(plain, built) = inner {
            *inner = Inner::Map(built.take().unwrap_or_else(|| plain.to_map()));
        }
        match inner {
            Inner::Map(members) => members,
            Inner::Plain(..) => unreachable!("replaced by a map above"),
        }
    }

    /// Sets a member (builder style).
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Header {
        self.insert(name, value);
        self
    }

    /// Sets a member.
    pub fn insert(&mut self, name: &str, value: impl Into<Value>) {
        self.members_mut().insert(name.to_owned(), value.into());
    }

    /// A member.
    pub fn get(&self, name: &str) -> Option<&Value> {
        match &*self.0 {
            Inner::Plain(..) if !PLAIN_NAMES.contains(&name) => None,
            _ => self.members().get(name),
        }
    }

    /// True when the member is present.
    pub fn contains(&self, name: &str) -> bool {
        match &*self.0 {
            Inner::Plain(plain, _) => plain.get(name).is_some(),
            Inner::Map(members) => members.contains_key(name),
        }
    }

    /// All members.
    pub fn members(&self) -> &Map<String, Value> {
        match &*self.0 {
            Inner::Map(members) => members,
            Inner::Plain(plain, built) => built.get_or_init(|| plain.to_map()),
        }
    }

    /// True when the header has no members.
    pub fn is_empty(&self) -> bool {
        match &*self.0 {
            Inner::Plain(plain, _) => plain.spans.iter().all(Option::is_none),
            Inner::Map(members) => members.is_empty(),
        }
    }

    /// A string member; `None` if absent or not a string.
    pub fn str(&self, name: &str) -> Option<&str> {
        match &*self.0 {
            Inner::Plain(plain, _) => plain.get(name),
            Inner::Map(members) => members.get(name).and_then(Value::as_str),
        }
    }

    /// `alg`, as written.
    pub fn alg(&self) -> Option<&str> {
        self.str("alg")
    }

    /// `kid`.
    pub fn kid(&self) -> Option<&str> {
        self.str("kid")
    }

    /// `typ`.
    pub fn typ(&self) -> Option<&str> {
        self.str("typ")
    }

    /// `cty`.
    pub fn cty(&self) -> Option<&str> {
        self.str("cty")
    }

    /// `b64` (RFC 7797); `None` when absent or not a boolean.
    pub fn b64(&self) -> Option<bool> {
        self.get("b64").and_then(Value::as_bool)
    }

    /// The header as compact JSON text.
    pub fn to_json(&self) -> String {
        Value::Object(self.members().clone()).to_string()
    }

    pub(crate) fn remove(&mut self, name: &str) -> Option<Value> {
        self.members_mut().shift_remove(name)
    }

    pub(crate) fn names(&self) -> impl Iterator<Item = &String> {
        self.members().keys()
    }
}

/// RFC 7515 §7.2.1 / RFC 7516 §7.2.1: the protected header and every other layer are disjoint.
pub(crate) fn check_disjoint(protected: &Header, others: &[&Header]) -> Result<()> {
    let mut seen: Vec<&String> = protected.names().collect();
    for layer in others {
        for name in layer.names() {
            if seen.contains(&name) {
                return Err(Error::header(
                    name.as_str(),
                    "appears in more than one header",
                ));
            }
            seen.push(name);
        }
    }
    Ok(())
}

/// Type checks of the registered members common to JWS and JWE.
pub(crate) fn check_registered_types<'a>(
    lookup: &impl Fn(&str) -> Option<&'a Value>,
) -> Result<()> {
    for name in ["kid", "typ", "cty", "jku", "x5u", "x5t", "x5t#S256"] {
        if lookup(name).is_some_and(|v| !v.is_string()) {
            return Err(Error::header(name, "must be a string"));
        }
    }
    if lookup("jwk").is_some_and(|v| !v.is_object()) {
        return Err(Error::header("jwk", "must be an object"));
    }
    if lookup("x5c")
        .is_some_and(|v| !matches!(v, Value::Array(a) if a.iter().all(Value::is_string)))
    {
        return Err(Error::header("x5c", "must be an array of strings"));
    }
    Ok(())
}

/// RFC 7515 §4.1.11 (and RFC 7516 §4.1.13): `crit` is protected, a non-empty array of distinct
/// strings, lists no name the specification itself defines (`forbidden`), only names the caller
/// understands (`understood`, plus `built_in`), and only names present in some header layer.
pub(crate) fn check_crit<'h>(
    protected: &'h Header,
    others: &[&Header],
    understood: &[String],
    forbidden: &[&str],
    built_in: &[&str],
) -> Result<Vec<&'h str>> {
    if others.iter().any(|h| h.contains("crit")) {
        return Err(Error::header("crit", "must be in the protected header"));
    }
    let Some(value) = protected.get("crit") else {
        return Ok(Vec::new());
    };
    let Value::Array(items) = value else {
        return Err(Error::Crit("must be an array of strings".into()));
    };
    if items.is_empty() {
        return Err(Error::Crit("must not be empty".into()));
    }
    let mut names: Vec<&str> = Vec::with_capacity(items.len());
    for item in items {
        let name = item
            .as_str()
            .ok_or_else(|| Error::Crit("must be an array of strings".into()))?;
        if names.contains(&name) {
            return Err(Error::Crit(format!("{name:?} listed twice")));
        }
        if forbidden.contains(&name) {
            return Err(Error::Crit(format!(
                "{name:?} is defined by the specification and must not be listed"
            )));
        }
        if !built_in.contains(&name) && !understood.iter().any(|c| c == name) {
            return Err(Error::Crit(format!("{name:?} is not understood")));
        }
        if !protected.contains(name) && !others.iter().any(|h| h.contains(name)) {
            return Err(Error::Crit(format!("{name:?} is listed but not present")));
        }
        names.push(name);
    }
    Ok(names)
}

/// Every member name is registered, declared by the caller, or listed in `crit`.
pub(crate) fn check_names(
    protected: &Header,
    others: &[&Header],
    registered: &[&str],
    declared: &[String],
    crit: &[&str],
) -> Result<()> {
    let all = protected
        .names()
        .chain(others.iter().flat_map(|h| h.names()));
    for name in all {
        let known = registered.contains(&name.as_str())
            || declared.iter().any(|p| p == name)
            || crit.contains(&name.as_str());
        if !known {
            return Err(Error::PrivateHeaderNotAllowed { name: name.clone() });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The plain path against the strict parser alone: the same verdict, the same members.
    fn agree(json: &[u8]) {
        let strict = crate::json::parse_object(json, "header");
        let header = Header::from_json_vec(json.to_vec(), "header");
        match (&strict, &header) {
            (Ok(map), Ok(h)) => {
                assert_eq!(h.members(), map, "{}", String::from_utf8_lossy(json));
                if h.is_plain() {
                    for (name, value) in map {
                        assert!(PLAIN_NAMES.contains(&name.as_str()) && value.is_string());
                        assert_eq!(h.str(name), value.as_str());
                    }
                    assert_eq!(h.get("crit"), None);
                }
            }
            (Err(_), Err(_)) => {}
            _ => panic!(
                "{}: strict {strict:?}, header {header:?}",
                String::from_utf8_lossy(json)
            ),
        }
    }

    #[test]
    fn plain_headers_read_as_the_strict_parser_reads_them() {
        for json in [
            r#"{"alg":"ES256","typ":"JWT","kid":"k1"}"#,
            r#" {"alg":"ES256"}"#,
            r#"{"alg":"ES256"} "#,
            r#"{"alg":"ES256","alg":"HS256"}"#,
            r#"{"alg":null}"#,
            r#"{"alg":"E\u0053256"}"#,
            r#"{"al\u0067":"ES256"}"#,
            r#"{"alg":"ES256","crit":["b64"],"b64":false}"#,
            r#"["ES256"]"#,
            r#"{"alg":1}"#,
            r#"{}"#,
            r#"{"alg":"ES256",}"#,
            r#"{"alg":"ES256"}{}"#,
        ] {
            agree(json.as_bytes());
        }
        let mut h = Header::from_json(r#"{"alg":"ES256","kid":"k"}"#).unwrap();
        assert!(h.is_plain());
        let shared = h.clone();
        h.insert("b64", false);
        assert!(!h.is_plain() && shared.is_plain(), "copy on write");
        assert_eq!(h.to_json(), r#"{"alg":"ES256","kid":"k","b64":false}"#);
    }

    proptest! {
        #[test]
        fn plain_and_strict_agree(
            members in proptest::collection::vec(
                (
                    prop::sample::select(vec!["alg", "enc", "kid", "typ", "cty", "crit", "b64", "x", "k\\u0069d"]),
                    prop::sample::select(vec![r#""ES256""#, r#""a\"b""#, "null", "1", "true", "[]", "{}", r#"["alg"]"#]),
                    prop::sample::select(vec!["", " ", "\n"]),
                ),
                0..6,
            ),
            junk in proptest::collection::vec(any::<u8>(), 0..40),
        ) {
            let body: Vec<String> = members
                .iter()
                .map(|(n, v, ws)| format!("{ws}\"{n}\"{ws}:{ws}{v}"))
                .collect();
            agree(format!("{{{}}}", body.join(",")).as_bytes());
            agree(&junk);
        }
    }
}
