//! A token a route accepted: what the rules, the proxy, the workers and the audit log read.

use std::sync::Arc;

use joseguard::jws::Header;
use serde_json::Value;

use super::Issuer;
use crate::denial::Audit;

/// An accepted token.
pub struct Accepted {
    /// The issuer whose key verified it.
    pub issuer: Arc<Issuer>,
    /// The protected header of the verified signature.
    pub header: Header,
    /// The payload.
    pub payload: Vec<u8>,
    /// The claims (the payload as JSON when it is an object, else `null`).
    pub claims: Value,
    /// The first second at which the token is no longer accepted for its `exp` (with the
    /// route's leeway), from the one NumericDate parse of the validation: the verified-token
    /// cache and the single-use store use this, never their own reading of `exp`.
    pub valid_until: Option<i64>,
}

impl Accepted {
    /// The identity for the audit log.
    pub fn audit(&self) -> Audit {
        let claim = |name: &str| {
            self.claims
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        Audit {
            issuer: self.issuer.name.clone(),
            iss: claim("iss"),
            sub: claim("sub"),
            jti: claim("jti"),
            kid: self.header.kid().unwrap_or("").to_owned(),
        }
    }
}
