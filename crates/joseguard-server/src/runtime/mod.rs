//! The validated, typed configuration the server runs on: issuers with their keys and policy,
//! routes with their modes, rules and header mappings. Built once per (re)load; requests only read
//! it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use joseguard::jws::{Header, KeyResolver, Keys, Verifier, VerifyPolicy};
use joseguard::jwt::Validation;
use joseguard::{Jwk, JwsAlgorithm};
use joseguard_keys::{x5c, JwksSource, LocalJwks, RemoteConfig, RemoteJwks};

use crate::config::{self, duration, err, socket, ClaimHeader, ConfigError, KeyEntry};
use crate::rules::Rule;

/// Server-wide settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: std::net::SocketAddr,
    pub request_timeout: Duration,
    pub max_body_bytes: usize,
    pub realm: String,
    pub json_logs: bool,
    /// How request paths are canonicalised.
    pub paths: crate::target::PathOptions,
    /// Methods answered 405.
    pub refused_methods: Vec<axum::http::Method>,
    /// Connection limits.
    pub limits: crate::listener::Limits,
    /// The forward-auth endpoint, when configured.
    pub forward_auth: Option<ForwardAuth>,
    pub watch_interval: Duration,
    pub echo_backend: bool,
    pub cache_entries: usize,
    pub cache_ttl: Duration,
}

/// An issuer: who signs, with which keys and algorithms, and what its tokens must claim.
pub struct Issuer {
    pub name: String,
    pub iss: Option<String>,
    pub policy: VerifyPolicy,
    pub audiences: Vec<String>,
    pub leeway: u64,
    /// Keys by `kid` (with `default` for tokens without one), verified without I/O.
    pub by_kid: Arc<HashMap<String, Arc<Jwk>>>,
    /// `by_kid` as the verifier sees it: by kid, or the one key whatever the kid
    /// (`ignore_kid`).
    pub static_keys: Keys,
    /// A verifier over `static_keys`, built once.
    pub static_verifier: Verifier,
    /// A JWK Set file or URL, consulted for `kid`s not in `by_kid`.
    pub jwks: Option<JwksSource>,
    /// Certificate chains in `x5c`, when configured.
    pub x5c: Option<IssuerX5c>,
}

/// An issuer's `x5c` settings: the chain policy, and how the leaf relates to configured keys.
pub struct IssuerX5c {
    pub policy: x5c::X5cPolicy,
    /// Tokens without `x5c` are refused.
    pub require: bool,
    /// Any leaf that chains to an anchor may sign, whatever its key and the token's kid.
    pub trust_any_leaf: bool,
}

/// The forward-auth endpoint: its path and where the original request is described.
#[derive(Debug, Clone)]
pub struct ForwardAuth {
    pub path: String,
    pub original: Original,
}

/// Where forward-auth reads the original request's method and target.
#[derive(Debug, Clone)]
pub enum Original {
    /// In these two headers, each present exactly once.
    Headers {
        method: axum::http::HeaderName,
        uri: axum::http::HeaderName,
    },
    /// The request's own method, and its path after the endpoint's (Envoy `path_prefix`).
    Path,
}

/// Where a route's token is.
#[derive(Debug, Clone)]
pub enum TokenSource {
    /// `Authorization: Bearer`.
    Bearer,
    Header(String),
    Query(String),
    Cookie(String),
}

/// How a claim travels to the backend.
#[derive(Debug, Clone)]
pub struct ClaimHeaderRule {
    pub header: axum::http::HeaderName,
    pub claim: String,
    /// Arrays as a comma-separated list instead of JSON.
    pub comma: bool,
}

