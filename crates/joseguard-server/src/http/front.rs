//! The front door: every request passes here before routing. A refused method is answered 405,
//! a request target without a canonical form 400; otherwise the request continues with its URI
//! replaced by the canonical target (also kept as an extension), so that routing, judging,
//! logging and forwarding all see that one form. On the way out, the [`Outcome`] a handler
//! attached is written to one access or audit line and to the metrics, and a refusal gets its
//! challenge: one place for both, instead of a call at every exit.

use std::future::Future;
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::http::Uri;
use axum::response::Response;
use axum::Router;
use tower::ServiceExt;

use super::answer::{challenge, Outcome};
use super::App;
use crate::denial::{Code, Denial};
use crate::target::{Target, TargetError};

/// The application behind the listener: the front door, then the router.
#[derive(Clone)]
pub struct Front {
    /// The shared state.
    pub app: App,
    /// The routes.
    pub router: Router,
}

impl super::listener::Handler for Front {
    fn call(self, req: Request) -> impl Future<Output = Response> + Send + 'static {
        let Front { app, router } = self;
        async move {
            let started = Instant::now();
            let rt = app.runtime();
            let method = req.method().clone();
            let mut path = String::new();
            let mut resp = match admit(&app, req) {
                Ok((req, canonical)) => {
                    path = canonical;
                    // A backstop: the gateway and worker handlers answer 504 themselves within
                    // request_timeout.
                    let backstop = rt.settings.request_timeout + Duration::from_secs(1);
                    match tokio::time::timeout(backstop, router.oneshot(req)).await {
                        Ok(Ok(resp)) => resp,
                        Ok(Err(never)) => match never {},
                        Err(_) => Outcome::labelled("unknown")
                            .answer(Err(Denial::new(Code::Timeout, "the request took too long"))),
                    }
                }
                Err(denial) => Outcome::labelled("unknown").answer(Err(denial)),
            };
            if let Some(outcome) = resp.extensions().get::<Outcome>().cloned() {
                if let Some(denial) = &outcome.denial {
                    challenge(&mut resp, denial, &rt.settings.realm);
                }
                record(
                    &app,
                    method.as_str(),
                    &path,
                    &outcome,
                    resp.status().as_u16(),
                    started,
                );
            }
            resp
        }
    }
}

/// The method check and the canonical target.
fn admit(app: &App, req: Request) -> Result<(Request, String), Denial> {
    let rt = app.runtime();
    if rt.settings.refused_methods.contains(req.method()) {
        return Err(Denial::new(
            Code::MethodNotAllowed,
            format!("{} is not served", req.method()),
        ));
    }
    let target = if req.uri().scheme().is_some() || req.uri().authority().is_some() {
        Err(TargetError::NotOriginForm)
    } else {
        let raw = req.uri().path_and_query().map_or("", |p| p.as_str());
        Target::parse(raw, rt.settings.paths)
    }
    .map_err(|e| Denial::new(Code::RequestInvalid, e.to_string()))?;
    let (mut parts, body) = req.into_parts();
    parts.uri = Uri::try_from(target.path_and_query())
        .map_err(|_| Denial::new(Code::RequestInvalid, "unusable request target"))?;
    let path = target.path().to_owned();
    parts.extensions.insert(target);
    Ok((Request::from_parts(parts, body), path))
}

/// One line per request (`joseguard::access`, or `joseguard::audit` for workers): who, from a
/// verified token only; what; the decision; never the token. And its metrics.
fn record(app: &App, method: &str, path: &str, o: &Outcome, status: u16, started: Instant) {
    let code = o.denial.as_ref().map_or("ok", |d| d.code.as_str());
    let allowed = o.denial.is_none();
    let who = o.who.clone().unwrap_or_default();
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let decision = if allowed { "allow" } else { "deny" };
    match &o.worker {
        Some((worker, operation)) => tracing::info!(
            target: "joseguard::audit",
            worker = worker.as_str(),
            operation = *operation,
            status,
            decision,
            reason = code,
            issuer = who.issuer.as_str(),
            iss = who.iss.as_str(),
            sub = who.sub.as_str(),
            jti = who.jti.as_str(),
            data_hash = o.data_hash.as_deref().unwrap_or(""),
            ms,
        ),
        None => tracing::info!(
            target: "joseguard::access",
            route = o.label.as_str(),
            method,
            path,
            status,
            decision,
            reason = code,
            issuer = who.issuer.as_str(),
            iss = who.iss.as_str(),
            sub = who.sub.as_str(),
            jti = who.jti.as_str(),
            kid = who.kid.as_str(),
            ms,
        ),
    }
    app.metrics
        .record(&o.label, allowed, code, started.elapsed().as_secs_f64());
}
