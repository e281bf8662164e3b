//! Claim validation (RFC 7519 §4.1, RFC 8725 §3).

use super::claims::Claims;
use crate::error::{Error, Result};
use crate::header::Header;

/// What a JWT's claims and `typ` must satisfy. The defaults: `exp` required, 60 s leeway, `nbf`
/// and `iat` checked, no issuer/audience/subject expectation (set them: a validation without an
/// expected audience accepts tokens meant for any audience).
#[derive(Debug, Clone)]
pub struct Validation {
    leeway: u64,
    max_age: Option<u64>,
    max_lifetime: Option<u64>,
    issuers: Vec<String>,
    audiences: Vec<String>,
    subject: Option<String>,
    required: Vec<String>,
    types: Option<Vec<String>>,
    require_exp: bool,
}

impl Default for Validation {
    fn default() -> Self {
        Validation {
            leeway: 60,
            max_age: None,
            max_lifetime: None,
            issuers: Vec::new(),
            audiences: Vec::new(),
            subject: None,
            required: Vec::new(),
            types: None,
            require_exp: true,
        }
    }
}

impl Validation {
    /// The defaults.
    pub fn new() -> Self {
        Validation::default()
    }

    /// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds (default 60).
    pub fn leeway(mut self, seconds: u64) -> Self {
        self.leeway = seconds;
        self
    }

    /// Refuses tokens whose `iat` is older than this (and then requires `iat`).
    pub fn max_age(mut self, seconds: u64) -> Self {
        self.max_age = Some(seconds);
        self
    }

    /// Refuses tokens that live longer than this: `exp` minus `iat` (minus the verification
    /// time when there is no `iat`). Requires `exp`.
    pub fn max_lifetime(mut self, seconds: u64) -> Self {
        self.max_lifetime = Some(seconds);
        self
    }

    /// `iss` must equal this value exactly (call again to accept several issuers).
    pub fn issuer(mut self, iss: &str) -> Self {
        self.issuers.push(iss.to_owned());
        self
    }

    /// `aud` must contain this value, or another given this way (any-of). Once an audience is
    /// expected, a token without `aud` fails.
    pub fn audience(mut self, aud: &str) -> Self {
        self.audiences.push(aud.to_owned());
        self
    }

    /// `sub` must equal this value.
    pub fn subject(mut self, sub: &str) -> Self {
        self.subject = Some(sub.to_owned());
        self
    }

