//! Refusals as HTTP answers, in one place: the status of each [`Code`], the
//! `application/problem+json` body, `Retry-After`, and the `WWW-Authenticate: Bearer` challenge
//! (RFC 6750 §3: no `error` when the token is missing; `invalid_token`, `insufficient_scope`,
//! `invalid_request` otherwise). And the [`Outcome`] a handler attaches to its answer, which the
//! front door logs and counts (one access or audit line per request, one place).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::denial::{Audit, Code, Denial};

/// The status a refusal is answered with.
pub fn status(code: Code) -> StatusCode {
    use Code::*;
    match code {
        RequestInvalid
        | ContentTypeUnsupported
        | ModeUnsupported
        | TokenDuplicated
        | AlgNotOffered
        | HashAlgorithmUnsupported => StatusCode::BAD_REQUEST,
        RuleDenied | BindingFailed => StatusCode::FORBIDDEN,
        NoRoute | WorkerUnknown => StatusCode::NOT_FOUND,
        MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        TokenReplayed => StatusCode::CONFLICT,
        BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        SigningFailed => StatusCode::INTERNAL_SERVER_ERROR,
        BackendUnavailable => StatusCode::BAD_GATEWAY,
        KeysUnavailable | RevocationUnavailable | ReplayStoreUnavailable | KeyUnavailable => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        BackendTimeout | Timeout => StatusCode::GATEWAY_TIMEOUT,
        _ => StatusCode::UNAUTHORIZED,
    }
}

/// The status of a refusal answered to a proxy's auth subrequest (nginx `auth_request` passes
/// on only 401 and 403 and turns anything else into a 500): what the gateway would answer 404
/// or 405 is 403 here.
pub fn forward_auth_status(code: Code) -> StatusCode {
    match code {
        Code::NoRoute | Code::MethodNotAllowed => StatusCode::FORBIDDEN,
        code => status(code),
    }
}

/// RFC 6750's `error` for the challenge, when the answer carries one.
fn bearer_error(code: Code) -> Option<&'static str> {
    match (code, status(code)) {
        (Code::TokenMissing, _) => None,
        (Code::TokenDuplicated, _) => Some("invalid_request"),
        (_, StatusCode::UNAUTHORIZED) => Some("invalid_token"),
        (_, StatusCode::FORBIDDEN) => Some("insufficient_scope"),
        _ => None,
    }
}

/// What the front door logs and counts about a request: attached by handlers to their answer.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// The metrics label: a configured route path, `worker:NAME:OPERATION` for a configured
    /// worker, or `unknown`.
    pub label: String,
    /// A worker's name and operation (`sign`, `verify`): the line goes to `joseguard::audit`.
    pub worker: Option<(String, &'static str)>,
    /// Who, from a verified token only.
    pub who: Option<Audit>,
    /// The refusal, if it was one.
    pub denial: Option<Denial>,
    /// The hash of what a worker was asked to sign or verify.
    pub data_hash: Option<String>,
    /// The answer goes to a proxy's auth subrequest ([`forward_auth_status`]).
    pub forward_auth: bool,
}

impl Outcome {
    /// An outcome labelled `label`.
    pub fn labelled(label: impl Into<String>) -> Outcome {
        Outcome {
            label: label.into(),
            ..Outcome::default()
        }
    }

    /// The same outcome, answered to a proxy's auth subrequest.
    pub fn for_forward_auth(self) -> Outcome {
        Outcome {
            forward_auth: true,
            ..self
        }
    }

    /// Attaches this outcome to `result`'s answer (a refusal becomes its problem answer).
    pub fn answer(mut self, result: Result<Response, Denial>) -> Response {
        let mut resp = match result {
            Ok(resp) => resp,
            Err(denial) => {
                let status = match self.forward_auth {
                    true => forward_auth_status(denial.code),
                    false => status(denial.code),
                };
                let resp = problem(&denial, status);
                if self.who.is_none() {
                    self.who = denial.audit.as_deref().cloned();
                }
                self.denial = Some(denial);
                resp
            }
        };
        resp.extensions_mut().insert(self);
        resp
    }
}

/// The problem+json answer of a refusal (the challenge is added by the front door, which knows
/// the realm).
fn problem(d: &Denial, status: StatusCode) -> Response {
    let body = serde_json::json!({
        "type": format!("https://joseguard.dev/problems/{}", d.code),
        "title": status.canonical_reason().unwrap_or("error"),
        "status": status.as_u16(),
        "code": d.code.as_str(),
        "detail": d.detail,
    });
    let mut resp = (status, body.to_string()).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    if status == StatusCode::SERVICE_UNAVAILABLE {
        h.insert(header::RETRY_AFTER, HeaderValue::from(30u32));
    }
    resp
}

impl IntoResponse for Denial {
    fn into_response(self) -> Response {
        Outcome::labelled("unknown").answer(Err(self))
    }
}

/// Adds the `WWW-Authenticate: Bearer` challenge a refusal calls for.
pub fn challenge(resp: &mut Response, denial: &Denial, realm: &str) {
    let status = resp.status();
    let error = bearer_error(denial.code);
    if status != StatusCode::UNAUTHORIZED && error.is_none() {
        return;
    }
    // RFC 6750 §3: %x20-21 / %x23-5B / %x5D-7E only. Anything else (an attacker's non-ASCII
    // kid in the detail) becomes '?', so the challenge is never dropped; capped.
    let quoted = |s: &str| -> String {
        s.chars()
            .filter(|c| *c != '"' && *c != '\\')
            .map(|c| if (' '..='~').contains(&c) { c } else { '?' })
            .take(200)
            .collect()
    };
    let realm = quoted(realm);
    let mut value = format!("Bearer realm=\"{realm}\"");
    if let Some(e) = error {
        let desc = quoted(&denial.detail);
        value.push_str(&format!(", error=\"{e}\", error_description=\"{desc}\""));
    }
    if let Ok(v) = HeaderValue::from_str(&value) {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An attacker's non-ASCII `kid` in the detail never costs the 401 its challenge.
    #[test]
    fn the_challenge_survives_any_detail() {
        let mut resp = Response::new(axum::body::Body::empty());
        *resp.status_mut() = StatusCode::UNAUTHORIZED;
        let denial = Denial::new(Code::KidUnknown, "kid unknown: \"\u{e9}\u{0}\\\"\"");
        challenge(&mut resp, &denial, "api\u{2028}");
        let value = resp.headers()[header::WWW_AUTHENTICATE].to_str().unwrap();
        assert_eq!(
            value,
            "Bearer realm=\"api?\", error=\"invalid_token\", error_description=\"kid unknown: ??\""
        );
    }

    /// Every code has a status and a stable name: what docs/gateway.md's answer table lists.
    #[test]
    fn every_code_maps_once() {
        let mut names = std::collections::HashSet::new();
        for code in Code::ALL {
            assert!(names.insert(code.as_str()), "{code} twice");
            let s = status(*code);
            assert!(s.is_client_error() || s.is_server_error(), "{code}: {s}");
        }
        assert_eq!(status(Code::TokenExpired), StatusCode::UNAUTHORIZED);
        assert_eq!(bearer_error(Code::TokenMissing), None);
        assert_eq!(bearer_error(Code::RuleDenied), Some("insufficient_scope"));
        assert_eq!(status(Code::NoRoute), StatusCode::NOT_FOUND);
        assert_eq!(forward_auth_status(Code::NoRoute), StatusCode::FORBIDDEN);
        assert_eq!(
            forward_auth_status(Code::MethodNotAllowed),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            forward_auth_status(Code::TokenExpired),
            StatusCode::UNAUTHORIZED
        );
    }
}
