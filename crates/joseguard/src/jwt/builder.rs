//! Producing a signed JWT.

use serde::Serialize;
use serde_json::{Map, Value};

use super::claims::Audience;
use crate::error::{Error, Result};
use crate::header::Header;
use crate::jwa::JwsAlgorithm;
use crate::jwk::Jwk;

/// Builds a JWT's claims and header, then signs it (compact JWS).
///
/// ```
/// use joseguard::{EcCurve, Jwk, JwsAlgorithm, KeySpec};
/// use joseguard::jwt::Builder;
///
/// let key = Jwk::generate(KeySpec::Ec(EcCurve::P256))?;
/// let now = 1_800_000_000;
/// let token = Builder::new()
///     .issuer("https://issuer.example")
///     .subject("alice")
///     .audience("api")
///     .issued_at(now)
///     .expires_at(now + 300)
///     .claim("scope", "read")
///     .sign(&key, JwsAlgorithm::ES256)?;
/// # Ok::<(), joseguard::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    claims: Map<String, Value>,
    header: Header,
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl Builder {
    /// An empty claims set with `typ: "JWT"`.
    pub fn new() -> Self {
        Builder {
            claims: Map::new(),
            header: Header::new().with("typ", "JWT"),
        }
    }

    /// Overrides `typ` (RFC 8725 §3.11 explicit typing, e.g. `at+jwt`, `secevent+jwt`).
    pub fn typ(mut self, typ: &str) -> Self {
        self.header.insert("typ", typ);
        self
    }

    /// Adds a protected header member (`kid` comes from the key when it has one).
    pub fn header(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.header.insert(name, value);
        self
    }

    /// `iss`.
    pub fn issuer(self, iss: &str) -> Self {
        self.claim("iss", iss)
    }

    /// `sub`.
    pub fn subject(self, sub: &str) -> Self {
        self.claim("sub", sub)
    }

    /// `aud` as one string.
    pub fn audience(self, aud: &str) -> Self {
        self.claim("aud", aud)
    }

    /// `aud` as an array (a single audience is written as an array too).
    pub fn audiences<S: Into<String>>(self, aud: impl IntoIterator<Item = S>) -> Self {
        let list: Vec<String> = aud.into_iter().map(Into::into).collect();
        self.claim("aud", Audience::Many(list))
    }

    /// `exp`, seconds since the epoch.
    pub fn expires_at(self, exp: i64) -> Self {
        self.claim("exp", exp)
    }

    /// `nbf`, seconds since the epoch.
    pub fn not_before(self, nbf: i64) -> Self {
        self.claim("nbf", nbf)
    }

    /// `iat`, seconds since the epoch.
    pub fn issued_at(self, iat: i64) -> Self {
        self.claim("iat", iat)
    }

    /// `jti`.
    pub fn jwt_id(self, jti: &str) -> Self {
        self.claim("jti", jti)
    }

    /// Any claim.
    pub fn claim(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.claims.insert(name.to_owned(), value.into());
        self
    }

    /// Adds every field of a serializable value (which must serialize to a JSON object).
    pub fn claims<T: Serialize>(mut self, value: &T) -> Result<Self> {
        match serde_json::to_value(value) {
            Ok(Value::Object(map)) => {
                self.claims.extend(map);
                Ok(self)
            }
            Ok(_) => Err(Error::Config(
                "JWT claims must serialize to a JSON object".into(),
            )),
            Err(e) => Err(Error::Config(format!("JWT claims: {e}"))),
        }
    }

    /// The claims as JSON text.
    pub fn claims_json(&self) -> String {
        serde_json::to_string(&self.claims).unwrap_or_else(|_| "{}".into())
    }

    /// Signs: a compact JWS whose payload is the claims.
    pub fn sign(&self, key: &Jwk, alg: JwsAlgorithm) -> Result<String> {
        crate::jws::Builder::new(self.claims_json().as_bytes())
            .signer(key, alg, self.header.clone())?
            .compact()
    }
}