    /// These claims must be present.
    pub fn require<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.required.extend(names.into_iter().map(Into::into));
        self
    }

    /// The header `typ` must be one of these (compared case-insensitively, with or without the
    /// `application/` prefix: RFC 7515 §4.1.9), e.g. `["at+jwt"]` (RFC 8725 §3.11).
    pub fn typ<S: Into<String>>(mut self, types: impl IntoIterator<Item = S>) -> Self {
        self.types = Some(types.into_iter().map(Into::into).collect());
        self
    }

    /// Options that weaken a default ([`crate::dangerous`]).
    pub fn dangerous(self) -> crate::dangerous::Dangerous<Self> {
        crate::dangerous::Dangerous(self)
    }

    pub(crate) fn allow_missing_exp(mut self) -> Self {
        self.require_exp = false;
        self
    }

    /// Checks `header` and the claims in `payload` at time `now` (seconds since the epoch).
    pub fn validate(&self, header: &Header, payload: &[u8], now: i64) -> Result<Claims> {
        self.check_typ(header)?;
        let claims = Claims::from_json(payload)?;
        check_replicated(header, &claims)?;
        self.check(&claims, now)?;
        self.check_required(|n| claims.all.contains_key(n))?;
        Ok(claims)
    }

    /// [`validate`](Self::validate) without building the claims map: the same checks, for
    /// callers that deserialize the payload into their own type. Returns the registered claims
    /// (`all` empty).
    pub(crate) fn validate_fast(
        &self,
        header: &Header,
        payload: &[u8],
        now: i64,
    ) -> Result<Claims> {
        self.check_typ(header)?;
        let (claims, names) = Claims::registered_from_json(payload, !self.required.is_empty())?;
        check_replicated(header, &claims)?;
        self.check(&claims, now)?;
        self.check_required(|n| names.iter().any(|x| x == n))?;
        Ok(claims)
    }

    fn check_typ(&self, header: &Header) -> Result<()> {
        if let Some(types) = &self.types {
            let typ = header
                .typ()
                .ok_or_else(|| Error::header("typ", "missing"))?;
            let norm = crate::header::normalize_media_type;
            if !types.iter().any(|t| norm(t) == norm(typ)) {
                return Err(Error::header(
                    "typ",
                    format!("{typ:?} is not one of {types:?}"),
                ));
            }
        }
        Ok(())
    }

    fn check_required(&self, has: impl Fn(&str) -> bool) -> Result<()> {
        match self.required.iter().find(|n| !has(n)) {
            Some(name) => Err(Error::ClaimMissing { name: name.clone() }),
            None => Ok(()),
        }
    }

    fn check(&self, c: &Claims, now: i64) -> Result<()> {
        let leeway = self.leeway.min(i64::MAX as u64) as i64;
        // Fractional dates are rounded the strict way: exp toward the past, nbf and a future
        // iat toward the future, the age of iat toward the past (older).
        match c.valid_until(self.leeway) {
            Some(until) if now >= until => {
                let exp = c.exp.map_or(until, |e| e.floor());
                return Err(Error::Expired {
                    seconds_ago: now.saturating_sub(exp).max(0) as u64,
                });
            }
            None if self.require_exp || self.max_lifetime.is_some() => {
                return Err(Error::ClaimMissing { name: "exp".into() })
            }
            _ => {}
        }
        if let Some(nbf) = c.nbf {
            if now.saturating_add(leeway) < nbf.ceil() {
                return Err(Error::NotYetValid {
                    seconds: (nbf.ceil() - now) as u64,
                });
            }
        }
        if let Some(iat) = c.iat {
            if iat.ceil() > now.saturating_add(leeway) {
                return Err(Error::claim(
                    "iat",
                    format!("issued {} s in the future", iat.ceil() - now),
                ));
            }
        }
        if let Some(max) = self.max_age {
            let iat = c
                .iat
                .ok_or_else(|| Error::ClaimMissing { name: "iat".into() })?;
            let age = now.saturating_sub(iat.floor());
            if age > (max.min(i64::MAX as u64) as i64).saturating_add(leeway) {
                return Err(Error::claim(
                    "iat",
                    format!("token is {age} s old, more than {max} s"),
                ));
            }
        }
        if let (Some(max), Some(exp)) = (self.max_lifetime, c.exp) {
            let start = c.iat.map_or(now, |iat| iat.floor());
            let life = exp.ceil().saturating_sub(start);
            if life > max.min(i64::MAX as u64) as i64 {
                return Err(Error::claim(
                    "exp",
                    format!("token lives {life} s, more than {max} s"),
                ));
            }
        }
        if !self.issuers.is_empty() {
            let iss = c
                .iss
                .as_deref()
                .ok_or_else(|| Error::ClaimMissing { name: "iss".into() })?;
            if !self.issuers.iter().any(|i| i == iss) {
                return Err(Error::claim(
                    "iss",
                    format!("{iss:?} is not an accepted issuer"),
                ));
            }
        }
        if !self.audiences.is_empty() {
            let aud = c
                .aud
                .as_ref()
                .ok_or_else(|| Error::ClaimMissing { name: "aud".into() })?;
            if !self.audiences.iter().any(|a| aud.contains(a)) {
                return Err(Error::claim(
                    "aud",
                    format!("{:?} contains no accepted audience", aud.values()),
                ));
            }
        }
        if let Some(sub) = &self.subject {
            match c.sub.as_deref() {
                None => return Err(Error::ClaimMissing { name: "sub".into() }),
                Some(s) if s != sub => {
                    return Err(Error::claim("sub", format!("{s:?} is not {sub:?}")))
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// RFC 7519 §5.3: `iss`, `sub` and `aud` replicated into the header must be identical to the
/// claims (a header could otherwise show one issuer while the claims say another).
pub(crate) fn check_replicated(header: &Header, claims: &Claims) -> Result<()> {
    for name in ["iss", "sub", "aud"] {
        let Some(replicated) = header.get(name) else {
            continue;
        };
        let claim = match name {
            "iss" => claims.iss.clone().map(serde_json::Value::String),
            "sub" => claims.sub.clone().map(serde_json::Value::String),
            _ => claims.aud.clone().map(serde_json::Value::from),
        };
        if claim.as_ref() != Some(replicated) {
            return Err(Error::header(
                name,
                format!("replicated in the header, it must equal the {name} claim"),
            ));
        }
    }
    Ok(())
}
