//! The HTTP handlers: the gateway (everything not reserved), forward-auth, health, readiness and
//! metrics. Handlers are thin: they extract, call `decide`, and either forward or answer.

use std::sync::{Arc, RwLock};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::answer::{Audit, Rejection};
use crate::decide::decide;
use crate::metrics::Metrics;
use crate::replay::{ReplayStore, StoreDown};
use crate::runtime::Runtime;
use crate::{extract, proxy};

/// Shared state: the current runtime (swapped on reload), the HTTP client, metrics.
#[derive(Clone)]
pub struct App {
    pub runtime: Arc<RwLock<Arc<Runtime>>>,
    pub client: reqwest::Client,
    pub metrics: Arc<Metrics>,
    /// The embedded echo backend's URL, when it runs.
    pub echo_url: Option<String>,
    /// Replay stores by their spec (`memory`, `redis://...`): kept here, not in the runtime, so
    /// that a reload forgets no spent token.
    pub replay: Arc<std::sync::Mutex<std::collections::HashMap<String, Arc<ReplayStore>>>>,
}

impl App {
    pub fn runtime(&self) -> Arc<Runtime> {
        self.runtime.read().expect("runtime lock").clone()
    }

    /// The replay store for `spec`, created on first use. The spec was checked at load; were it
    /// refused here anyway, the store counts as down (never a silent fall back to memory, which
    /// would stop several instances from seeing each other's tokens).
    pub fn replay_store(&self, spec: &str) -> Result<Arc<ReplayStore>, StoreDown> {
        let mut stores = self.replay.lock().expect("replay stores lock");
        if let Some(store) = stores.get(spec) {
            return Ok(store.clone());
        }
        let store = Arc::new(ReplayStore::new(spec).map_err(StoreDown)?);
        stores.insert(spec.to_owned(), store.clone());
        Ok(store)
    }
}

pub fn router(app: App) -> Router {
    let forward_auth = app.runtime().settings.forward_auth_path.clone();
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(crate::signing::routes())
        .route(&forward_auth, axum::routing::any(forward_auth_handler))
        .route(
            &format!("{}/{{*rest}}", forward_auth.trim_end_matches('/')),
            axum::routing::any(forward_auth_handler),
        )
        .fallback(gateway)
        .with_state(app)
}

async fn readyz(State(app): State<App>) -> Response {
    match app.runtime().ready() {
        Ok(()) => "ready".into_response(),
        Err(why) => (StatusCode::SERVICE_UNAVAILABLE, why).into_response(),
    }
}

