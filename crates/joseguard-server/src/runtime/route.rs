//! Routes: what a path requires, and each accepted issuer with its verifier and claim
//! validation, built once.

use std::sync::Arc;

use joseguard::jws::{Verifier, VerifyPolicy};
use joseguard::jwt::Validation;

use super::{Issuer, VerifiedCache};
use crate::claims::rules::Rule;

/// One issuer as one route accepts it: the verification policy (the issuer's algorithms, the
/// route's `crit` names and serialization), a verifier over the issuer's static keys, and the
/// claim validation, all built once per load.
pub struct RouteIssuer {
    /// The issuer.
    pub issuer: Arc<Issuer>,
    /// The route's policy for this issuer.
    pub policy: VerifyPolicy,
    /// `policy` over the issuer's static keys.
    pub verifier: Verifier,
    /// What the claims must satisfy on this route.
    pub validation: Validation,
    /// The leeway of `validation`, in seconds.
    pub leeway: u64,
}

/// The forward-auth endpoint: its path and where the original request is described.
#[derive(Debug, Clone)]
pub struct ForwardAuth {
    /// Canonical path of the endpoint.
    pub path: String,
    /// Where the original request's method and target are read.
    pub original: Original,
}

/// Where forward-auth reads the original request's method and target.
#[derive(Debug, Clone)]
pub enum Original {
    /// In these two headers, each present exactly once.
    Headers {
        /// The original method.
        method: axum::http::HeaderName,
        /// The original request target.
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
    /// This header.
    Header(String),
    /// This query parameter.
    Query(String),
    /// This cookie.
    Cookie(String),
}

/// How a claim travels to the backend.
#[derive(Debug, Clone)]
pub struct ClaimHeaderRule {
    /// The upstream header.
    pub header: axum::http::HeaderName,
    /// The claim's dotted path.
    pub claim: String,
    /// Arrays as a comma-separated list instead of JSON.
    pub comma: bool,
}

/// How a route's token comes and what the request is (JOSE body or bearer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The token travels beside the request.
    Bearer,
    /// The body is the JWS; `forward_payload` sends the verified payload instead of the request.
    JoseBody {
        /// Forward the verified payload (true) or the original request.
        forward_payload: bool,
    },
}

/// A route (or a worker's authorizer, which is a route that is not forwarded).
pub struct Route {
    /// The path prefix, canonical; the metrics label.
    pub path: String,
    /// The accepted issuers with their verifiers.
    pub issuers: Vec<RouteIssuer>,
    /// Bearer or JOSE body.
    pub mode: Mode,
    /// Where a bearer token is.
    pub token: TokenSource,
    /// Flattened and general JSON serializations accepted too.
    pub allow_json: bool,
    /// Accepted `typ` values, normalised (empty: any).
    pub typ: Vec<String>,
    /// Accepted `cty` values, normalised (empty: any).
    pub cty: Vec<String>,
    /// Validate the payload as JWT claims. False for a validation worker that checks signed
    /// documents rather than tokens.
    pub check_claims: bool,
    /// `exp` required.
    pub require_exp: bool,
    /// Rules over the claims.
    pub rules: Option<Rule>,
    /// Claims copied into upstream headers.
    pub claim_headers: Vec<ClaimHeaderRule>,
    /// The claim headers' names as backends may read them (`_` and `-` alike): inbound headers
    /// with these names are removed.
    pub reserved_headers: Vec<String>,
    /// The route's own backend.
    pub backend: Option<String>,
    /// Forward the token to the backend.
    pub forward_token: bool,
    /// Tokens this route verified recently (none for workers and when disabled).
    pub cache: Option<VerifiedCache>,
    /// What of an accepted token the route keeps (`None`: all of it, as workers need).
    pub keep: Option<Keep>,
}

/// What of an accepted token a route reads after the decision: the claims its rules, claim
/// headers and audit line name, and the payload only when it forwards it. The rest is dropped
/// before the token is judged by the rules or cached, so a cache entry holds what is used and
/// a cached token is judged on exactly what a fresh one is.
#[derive(Debug, Clone)]
pub struct Keep {
    /// Top-level claim names (a dotted path keeps its first segment and itself).
    pub claims: Vec<String>,
    /// The payload is forwarded (JOSE body mode with `forward = "payload"`).
    pub payload: bool,
}

impl Keep {
    /// What a route with these rules and claim headers reads (plus `iss`, `sub`, `jti` for the
    /// audit line).
    pub fn for_route(rules: Option<&Rule>, headers: &[ClaimHeaderRule], payload: bool) -> Keep {
        let mut paths = vec!["iss", "sub", "jti"];
        if let Some(r) = rules {
            r.claim_paths(&mut paths);
        }
        paths.extend(headers.iter().map(|h| h.claim.as_str()));
        let mut claims: Vec<String> = paths
            .iter()
            .flat_map(|p| [*p, p.split('.').next().unwrap_or(p)])
            .map(str::to_owned)
            .collect();
        claims.sort();
        claims.dedup();
        Keep { claims, payload }
    }

    /// Drops the top-level claims this route never reads.
    pub fn retain(&self, claims: &mut serde_json::Value) {
        if let serde_json::Value::Object(claims) = claims {
            claims.retain(|name, _| self.claims.binary_search(name).is_ok());
        }
    }
}

impl Route {
    /// `accepted` with only what this route keeps.
    pub fn slim(&self, mut accepted: super::Accepted) -> super::Accepted {
        if let Some(keep) = &self.keep {
            keep.retain(&mut accepted.claims);
            if !keep.payload {
                accepted.payload = Vec::new();
            }
        }
        accepted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::rules::Test;

    #[test]
    fn a_route_keeps_what_its_rules_headers_and_audit_read() {
        let rule = Rule::Not(Box::new(Rule::Check {
            claim: "realm_access.roles".into(),
            test: Test::Exists(false),
        }));
        let headers = [ClaimHeaderRule {
            header: axum::http::HeaderName::from_static("x-mail"),
            claim: "email".into(),
            comma: false,
        }];
        let keep = Keep::for_route(Some(&rule), &headers, false);
        let mut claims = serde_json::json!({
            "iss": "i", "sub": "s", "jti": "j", "exp": 1, "email": "e",
            "realm_access": {"roles": ["a"]}, "realm_access.roles": ["b"],
            "address": {"street": "long"}, "picture": "https://example/x.png",
        });
        keep.retain(&mut claims);
        let names: Vec<&String> = claims.as_object().unwrap().keys().collect();
        assert_eq!(
            names,
            [
                "iss",
                "sub",
                "jti",
                "email",
                "realm_access",
                "realm_access.roles"
            ]
        );
    }
}
