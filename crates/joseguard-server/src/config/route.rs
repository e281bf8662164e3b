//! `[[route]]` and `[forward_auth]` into the runtime: canonical paths, token sources, claim
//! headers, and for each accepted issuer a verifier and a claim validation built once.

use std::sync::Arc;

use joseguard::header::normalize_media_type;
use joseguard::jws::{Serialization, Verifier};
use joseguard::jwt::Validation;

use super::schema::{self, ClaimFormat, ClaimHeader, Integration};
use super::{check_url, err, named, ConfigError};
use crate::headers::{equivalent_name, is_managed};
use crate::runtime::{
    ClaimHeaderRule, ForwardAuth, Issuer, Keep, Mode, Original, Route, RouteIssuer, TokenSource,
    VerifiedCache,
};
use crate::target::{PathOptions, Target};

/// What a route asks of its issuers' tokens beyond the issuers' own settings.
pub(super) struct Expect<'a> {
    /// `crit` names the route's backend understands.
    pub crit: &'a [String],
    /// JSON serializations accepted too.
    pub allow_json: bool,
    /// The route's own leeway (a worker's clock skew) instead of the issuer's.
    pub leeway: Option<u64>,
    /// The route's own audiences (a worker's) instead of the issuer's.
    pub audiences: Option<&'a [String]>,
    /// `exp` required.
    pub require_exp: bool,
    /// The longest lifetime accepted, in seconds.
    pub max_lifetime: Option<u64>,
}

/// `issuer` as a route with `expect` accepts it: its policy, verifier and validation, once.
pub(super) fn route_issuer(issuer: &Arc<Issuer>, expect: &Expect<'_>) -> RouteIssuer {
    let mut policy = issuer.policy.clone();
    if !expect.crit.is_empty() {
        policy = policy.understand_crit(expect.crit.iter().cloned());
    }
    if !expect.allow_json {
        policy = policy.require_serialization(Serialization::Compact);
    }
    let leeway = expect.leeway.unwrap_or(issuer.leeway);
    let mut validation = Validation::new().leeway(leeway);
    if let Some(iss) = &issuer.iss {
        validation = validation.issuer(iss);
    }
    for aud in expect.audiences.unwrap_or(&issuer.audiences) {
        validation = validation.audience(aud);
    }
    if !expect.require_exp {
        validation = validation.dangerous().allow_missing_exp();
    }
    if let Some(max) = expect.max_lifetime {
        validation = validation.max_lifetime(max);
    }
    RouteIssuer {
        issuer: issuer.clone(),
        verifier: Verifier::new(policy.clone(), issuer.static_keys.clone()),
        policy,
        validation,
        leeway,
    }
}

/// A route from its table.
pub(super) fn build(
    key: &str,
    raw: &schema::Route,
    issuers: &[Arc<Issuer>],
    has_default_backend: bool,
    server: &schema::Server,
) -> Result<Route, ConfigError> {
    let paths = PathOptions {
        merge_slashes: server.merge_slashes,
    };
    canonical_path(&format!("{key}.path"), &raw.path, paths)?;
    if raw.issuers.is_empty() {
        return Err(err(
            &format!("{key}.issuers"),
            "name at least one [[issuer]]",
        ));
    }
    let accepted = named(
        &format!("{key}.issuers"),
        &raw.issuers,
        issuers,
        "[[issuer]]",
    )?;
    if let Some(b) = &raw.backend {
        check_url(&format!("{key}.backend"), b)?;
    } else if !has_default_backend {
        return Err(err(
            key,
            "no backend: set [backend] url (or echo = true) or the route's backend",
        ));
    }
    let claim_headers = claim_headers(key, &raw.claims_to_headers)?;
    let expect = Expect {
        crit: &raw.crit,
        allow_json: raw.allow_json_serialization,
        leeway: None,
        audiences: None,
        require_exp: raw.require_exp,
        max_lifetime: None,
    };
    let rules = raw
        .rules
        .as_ref()
        .map(|r| super::rules::parse(&format!("{key}.rules"), r))
        .transpose()?;
    let cache = (server.verified_token_cache > 0 && !server.verified_token_cache_ttl.is_zero())
        .then(|| VerifiedCache::new(server.verified_token_cache, server.verified_token_cache_ttl));
    Ok(Route {
        path: raw.path.clone(),
        issuers: accepted.iter().map(|i| route_issuer(i, &expect)).collect(),
        mode: match raw.mode {
            schema::Mode::Bearer => Mode::Bearer,
            schema::Mode::JoseBody => Mode::JoseBody {
                forward_payload: raw.forward == schema::Forward::Payload,
            },
        },
        token: token_source(key, &raw.token)?,
        allow_json: raw.allow_json_serialization,
        typ: raw.typ.iter().map(|t| normalize_media_type(t)).collect(),
        cty: raw.cty.iter().map(|t| normalize_media_type(t)).collect(),
        check_claims: true,
        require_exp: raw.require_exp,
        keep: Some(Keep::for_route(
            rules.as_ref(),
            &claim_headers,
            raw.forward == schema::Forward::Payload,
        )),
        rules,
        reserved_headers: claim_headers
            .iter()
            .map(|r| equivalent_name(r.header.as_str()))
            .collect(),
        claim_headers,
        backend: raw.backend.clone(),
        forward_token: raw.forward_token,
        cache,
    })
}

