//! The TOML configuration: its schema, and validation into the typed runtime with errors that name
//! the key at fault and the fix. See `docs/gateway.md` for every key with examples.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use serde::Deserialize;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    #[serde(default)]
    pub server: Server,
    #[serde(default)]
    pub backend: Backend,
    #[serde(default, rename = "issuer")]
    pub issuers: Vec<Issuer>,
    #[serde(default, rename = "route")]
    pub routes: Vec<Route>,
    /// Demo only: a signing key to print ready-made curl lines at start-up.
    pub quickstart: Option<Quickstart>,
    #[serde(default, rename = "worker")]
    pub workers: Vec<Worker>,
    /// The forward-auth decision endpoint; absent, there is none.
    pub forward_auth: Option<ForwardAuth>,
}

/// `[forward_auth]`: where the original request's method and URI come from. One integration,
/// one documented set of headers, no fallback from one header to another.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForwardAuth {
    /// Path of the endpoint.
    #[serde(default = "default_forward_auth_path")]
    pub path: String,
    /// `nginx` (`X-Original-Method`, `X-Original-URI`), `traefik` (`X-Forwarded-Method`,
    /// `X-Forwarded-Uri`), `envoy` (the request's own method, the path after `path`), or
    /// `headers` (the two names below).
    pub integration: Integration,
    /// `integration = "headers"`: the header holding the original request target.
    pub uri_header: Option<String>,
    /// `integration = "headers"`: the header holding the original method.
    pub method_header: Option<String>,
}

fn default_forward_auth_path() -> String {
    "/_joseguard/auth".into()
}

/// A forward-auth integration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Integration {
    Nginx,
    Traefik,
    Envoy,
    Headers,
}

/// `[[worker]]`: a signing or validation worker (docs/signing.md).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Worker {
    pub name: String,
    /// `signing` or `validation`.
    pub kind: String,
    /// Signing: the key file (JWK or PEM).
    pub key_file: Option<String>,
    /// Signing: generate the key with this spec (`EC:P-256`, `RSA:3072`, ...) when `key_file`
    /// does not exist yet, and keep it there.
    pub generate: Option<String>,
    /// Signing: algorithms offered; the first is the default.
    #[serde(default)]
    pub algorithms: Vec<String>,
    /// Signing: `kid` in outputs and the JWK Set (default: the RFC 7638 thumbprint).
    pub kid: Option<String>,
    /// Signing: `compact` (default), `flattened` or `detached` (unencoded, RFC 7797).
    #[serde(default = "default_output")]
    pub output: String,
    /// Validation: the [[issuer]]s and signing [[worker]]s whose signatures this worker checks.
    #[serde(default)]
    pub trust: Vec<String>,
    /// Validation: also validate the payload as JWT claims (`exp` required, `iss`, `aud`).
    #[serde(default)]
    pub check_claims: bool,
    pub authorizer: Option<Authorizer>,
}

fn default_output() -> String {
    "compact".into()
}

/// `[worker.authorizer]`: who may use the worker.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Authorizer {
    /// Trusted authorization servers: [[issuer]] names.
    pub servers: Vec<String>,
    /// Clock skew tolerated on exp/nbf/iat (CZERTAINLY MAX_ALLOWED_CLOCK_SCEW).
    #[serde(default = "default_skew")]
    pub clock_skew: String,
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
    /// When the replay store is unreachable: `refuse` (default, 503) or `allow`.
    #[serde(default = "default_refuse")]
    pub replay_store_unavailable: String,
    /// Claims copied into what is signed: name -> template such as "${sub} (${acr})", or
    /// `"all"` (CZERTAINLY's `CLAIMS_TO_CONTEXT = true`) for every claim under `claims`.
    #[serde(default)]
    pub claims_to_context: ClaimsToContext,
    /// Accepted `typ` values (case-insensitive, `application/` optional; an absent typ is
    /// accepted). Default `JWT` and RFC 9068 `at+jwt`.
    #[serde(default = "default_authorizer_typ")]
    pub typ: Vec<String>,
    /// Tokens living longer than this (`exp` - `iat`) are refused.
    pub max_token_lifetime: Option<String>,
    /// Where the context goes: `header` (protected header members, default) or `payload`
    /// (a signed attributes object next to the document).
    #[serde(default = "default_into")]
    pub context_into: String,
}

/// `claims_to_context`: templates by member name, or every claim.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum ClaimsToContext {
    /// `true` (every claim) or `false` (none), as CZERTAINLY writes it.
    Flag(bool),
    /// `"all"`.
    Word(String),
    /// `{ signer = "${sub} (${acr})" }`.
    Templates(BTreeMap<String, String>),
}

impl Default for ClaimsToContext {
    fn default() -> Self {
        ClaimsToContext::Templates(BTreeMap::new())
    }
}

