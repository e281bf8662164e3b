//! The registered claims, read with strict types.

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::json::Scalar;

/// Latest NumericDate accepted: 9999-12-31T23:59:59Z. Larger values are refused rather than
/// overflowing arithmetic or being read as "never expires".
pub(crate) const MAX_NUMERIC_DATE: i64 = 253_402_300_799;

/// The `aud` claim: one string or an array of strings (RFC 7519 §4.1.3).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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

/// A NumericDate (RFC 7519 §2): seconds since the Unix epoch, integer or fractional, from 0 to
/// the end of year 9999. Parsed once, exactly; whoever needs a whole second (validation, a cache
/// of verified tokens, a single-use store) rounds it the same way through
/// [`Claims::valid_until`], so that they agree on the second a token stops being valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NumericDate {
    secs: i64,
    nanos: u32,
}

impl NumericDate {
    /// A whole-second date; refused outside 0 ..= year 9999.
    pub fn from_secs(secs: i64) -> Result<NumericDate> {
        if !(0..=MAX_NUMERIC_DATE).contains(&secs) {
            return Err(Error::claim("NumericDate", "out of range"));
        }
        Ok(NumericDate { secs, nanos: 0 })
    }

    /// The date from a JSON number, integer or fractional.
    fn from_number(name: &str, n: &serde_json::Number) -> Result<NumericDate> {
        let out_of_range = || Error::claim(name, "NumericDate out of range");
        if let Some(i) = n.as_i64() {
            return NumericDate::from_secs(i).map_err(|_| out_of_range());
        }
        let f = n
            .as_f64()
            .filter(|f| f.is_finite() && (0.0..=MAX_NUMERIC_DATE as f64).contains(f))
            .ok_or_else(out_of_range)?;
        let secs = f.floor();
        let nanos = (((f - secs) * 1e9).round() as u32).min(999_999_999);
        Ok(NumericDate {
            secs: secs as i64,
            nanos,
        })
    }

    /// The whole second at or before the date (rounded toward the past).
    pub fn floor(self) -> i64 {
        self.secs
    }

    /// The whole second at or after the date (rounded toward the future).
    pub fn ceil(self) -> i64 {
        self.secs + i64::from(self.nanos > 0)
    }

    /// The fraction of a second, in nanoseconds.
    pub fn subsec_nanos(self) -> u32 {
        self.nanos
    }
}

impl std::fmt::Display for NumericDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.nanos == 0 {
            write!(f, "{}", self.secs)
        } else {
            let frac = format!("{:09}", self.nanos);
            write!(f, "{}.{}", self.secs, frac.trim_end_matches('0'))
        }
    }
}

/// A JWT claims set: the registered claims read with strict types, and every claim as JSON.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Claims {
    /// `iss`.
    pub iss: Option<String>,
    /// `sub`.
    pub sub: Option<String>,
    /// `aud`.
    pub aud: Option<Audience>,
    /// `exp`.
    pub exp: Option<NumericDate>,
    /// `nbf`.
    pub nbf: Option<NumericDate>,
    /// `iat`.
    pub iat: Option<NumericDate>,
    /// `jti`.
    pub jti: Option<String>,
    /// Every claim, registered ones included, as received.
    pub all: Map<String, Value>,
}

impl Claims {
    /// Parses a claims set, refusing duplicate members and registered claims of the wrong type: a
    /// string `exp` is an error, not an absent claim (CVE-2026-25537 class).
    pub fn from_json(payload: &[u8]) -> Result<Claims> {
        Claims::from_map(crate::json::parse_object(payload, "JWT claims")?)
    }

    /// The claims of a parsed object, registered ones strictly typed.
    pub fn from_map(all: Map<String, Value>) -> Result<Claims> {
        let mut claims = typed(REGISTERED.map(|name| all.get(name).map(Scalar::of)))?;
        claims.all = all;
        Ok(claims)
    }

    /// The registered claims only, read with the same strict types in one pass that builds no
    /// map (duplicate members are still refused at every depth); `all` is left empty. With
    /// `names`, also returns every top-level claim name. The fast path of
    /// [`super::Verifier::verify`].
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

    /// The first whole second (Unix time) at which a validation with `leeway` refuses the token
    /// for its `exp`: `exp` rounded toward the past, plus the leeway. `None` without `exp`. A
    /// cache of verified tokens must not serve one at or after this second, and a single-use
    /// store must remember its `jti` at least until then.
    pub fn valid_until(&self, leeway: u64) -> Option<i64> {
        self.exp.map(|exp| {
            exp.floor()
                .saturating_add(leeway.min(i64::MAX as u64) as i64)
        })
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

/// A NumericDate claim: a JSON number (RFC 7519 §2).
fn numeric_date(name: &str, v: Option<Scalar<'_>>) -> Result<Option<NumericDate>> {
    match v {
        None => Ok(None),
        Some(Scalar::Num(n)) => NumericDate::from_number(name, &n).map(Some),
        Some(_) => Err(Error::claim(name, "must be a number (NumericDate)")),
    }
}

/// `Claims` as a claims type of [`super::Verifier::verify`]: every claim kept, registered ones
/// strictly typed.
impl<'de> serde::Deserialize<'de> for Claims {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Claims, D::Error> {
        let all = Map::deserialize(d)?;
        Claims::from_map(all).map_err(serde::de::Error::custom)
    }
}