/// A route.
pub struct Route {
    pub path: String,
    pub issuers: Vec<Arc<Issuer>>,
    pub jose_body: bool,
    pub token: TokenSource,
    pub forward_payload: bool,
    pub allow_json: bool,
    pub typ: Vec<String>,
    pub cty: Vec<String>,
    pub crit: Vec<String>,
    pub require_exp: bool,
    pub rules: Option<Rule>,
    pub claim_headers: Vec<ClaimHeaderRule>,
    /// The claim headers' names as backends may read them ([`crate::proxy::equivalent_name`]):
    /// inbound headers with these names are removed.
    pub reserved_headers: Vec<String>,
    pub backend: Option<String>,
    /// Forward the token to the backend.
    pub forward_token: bool,
    /// Accepted audiences instead of the issuers' own (a worker's authorizer sets them).
    pub audiences: Option<Vec<String>>,
    /// Clock skew instead of the issuers' own leeway.
    pub leeway: Option<u64>,
    /// Tokens may live (`exp` - `iat`) at most this many seconds.
    pub max_lifetime: Option<u64>,
    /// Validate the payload as JWT claims (`exp`, `iss`, `aud`, ...). False for a validation
    /// worker that checks signed documents rather than tokens.
    pub check_claims: bool,
    /// Tokens this route verified recently (none for workers and when disabled).
    pub cache: Option<crate::decide::VerifiedCache>,
}

impl Route {
    /// A route that is not forwarded anywhere: a worker's authorizer (bearer token, JWT claims)
    /// or a validation worker's trust.
    pub fn internal(path: String, issuers: Vec<Arc<Issuer>>) -> Route {
        Route {
            path,
            issuers,
            jose_body: false,
            token: TokenSource::Bearer,
            forward_payload: false,
            allow_json: false,
            typ: config::default_typ()
                .iter()
                .map(|t| normalize_media_type(t))
                .collect(),
            cty: Vec::new(),
            crit: Vec::new(),
            require_exp: true,
            rules: None,
            claim_headers: Vec::new(),
            reserved_headers: Vec::new(),
            backend: None,
            forward_token: false,
            audiences: None,
            leeway: None,
            max_lifetime: None,
            check_claims: true,
            cache: None,
        }
    }
}

/// Everything a request needs.
pub struct Runtime {
    pub settings: Settings,
    pub backend: Option<String>,
    pub issuers: Vec<Arc<Issuer>>,
    pub routes: Vec<Route>,
    /// Signing and validation workers by name.
    pub workers: Vec<Arc<crate::worker::Worker>>,
}

impl Runtime {
    /// The worker named `name`.
    pub fn worker(&self, name: &str) -> Option<&Arc<crate::worker::Worker>> {
        self.workers.iter().find(|w| w.name == name)
    }

    /// The route with the longest matching path prefix.
    pub fn route(&self, path: &str) -> Option<&Route> {
        self.routes
            .iter()
            .filter(|r| {
                path == r.path
                    || path.starts_with(&format!("{}/", r.path.trim_end_matches('/')))
                    || r.path == "/"
            })
            .max_by_key(|r| r.path.len())
    }
}

/// Resolves `kid` (or `default` for tokens without one) in a fixed map.
pub struct KidMap(pub Arc<HashMap<String, Arc<Jwk>>>);

impl KeyResolver for KidMap {
    fn resolve(
        &self,
        protected: &Header,
        unprotected: Option<&Header>,
        _: JwsAlgorithm,
        _: &[u8],
    ) -> joseguard::Result<Vec<Arc<Jwk>>> {
        let kid = protected
            .kid()
            .or_else(|| unprotected.and_then(Header::kid));
        let key = self.0.get(kid.unwrap_or("default"));
        key.map(|k| vec![k.clone()])
            .ok_or_else(|| joseguard::Error::KidUnknown {
                kid: kid.map(str::to_owned),
            })
    }
}

pub(crate) fn resolve_path(base: &Path, p: &str) -> PathBuf {
    let p = Path::new(p);
    if p.is_absolute() {
        p.to_owned()
    } else {
        base.join(p)
    }
}

