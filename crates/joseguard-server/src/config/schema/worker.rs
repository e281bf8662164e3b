//! `[[worker]]` tables (docs/signing.md): signing and validation workers, their keys and
//! authorizers.

use std::collections::BTreeMap;
use std::time::Duration;

use joseguard::{JwsAlgorithm, Sha2};
use serde::Deserialize;

use super::{duration, from_str, optional_duration, secs, vec_from_str};
use crate::runtime::{Encoding, Output};

/// `[[worker]]`: a signing or validation worker (docs/signing.md).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Worker {
    /// The URL path segment.
    pub name: String,
    /// Signing or validation.
    pub kind: WorkerKind,
    /// Signing: the key file (JWK or PEM).
    pub key_file: Option<String>,
    /// Signing: generate the key with this spec (`EC:P-256`, `RSA:3072`, ...) when `key_file`
    /// does not exist yet, and keep it there.
    pub generate: Option<String>,
    /// Signing: a key in an HSM, by PKCS#11 URI (RFC 7512).
    pub key: Option<String>,
    /// Signing: the PKCS#11 module (`.so`) of `key`s.
    pub pkcs11_module: Option<String>,
    /// Signing: the file holding the token's user PIN.
    pub pin_file: Option<String>,
    /// Signing: the environment variable holding the PIN.
    pub pin_env: Option<String>,
    /// Signing: PKCS#11 sessions per key, the signing concurrency (default 4).
    #[serde(default = "default_sessions")]
    pub sessions: usize,
    /// Signing: the signer's certificate chain (PEM, leaf first), named in each signature.
    pub certificate_chain: Option<String>,
    /// Signing: how the certificate is named: `x5c` (the chain) or `x5t#S256`.
    #[serde(default)]
    pub certificate_header: Option<CertificateHeader>,
    /// Signing: warn when a certificate expires within this (default 30 days).
    #[serde(default = "default_certificate_warn", deserialize_with = "duration")]
    pub certificate_warn: Duration,
    /// Signing: several keys, each valid for a time (rotation); instead of the single-key
    /// settings.
    #[serde(default)]
    pub keys: Vec<WorkerKey>,
    /// Signing: algorithms offered; the first is the default.
    #[serde(default, deserialize_with = "vec_from_str")]
    pub algorithms: Vec<JwsAlgorithm>,
    /// Signing: `kid` in outputs and the JWK Set (default: the RFC 7638 thumbprint).
    pub kid: Option<String>,
    /// Signing: the serialization returned.
    #[serde(default)]
    pub output: Output,
    /// Validation: the `[[issuer]]`s and signing `[[worker]]`s whose signatures this worker checks.
    #[serde(default)]
    pub trust: Vec<String>,
    /// Validation: also validate the payload as JWT claims (`exp` required, `iss`, `aud`).
    #[serde(default)]
    pub check_claims: bool,
    /// Who may use the worker.
    pub authorizer: Option<Authorizer>,
}

/// `[[worker.keys]]`: one key of a rotating signing worker.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerKey {
    /// Its `kid` (default: the RFC 7638 thumbprint).
    pub kid: Option<String>,
    /// A key file (JWK or PEM).
    pub key_file: Option<String>,
    /// Generate into `key_file` when missing.
    pub generate: Option<String>,
    /// A PKCS#11 URI.
    pub key: Option<String>,
    /// Its certificate chain (PEM, leaf first).
    pub certificate_chain: Option<String>,
    /// It signs from this instant (RFC 3339); absent: always.
    pub not_before: Option<String>,
    /// It signs until this instant (RFC 3339); absent: always.
    pub not_after: Option<String>,
}

/// How a signature names the signer's certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum CertificateHeader {
    /// `x5c`: the chain (the default).
    #[serde(rename = "x5c")]
    X5c,
    /// `x5t#S256`: the leaf's SHA-256 thumbprint.
    #[serde(rename = "x5t#S256")]
    X5tS256,
}

fn default_sessions() -> usize {
    4
}

fn default_certificate_warn() -> Duration {
    secs(30 * 86_400)
}

/// A worker's `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WorkerKind {
    /// Signs with its key.
    Signing,
    /// Verifies submitted JWS.
    Validation,
}

/// `[worker.authorizer]`: who may use the worker.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Authorizer {
    /// Trusted authorization servers: `[[issuer]]` names.
    pub servers: Vec<String>,
    /// Clock skew tolerated on exp/nbf/iat (CZERTAINLY MAX_ALLOWED_CLOCK_SCEW).
    #[serde(default = "default_skew", deserialize_with = "duration")]
    pub clock_skew: Duration,
    /// Accepted audiences; a token without aud is refused when set.
    #[serde(default)]
    pub audiences: Vec<String>,
    /// Rules over the claims.
    pub rules: Option<toml::Value>,
    /// The hash of the submitted data must appear in this claim.
    pub binding: Option<Binding>,
    /// Each token is accepted once (jti required).
    #[serde(default)]
    pub single_use: bool,
    /// `memory` (default) or a `redis://` URL shared by several instances.
    #[serde(default = "default_store")]
    pub replay_store: String,
    /// When the replay store is unreachable.
    #[serde(default)]
    pub replay_store_unavailable: WhenStoreDown,
    /// Claims copied into what is signed: name -> template such as "${sub} (${acr})", or
    /// `"all"` (CZERTAINLY's `CLAIMS_TO_CONTEXT = true`) for every claim under `claims`.
    #[serde(default)]
    pub claims_to_context: ClaimsToContext,
    /// Accepted `typ` values (default `JWT` and RFC 9068 `at+jwt`).
    #[serde(default = "default_authorizer_typ")]
    pub typ: Vec<String>,
    /// Tokens living longer than this (`exp` - `iat`) are refused.
    #[serde(default, deserialize_with = "optional_duration")]
    pub max_token_lifetime: Option<Duration>,
    /// Where the context goes.
    #[serde(default)]
    pub context_into: ContextInto,
}

fn default_skew() -> Duration {
    secs(300)
}

fn default_store() -> String {
    "memory".into()
}

fn default_authorizer_typ() -> Vec<String> {
    vec!["JWT".into(), "at+jwt".into()]
}

/// `replay_store_unavailable`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WhenStoreDown {
    /// 503 (the default).
    #[default]
    Refuse,
    /// Accept, counted.
    Allow,
}

/// `context_into`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContextInto {
    /// Protected header members.
    #[default]
    Header,
    /// A signed attributes object next to the document.
    Payload,
}

/// `claims_to_context`: templates by member name, or every claim.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum ClaimsToContext {
    /// `true` (every claim) or `false` (none), as CZERTAINLY writes it.
    Flag(bool),
    /// `"all"`.
    Word(AllClaims),
    /// `{ signer = "${sub} (${acr})" }`.
    Templates(BTreeMap<String, String>),
}

/// The word `all`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AllClaims {
    /// Every claim.
    All,
}

impl Default for ClaimsToContext {
    fn default() -> Self {
        ClaimsToContext::Templates(BTreeMap::new())
    }
}

/// `binding = { claim = "doc_hash", hash = "SHA-256", encoding = "base64url" }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Binding {
    /// The claim's dotted path.
    pub claim: String,
    #[serde(default = "default_hash", deserialize_with = "from_str")]
    /// The hash function.
    pub hash: Sha2,
    #[serde(default)]
    /// How the claim writes the hash.
    pub encoding: Encoding,
}

fn default_hash() -> Sha2 {
    Sha2::Sha256
}
