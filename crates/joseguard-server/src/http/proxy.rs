//! Forwarding an accepted request to its backend: exactly the canonical target that was judged,
//! the inbound headers minus every spelling of the headers the gateway sets itself, the claim
//! headers, and the original body or the verified payload; the backend's answer is passed back
//! (502 when it cannot be reached; the handler's timeout answers 504).
//!
//! The upstream URI is assembled from the canonical target's bytes and handed to hyper as an
//! `http::Uri`, which keeps them as they are: no URL parser normalises it again on the way out.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, request::Parts, HeaderMap, HeaderName, HeaderValue, Uri};
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::claims::lookup;
use crate::denial::{Code, Denial};
use crate::headers::{equivalent_name, is_managed, HOP_BY_HOP};
use crate::runtime::Accepted;
use crate::runtime::{Mode, Route};
use crate::target::Target;

/// The backend connection pool: one per server, shared by every route.
#[derive(Clone)]
pub struct Upstream {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Body>,
    /// One permit per backend connection: held from the request until its response body ends.
    permits: Arc<Semaphore>,
}

/// A response body that holds its connection's permit until it is dropped.
struct Permitted {
    body: Incoming,
    _permit: OwnedSemaphorePermit,
}

impl hyper::body::Body for Permitted {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, hyper::Error>>> {
        std::pin::Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}

impl Upstream {
    /// A pool of at most `max_connections` backend connections (in use or idle; a request
    /// beyond waits for one), idle ones closed after `idle_timeout`.
    pub fn new(max_connections: usize, idle_timeout: Duration) -> std::io::Result<Upstream> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(Duration::from_secs(5)));
        let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(std::io::Error::other)?;
        let tls = rustls_platform_verifier::BuilderVerifierExt::with_platform_verifier(tls)
            .map_err(std::io::Error::other)?
            .with_no_client_auth();
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(max_connections)
            .pool_idle_timeout(idle_timeout)
            .build(connector);
        Ok(Upstream {
            client,
            permits: Arc::new(Semaphore::new(max_connections)),
        })
    }
}

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
        None if joseguard::json::parse(&accepted.payload, "payload").is_ok() => {
            "application/json".into()
        }
        None => "application/octet-stream".into(),
    }
}

/// The names a `Connection` header nominates as hop-by-hop, in [`equivalent_name`] form.
fn nominated(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|n| equivalent_name(n.trim()))
        .filter(|n| !n.is_empty())
        .collect()
}

/// The judged request, as the front door canonicalised it.
pub struct Forwarded<'a> {
    /// Method and headers as received.
    pub parts: &'a Parts,
    /// The canonical target that was judged.
    pub target: &'a Target,
    /// The client's address.
    pub peer: Option<SocketAddr>,
    /// The body as received.
    pub body: axum::body::Bytes,
}

/// The headers the backend receives: see "What the backend receives" in docs/gateway.md.
fn upstream_headers(
    route: &Route,
    parts: &Parts,
    peer: Option<SocketAddr>,
    payload_type: Option<&str>,
    accepted: &Accepted,
) -> HeaderMap {
    let connection = nominated(&parts.headers);
    let mut headers = HeaderMap::with_capacity(parts.headers.len() + route.claim_headers.len());
    for (name, value) in &parts.headers {
        let same = equivalent_name(name.as_str());
        let dropped = is_managed(&same)
            || connection.contains(&same)
            || (payload_type.is_some() && same == "content-type")
            || route.reserved_headers.contains(&same);
        if !dropped {
            headers.append(name.clone(), value.clone());
        }
    }
    for (name, value) in claim_headers(route, accepted) {
        headers.insert(name, value);
    }
    if let Some(ct) = payload_type.and_then(|t| HeaderValue::from_str(t).ok()) {
        headers.insert(header::CONTENT_TYPE, ct);
    }
    if let Some(peer) = peer {
        if let Ok(v) = HeaderValue::from_str(&peer.ip().to_string()) {
            headers.insert(HeaderName::from_static("x-forwarded-for"), v);
        }
    }
    if let Some(host) = parts.headers.get(header::HOST) {
        headers.insert(HeaderName::from_static("x-forwarded-host"), host.clone());
    }
    headers.insert(
        HeaderName::from_static("x-forwarded-proto"),
        HeaderValue::from_static("http"),
    );
    headers
}

/// Forwards the judged request to `backend`.
pub async fn forward(
    upstream: &Upstream,
    backend: &str,
    route: &Route,
    request: Forwarded<'_>,
    accepted: &Accepted,
) -> Result<Response, Denial> {
    let Forwarded {
        parts,
        target,
        peer,
        body,
    } = request;
    let unavailable = |detail: &str| Denial::new(Code::BackendUnavailable, detail.to_owned());
    let payload_mode = route.mode
        == (Mode::JoseBody {
            forward_payload: true,
        });
    let payload_type = payload_mode.then(|| payload_content_type(accepted));
    let mut headers = upstream_headers(route, parts, peer, payload_type.as_deref(), accepted);
    let query = if route.forward_token || route.mode != Mode::Bearer {
        target.query().map(str::to_owned)
    } else {
        super::extract::strip_token(&route.token, &mut headers, target.query())
    };
    let target = target.with_query(query);
    let uri = Uri::try_from(format!("{}{target}", backend.trim_end_matches('/')))
        .map_err(|_| unavailable("the backend URL and the request target make no URI"))?;
    let body = if payload_mode {
        Body::from(accepted.payload.clone())
    } else {
        Body::from(body)
    };
    let mut request = axum::http::Request::new(body);
    *request.method_mut() = parts.method.clone();
    *request.uri_mut() = uri;
    *request.headers_mut() = headers;
    let permit = upstream
        .permits
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| unavailable("the backend pool is closed"))?;
    let resp = upstream.client.request(request).await.map_err(|e| {
        tracing::warn!(backend, error = %e, "backend request failed");
        unavailable("the backend could not be reached")
    })?;
    let (mut head, incoming) = resp.into_parts();
    let connection = nominated(&head.headers);
    let names: Vec<HeaderName> = head
        .headers
        .keys()
        .filter(|n| {
            let same = equivalent_name(n.as_str());
            HOP_BY_HOP.contains(&same.as_str())
                || same == "content-length"
                || connection.contains(&same)
        })
        .cloned()
        .collect();
    for n in names {
        head.headers.remove(n);
    }
    let body = Permitted {
        body: incoming,
        _permit: permit,
    };
    Ok(Response::from_parts(head, Body::new(body)))
}
