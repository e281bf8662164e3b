//! Signing many JWTs with one key.

use std::sync::Arc;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::header::Header;
use crate::jwa::JwsAlgorithm;
use crate::jwk::Jwk;

/// Signs many JWTs with one key: the key is checked and the header encoded once, and each
/// token's claims are serialized straight from the caller's type (no intermediate map). The
/// header is `{"alg":..,"typ":"JWT"}` plus the key's `kid` when it has one.
///
/// ```
/// use joseguard::{EcCurve, Jwk, JwsAlgorithm, KeySpec};
/// use joseguard::jwt::Signer;
///
/// #[derive(serde::Serialize)]
/// struct Claims<'a> { sub: &'a str, exp: i64 }
///
/// let signer = Signer::new(Jwk::generate(KeySpec::Ec(EcCurve::P256))?, JwsAlgorithm::ES256)?;
/// let token = signer.sign(&Claims { sub: "alice", exp: 1_800_000_000 })?;
/// assert_eq!(token.split('.').count(), 3);
/// # Ok::<(), joseguard::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Signer {
    key: Arc<Jwk>,
    alg: JwsAlgorithm,
    header: Header,
    header_b64: String,
}

impl Signer {
    /// A signer for `alg` with `key`, which must fit `alg` and be allowed to sign.
    pub fn new(key: impl Into<Arc<Jwk>>, alg: JwsAlgorithm) -> Result<Signer> {
        let key = key.into();
        key.check_jws(alg, crate::jwk::KeyOperation::Sign)?;
        let mut header = Header::new().with("alg", alg.name()).with("typ", "JWT");
        if let Some(kid) = key.kid() {
            header.insert("kid", kid);
        }
        Ok(Signer {
            header_b64: crate::b64::encode(header.to_json()),
            header,
            key,
            alg,
        })
    }

    /// Sets `typ` (RFC 8725 §3.11 explicit typing, e.g. `at+jwt`; default `JWT`).
    pub fn typ(self, typ: &str) -> Signer {
        self.with_header("typ", typ)
    }

    /// Sets a protected header member (not `alg`, which is the signer's).
    pub fn with_header(mut self, name: &str, value: impl Into<serde_json::Value>) -> Signer {
        if name != "alg" {
            self.header.insert(name, value);
            self.header_b64 = crate::b64::encode(self.header.to_json());
        }
        self
    }

    /// A compact JWT whose payload is `claims` serialized (it must serialize to a JSON object;
    /// a type that can emit one member twice, such as a `#[serde(flatten)]` map beside a field
    /// of the same name, must not be used).
    pub fn sign<T: Serialize + ?Sized>(&self, claims: &T) -> Result<String> {
        let json =
            serde_json::to_vec(claims).map_err(|e| Error::Config(format!("JWT claims: {e}")))?;
        if json.first() != Some(&b'{') {
            return Err(Error::Config(
                "JWT claims must serialize to a JSON object".into(),
            ));
        }
        let mut out = String::with_capacity(self.header_b64.len() + json.len() * 4 / 3 + 700);
        out.push_str(&self.header_b64);
        out.push('.');
        crate::b64::encode_into(&json, &mut out);
        let sig = crate::jws::primitive_sign(&self.key, self.alg, out.as_bytes())?;
        out.push('.');
        crate::b64::encode_into(&sig, &mut out);
        Ok(out)
    }
}
