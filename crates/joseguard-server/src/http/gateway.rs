//! The gateway (every path that is not reserved) and forward-auth. Thin: extract the token,
//! [`decide`], then forward or answer.

use std::net::SocketAddr;
use std::time::Instant;

use axum::body::Body;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, Method};
use axum::response::Response;

use super::answer::Outcome;
use super::{extract, proxy, App};
use crate::denial::{Code, Denial};
use crate::runtime::{ForwardAuth, Mode, Original, Runtime};
use crate::target::{Target, TargetError};
use crate::verify::decide;

/// The canonical target the front door attached (or, when the router is driven without it,
/// the URI canonicalised the same way).
fn target_of(parts: &Parts) -> Result<Target, Denial> {
    if let Some(t) = parts.extensions.get::<Target>() {
        return Ok(t.clone());
    }
    let raw = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    Target::parse(raw, Default::default())
        .map_err(|e| Denial::new(Code::RequestInvalid, e.to_string()))
}

fn forward_auth_for<'a>(rt: &'a Runtime, path: &str) -> Option<&'a ForwardAuth> {
    rt.settings.forward_auth.as_ref().filter(|f| {
        path == f.path
            || path
                .strip_prefix(f.path.trim_end_matches('/'))
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

/// Everything that is not reserved: forward-auth when its path matches, else a route.
pub(super) async fn gateway(State(app): State<App>, req: Request) -> Response {
    let started = Instant::now();
    let rt = app.runtime();
    let (parts, body) = req.into_parts();
    let target = match target_of(&parts) {
        Ok(t) => t,
        Err(d) => return Outcome::labelled("unknown").answer(Err(d)),
    };
    if let Some(fa) = forward_auth_for(&rt, target.path()) {
        return forward_auth(&rt, fa, &parts, &target).await;
    }
    let Some(route) = rt.route(target.path()) else {
        let d = Denial::new(Code::NoRoute, "no route serves this path");
        return Outcome::labelled("unknown").answer(Err(d));
    };
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let mut outcome = Outcome::labelled(&route.path);
    let judged = async {
        let body = extract::body(body, rt.settings.max_body_bytes).await?;
        let token = extract::token(route, &parts, &target, &body)?.ok_or_else(missing)?;
        let accepted = decide(route, &token, None, joseguard::jwt::now()).await?;
        outcome.who = Some(accepted.audit());
        let backend = route
            .backend
            .as_deref()
            .or(rt.backend.as_deref())
            .or(app.echo_url.as_deref())
            .unwrap_or_default();
        let request = proxy::Forwarded {
            parts: &parts,
            target: &target,
            peer,
            body: body.clone(),
        };
        proxy::forward(&app.upstream, backend, route, request, &accepted).await
    };
    let remaining = rt
        .settings
        .request_timeout
        .saturating_sub(started.elapsed());
    let result = tokio::time::timeout(remaining, judged)
        .await
        .unwrap_or_else(|_| Err(Denial::new(Code::Timeout, "the request took too long")));
    outcome.answer(result)
}

/// No token where the route expects one.
pub(super) fn missing() -> Denial {
    Denial::new(Code::TokenMissing, "no token in the request")
}

/// Exactly one value of `name`, as text; absent or repeated is ambiguous.
fn single<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Result<&'a str, Denial> {
    let ambiguous = || {
        Denial::new(
            Code::RequestInvalid,
            format!("forward-auth needs exactly one {name} header"),
        )
    };
    let mut values = headers.get_all(name).iter();
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
    parts: &Parts,
    own: &Target,
) -> Result<(Method, Target), Denial> {
    let invalid =
        |e: TargetError| Denial::new(Code::RequestInvalid, format!("original request: {e}"));
    match &fa.original {
        Original::Headers { method, uri } => {
            if own.path() != fa.path {
                return Err(Denial::new(
                    Code::RequestInvalid,
                    "this integration sends the original URI in a header, not in the path",
                ));
            }
            let m =
                Method::from_bytes(single(&parts.headers, method)?.as_bytes()).map_err(|_| {
                    Denial::new(Code::RequestInvalid, "the original method is not a method")
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

/// Forward-auth: 200 with the claim headers, or the gateway's answers. For nginx
/// `auth_request`, Traefik `forwardAuth` and Envoy `ext_authz` (HTTP service).
async fn forward_auth(rt: &Runtime, fa: &ForwardAuth, parts: &Parts, own: &Target) -> Response {
    let (method, target) = match original_request(fa, rt, parts, own) {
        Ok(o) => o,
        Err(d) => {
            return Outcome::labelled("unknown")
                .for_forward_auth()
                .answer(Err(d))
        }
    };
    if rt.settings.refused_methods.contains(&method) {
        let d = Denial::new(Code::MethodNotAllowed, format!("{method} is not served"));
        return Outcome::labelled("unknown")
            .for_forward_auth()
            .answer(Err(d));
    }
    let Some(route) = rt.route(target.path()) else {
        let d = Denial::new(Code::NoRoute, "no route serves this path");
        return Outcome::labelled("unknown")
            .for_forward_auth()
            .answer(Err(d));
    };
    let mut outcome = Outcome::labelled(&route.path).for_forward_auth();
    let result = async {
        if route.mode != Mode::Bearer {
            return Err(Denial::new(
                Code::ModeUnsupported,
                "forward-auth serves bearer-mode routes only",
            ));
        }
        let token = extract::bearer_like(&route.token, &parts.headers, target.query())?
            .ok_or_else(missing)?;
        let accepted = decide(route, &token, None, joseguard::jwt::now()).await?;
        outcome.who = Some(accepted.audit());
        let mut resp = Response::new(Body::empty());
        for (name, value) in proxy::claim_headers(route, &accepted) {
            resp.headers_mut().insert(name, value);
        }
        Ok(resp)
    }
    .await;
    outcome.answer(result)
}