/// A key from its configuration entry. Private keys (PKCS#8, JWK with `d`) are reduced to their
/// public part: the gateway only verifies.
fn key_entry(key: &str, entry: &KeyEntry, base: &Path) -> Result<Jwk, ConfigError> {
    let parsed = match entry {
        KeyEntry::Text(text) => Jwk::from_text(text).map_err(|e| err(key, e))?,
        KeyEntry::Table(t) => match (&t.file, &t.spki, &t.jwk) {
            (Some(f), None, None) => {
                let path = resolve_path(base, f);
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| err(&format!("{key}.file"), format!("{}: {e}", path.display())))?;
                Jwk::from_text(&text).map_err(|e| err(&format!("{key}.file"), e))?
            }
            (None, Some(b64), None) => {
                // CZERTAINLY-style base64 SubjectPublicKeyInfo.
                let der = base64::engine::general_purpose::STANDARD
                    .decode(b64.split_whitespace().collect::<String>())
                    .map_err(|e| err(&format!("{key}.spki"), format!("not base64: {e}")))?;
                Jwk::from_der(&der).map_err(|e| err(&format!("{key}.spki"), e))?
            }
            (None, None, Some(v)) => {
                let json = serde_json::to_value(v).map_err(|e| err(&format!("{key}.jwk"), e))?;
                Jwk::from_value(&json).map_err(|e| err(&format!("{key}.jwk"), e))?
            }
            _ => return Err(err(key, "give exactly one of file, spki, jwk")),
        },
    };
    if parsed.key_type() == joseguard::KeyType::Oct {
        return Ok(parsed);
    }
    parsed.to_public().map_err(|e| err(key, e))
}

impl Runtime {
    /// Validates `file` (paths relative to `base`) into a runtime. Remote JWK Sets are not
    /// fetched here; [`warm_up`](Self::warm_up) does that.
    pub async fn build(file: config::File, base: &Path) -> Result<Runtime, ConfigError> {
        Runtime::build_with(file, base, true).await
    }

