//! Workers (docs/signing.md): a signing worker's key and output, a validation worker's trust,
//! and the authorizer that says who may use either.

use std::sync::Arc;

use joseguard::{Jwk, JwsAlgorithm, Sha2};
use serde::Deserialize;
use serde_json::Value;

use super::Route;
use crate::claims::template::Template;

/// The serialization a signing worker returns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Output {
    /// `header.payload.signature`.
    #[default]
    Compact,
    /// Flattened JSON.
    Flattened,
    /// Compact, unencoded (`b64: false`, RFC 7797) and detached: for large documents, which the
    /// caller keeps.
    Detached,
}

impl Output {
    /// Its name in answers.
    pub fn name(self) -> &'static str {
        match self {
            Output::Compact => "compact",
            Output::Flattened => "flattened",
            Output::Detached => "detached",
        }
    }
}

/// How a binding claim writes the hash.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// Base64url.
    #[default]
    Base64url,
    /// Base64.
    Base64,
    /// Hex.
    Hex,
}

/// A worker.
pub struct Worker {
    /// Its name: the URL path segment.
    pub name: String,
    /// What it does.
    pub role: Role,
    /// Who may call it. Required for signing workers; optional for validation workers.
    pub authorizer: Option<Authorizer>,
}

/// What a worker does.
pub enum Role {
    /// Signs with its key.
    Signing(Signer),
    /// Verifies submitted JWS with this route's issuers (no bearer token involved).
    Validation(Box<Route>),
}

/// A signing worker's keys and output.
pub struct Signer {
    /// Its keys in configuration order; [`Signer::current`] picks the one that signs.
    pub keys: Vec<SigningKey>,
    /// Offered algorithms; the first is the default. Every key fits every one.
    pub algorithms: Vec<JwsAlgorithm>,
    /// The serialization returned.
    pub output: Output,
}

/// One key of a signing worker.
pub struct SigningKey {
    /// The private key, with `kid` set (in an HSM for a PKCS#11 key).
    pub key: Arc<Jwk>,
    /// Its `kid`.
    pub kid: String,
    /// Its public JWK as published (`kid`, `use: sig`, `alg` when there is one algorithm,
    /// `x5c` when there is a certificate).
    pub public: Value,
    /// It signs from this second (Unix time), when set.
    pub not_before: Option<i64>,
    /// It signs until this second, when set.
    pub not_after: Option<i64>,
    /// The signer's certificate as the protected header names it (`x5c` or `x5t#S256`).
    pub certificate: Option<(&'static str, Value)>,
    /// When the certificate expires (Unix time).
    pub certificate_expires: Option<i64>,
    /// The HSM key, for its health.
    pub hsm: Option<joseguard_pkcs11::Pkcs11Key>,
    /// For an HSM key, one permit per pooled session: a signature waits for one here, on the
    /// async side, before it takes a blocking thread (so overload queues here, bounded in
    /// time, and not as parked threads).
    pub slots: Option<Arc<tokio::sync::Semaphore>>,
}

impl SigningKey {
    /// True when it may sign at `now`.
    pub fn valid_at(&self, now: i64) -> bool {
        self.not_before.is_none_or(|nb| nb <= now) && self.not_after.is_none_or(|na| now < na)
    }

    /// False while its HSM is not answering.
    pub fn available(&self) -> bool {
        self.hsm.as_ref().is_none_or(|h| h.is_available())
    }
}

impl Signer {
    /// The key that signs at `now`: of those valid then, the one that became valid last (so a
    /// new key takes over at its `not_before` while the old one still runs to its `not_after`).
    pub fn current(&self, now: i64) -> Option<&SigningKey> {
        self.keys
            .iter()
            .filter(|k| k.valid_at(now))
            .max_by_key(|k| k.not_before.unwrap_or(i64::MIN))
    }
}

/// The terms on which a worker may be used.
pub struct Authorizer {
    /// The trusted authorization servers, rules, audiences, `typ`, lifetime and clock skew, as
    /// a bearer route.
    pub route: Route,
    /// The clock skew, in seconds.
    pub skew: u64,
    /// The hash of the submitted data must appear in a claim.
    pub binding: Option<Binding>,
    /// Each token accepted once.
    pub single_use: Option<SingleUse>,
    /// Header or attribute name, and the template that fills it from the claims.
    pub context: Vec<(String, Template)>,
    /// Context into a signed `attributes` object beside the document, rather than the header.
    pub context_in_payload: bool,
}

/// The hash of the submitted data must appear in a claim.
pub struct Binding {
    /// The claim's dotted path.
    pub claim: String,
    /// The hash function.
    pub hash: Sha2,
    /// How the claim writes the hash.
    pub encoding: Encoding,
}

/// Each token accepted once.
pub struct SingleUse {
    /// `memory` or a `redis://` URL; stores live in the server state so that reloads keep
    /// them.
    pub store: String,
    /// When the store is down: accept (true) or answer 503 (false, default).
    pub allow_when_down: bool,
}
