//! The HTTP layer, and the only place that knows axum: the shared state, the router, the front
//! door every request passes first ([`front`]: method, canonical request target, one audit and
//! metrics record per request), the gateway and forward-auth handlers, the worker endpoints,
//! token extraction, the proxy to backends, and answers (status and problem codes mapped once,
//! in [`answer`]).

pub mod answer;
pub mod echo;
mod extract;
pub mod front;
mod gateway;
pub mod listener;
mod metrics;
pub mod proxy;
mod workers;

use std::sync::{Arc, RwLock};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

pub use metrics::Metrics;

/// The token of a request for `route` (for `crate::judge`).
pub(crate) fn extract_token<'a>(
    route: &crate::runtime::Route,
    parts: &'a axum::http::request::Parts,
    target: &'a crate::target::Target,
    body: &'a [u8],
) -> Result<Option<std::borrow::Cow<'a, [u8]>>, crate::denial::Denial> {
    extract::token(route, parts, target, body)
}

use crate::runtime::Runtime;
use crate::workers::replay::Stores;

/// Shared state: the current runtime (swapped on reload), the backend pool, metrics, and the
/// replay stores (which outlive reloads).
#[derive(Clone)]
pub struct App {
    /// The runtime in force.
    pub runtime: Arc<RwLock<Arc<Runtime>>>,
    /// The backend connection pool.
    pub upstream: proxy::Upstream,
    /// The server's metrics.
    pub metrics: Arc<Metrics>,
    /// The embedded echo backend's URL, when it runs.
    pub echo_url: Option<String>,
    /// Single-use stores by spec.
    pub stores: Arc<Stores>,
}

impl App {
    /// The runtime in force.
    pub fn runtime(&self) -> Arc<Runtime> {
        self.runtime.read().expect("runtime lock").clone()
    }
}

/// The routes: operations, the worker endpoints, and the gateway for everything else
/// (forward-auth included, since its path comes from a reloadable configuration).
pub fn router(app: App) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(workers::routes())
        .fallback(gateway::gateway)
        .with_state(app)
}

async fn readyz(State(app): State<App>) -> Response {
    match app.runtime().ready() {
        Ok(()) => "ready".into_response(),
        Err(why) => (StatusCode::SERVICE_UNAVAILABLE, why).into_response(),
    }
}

async fn metrics(State(app): State<App>) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        app.metrics.render(),
    )
        .into_response()
}
