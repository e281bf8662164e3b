//! Forwarding an accepted request to its backend: claims copied into headers (inbound copies
//! always stripped), the original body or the verified payload, and the backend's answer passed
//! back (502 when it cannot be reached, 504 when it is too slow).

use axum::body::Body;
use axum::http::{header, request::Parts, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::Value;

use crate::answer::Rejection;
use crate::decide::Accepted;
use crate::rules::lookup;
use crate::runtime::Route;

/// Headers that belong to one connection (RFC 9110 §7.6.1) and never cross a proxy.
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// The claim headers of `route` for `accepted`, as (name, value) pairs. A value that cannot be a
/// header (control characters) is left out and logged rather than forwarded mangled.
pub fn claim_headers(route: &Route, accepted: &Accepted) -> Vec<(HeaderName, HeaderValue)> {
    let mut out = Vec::new();
    for rule in &route.claim_headers {
        let Some(v) = lookup(&accepted.claims, &rule.claim) else {
            continue;
        };
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Array(items) if rule.comma => items
                .iter()
                .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                .collect::<Vec<_>>()
                .join(","),
            other => other.to_string(),
        };
        match HeaderValue::from_bytes(text.as_bytes()) {
            Ok(value) => out.push((rule.header.clone(), value)),
            Err(_) => {
                tracing::warn!(header = %rule.header, claim = %rule.claim, "claim value cannot travel in a header; left out")
            }
        }
    }
    out
}

/// The payload's media type from `cty` (`application/` prepended when it has no `/`, RFC 7515
/// §4.1.10); without `cty`, JSON when the payload is JSON, else octets.
fn payload_content_type(accepted: &Accepted) -> String {
    match accepted.header.cty() {
        Some(c) if c.contains('/') => c.to_owned(),
        Some(c) => format!("application/{c}"),
        None if serde_json::from_slice::<Value>(&accepted.payload).is_ok() => {
            "application/json".into()
        }
        None => "application/octet-stream".into(),
    }
}

pub async fn forward(
    client: &reqwest::Client,
    backend: &str,
    route: &Route,
    parts: &Parts,
    body: axum::body::Bytes,
    accepted: &Accepted,
) -> Result<Response, Rejection> {
    let path_and_query = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let url = format!("{}{}", backend.trim_end_matches('/'), path_and_query);
    let mut headers = HeaderMap::new();
    for (name, value) in &parts.headers {
        let n = name.as_str();
        if HOP_BY_HOP.contains(&n) || name == header::HOST || name == header::CONTENT_LENGTH {
            continue;
        }
        // Inbound copies of claim headers are dropped: only verified claims may set them.
        if route.claim_headers.iter().any(|r| r.header == *name) {
            continue;
        }
        headers.append(name.clone(), value.clone());
    }
    for (name, value) in claim_headers(route, accepted) {
        headers.insert(name, value);
    }
    let body = if route.jose_body && route.forward_payload {
        if let Ok(ct) = HeaderValue::from_str(&payload_content_type(accepted)) {
            headers.insert(header::CONTENT_TYPE, ct);
        }
        axum::body::Bytes::from(accepted.payload.clone())
    } else {
        body
    };
    let method = reqwest::Method::from_bytes(parts.method.as_str().as_bytes())
        .unwrap_or(reqwest::Method::GET);
    let resp = client
        .request(method, &url)
        .headers(headers)
        .body(body)
        .send()
        .await
        .map_err(|e| {
            if e.is_timeout() {
                Rejection::new(
                    StatusCode::GATEWAY_TIMEOUT,
                    "backend_timeout",
                    "the backend did not answer in time",
                )
            } else {
                Rejection::new(
                    StatusCode::BAD_GATEWAY,
                    "backend_unavailable",
                    "the backend could not be reached",
                )
            }
        })?;
    let mut builder = Response::builder().status(resp.status().as_u16());
    for (name, value) in resp.headers() {
        if !HOP_BY_HOP.contains(&name.as_str()) && name != header::CONTENT_LENGTH {
            builder = builder.header(name.as_str(), value.as_bytes());
        }
    }
    builder
        .body(Body::from_stream(resp.bytes_stream()))
        .map_err(|_| {
            Rejection::new(
                StatusCode::BAD_GATEWAY,
                "backend_unavailable",
                "the backend's answer could not be relayed",
            )
        })
}
