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

use crate::error::{Error, Result};

/// A JOSE header: a JSON object, member order preserved.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Header {
    members: Map<String, Value>,
}

impl Header {
    /// An empty header.
    pub fn new() -> Header {
        Header::default()
    }

    /// A header from a JSON object.
    pub fn from_map(members: Map<String, Value>) -> Header {
        Header { members }
    }

    /// Parses a header from JSON text, refusing duplicate member names.
    pub fn from_json(json: &str) -> Result<Header> {
        Header::from_json_bytes(json.as_bytes(), "header")
    }

    pub(crate) fn from_json_bytes(bytes: &[u8], part: &'static str) -> Result<Header> {
        Ok(Header {
            members: crate::json::parse_object(bytes, part)?,
        })
    }

    /// Sets a member (builder style).
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Header {
        self.insert(name, value);
        self
    }

    /// Sets a member.
    pub fn insert(&mut self, name: &str, value: impl Into<Value>) {
        self.members.insert(name.to_owned(), value.into());
    }

    /// A member.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.members.get(name)
    }

    /// True when the member is present.
    pub fn contains(&self, name: &str) -> bool {
        self.members.contains_key(name)
    }

    /// All members.
    pub fn members(&self) -> &Map<String, Value> {
        &self.members
    }

    /// True when the header has no members.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// A string member; `None` if absent or not a string.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.members.get(name).and_then(Value::as_str)
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
        self.members.get("b64").and_then(Value::as_bool)
    }

    /// The header as compact JSON text.
    pub fn to_json(&self) -> String {
        Value::Object(self.members.clone()).to_string()
    }

    pub(crate) fn remove(&mut self, name: &str) -> Option<Value> {
        self.members.shift_remove(name)
    }

    pub(crate) fn names(&self) -> impl Iterator<Item = &String> {
        self.members.keys()
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
