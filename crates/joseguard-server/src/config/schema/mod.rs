//! The TOML schema, typed: closed sets are enums, durations are durations, algorithms are
//! algorithms, so that a typo fails at the line where it stands (toml reports the position).
//! `docs/gateway.md` and `docs/signing.md` describe every key.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use joseguard::JwsAlgorithm;
use serde::{Deserialize, Deserializer};
use toml::Spanned;

pub use crate::runtime::{Encoding, Output};

mod worker;

pub use worker::*;

/// A value parsed from its text with `FromStr`, the parser's message becoming the error.
fn from_str<'de, D: Deserializer<'de>, T: FromStr>(d: D) -> Result<T, D::Error>
where
    T::Err: std::fmt::Display,
{
    String::deserialize(d)?
        .parse()
        .map_err(serde::de::Error::custom)
}

/// A list of values parsed from their texts.
fn vec_from_str<'de, D: Deserializer<'de>, T: FromStr>(d: D) -> Result<Vec<T>, D::Error>
where
    T::Err: std::fmt::Display,
{
    Vec::<String>::deserialize(d)?
        .into_iter()
        .map(|t| t.parse().map_err(serde::de::Error::custom))
        .collect()
}

/// A duration such as `30s`, `5m` or `1h30m`.
fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    humantime::parse_duration(&text)
        .map_err(|e| serde::de::Error::custom(format!("{e} (write e.g. \"30s\" or \"5m\")")))
}

fn optional_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    duration(d).map(Some)
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    #[serde(default)]
    /// `[server]`.
    pub server: Server,
    #[serde(default)]
    /// `[backend]`.
    pub backend: Backend,
    #[serde(default, rename = "issuer")]
    /// `[[issuer]]` tables.
    pub issuers: Vec<Spanned<Issuer>>,
    #[serde(default, rename = "route")]
    /// `[[route]]` tables.
    pub routes: Vec<Spanned<Route>>,
    /// Demo only: a signing key to print ready-made curl lines at start-up.
    pub quickstart: Option<Quickstart>,
    #[serde(default, rename = "worker")]
    /// `[[worker]]` tables.
    pub workers: Vec<Spanned<Worker>>,
    /// The forward-auth decision endpoint; absent, there is none.
    pub forward_auth: Option<ForwardAuth>,
}

/// `[server]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Server {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Whole-request timeout, backend included.
    #[serde(deserialize_with = "duration")]
    pub request_timeout: Duration,
    /// Largest request body accepted (413 above).
    pub max_body_bytes: usize,
    /// `realm` of the `WWW-Authenticate` challenge.
    pub realm: String,
    /// Access and audit log format.
    pub log_format: LogFormat,
    /// Merge `//` into `/` in request paths before routing and forwarding.
    pub merge_slashes: bool,
    /// Methods answered 405 whatever the route.
    #[serde(deserialize_with = "vec_from_str")]
    pub refused_methods: Vec<axum::http::Method>,
    /// Open connections at most; at the limit a new one displaces the longest-idle one.
    pub max_connections: usize,
    /// Longest time a request head may take to arrive (slowloris).
    #[serde(deserialize_with = "duration")]
    pub header_read_timeout: Duration,
    /// Longest time a kept-alive connection may stay without a request.
    #[serde(deserialize_with = "duration")]
    pub idle_timeout: Duration,
    /// How often the config file is checked for changes (0 disables; SIGHUP always works).
    #[serde(deserialize_with = "duration")]
    pub watch_interval: Duration,
    /// Tokens kept after verification, per route (0 disables).
    pub verified_token_cache: usize,
    /// How long a verified token is kept at most.
    #[serde(deserialize_with = "duration")]
    pub verified_token_cache_ttl: Duration,
}

impl Default for Server {
    fn default() -> Self {
        Server {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            request_timeout: secs(30),
            max_body_bytes: 1 << 20,
            realm: "joseguard".into(),
            log_format: LogFormat::Json,
            merge_slashes: true,
            refused_methods: vec![axum::http::Method::TRACE, axum::http::Method::CONNECT],
            max_connections: 4096,
            header_read_timeout: secs(10),
            idle_timeout: secs(60),
            watch_interval: secs(2),
            verified_token_cache: 10_000,
            verified_token_cache_ttl: secs(60),
        }
    }
}

/// `log_format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// JSON lines.
    Json,
    /// Human-readable lines.
    Text,
}

/// `[backend]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Backend {
    /// Where verified requests go (`http://host:port`).
    pub url: Option<String>,
    /// Start the embedded echo backend on a free loopback port and send requests there.
    pub echo: bool,
    /// Backend connections at most (in use and idle); a request beyond waits for one, within
    /// its `request_timeout`. Read at start.
    pub max_connections: usize,
}

impl Default for Backend {
    fn default() -> Self {
        Backend {
            url: None,
            echo: false,
            max_connections: 256,
        }
    }
}

/// `[forward_auth]`: where the original request's method and URI come from. One integration,
/// one documented set of headers, no fallback from one header to another.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForwardAuth {
    /// Path of the endpoint.
    #[serde(default = "default_forward_auth_path")]
    pub path: String,
    /// Where the original request is read.
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
    /// `X-Original-Method`, `X-Original-URI`.
    Nginx,
    /// `X-Forwarded-Method`, `X-Forwarded-Uri`.
    Traefik,
    /// The request's own method; the path after the endpoint's.
    Envoy,
    /// `method_header`, `uri_header`.
    Headers,
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