fn default_authorizer_typ() -> Vec<String> {
    vec!["JWT".into(), "at+jwt".into()]
}

fn default_skew() -> String {
    "300s".into()
}
fn default_store() -> String {
    "memory".into()
}
fn default_refuse() -> String {
    "refuse".into()
}
fn default_into() -> String {
    "header".into()
}

/// `binding = { claim = "doc_hash", hash = "SHA-256", encoding = "base64url" }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Binding {
    pub claim: String,
    #[serde(default = "default_hash")]
    pub hash: String,
    /// `base64url` (default), `base64` or `hex`.
    #[serde(default = "default_encoding")]
    pub encoding: String,
}

fn default_hash() -> String {
    "SHA-256".into()
}
fn default_encoding() -> String {
    "base64url".into()
}

/// `[quickstart]`: at start-up, mint example tokens with this key and print curl lines. For
/// demonstrations: never put a production signing key on a gateway.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quickstart {
    pub signing_key: String,
    pub alg: String,
    pub iss: Option<String>,
    pub aud: Option<String>,
    /// Path the printed requests go to.
    #[serde(default = "default_quickstart_path")]
    pub path: String,
}

fn default_quickstart_path() -> String {
    "/api/hello".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Server {
    /// Address to listen on.
    pub listen: String,
    /// Whole-request timeout, backend included.
    pub request_timeout: String,
    /// Largest request body accepted (413 above).
    pub max_body_bytes: usize,
    /// `realm` of the `WWW-Authenticate` challenge.
    pub realm: String,
    /// `json` (default) or `text` access and audit logs.
    pub log_format: String,
    /// Merge `//` into `/` in request paths before routing and forwarding.
    pub merge_slashes: bool,
    /// Methods answered 405 whatever the route.
    pub refused_methods: Vec<String>,
    /// Open connections at most; at the limit a new one displaces the longest-idle one.
    pub max_connections: usize,
    /// Longest time a request head may take to arrive (slowloris).
    pub header_read_timeout: String,
    /// Longest time a kept-alive connection may stay without a request.
    pub idle_timeout: String,
    /// How often the config file is checked for changes (0 disables; SIGHUP always works).
    pub watch_interval: String,
    /// Tokens kept after verification, per route, so that a token presented again skips the
    /// signature check (0 disables). Entries never outlive `exp` or a reload.
    pub verified_token_cache: usize,
    /// How long a verified token is kept at most.
    pub verified_token_cache_ttl: String,
}

impl Default for Server {
    fn default() -> Self {
        Server {
            listen: "127.0.0.1:8080".into(),
            request_timeout: "30s".into(),
            max_body_bytes: 1 << 20,
            realm: "joseguard".into(),
            log_format: "json".into(),
            merge_slashes: true,
            refused_methods: vec!["TRACE".into(), "CONNECT".into()],
            max_connections: 4096,
            header_read_timeout: "10s".into(),
            idle_timeout: "60s".into(),
            watch_interval: "2s".into(),
            verified_token_cache: 10_000,
            verified_token_cache_ttl: "60s".into(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Backend {
    /// Where verified requests go (`http://host:port`).
    pub url: Option<String>,
    /// Start the embedded echo backend on a free loopback port and send requests there.
    pub echo: bool,
}

/// A key: an OpenSSH line, PEM text, a JWK object, or a table naming a file or base64 SPKI.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum KeyEntry {
    /// `ssh-rsa AAAA...`, `-----BEGIN ...`, or `{"kty":...}` as a string.
    Text(String),
    /// `{ file = "..." }`, `{ spki = "MIIB..." }` or `{ jwk = { ... } }`.
    Table(KeyTable),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyTable {
    pub file: Option<String>,
    pub spki: Option<String>,
    pub jwk: Option<toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Issuer {
    /// A name routes refer to.
    pub name: String,
    /// Expected `iss` (exact); also picks the issuer when a route accepts several.
    pub iss: Option<String>,
    /// Allowed algorithms (required, non-empty).
    pub algorithms: Vec<String>,
    /// Accepted audiences (any-of); empty accepts any.
    #[serde(default)]
    pub audiences: Vec<String>,
    /// Clock skew tolerated.
    #[serde(default = "default_leeway")]
    pub leeway: String,
    /// Keys by `kid`; `default` serves tokens without a `kid`.
    #[serde(default)]
    pub keys: BTreeMap<String, KeyEntry>,
    /// A JWK Set file (reloaded when it changes).
    pub jwks_file: Option<String>,
    /// A JWK Set URL (https, or http to loopback).
    pub jwks_url: Option<String>,
    /// Private header names accepted in tokens.
    #[serde(default)]
    pub private_headers: Vec<String>,
    /// Verify every token with the one key in `keys`, whatever its `kid` says (CZERTAINLY's
    /// authorizer does not look at `kid`).
    #[serde(default)]
    pub ignore_kid: bool,
    /// Certificate chains in the `x5c` header, validated to trust anchors.
    pub x5c: Option<X5c>,
}

/// `[issuer.x5c]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct X5c {
    /// PEM files of trusted root (or intermediate) certificates.
    pub trust_anchors: Vec<String>,
    /// Check notBefore/notAfter (default true).
    #[serde(default = "yes")]
    pub check_certificate_validity: bool,
    /// Check the leaf against CRLs from its CRL Distribution Points (default false).
    #[serde(default)]
    pub check_certificate_revocation: bool,
    /// When no CRL can be had: refuse with 503 (false, default) or allow (true).
    #[serde(default)]
    pub revocation_fail_open: bool,
    /// Refuse tokens without `x5c` (default false: they are verified with `keys` by `kid`).
    #[serde(default)]
    pub require: bool,
    /// Timeout for fetching a CRL.
    #[serde(default = "default_crl_timeout")]
    pub crl_timeout: String,
    /// Redirects a CRL fetch may follow (default 0: none).
    #[serde(default)]
    pub crl_redirects: usize,
    /// Accept any leaf that chains to an anchor, whatever its key (default false: the leaf's key
    /// must be the issuer's configured key for the token's kid, or for `default` without one).
    #[serde(default)]
    pub trust_any_leaf: bool,
}

fn default_crl_timeout() -> String {
    "5s".into()
}

fn default_leeway() -> String {
    "60s".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Path prefix this route serves (longest prefix wins).
    pub path: String,
    /// Issuers whose tokens are accepted.
    pub issuers: Vec<String>,
    /// `bearer` (token beside the request) or `jose-body` (the body is the JWS).
    #[serde(default = "default_mode")]
    pub mode: String,
    /// Where a bearer token is read from (default: `Authorization: Bearer`).
    #[serde(default)]
    pub token: TokenSource,
    /// `jose-body`: forward the `original` request or the verified `payload`.
    #[serde(default = "default_forward")]
    pub forward: String,
    /// `jose-body`: also accept flattened and general JSON serializations.
    #[serde(default)]
    pub allow_json_serialization: bool,
    /// Accepted `typ` values (case-insensitive; absent `typ` is accepted).
    #[serde(default = "default_typ")]
    pub typ: Vec<String>,
    /// Accepted `cty` values (case-insensitive); empty accepts any.
    #[serde(default)]
    pub cty: Vec<String>,
    /// `crit` names this route's backend understands.
    #[serde(default)]
    pub crit: Vec<String>,
    /// Require `exp` (default true).
    #[serde(default = "yes")]
    pub require_exp: bool,
    /// Rules over the claims (403 when they deny).
    pub rules: Option<toml::Value>,
    /// Upstream header name → claim path (`sub`, `realm_access.roles`) or table.
    #[serde(default)]
    pub claims_to_headers: BTreeMap<String, ClaimHeader>,
    /// Backend for this route (default: `[backend]`).
    pub backend: Option<String>,
    /// Forward the token itself to the backend (default false: the backend gets the claims it
    /// is given in headers, not a credential it could replay).
    #[serde(default)]
    pub forward_token: bool,
}

fn default_mode() -> String {
    "bearer".into()
}

fn default_forward() -> String {
    "original".into()
}

pub fn default_typ() -> Vec<String> {
    vec!["JOSE".into(), "JOSE+JSON".into(), "JWT".into()]
}

fn yes() -> bool {
    true
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSource {
    pub header: Option<String>,
    pub query: Option<String>,
    pub cookie: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ClaimHeader {
    Path(String),
    Table {
        claim: String,
        format: Option<String>,
    },
}

/// A configuration error: the key at fault and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

pub fn err(key: &str, problem: impl std::fmt::Display) -> ConfigError {
    ConfigError(format!("{key}: {problem}"))
}

/// Parses a duration such as `30s`, `5m` or `1h30m`.
pub fn duration(key: &str, text: &str) -> Result<Duration, ConfigError> {
    humantime::parse_duration(text)
        .map_err(|e| err(key, format!("{e} (write e.g. \"30s\" or \"5m\")")))
}

pub fn socket(key: &str, text: &str) -> Result<SocketAddr, ConfigError> {
    text.parse().map_err(|_| {
        err(
            key,
            format!("{text:?} is not an address (write e.g. \"127.0.0.1:8080\")"),
        )
    })
}

/// Parses the file's text.
pub fn parse(text: &str) -> Result<File, ConfigError> {
    toml::from_str(text).map_err(|e| ConfigError(format!("configuration: {e}")))
}
