//! The HTTP handlers: the front door (method and request target, before any routing), the
//! gateway (everything not reserved), forward-auth, health, readiness and metrics. Handlers are
//! thin: they extract, call `decide`, and either forward or answer.

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use axum::body::Body;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tower::ServiceExt;

use crate::answer::{Audit, Rejection};
use crate::decide::decide;
use crate::metrics::Metrics;
use crate::replay::{ReplayStore, StoreDown};
use crate::runtime::{ForwardAuth, Original, Runtime};
use crate::target::Target;
use crate::{extract, proxy};

/// Shared state: the current runtime (swapped on reload), the backend pool, metrics.
#[derive(Clone)]
pub struct App {
    pub runtime: Arc<RwLock<Arc<Runtime>>>,
    pub upstream: proxy::Upstream,
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
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(crate::signing::routes())
        .fallback(gateway)
        .with_state(app)
}

/// Every request passes here before routing: a refused method is answered 405, a request
/// target without a canonical form 400; otherwise the request continues with its URI replaced
/// by the canonical target, which is also kept as an extension. Routing, judging, logging and
/// forwarding all see that one form.
#[derive(Clone)]
pub struct Front {
    pub app: App,
    pub router: Router,
}

impl crate::listener::Handler for Front {
    fn call(self, req: Request) -> impl std::future::Future<Output = Response> + Send + 'static {
        let Front { app, router } = self;
        async move {
            let started = Instant::now();
            let rt = app.runtime();
            let method = req.method().clone();
            let raw = req.uri().path_and_query().map_or("", |p| p.as_str());
            let canonical = if req.uri().scheme().is_some() || req.uri().authority().is_some() {
                Err(crate::target::TargetError::NotOriginForm)
            } else {
                Target::parse(raw, rt.settings.paths)
            };
            let refusal = if rt.settings.refused_methods.contains(&method) {
                Some(Rejection::new(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "method_not_allowed",
                    format!("{method} is not served"),
                ))
            } else {
                canonical
                    .as_ref()
                    .err()
                    .map(|e| Rejection::bad_request("request_invalid", e.to_string()))
            };
            if let Some(r) = refusal {
                record(&app, "unknown", method.as_str(), "", started, Err(&r));
                return r.into_response(&rt.settings.realm);
            }
            let target = canonical.expect("refused above");
            let (mut parts, body) = req.into_parts();
            match Uri::try_from(target.path_and_query()) {
                Ok(uri) => parts.uri = uri,
                Err(_) => {
                    let r = Rejection::bad_request("request_invalid", "unusable request target");
                    return r.into_response(&rt.settings.realm);
                }
            }
            parts.extensions.insert(target);
            // A backstop: the gateway and worker handlers answer 504 within request_timeout.
            let backstop = rt.settings.request_timeout + std::time::Duration::from_secs(1);
            let call = router.oneshot(Request::from_parts(parts, body));
            match tokio::time::timeout(backstop, call).await {
                Ok(Ok(resp)) => resp,
                Ok(Err(never)) => match never {},
                Err(_) => Rejection::new(
                    StatusCode::GATEWAY_TIMEOUT,
                    "timeout",
                    "the request took too long",
                )
                .into_response(&rt.settings.realm),
            }
        }
    }
}

async fn readyz(State(app): State<App>) -> Response {
    match app.runtime().ready() {
        Ok(()) => "ready".into_response(),
        Err(why) => (StatusCode::SERVICE_UNAVAILABLE, why).into_response(),
    }
}

async fn metrics(State(app): State<App>) -> Response {
    let body = app.metrics.render();
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
/// decision; never the token) and records its metrics under `label`, a configured name or
/// `unknown`.
fn record(
    app: &App,
    label: &str,
    method: &str,
    path: &str,
    started: Instant,
    outcome: Result<(u16, &Audit), &Rejection>,
) {
    let (status, code, allowed, a) = crate::answer::summary(outcome);
    tracing::info!(
        target: "joseguard::access",
        route = label,
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
        .record(label, allowed, code, started.elapsed().as_secs_f64());
}

/// The canonical target the front door attached.
fn target_of(parts: &axum::http::request::Parts) -> Target {
    parts
        .extensions
        .get::<Target>()
        .cloned()
        .unwrap_or_else(|| {
            // Only reachable when the router is driven without the front door (tests of the
            // router alone): the URI is then canonicalised here, the same way.
            let raw = parts.uri.path_and_query().map_or("/", |p| p.as_str());
            Target::parse(raw, Default::default())
                .unwrap_or_else(|_| Target::parse("/", Default::default()).expect("/ is canonical"))
        })
}

fn forward_auth_for<'a>(rt: &'a Runtime, path: &str) -> Option<&'a ForwardAuth> {
    rt.settings.forward_auth.as_ref().filter(|f| {
        path == f.path || path.starts_with(&format!("{}/", f.path.trim_end_matches('/')))
    })
}

