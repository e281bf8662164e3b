//! The registered claims, read with strict types.

use serde_json::{Map, Value};

use crate::error::{Error, Result};

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
        Ok(Claims {
            iss: string(&all, "iss")?,
            sub: string(&all, "sub")?,
            aud: audience(&all)?,
            exp: numeric_date(&all, "exp")?,
            nbf: numeric_date(&all, "nbf")?,
            iat: numeric_date(&all, "iat")?,
            jti: string(&all, "jti")?,
            all,
        })
    }

    /// The registered claims only, read with the same strict types in one pass that builds no
    /// map (duplicate members are still refused at every depth); `all` is left empty. With
    /// `names`, also returns every top-level claim name. The fast path of
    /// [`super::JwtVerifier::verify_into`].
    pub(crate) fn registered_from_json(
        payload: &[u8],
        names: bool,
    ) -> Result<(Claims, Vec<String>)> {
        let want_names = names;
        use crate::json::Scalar;
        const REGISTERED: [&str; 7] = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"];
        let members = crate::json::scan_object(payload, "JWT claims", &REGISTERED)?;
        let mut c = Claims {
            iss: None,
            sub: None,
            aud: None,
            exp: None,
            nbf: None,
            iat: None,
            jti: None,
            all: Map::new(),
        };
        // Converted in the order `from_json` reads them, so that both report the same first
        // error for a payload with several bad claims.
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
        let [iss, sub, aud, exp, nbf, iat, jti] = kept;
        let text = |name: &str, v: Option<Scalar<'_>>| match v {
            None => Ok(None),
            Some(Scalar::Str(s)) => Ok(Some(s.into_owned())),
            Some(_) => Err(Error::claim(name, "must be a string")),
        };
        let date = |name: &str, v: Option<Scalar<'_>>| match v {
            None => Ok(None),
            Some(Scalar::Num(n)) => date_from_number(name, &n).map(Some),
            Some(_) => Err(Error::claim(name, "must be a number (NumericDate)")),
        };
        c.iss = text("iss", iss)?;
        c.sub = text("sub", sub)?;
        c.aud = match aud {
            None => None,
            Some(Scalar::Str(s)) => Some(Audience::One(s.into_owned())),
            Some(Scalar::Strs(list)) => Some(Audience::Many(
                list.into_iter().map(|s| s.into_owned()).collect(),
            )),
            Some(_) => {
                return Err(Error::claim(
                    "aud",
                    "must be a string or an array of strings",
                ))
            }
        };
        c.exp = date("exp", exp)?;
        c.nbf = date("nbf", nbf)?;
        c.iat = date("iat", iat)?;
        c.jti = text("jti", jti)?;
        Ok((c, names))
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

fn string(all: &Map<String, Value>, name: &str) -> Result<Option<String>> {
    match all.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Error::claim(name, "must be a string")),
    }
}

fn audience(all: &Map<String, Value>) -> Result<Option<Audience>> {
    match all.get("aud") {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(Audience::One(s.clone()))),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .map(|v| Some(Audience::Many(v)))
            .ok_or_else(|| Error::claim("aud", "must be a string or an array of strings")),
        Some(_) => Err(Error::claim(
            "aud",
            "must be a string or an array of strings",
        )),
    }
}

/// A NumericDate (RFC 7519 §2): a JSON number of seconds, fractions allowed (truncated toward
/// the past), between 0 and year 9999.
fn numeric_date(all: &Map<String, Value>, name: &str) -> Result<Option<i64>> {
    let Some(v) = all.get(name) else {
        return Ok(None);
    };
    let Value::Number(n) = v else {
        return Err(Error::claim(name, "must be a number (NumericDate)"));
    };
    date_from_number(name, n).map(Some)
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