fn token_source(key: &str, t: &schema::TokenSource) -> Result<TokenSource, ConfigError> {
    Ok(match (&t.header, &t.query, &t.cookie) {
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
    })
}

/// The claim headers, refusing names the gateway manages and two spellings of one name.
fn claim_headers(
    key: &str,
    raw: &std::collections::BTreeMap<String, ClaimHeader>,
) -> Result<Vec<ClaimHeaderRule>, ConfigError> {
    let mut out: Vec<ClaimHeaderRule> = Vec::with_capacity(raw.len());
    let k = format!("{key}.claims_to_headers");
    for (name, spec) in raw {
        let header = axum::http::HeaderName::try_from(name.as_str())
            .map_err(|_| err(&k, format!("{name:?} is not a header name")))?;
        let same = equivalent_name(header.as_str());
        if is_managed(&same) {
            return Err(err(
                &k,
                format!("{name:?} is a header the gateway manages itself; pick another name"),
            ));
        }
        if let Some(other) = out
            .iter()
            .find(|r| equivalent_name(r.header.as_str()) == same)
        {
            return Err(err(
                &k,
                format!(
                    "{name:?} and {:?} are the same header to backends that read _ as -",
                    other.header.as_str()
                ),
            ));
        }
        let (claim, format) = match spec {
            ClaimHeader::Path(p) => (p.clone(), ClaimFormat::Json),
            ClaimHeader::Table { claim, format } => (claim.clone(), *format),
        };
        out.push(ClaimHeaderRule {
            header,
            claim,
            comma: format == ClaimFormat::Comma,
        });
    }
    Ok(out)
}

/// `[forward_auth]`.
pub(super) fn forward_auth(
    raw: &schema::ForwardAuth,
    paths: PathOptions,
) -> Result<ForwardAuth, ConfigError> {
    let path = canonical_path("forward_auth.path", &raw.path, paths)?;
    let header =
        |key: &str, name: &Option<String>| -> Result<axum::http::HeaderName, ConfigError> {
            let k = format!("forward_auth.{key}");
            let name = name.as_deref().ok_or_else(|| {
                err(
                    &k,
                    "integration \"headers\" needs uri_header and method_header",
                )
            })?;
            axum::http::HeaderName::try_from(name)
                .map_err(|_| err(&k, format!("{name:?} is not a header name")))
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
fn canonical_path(key: &str, path: &str, paths: PathOptions) -> Result<String, ConfigError> {
    let canonical =
        Target::canonical_path(path, paths).map_err(|e| err(key, format!("{path:?}: {e}")))?;
    if canonical != path {
        return Err(err(
            key,
            format!("{path:?} is not canonical: write {canonical:?}"),
        ));
    }
    Ok(canonical)
}