async fn metrics(State(app): State<App>) -> Response {
    let body = app.metrics.render(&app.runtime());
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// Logs the decision (one access/audit line: who, from a verified token only; what; the
/// decision; never the token) and records its metrics.
fn record(
    app: &App,
    route: &str,
    method: &str,
    path: &str,
    started: Instant,
    outcome: Result<(u16, &Audit), &Rejection>,
) {
    let (status, code, allowed, a) = crate::answer::summary(outcome);
    tracing::info!(
        target: "joseguard::access",
        route,
        method,
        path,
        status,
        decision = if allowed { "allow" } else { "deny" },
        reason = code,
        issuer = a.issuer.as_str(),
        iss = a.iss.as_str(),
        sub = a.sub.as_str(),
        jti = a.jti.as_str(),
        kid = a.kid.as_str(),
        ms = started.elapsed().as_secs_f64() * 1000.0,
    );
    app.metrics
        .record(route, allowed, code, started.elapsed().as_secs_f64());
}

async fn gateway(State(app): State<App>, req: Request) -> Response {
    let started = Instant::now();
    let rt = app.runtime();
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    let Some(route) = rt.route(&path) else {
        let r = Rejection::new(
            StatusCode::NOT_FOUND,
            "no_route",
            "no route serves this path",
        );
        record(&app, "", parts.method.as_str(), &path, started, Err(&r));
        return r.into_response(&rt.settings.realm);
    };
    let outcome = async {
        let body = extract::body(body, rt.settings.max_body_bytes).await?;
        let token = extract::token(route, &parts, &body)?.ok_or_else(Rejection::missing)?;
        let accepted = decide(route, token, joseguard::jwt::now()).await?;
        let backend = route
            .backend
            .as_deref()
            .or(rt.backend.as_deref())
            .or(app.echo_url.as_deref())
            .unwrap_or_default();
        let resp =
            proxy::forward(&app.client, backend, route, &parts, body.clone(), &accepted).await?;
        Ok::<_, Rejection>((resp, accepted))
    };
    let timed = tokio::time::timeout(rt.settings.request_timeout, outcome).await;
    let result = timed.unwrap_or_else(|_| {
        Err(Rejection::new(
            StatusCode::GATEWAY_TIMEOUT,
            "timeout",
            "the request took too long",
        ))
    });
    match result {
        Ok((resp, accepted)) => {
            let method = parts.method.as_str();
            record(
                &app,
                &route.path,
                method,
                &path,
                started,
                Ok((resp.status().as_u16(), &accepted.audit())),
            );
            resp
        }
        Err(r) => {
            record(
                &app,
                &route.path,
                parts.method.as_str(),
                &path,
                started,
                Err(&r),
            );
            r.into_response(&rt.settings.realm)
        }
    }
}

/// The original request's path and query, as nginx (`X-Original-URI`), Traefik
/// (`X-Forwarded-Uri`) or Envoy (`path_prefix`: the rest of our path) pass it.
fn original_uri(
    headers: &HeaderMap,
    own_path: &str,
    prefix: &str,
    own_query: Option<&str>,
) -> String {
    for name in ["x-original-uri", "x-forwarded-uri"] {
        if let Some(v) = headers.get(name).and_then(|v| v.to_str().ok()) {
            return v.to_owned();
        }
    }
    let rest = own_path
        .strip_prefix(prefix.trim_end_matches('/'))
        .unwrap_or("/");
    let rest = if rest.is_empty() { "/" } else { rest };
    match own_query {
        Some(q) => format!("{rest}?{q}"),
        None => rest.to_owned(),
    }
}

/// Forward-auth: 200 with the claim headers, or the same 401/403 answers as the gateway. For
/// nginx `auth_request`, Traefik `forwardAuth` and Envoy `ext_authz` (HTTP service).
async fn forward_auth_handler(State(app): State<App>, req: Request) -> Response {
    let started = Instant::now();
    let rt = app.runtime();
    let (parts, _) = req.into_parts();
    let uri = original_uri(
        &parts.headers,
        parts.uri.path(),
        &rt.settings.forward_auth_path,
        parts.uri.query(),
    );
    let (path, query) = uri
        .split_once('?')
        .map_or((uri.as_str(), None), |(p, q)| (p, Some(q)));
    let Some(route) = rt.route(path) else {
        return Rejection::new(
            StatusCode::FORBIDDEN,
            "no_route",
            "no route serves this path",
        )
        .into_response(&rt.settings.realm);
    };
    let result = async {
        if route.jose_body {
            return Err(Rejection::bad_request(
                "mode_unsupported",
                "forward-auth serves bearer-mode routes only",
            ));
        }
        let token = extract::bearer_like(&route.token, &parts.headers, query)
            .ok_or_else(Rejection::missing)?;
        decide(route, token, joseguard::jwt::now()).await
    }
    .await;
    match result {
        Ok(accepted) => {
            record(
                &app,
                &route.path,
                "AUTH",
                path,
                started,
                Ok((200, &accepted.audit())),
            );
            let mut resp = Response::new(Body::empty());
            for (name, value) in proxy::claim_headers(route, &accepted) {
                resp.headers_mut().insert(name, value);
            }
            resp
        }
        Err(r) => {
            record(&app, &route.path, "AUTH", path, started, Err(&r));
            r.into_response(&rt.settings.realm)
        }
    }
}
