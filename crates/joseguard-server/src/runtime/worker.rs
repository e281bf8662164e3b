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

/// A signing worker's key and output.
pub struct Signer {
    /// The private key, with `kid` set.
    pub key: Arc<Jwk>,
    /// Its public JWK as published (`kid`, `use: sig`, `alg` when there is one algorithm).
    pub public: Value,
    /// The key's `kid`.
    pub kid: String,
    /// Offered algorithms; the first is the default.
    pub algorithms: Vec<JwsAlgorithm>,
    /// The serialization returned.
    pub output: Output,
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