async fn gateway(State(app): State<App>, req: Request) -> Response {
    let started = Instant::now();
    let rt = app.runtime();
    let (parts, body) = req.into_parts();
    let target = target_of(&parts);
    if let Some(fa) = forward_auth_for(&rt, target.path()) {
        return forward_auth(&app, &rt, fa, &parts, &target, started).await;
    }
    let Some(route) = rt.route(target.path()) else {
        let r = Rejection::new(
            StatusCode::NOT_FOUND,
            "no_route",
            "no route serves this path",
        );
        record(
            &app,
            "unknown",
            parts.method.as_str(),
            target.path(),
            started,
            Err(&r),
        );
        return r.into_response(&rt.settings.realm);
    };
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let outcome = async {
        let body = extract::body(body, rt.settings.max_body_bytes).await?;
        let token =
            extract::token(route, &parts, &target, &body)?.ok_or_else(Rejection::missing)?;
        let accepted = decide(route, &token, joseguard::jwt::now()).await?;
        let backend = route
            .backend
            .as_deref()
            .or(rt.backend.as_deref())
            .or(app.echo_url.as_deref())
            .unwrap_or_default();
        let resp = proxy::forward(
            &app.upstream,
            backend,
            route,
            &parts,
            &target,
            peer,
            body.clone(),
            &accepted,
        )
        .await?;
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
    let method = parts.method.as_str();
    match result {
        Ok((resp, accepted)) => {
            let audit = accepted.audit();
            record(
                &app,
                &route.path,
                method,
                target.path(),
                started,
                Ok((resp.status().as_u16(), &audit)),
            );
            resp
        }
        Err(r) => {
            record(&app, &route.path, method, target.path(), started, Err(&r));
            r.into_response(&rt.settings.realm)
        }
    }
}

/// Exactly one value of `name`, as text; absent or repeated is ambiguous.
fn single<'a>(headers: &'a HeaderMap, name: &axum::http::HeaderName) -> Result<&'a str, Rejection> {
    let mut values = headers.get_all(name).iter();
    let ambiguous = || {
        Rejection::bad_request(
            "request_invalid",
            format!("forward-auth needs exactly one {name} header"),
        )
    };
    let value = values.next().ok_or_else(ambiguous)?;
    if values.next().is_some() {
        return Err(ambiguous());
    }
    value.to_str().map_err(|_| ambiguous())
}

/// The original request's method and canonical target, from the integration's one source.
fn original_request(
    fa: &ForwardAuth,
    rt: &Runtime,
    parts: &axum::http::request::Parts,
    own: &Target,
) -> Result<(Method, Target), Rejection> {
    let invalid = |e: crate::target::TargetError| {
        Rejection::bad_request("request_invalid", format!("original request: {e}"))
    };
    match &fa.original {
        Original::Headers { method, uri } => {
            if own.path() != fa.path {
                return Err(Rejection::bad_request(
                    "request_invalid",
                    "this integration sends the original URI in a header, not in the path",
                ));
            }
            let m =
                Method::from_bytes(single(&parts.headers, method)?.as_bytes()).map_err(|_| {
                    Rejection::bad_request("request_invalid", "the original method is not a method")
                })?;
            let target =
                Target::parse(single(&parts.headers, uri)?, rt.settings.paths).map_err(invalid)?;
            Ok((m, target))
        }
        Original::Path => {
            let rest = &own.path()[fa.path.trim_end_matches('/').len()..];
            let rest = if rest.is_empty() { "/" } else { rest };
            let raw = match own.query() {
                Some(q) => format!("{rest}?{q}"),
                None => rest.to_owned(),
            };
            let target = Target::parse(&raw, rt.settings.paths).map_err(invalid)?;
            Ok((parts.method.clone(), target))
        }
    }
}

/// Forward-auth: 200 with the claim headers, or the same 401/403 answers as the gateway. For
/// nginx `auth_request`, Traefik `forwardAuth` and Envoy `ext_authz` (HTTP service).
async fn forward_auth(
    app: &App,
    rt: &Runtime,
    fa: &ForwardAuth,
    parts: &axum::http::request::Parts,
    own: &Target,
    started: Instant,
) -> Response {
    let (method, target) = match original_request(fa, rt, parts, own) {
        Ok(o) => o,
        Err(r) => {
            record(app, "unknown", "AUTH", own.path(), started, Err(&r));
            return r.into_response(&rt.settings.realm);
        }
    };
    if rt.settings.refused_methods.contains(&method) {
        let r = Rejection::new(
            StatusCode::FORBIDDEN,
            "method_not_allowed",
            format!("{method} is not served"),
        );
        record(app, "unknown", "AUTH", target.path(), started, Err(&r));
        return r.into_response(&rt.settings.realm);
    }
    let Some(route) = rt.route(target.path()) else {
        let r = Rejection::new(
            StatusCode::FORBIDDEN,
            "no_route",
            "no route serves this path",
        );
        record(app, "unknown", "AUTH", target.path(), started, Err(&r));
        return r.into_response(&rt.settings.realm);
    };
    let result = async {
        if route.jose_body {
            return Err(Rejection::bad_request(
                "mode_unsupported",
                "forward-auth serves bearer-mode routes only",
            ));
        }
        let token = extract::bearer_like(&route.token, &parts.headers, target.query())?
            .ok_or_else(Rejection::missing)?;
        decide(route, &token, joseguard::jwt::now()).await
    }
    .await;
    match result {
        Ok(accepted) => {
            record(
                app,
                &route.path,
                "AUTH",
                target.path(),
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
            record(app, &route.path, "AUTH", target.path(), started, Err(&r));
            r.into_response(&rt.settings.realm)
        }
    }
}
