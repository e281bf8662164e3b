//! Refusals as HTTP answers (RFC 6750 §3, RFC 9457).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// Why a request was refused, answered by its [`IntoResponse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable code (`token_missing`, `token_expired`, `kid_unknown`, ...): joseguard's
    /// [`Error::code`](joseguard::Error::code) for a refused token.
    pub code: &'static str,
    /// What failed, without the token.
    pub detail: String,
    /// The `realm` of the Bearer challenge.
    pub realm: String,
}

impl Refusal {
    pub(crate) fn new(
        status: StatusCode,
        code: &'static str,
        detail: impl Into<String>,
        realm: &str,
    ) -> Refusal {
        Refusal {
            status,
            code,
            detail: detail.into(),
            realm: realm.to_owned(),
        }
    }

    /// RFC 6750's `error` for the challenge.
    fn bearer_error(&self) -> Option<&'static str> {
        match (self.status, self.code) {
            (_, "token_missing") => None,
            (StatusCode::UNAUTHORIZED, _) => Some("invalid_token"),
            (StatusCode::FORBIDDEN, _) => Some("insufficient_scope"),
            (StatusCode::BAD_REQUEST, _) => Some("invalid_request"),
            _ => None,
        }
    }

    /// The `WWW-Authenticate` value, for 401, 403 and 400.
    fn challenge(&self) -> Option<HeaderValue> {
        let error = self.bearer_error();
        if self.status != StatusCode::UNAUTHORIZED && error.is_none() {
            return None;
        }
        // RFC 6750 §3: %x20-21 / %x23-5B / %x5D-7E only. Anything else (an attacker's
        // non-ASCII kid in the detail) becomes '?', so the header always exists; capped.
        let quoted = |s: &str| -> String {
            s.chars()
                .filter(|c| *c != '"' && *c != '\\')
                .map(|c| if (' '..='~').contains(&c) { c } else { '?' })
                .take(200)
                .collect()
        };
        let mut value = format!("Bearer realm=\"{}\"", quoted(&self.realm));
        if let Some(e) = error {
            value.push_str(&format!(
                ", error=\"{e}\", error_description=\"{}\"",
                quoted(&self.detail)
            ));
        }
        HeaderValue::from_str(&value).ok()
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "type": format!("https://joseguard.dev/problems/{}", self.code),
            "title": self.status.canonical_reason().unwrap_or("error"),
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
        if let Some(c) = self.challenge() {
            h.insert(header::WWW_AUTHENTICATE, c);
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            h.insert(header::RETRY_AFTER, HeaderValue::from(30u32));
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An attacker's non-ASCII `kid` in the detail never costs the 401 its challenge.
    #[test]
    fn the_challenge_survives_any_detail() {
        let r = Refusal::new(
            StatusCode::UNAUTHORIZED,
            "kid_unknown",
            "kid unknown: \"\u{e9}\u{0}\\\"",
            "api",
        );
        let resp = r.into_response();
        assert_eq!(
            resp.headers()[header::WWW_AUTHENTICATE].to_str().unwrap(),
            "Bearer realm=\"api\", error=\"invalid_token\", error_description=\"kid unknown: ??\""
        );
    }
}
