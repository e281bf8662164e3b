//! JOSE headers for JWS: parsing, typed access, and the rules of RFC 7515 §4 and RFC 7797 §3.

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::jwa::JwsAlgorithm;

/// Header names registered for JWS (RFC 7515 §4.1, RFC 7797 §3, RFC 8555 §6.4, RFC 8225 §8.1,
/// RFC 9321 §5, and the JWT claims RFC 7519 §5.3 lets a header replicate). Any other name is a
/// private name and must be declared by the verifier.
pub const REGISTERED_HEADER_NAMES: [&str; 19] = [
    "alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit", "b64",
    "url", "nonce", "ppt", "svt", "iss", "sub", "aud",
];

/// Names defined by RFC 7515 itself, which `crit` must not list (RFC 7515 §4.1.11).
const RFC7515_NAMES: [&str; 11] = [
    "alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit",
];

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
}

/// The rules a verifier applies to one signature's headers, from its policy.
pub(crate) struct HeaderRules<'a> {
    pub allowed: &'a [JwsAlgorithm],
    pub crit: &'a [String],
    pub private_names: &'a [String],
    pub any_private_name: bool,
}

/// Checks one signature's protected and unprotected headers and returns its algorithm and `b64`.
pub(crate) fn check(
    protected: &Header,
    unprotected: Option<&Header>,
    rules: &HeaderRules<'_>,
) -> Result<(JwsAlgorithm, bool)> {
    if let Some(u) = unprotected {
        // RFC 7515 §7.2.1: the two headers must be disjoint.
        if let Some(name) = u.members.keys().find(|n| protected.contains(n)) {
            return Err(Error::header(
                name,
                "in both the protected and unprotected header",
            ));
        }
        for name in ["crit", "b64"] {
            if u.contains(name) {
                return Err(Error::header(name, "must be in the protected header"));
            }
        }
    }
    let lookup = |name: &str| {
        protected
            .get(name)
            .or_else(|| unprotected.and_then(|u| u.get(name)))
    };

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

    let alg = match lookup("alg") {
        None => return Err(Error::header("alg", "missing")),
        Some(Value::String(s)) => s.parse::<JwsAlgorithm>()?,
        Some(_) => return Err(Error::header("alg", "must be a string")),
    };
    if !rules.allowed.contains(&alg) {
        return Err(Error::AlgNotAllowed {
            alg: alg.name().to_owned(),
        });
    }

    let crit = check_crit(protected, unprotected, rules)?;
    let b64 = match protected.get("b64") {
        None => true,
        Some(Value::Bool(b)) => {
            if !crit.contains(&"b64") {
                // RFC 7797 §6: b64 without crit would be silently ignored by older verifiers.
                return Err(Error::Crit("b64 must be listed in crit".into()));
            }
            *b
        }
        Some(_) => return Err(Error::header("b64", "must be a boolean")),
    };

    let all_names = protected
        .members
        .keys()
        .chain(unprotected.into_iter().flat_map(|u| u.members.keys()));
    if !rules.any_private_name {
        for name in all_names {
            let known = REGISTERED_HEADER_NAMES.contains(&name.as_str())
                || rules.private_names.iter().any(|p| p == name)
                || crit.iter().any(|c| c == name);
            if !known {
                return Err(Error::PrivateHeaderNotAllowed { name: name.clone() });
            }
        }
    }
    Ok((alg, b64))
}

/// RFC 7515 §4.1.11: `crit` is protected, a non-empty array of distinct strings, lists no name
/// RFC 7515 defines, only names the verifier understands, and only names present in the header.
fn check_crit<'h>(
    protected: &'h Header,
    unprotected: Option<&Header>,
    rules: &HeaderRules<'_>,
) -> Result<Vec<&'h str>> {
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
        if RFC7515_NAMES.contains(&name) {
            return Err(Error::Crit(format!(
                "{name:?} is defined by RFC 7515 and must not be listed"
            )));
        }
        if name != "b64" && !rules.crit.iter().any(|c| c == name) {
            return Err(Error::Crit(format!("{name:?} is not understood")));
        }
        if !protected.contains(name) && !unprotected.is_some_and(|u| u.contains(name)) {
            return Err(Error::Crit(format!("{name:?} is listed but not present")));
        }
        names.push(name);
    }
    Ok(names)
}
