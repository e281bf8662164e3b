//! Where the token is: the body (JOSE body mode), `Authorization: Bearer`, another header, a query
//! parameter or a cookie.

use axum::http::{header, request::Parts, HeaderMap};

use crate::answer::Rejection;
use crate::runtime::{Route, TokenSource};

/// The request body, at most `limit` bytes (413 `body_too_large` above).
pub async fn body(body: axum::body::Body, limit: usize) -> Result<axum::body::Bytes, Rejection> {
    axum::body::to_bytes(body, limit).await.map_err(|_| {
        Rejection::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the body exceeds {limit} bytes"),
        )
    })
}

/// The token bytes, `Ok(None)` when there is none.
pub fn token<'a>(
    route: &Route,
    parts: &'a Parts,
    body: &'a [u8],
) -> Result<Option<&'a [u8]>, Rejection> {
    if route.jose_body {
        let ct = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let media = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let json_ok = route.allow_json && media == "application/json";
        if media != "application/jose" && media != "application/jose+json" && !json_ok {
            return Err(Rejection::bad_request(
                "content_type_unsupported",
                "send the JWS with Content-Type: application/jose or application/jose+json",
            ));
        }
        let trimmed = trim(body);
        return Ok((!trimmed.is_empty()).then_some(trimmed));
    }
    Ok(bearer_like(&route.token, &parts.headers, parts.uri.query()))
}

/// A token outside the body (also used by forward-auth, with the original query).
pub fn bearer_like<'a>(
    source: &TokenSource,
    headers: &'a HeaderMap,
    query: Option<&'a str>,
) -> Option<&'a [u8]> {
    match source {
        TokenSource::Bearer => headers.get(header::AUTHORIZATION).and_then(|v| {
            let v = v.as_bytes();
            // The scheme is case-insensitive (RFC 7235 §2.1).
            (v.len() > 7 && v[..7].eq_ignore_ascii_case(b"bearer ")).then(|| trim(&v[7..]))
        }),
        TokenSource::Header(name) => headers.get(name.as_str()).map(|v| trim(v.as_bytes())),
        TokenSource::Query(name) => query?
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_bytes()),
        TokenSource::Cookie(name) => headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|c| c.trim().split_once('='))
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_bytes()),
    }
    .filter(|t| !t.is_empty())
}

fn trim(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    &b[start..end]
}