    /// [`build`](Self::build); with `persist_keys` false, a signing key that `generate` would
    /// create is made in memory only (a configuration check must not write key files).
    pub async fn build_with(
        file: config::File,
        base: &Path,
        persist_keys: bool,
    ) -> Result<Runtime, ConfigError> {
        let s = &file.server;
        let log_format = s.log_format.as_str();
        if log_format != "json" && log_format != "text" {
            return Err(err("server.log_format", "must be \"json\" or \"text\""));
        }
        let paths = crate::target::PathOptions {
            merge_slashes: s.merge_slashes,
        };
        let refused_methods = s
            .refused_methods
            .iter()
            .map(|m| {
                axum::http::Method::from_bytes(m.to_ascii_uppercase().as_bytes())
                    .map_err(|_| err("server.refused_methods", format!("{m:?} is not a method")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if s.max_connections == 0 {
            return Err(err("server.max_connections", "must be at least 1"));
        }
        let limits = crate::listener::Limits {
            max_connections: s.max_connections,
            header_read_timeout: positive("server.header_read_timeout", &s.header_read_timeout)?,
            idle_timeout: positive("server.idle_timeout", &s.idle_timeout)?,
        };
        let forward_auth = file
            .forward_auth
            .as_ref()
            .map(|f| forward_auth(f, paths))
            .transpose()?;
        let settings = Settings {
            listen: socket("server.listen", &s.listen)?,
            request_timeout: duration("server.request_timeout", &s.request_timeout)?,
            max_body_bytes: s.max_body_bytes,
            realm: s.realm.clone(),
            json_logs: log_format == "json",
            paths,
            refused_methods,
            limits,
            forward_auth,
            watch_interval: duration("server.watch_interval", &s.watch_interval)?,
            echo_backend: file.backend.echo,
            cache_entries: s.verified_token_cache,
            cache_ttl: duration(
                "server.verified_token_cache_ttl",
                &s.verified_token_cache_ttl,
            )?,
        };
        if let Some(url) = &file.backend.url {
            if file.backend.echo {
                return Err(err("backend", "set either url or echo = true, not both"));
            }
            check_url("backend.url", url)?;
        }
        let mut issuers: Vec<Arc<Issuer>> = Vec::new();
        for (i, raw) in file.issuers.iter().enumerate() {
            let key = format!("issuer[{i}] ({})", raw.name);
            if issuers.iter().any(|x| x.name == raw.name) {
                return Err(err(&key, "duplicate issuer name"));
            }
            issuers.push(Arc::new(build_issuer(&key, raw, base).await?));
        }
        for issuer in &issuers {
            if let Some(x) = &issuer.x5c {
                let o = x.policy.options();
                if o.check_revocation && o.crl_timeout >= settings.request_timeout {
                    return Err(err(
                        &format!("issuer ({}).x5c.crl_timeout", issuer.name),
                        "must be shorter than server.request_timeout, so that an unreachable CRL is answered 503, not 504",
                    ));
                }
            }
        }
        let mut routes = Vec::new();
        for (i, raw) in file.routes.iter().enumerate() {
            let key = format!("route[{i}] ({})", raw.path);
            let mut route = build_route(
                &key,
                raw,
                &issuers,
                file.backend.url.is_some() || file.backend.echo,
                paths,
            )?;
            if settings.cache_entries > 0 && !settings.cache_ttl.is_zero() {
                route.cache = Some(crate::decide::VerifiedCache::new(
                    settings.cache_entries,
                    settings.cache_ttl,
                ));
            }
            routes.push(route);
        }
        let workers = crate::worker::build_all(&file.workers, &issuers, base, persist_keys)?;
        if routes.is_empty() && workers.is_empty() {
            return Err(err(
                "route",
                "no [[route]] and no [[worker]]: add a route with path and issuers",
            ));
        }
        Ok(Runtime {
            settings,
            backend: file.backend.url.clone(),
            issuers,
            routes,
            workers,
        })
    }

    /// Fetches every remote JWK Set once; errors are logged (readiness reports them).
    pub async fn warm_up(&self) {
        for issuer in &self.issuers {
            if let Some(JwksSource::Remote(r)) = &issuer.jwks {
                if let Err(e) = r.warm_up().await {
                    tracing::warn!(issuer = %issuer.name, error = %e, "JWK Set not available yet");
                }
            }
        }
    }

    /// Ready when every issuer has keys to verify with.
    pub fn ready(&self) -> Result<(), String> {
        for issuer in &self.issuers {
            if let Some(JwksSource::Remote(r)) = &issuer.jwks {
                if r.stats().keys == 0 && issuer.by_kid.is_empty() {
                    return Err(format!(
                        "issuer {}: no keys yet from {}",
                        issuer.name,
                        r.url()
                    ));
                }
            }
        }
        Ok(())
    }
}

/// A duration that must not be zero.
fn positive(key: &str, text: &str) -> Result<Duration, ConfigError> {
    let d = duration(key, text)?;
    if d.is_zero() {
        return Err(err(key, "must be more than 0s"));
    }
    Ok(d)
}

fn forward_auth(
    raw: &config::ForwardAuth,
    paths: crate::target::PathOptions,
) -> Result<ForwardAuth, ConfigError> {
    use config::Integration;
    let path = canonical_route_path("forward_auth.path", &raw.path, paths)?;
    let header =
        |key: &str, name: &Option<String>| -> Result<axum::http::HeaderName, ConfigError> {
            let name = name.as_deref().ok_or_else(|| {
                err(
                    &format!("forward_auth.{key}"),
                    "integration \"headers\" needs uri_header and method_header",
                )
            })?;
            axum::http::HeaderName::try_from(name).map_err(|_| {
                err(
                    &format!("forward_auth.{key}"),
                    format!("{name:?} is not a header name"),
                )
            })
        };
    let fixed = |method: &'static str, uri: &'static str| Original::Headers {
        method: axum::http::HeaderName::from_static(method),
        uri: axum::http::HeaderName::from_static(uri),
    };
    if raw.integration != Integration::Headers
        && (raw.uri_header.is_some() || raw.method_header.is_some())
    {
        return Err(err(
            "forward_auth",
            "uri_header and method_header belong to integration = \"headers\"",
        ));
    }
    let original = match raw.integration {
        Integration::Nginx => fixed("x-original-method", "x-original-uri"),
        Integration::Traefik => fixed("x-forwarded-method", "x-forwarded-uri"),
        Integration::Envoy => Original::Path,
        Integration::Headers => Original::Headers {
            method: header("method_header", &raw.method_header)?,
            uri: header("uri_header", &raw.uri_header)?,
        },
    };
    Ok(ForwardAuth { path, original })
}

/// A configured path in its canonical form (routes are matched against canonical paths, so a
/// path written otherwise would never match).
fn canonical_route_path(
    key: &str,
    path: &str,
    paths: crate::target::PathOptions,
) -> Result<String, ConfigError> {
    let canonical = crate::target::Target::canonical_path(path, paths)
        .map_err(|e| err(key, format!("{path:?}: {e}")))?;
    if canonical != path {
        return Err(err(
            key,
            format!("{path:?} is not canonical: write {canonical:?}"),
        ));
    }
    Ok(canonical)
}

fn check_url(key: &str, url: &str) -> Result<(), ConfigError> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(err(
            key,
            format!("{url:?} must start with http:// or https://"),
        ));
    }
    Ok(())
}

async fn build_issuer(key: &str, raw: &config::Issuer, base: &Path) -> Result<Issuer, ConfigError> {
    if raw.algorithms.is_empty() {
        return Err(err(
            &format!("{key}.algorithms"),
            "must list at least one algorithm, e.g. [\"ES256\"]",
        ));
    }
    let algs = raw
        .algorithms
        .iter()
        .map(|a| {
            a.parse::<JwsAlgorithm>()
                .map_err(|e| err(&format!("{key}.algorithms"), e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let policy = VerifyPolicy::new(algs)
        .map_err(|e| err(&format!("{key}.algorithms"), e))?
        .allow_private_headers(raw.private_headers.iter().cloned());
    let mut by_kid = HashMap::new();
    for (kid, entry) in &raw.keys {
        by_kid.insert(
            kid.clone(),
            Arc::new(key_entry(&format!("{key}.keys.{kid}"), entry, base)?),
        );
    }
    let jwks = match (&raw.jwks_file, &raw.jwks_url) {
        (Some(_), Some(_)) => return Err(err(key, "set jwks_file or jwks_url, not both")),
        (Some(f), None) => {
            let path = resolve_path(base, f);
            Some(JwksSource::Local(Arc::new(
                LocalJwks::open(&path)
                    .await
                    .map_err(|e| err(&format!("{key}.jwks_file"), e))?,
            )))
        }
        (None, Some(u)) => Some(JwksSource::Remote(Arc::new(
            RemoteJwks::new(u, RemoteConfig::default())
                .map_err(|e| err(&format!("{key}.jwks_url"), e))?,
        ))),
        (None, None) => None,
    };
    let x5c = match &raw.x5c {
        None => None,
        Some(x) => {
            let k = format!("{key}.x5c.trust_anchors");
            if x.trust_anchors.is_empty() {
                return Err(err(
                    &k,
                    "list at least one PEM file of trusted certificates",
                ));
            }
            if !x.trust_any_leaf
                && raw.keys.is_empty()
                && raw.jwks_file.is_none()
                && raw.jwks_url.is_none()
            {
                return Err(err(
                    &format!("{key}.x5c"),
                    "x5c leaves are pinned to the issuer's keys by kid: add [issuer.keys] (or a JWK Set), or set trust_any_leaf = true to accept any leaf that chains to an anchor",
                ));
            }
            let mut ders = Vec::new();
            for f in &x.trust_anchors {
                let path = resolve_path(base, f);
                let bytes = std::fs::read(&path)
                    .map_err(|e| err(&k, format!("{}: {e}", path.display())))?;
                ders.extend(
                    x5c::load_pem_certs(&bytes)
                        .map_err(|e| err(&k, format!("{}: {e}", path.display())))?,
                );
            }
            let options = x5c::X5cOptions {
                check_validity: x.check_certificate_validity,
                check_revocation: x.check_certificate_revocation,
                revocation_fail_open: x.revocation_fail_open,
                crl_timeout: positive(&format!("{key}.x5c.crl_timeout"), &x.crl_timeout)?,
                crl_redirects: x.crl_redirects,
            };
            Some(IssuerX5c {
                policy: x5c::X5cPolicy::new(&ders, options).map_err(|e| err(&k, e))?,
                require: x.require,
                trust_any_leaf: x.trust_any_leaf,
            })
        }
    };
    if by_kid.is_empty() && jwks.is_none() && x5c.is_none() {
        return Err(err(
            key,
            "no keys: add [issuer.keys] entries, jwks_file, jwks_url or [issuer.x5c]",
        ));
    }
    if raw.ignore_kid && (by_kid.len() != 1 || jwks.is_some() || x5c.is_some()) {
        return Err(err(
            &format!("{key}.ignore_kid"),
            "needs exactly one key in [issuer.keys], and no JWK Set or x5c",
        ));
    }
    let by_kid = Arc::new(by_kid);
    let static_keys = match by_kid.values().next() {
        Some(only) if raw.ignore_kid => Keys::Single(only.clone()),
        _ => Keys::Resolver(Arc::new(KidMap(by_kid.clone()))),
    };
    let static_verifier = Verifier::new(policy.clone(), static_keys.clone());
    Ok(Issuer {
        name: raw.name.clone(),
        iss: raw.iss.clone(),
        policy,
        audiences: raw.audiences.clone(),
        leeway: duration(&format!("{key}.leeway"), &raw.leeway)?.as_secs(),
        by_kid,
        static_keys,
        static_verifier,
        jwks,
        x5c,
    })
}

fn build_route(
    key: &str,
    raw: &config::Route,
    issuers: &[Arc<Issuer>],
    has_default_backend: bool,
    paths: crate::target::PathOptions,
) -> Result<Route, ConfigError> {
    canonical_route_path(&format!("{key}.path"), &raw.path, paths)?;
    if raw.issuers.is_empty() {
        return Err(err(
            &format!("{key}.issuers"),
            "name at least one [[issuer]]",
        ));
    }
    let route_issuers = named_issuers(&format!("{key}.issuers"), &raw.issuers, issuers)?;
    let jose_body = match raw.mode.as_str() {
        "bearer" => false,
        "jose-body" => true,
        other => {
            return Err(err(
                &format!("{key}.mode"),
                format!("{other:?}: use \"bearer\" or \"jose-body\""),
            ))
        }
    };
    let forward_payload = match raw.forward.as_str() {
        "original" => false,
        "payload" => true,
        other => {
            return Err(err(
                &format!("{key}.forward"),
                format!("{other:?}: use \"original\" or \"payload\""),
            ))
        }
    };
    let t = &raw.token;
    let token = match (&t.header, &t.query, &t.cookie) {
        (None, None, None) => TokenSource::Bearer,
        (Some(h), None, None) if h.eq_ignore_ascii_case("authorization") => TokenSource::Bearer,
        (Some(h), None, None) => TokenSource::Header(h.clone()),
        (None, Some(q), None) => TokenSource::Query(q.clone()),
        (None, None, Some(c)) => TokenSource::Cookie(c.clone()),
        _ => {
            return Err(err(
                &format!("{key}.token"),
                "set one of header, query, cookie",
            ))
        }
    };
    if let Some(b) = &raw.backend {
        check_url(&format!("{key}.backend"), b)?;
    } else if !has_default_backend {
        return Err(err(
            key,
            "no backend: set [backend] url (or echo = true) or the route's backend",
        ));
    }
    let rules = raw
        .rules
        .as_ref()
        .map(|r| Rule::parse(&format!("{key}.rules"), r))
        .transpose()?;
    let mut claim_headers = Vec::new();
    for (name, spec) in &raw.claims_to_headers {
        let header = axum::http::HeaderName::try_from(name.as_str()).map_err(|_| {
            err(
                &format!("{key}.claims_to_headers"),
                format!("{name:?} is not a header name"),
            )
        })?;
        let (claim, comma) = match spec {
            ClaimHeader::Path(p) => (p.clone(), false),
            ClaimHeader::Table { claim, format } => match format.as_deref() {
                None | Some("json") => (claim.clone(), false),
                Some("comma") => (claim.clone(), true),
                Some(f) => {
                    return Err(err(
                        &format!("{key}.claims_to_headers.{name}.format"),
                        format!("{f:?}: use \"json\" or \"comma\""),
                    ))
                }
            },
        };
        let same = crate::proxy::equivalent_name(header.as_str());
        if crate::proxy::is_managed(&same) {
            return Err(err(
                &format!("{key}.claims_to_headers"),
                format!("{name:?} is a header the gateway manages itself; pick another name"),
            ));
        }
        if let Some(other) = claim_headers
            .iter()
            .find(|r: &&ClaimHeaderRule| crate::proxy::equivalent_name(r.header.as_str()) == same)
        {
            return Err(err(
                &format!("{key}.claims_to_headers"),
                format!(
                    "{name:?} and {:?} are the same header to backends that read _ as -",
                    other.header.as_str()
                ),
            ));
        }
        claim_headers.push(ClaimHeaderRule {
            header,
            claim,
            comma,
        });
    }
    Ok(Route {
        path: raw.path.clone(),
        issuers: route_issuers,
        jose_body,
        token,
        forward_payload,
        allow_json: raw.allow_json_serialization,
        typ: raw.typ.iter().map(|t| normalize_media_type(t)).collect(),
        cty: raw.cty.iter().map(|t| normalize_media_type(t)).collect(),
        crit: raw.crit.clone(),
        require_exp: raw.require_exp,
        rules,
        reserved_headers: claim_headers
            .iter()
            .map(|r| crate::proxy::equivalent_name(r.header.as_str()))
            .collect(),
        claim_headers,
        backend: raw.backend.clone(),
        forward_token: raw.forward_token,
        audiences: None,
        leeway: None,
        max_lifetime: None,
        check_claims: true,
        cache: None,
    })
}

/// The [[issuer]]s `names` refers to; `key` names the list in errors.
pub fn named_issuers(
    key: &str,
    names: &[String],
    issuers: &[Arc<Issuer>],
) -> Result<Vec<Arc<Issuer>>, ConfigError> {
    names
        .iter()
        .map(|name| {
            issuers
                .iter()
                .find(|i| &i.name == name)
                .cloned()
                .ok_or_else(|| err(key, format!("no [[issuer]] named {name:?}")))
        })
        .collect()
}

/// Lower case without an `application/` prefix (RFC 7515 §4.1.9-4.1.10 comparison).
pub fn normalize_media_type(t: &str) -> String {
    let t = t.to_ascii_lowercase();
    t.strip_prefix("application/")
        .map(str::to_owned)
        .unwrap_or(t)
}

impl Issuer {
    /// The leeway on `route`: the route's own (a worker's clock skew), else the issuer's.
    pub fn leeway_on(&self, route: &Route) -> u64 {
        route.leeway.unwrap_or(self.leeway)
    }

    /// The claim validation for a route.
    pub fn validation(&self, route: &Route) -> Validation {
        let mut v = Validation::new().leeway(self.leeway_on(route));
        if let Some(iss) = &self.iss {
            v = v.issuer(iss);
        }
        for aud in route.audiences.as_ref().unwrap_or(&self.audiences) {
            v = v.audience(aud);
        }
        if !route.require_exp {
            v = v.dangerous_allow_missing_exp();
        }
        if let Some(max) = route.max_lifetime {
            v = v.max_lifetime(max);
        }
        v
    }
}
