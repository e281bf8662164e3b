//! The registered claims, read with strict types.

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::json::Scalar;

/// Latest NumericDate accepted: 9999-12-31T23:59:59Z. Larger values are refused rather than
/// overflowing arithmetic or being read as "never expires".
pub(crate) const MAX_NUMERIC_DATE: i64 = 253_402_300_799;

/// The `aud` claim: one string or an array of strings (RFC 7519 §4.1.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// `"aud": "x"`.
    One(String),
    /// `"aud": ["x", "y"]`.
    Many(Vec<String>),
}

impl Audience {
    /// True when `value` is one of the audiences.
    pub fn contains(&self, value: &str) -> bool {
        match self {
            Audience::One(a) => a == value,
            Audience::Many(list) => list.iter().any(|a| a == value),
        }
    }

    /// All audiences.
    pub fn values(&self) -> Vec<&str> {
        match self {
            Audience::One(a) => vec![a.as_str()],
            Audience::Many(list) => list.iter().map(String::as_str).collect(),
        }
    }
}

impl From<Audience> for Value {
    fn from(a: Audience) -> Value {
        match a {
            Audience::One(s) => Value::String(s),
            Audience::Many(v) => Value::Array(v.into_iter().map(Value::String).collect()),
        }
    }
}

/// A JWT claims set: the registered claims read with strict types, and every claim as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Claims {
    /// `iss`.
    pub iss: Option<String>,
    /// `sub`.
    pub sub: Option<String>,
    /// `aud`.
    pub aud: Option<Audience>,
    /// `exp`, seconds since the epoch.
    pub exp: Option<i64>,
    /// `nbf`, seconds since the epoch.
    pub nbf: Option<i64>,
    /// `iat`, seconds since the epoch.
    pub iat: Option<i64>,
    /// `jti`.
    pub jti: Option<String>,
    /// Every claim, registered ones included, as received.
    pub all: Map<String, Value>,
}

impl Claims {
    /// Parses a claims set, refusing duplicate members and registered claims of the wrong type: a
    /// string `exp` is an error, not an absent claim (CVE-2026-25537 class).
    pub fn from_json(payload: &[u8]) -> Result<Claims> {
        let all = crate::json::parse_object(payload, "JWT claims")?;
        let mut claims = typed(REGISTERED.map(|name| all.get(name).map(Scalar::of)))?;
        claims.all = all;
        Ok(claims)
    }

    /// The registered claims only, read with the same strict types in one pass that builds no
    /// map (duplicate members are still refused at every depth); `all` is left empty. With
    /// `names`, also returns every top-level claim name. The fast path of
    /// [`super::JwtVerifier::verify_into`].
    pub(crate) fn registered_from_json(
        payload: &[u8],
        want_names: bool,
    ) -> Result<(Claims, Vec<String>)> {
        let members = crate::json::scan_object(payload, "JWT claims", &REGISTERED)?;
        let mut kept: [Option<Scalar<'_>>; 7] = Default::default();
        let mut names = Vec::new();
        for (name, value) in members {
            if let Some(value) = value {
                if let Some(i) = REGISTERED.iter().position(|r| *r == name.as_ref()) {
                    kept[i] = Some(value);
                }
            }
            if want_names {
                names.push(name.into_owned());
            }
        }
        Ok((typed(kept)?, names))
    }

    /// A claim by name.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.all.get(name)
    }

    /// The claims deserialized into the caller's type.
    pub fn deserialize<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_value(Value::Object(self.all.clone())).map_err(|e| Error::Json {
            part: "JWT claims",
            detail: e.to_string(),
        })
    }
}

/// The registered claims both parsers read, in the order they are checked: both report the
/// same first error for a payload with several bad claims.
const REGISTERED: [&str; 7] = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"];

/// The registered claims typed strictly from their values (in [`REGISTERED`] order); `all` is
/// left empty.
fn typed(values: [Option<Scalar<'_>>; 7]) -> Result<Claims> {
    let [iss, sub, aud, exp, nbf, iat, jti] = values;
    Ok(Claims {
        iss: string("iss", iss)?,
        sub: string("sub", sub)?,
        aud: audience(aud)?,
        exp: numeric_date("exp", exp)?,
        nbf: numeric_date("nbf", nbf)?,
        iat: numeric_date("iat", iat)?,
        jti: string("jti", jti)?,
        all: Map::new(),
    })
}

fn string(name: &str, v: Option<Scalar<'_>>) -> Result<Option<String>> {
    match v {
        None => Ok(None),
        Some(Scalar::Str(s)) => Ok(Some(s.into_owned())),
        Some(_) => Err(Error::claim(name, "must be a string")),
    }
}

fn audience(v: Option<Scalar<'_>>) -> Result<Option<Audience>> {
    match v {
        None => Ok(None),
        Some(Scalar::Str(s)) => Ok(Some(Audience::One(s.into_owned()))),
        Some(Scalar::Strs(list)) => Ok(Some(Audience::Many(
            list.into_iter().map(|s| s.into_owned()).collect(),
        ))),
        Some(_) => Err(Error::claim(
            "aud",
            "must be a string or an array of strings",
        )),
    }
}

/// A NumericDate (RFC 7519 §2): a JSON number of seconds, fractions allowed (truncated toward
/// the past), between 0 and year 9999.
fn numeric_date(name: &str, v: Option<Scalar<'_>>) -> Result<Option<i64>> {
    match v {
        None => Ok(None),
        Some(Scalar::Num(n)) => date_from_number(name, &n).map(Some),
        Some(_) => Err(Error::claim(name, "must be a number (NumericDate)")),
    }
}

/// A NumericDate from a JSON number: fractions truncated toward the past, 0 ..= year 9999.
fn date_from_number(name: &str, n: &serde_json::Number) -> Result<i64> {
    let secs = if let Some(i) = n.as_i64() {
        i
    } else if let Some(f) = n
        .as_f64()
        .filter(|f| f.is_finite() && (0.0..=MAX_NUMERIC_DATE as f64).contains(f))
    {
        f.floor() as i64
    } else {
        return Err(Error::claim(name, "NumericDate out of range"));
    };
    if !(0..=MAX_NUMERIC_DATE).contains(&secs) {
        return Err(Error::claim(name, "NumericDate out of range"));
    }
    Ok(secs)
}
