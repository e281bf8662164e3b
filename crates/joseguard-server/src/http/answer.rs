//! Rejections as HTTP answers, and the one place that maps library errors to stable problem
//! codes. 401 carries `WWW-Authenticate: Bearer realm=..., error=..., error_description=...`
//! (no `error` when the token is missing, RFC 6750 §3.1); every rejection has an
//! `application/problem+json` body with a stable `code`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use joseguard::Error;
use joseguard_keys::x5c::X5cError;
use joseguard_keys::KeySourceError;

/// Who a decision was about, for the audit log: only from a verified token.
#[derive(Debug, Clone, Default)]
pub struct Audit {
    pub issuer: String,
    pub iss: String,
    pub sub: String,
    pub jti: String,
    pub kid: String,
}

impl Audit {
    const NONE: &'static Audit = &Audit {
        issuer: String::new(),
        iss: String::new(),
        sub: String::new(),
        jti: String::new(),
        kid: String::new(),
    };
}

/// What a log line says about an outcome: status, code, allowed, and who (empty when the token
/// did not verify).
pub fn summary<'a>(
    outcome: Result<(u16, &'a Audit), &'a Rejection>,
) -> (u16, &'static str, bool, &'a Audit) {
    match outcome {
        Ok((status, audit)) => (status, "ok", true, audit),
        Err(r) => (
            r.status.as_u16(),
            r.code,
            false,
            r.audit.as_deref().unwrap_or(Audit::NONE),
        ),
    }
}

/// Why a request is not forwarded.
#[derive(Debug, Clone)]
pub struct Rejection {
    pub status: StatusCode,
    /// Stable machine-readable code (`token_expired`, `kid_unknown`, ...).
    pub code: &'static str,
    /// Human-readable detail (never the token, never key material).
    pub detail: String,
    /// RFC 6750 `error` for the challenge (`invalid_token`, `insufficient_scope`,
    /// `invalid_request`), or none (token missing).
    pub bearer_error: Option<&'static str>,
    /// Seconds for `Retry-After` (503).
    pub retry_after: Option<u64>,
    /// The verified token's identity, when the token verified but a rule denied.
    pub audit: Option<Box<Audit>>,
}

impl Rejection {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        let bearer_error = match status {
            StatusCode::UNAUTHORIZED => Some("invalid_token"),
            StatusCode::FORBIDDEN => Some("insufficient_scope"),
            _ => None,
        };
        Rejection {
            status,
            code,
            detail: detail.into(),
            bearer_error,
            retry_after: None,
            audit: None,
        }
    }

    pub fn missing() -> Self {
        Rejection {
            bearer_error: None,
            ..Rejection::new(
                StatusCode::UNAUTHORIZED,
                "token_missing",
                "no token in the request",
            )
        }
    }

    pub fn denied(detail: impl Into<String>) -> Self {
        Rejection::new(StatusCode::FORBIDDEN, "rule_denied", detail)
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Rejection::new(StatusCode::BAD_REQUEST, code, detail)
    }

    /// A malformed bearer-token request (RFC 6750 §3.1 `invalid_request`): 400 with a challenge.
    pub fn invalid_request(code: &'static str, detail: impl Into<String>) -> Self {
        Rejection {
            bearer_error: Some("invalid_request"),
            ..Rejection::bad_request(code, detail)
        }
    }

    /// Keys or revocation data unavailable: fail closed with a hint to retry.
    pub fn unavailable(code: &'static str, detail: impl Into<String>) -> Self {
        Rejection {
            retry_after: Some(30),
            ..Rejection::new(StatusCode::SERVICE_UNAVAILABLE, code, detail)
        }
    }

    /// Renders the answer; `realm` goes into the challenge.
    pub fn into_response(self, realm: &str) -> Response {
        let title = self.status.canonical_reason().unwrap_or("error");
        let body = serde_json::json!({
            "type": format!("https://joseguard.dev/problems/{}", self.code),
            "title": title,
            "status": self.status.as_u16(),
            "code": self.code,
            "detail": self.detail,
        });
        let mut resp = (self.status, body.to_string()).into_response();
        let h = resp.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.status == StatusCode::UNAUTHORIZED || self.bearer_error.is_some() {
            let realm = realm.replace(['"', '\\'], "");
            let mut challenge = format!("Bearer realm=\"{realm}\"");
            if let Some(e) = self.bearer_error {
                let desc: String = self
                    .detail
                    .chars()
                    .filter(|c| *c != '"' && *c != '\\' && !c.is_control())
                    .collect();
                challenge.push_str(&format!(", error=\"{e}\", error_description=\"{desc}\""));
            }
            if let Ok(v) = HeaderValue::from_str(&challenge) {
                h.insert(header::WWW_AUTHENTICATE, v);
            }
        }
        if let Some(s) = self.retry_after {
            h.insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        resp
    }
}

/// The stable code for a library error.
pub fn from_jose(e: Error) -> Rejection {
    let code = match &e {
        Error::Expired { .. } => "token_expired",
        Error::NotYetValid { .. } => "token_not_yet_valid",
        Error::KidUnknown { .. } => "kid_unknown",
        Error::SignatureInvalid | Error::SignaturesInsufficient { .. } => "signature_invalid",
        Error::AlgNone | Error::AlgNotAllowed { .. } | Error::AlgUnsupported { .. } => {
            "alg_not_allowed"
        }
        Error::ClaimInvalid { name, .. } | Error::ClaimMissing { name } => match name.as_str() {
            "iss" => "issuer_invalid",
            "aud" => "audience_invalid",
            "exp" | "nbf" | "iat" => "token_time_invalid",
            _ => "claim_invalid",
        },
        Error::Header { name, .. } => match name.as_str() {
            "typ" => "typ_not_allowed",
            "cty" => "cty_not_allowed",
            _ => "header_invalid",
        },
        Error::Crit(_) => "crit_unsupported",
        Error::PrivateHeaderNotAllowed { .. } => "header_invalid",
        Error::KeyMismatch(_) | Error::KeyTooSmall { .. } => "key_unusable",
        Error::SerializationMismatch { .. } => "serialization_not_allowed",
        _ => "token_malformed",
    };
    Rejection::new(StatusCode::UNAUTHORIZED, code, e.to_string())
}

/// A key source failure: the token could not be judged, so 503 (fail closed). What failed (a
/// URL, a server's answer) goes to the log, not into the answer.
pub fn from_keys(e: KeySourceError) -> Rejection {
    match e {
        KeySourceError::Token(e) => from_jose(e),
        other => {
            tracing::warn!(error = %other, "keys unavailable");
            Rejection::unavailable("keys_unavailable", "the issuer's keys cannot be had now")
        }
    }
}

/// An `x5c` chain refused: its stable code and fixed text (the details were logged where they
/// arose); 503 only while revocation data cannot be had.
pub fn from_x5c(e: X5cError) -> Rejection {
    if e.is_transient() {
        Rejection::unavailable(e.code(), e.to_string())
    } else {
        Rejection::new(StatusCode::UNAUTHORIZED, e.code(), e.to_string())
    }
}