/// `{ file = "..." }`, `{ spki = "..." }` or `{ jwk = { ... } }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyTable {
    /// A file: JWK, PEM or OpenSSH.
    pub file: Option<String>,
    /// Base64 SubjectPublicKeyInfo.
    pub spki: Option<String>,
    /// A JWK as a TOML table.
    pub jwk: Option<toml::Value>,
}

/// `[[issuer]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Issuer {
    /// A name routes refer to.
    pub name: String,
    /// Expected `iss` (exact); also picks the issuer when a route accepts several.
    pub iss: Option<String>,
    /// Allowed algorithms (required, non-empty).
    #[serde(deserialize_with = "vec_from_str")]
    pub algorithms: Vec<JwsAlgorithm>,
    /// Accepted audiences (any-of); empty accepts any.
    #[serde(default)]
    pub audiences: Vec<String>,
    /// Clock skew tolerated.
    #[serde(default = "default_leeway", deserialize_with = "duration")]
    pub leeway: Duration,
    /// Keys by `kid`; `default` serves tokens without a `kid`.
    #[serde(default)]
    pub keys: BTreeMap<String, KeyEntry>,
    /// A JWK Set file (reloaded when it changes).
    pub jwks_file: Option<String>,
    /// A JWK Set URL (https, or http to loopback).
    pub jwks_url: Option<String>,
    /// An OpenID provider's issuer URL: its JWK Set from its discovery document.
    pub discovery: Option<String>,
    /// Private header names accepted in tokens.
    #[serde(default)]
    pub private_headers: Vec<String>,
    /// Verify every token with the one key in `keys`, whatever its `kid` says.
    #[serde(default)]
    pub ignore_kid: bool,
    /// Certificate chains in the `x5c` header, validated to trust anchors.
    pub x5c: Option<X5c>,
}

fn default_leeway() -> Duration {
    secs(60)
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
    /// Check CRLs (default false).
    #[serde(default)]
    pub check_certificate_revocation: bool,
    /// When no CRL can be had: refuse with 503 (false, default) or allow (true).
    #[serde(default)]
    pub revocation_fail_open: bool,
    /// Refuse tokens without `x5c`.
    #[serde(default)]
    pub require: bool,
    /// Timeout for fetching a CRL.
    #[serde(default = "default_crl_timeout", deserialize_with = "duration")]
    pub crl_timeout: Duration,
    /// Redirects a CRL fetch may follow.
    #[serde(default)]
    pub crl_redirects: usize,
    /// Accept any leaf that chains to an anchor, whatever its key.
    #[serde(default)]
    pub trust_any_leaf: bool,
}

fn default_crl_timeout() -> Duration {
    secs(5)
}

fn yes() -> bool {
    true
}

/// `[[route]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Path prefix this route serves (longest prefix wins).
    pub path: String,
    /// Issuers whose tokens are accepted.
    pub issuers: Vec<String>,
    /// Where the token is.
    #[serde(default)]
    pub mode: Mode,
    /// Where a bearer token is read from (default: `Authorization: Bearer`).
    #[serde(default)]
    pub token: TokenSource,
    /// `jose-body`: forward the original request or the verified payload.
    #[serde(default)]
    pub forward: Forward,
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
    /// Forward the token itself to the backend (default false).
    #[serde(default)]
    pub forward_token: bool,
}

/// A route's `mode`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// The token beside the request.
    #[default]
    Bearer,
    /// The body is the JWS.
    JoseBody,
}

/// A JOSE-body route's `forward`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Forward {
    /// The request as received.
    #[default]
    Original,
    /// The verified payload, with `Content-Type` from `cty`.
    Payload,
}

/// The default `typ` allowlist of a route.
pub fn default_typ() -> Vec<String> {
    vec!["JOSE".into(), "JOSE+JSON".into(), "JWT".into()]
}

/// `token = { header = ... }` (or `query`, `cookie`).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSource {
    /// A header.
    pub header: Option<String>,
    /// A query parameter.
    pub query: Option<String>,
    /// A cookie.
    pub cookie: Option<String>,
}

/// A claim header: a claim path, or a table with a format.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ClaimHeader {
    /// The claim's dotted path.
    Path(String),
    /// A claim with a format.
    Table {
        /// The claim's dotted path.
        claim: String,
        #[serde(default)]
        /// How arrays are written.
        format: ClaimFormat,
    },
}

/// How an array claim travels in a header.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClaimFormat {
    /// As JSON.
    #[default]
    Json,
    /// As `a,b`.
    Comma,
}

/// `[quickstart]`: at start-up, mint example tokens with this key and print curl lines. For
/// demonstrations: never put a production signing key on a gateway.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quickstart {
    /// The demo signing key file.
    pub signing_key: String,
    #[serde(deserialize_with = "from_str")]
    /// Its algorithm.
    pub alg: JwsAlgorithm,
    /// `iss` of the demo tokens.
    pub iss: Option<String>,
    /// `aud` of the demo tokens.
    pub aud: Option<String>,
    /// Path the printed requests go to.
    #[serde(default = "default_quickstart_path")]
    pub path: String,
}

fn default_quickstart_path() -> String {
    "/api/hello".into()
}
