//! The worker endpoints: `POST /workers/{name}/sign`, `POST /workers/{name}/verify`,
//! `GET /workers/{name}/jwks` and `GET /.well-known/jwks.json`. They read the request, hand it
//! to [`crate::workers`] (authorize, sign, judge) and answer; the front door writes the audit
//! line (never the token) and the metrics from the [`Outcome`].

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use joseguard::{b64, Sha2};
use serde_json::{json, Value};

use super::answer::Outcome;
use super::gateway::missing;
use super::{extract, App};
use crate::denial::{Code, Denial};
use crate::runtime::{Authorizer, Role, Worker};
use crate::runtime::{Runtime, TokenSource};
use crate::verify::decide;
use crate::workers::authorize::{authorize, Authorized};
use crate::workers::sign::{audit_hash, choose_alg, perform, Subject};

/// How long a signature waits for one of its HSM key's sessions before 503 `key_unavailable`.
const HSM_SLOT_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

pub(super) fn routes() -> Router<App> {
    Router::new()
        .route("/workers/{name}/sign", post(sign))
        .route("/workers/{name}/verify", post(verify))
        .route("/workers/{name}/jwks", get(worker_jwks))
        .route("/.well-known/jwks.json", get(all_jwks))
}

fn bad(detail: impl Into<String>) -> Denial {
    Denial::new(Code::RequestInvalid, detail)
}

/// Base64 in either alphabet, padded or not.
fn base64(field: &str, text: &str) -> Result<Vec<u8>, Denial> {
    crate::encoding::base64_any(text).map_err(|e| bad(format!("{field:?}: {e}")))
}

/// The outcome of a request to `name`: labelled by the configured worker, `unknown` otherwise
/// (the name comes from the URL).
fn outcome(rt: &Runtime, name: &str, operation: &'static str) -> Outcome {
    let known = rt.worker(name).is_some();
    Outcome {
        worker: Some((if known { name } else { "unknown" }.to_owned(), operation)),
        ..Outcome::labelled(if known {
            format!("worker:{name}:{operation}")
        } else {
            "unknown".to_owned()
        })
    }
}

fn unknown_worker(name: &str, kind: &str) -> Denial {
    Denial::new(
        Code::WorkerUnknown,
        format!("no {kind} worker named {name:?}"),
    )
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SignBody {
    data: Option<String>,
    hash: Option<String>,
    hash_algorithm: Option<String>,
    alg: Option<String>,
}

fn is_media_type(headers: &HeaderMap, name: header::HeaderName, media: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|m| extract::media_type_of(m) == media)
}

/// A JSON body (`{"data": b64}` or `{"hash": b64, "hashAlgorithm": "SHA-256"}`, optional
/// `alg`); any other content type is the document itself.
fn parse_sign_request(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Subject, Option<String>), Denial> {
    if !is_media_type(headers, header::CONTENT_TYPE, "application/json") {
        if body.is_empty() {
            return Err(bad(
                "the body is empty: send the document, or JSON with data or hash",
            ));
        }
        return Ok((Subject::Data(body.to_vec()), None));
    }
    let value =
        joseguard::json::parse(body, "request").map_err(|e| bad(format!("the JSON body: {e}")))?;
    let req: SignBody =
        serde_json::from_value(value).map_err(|e| bad(format!("the JSON body: {e}")))?;
    let subject = match (req.data, req.hash, req.hash_algorithm) {
        (Some(d), None, None) => Subject::Data(base64("data", &d)?),
        (None, Some(h), Some(name)) => {
            let hash: Sha2 = name
                .parse()
                .map_err(|e| bad(format!("hashAlgorithm: {e}")))?;
            let digest = base64("hash", &h)?;
            if digest.len() != hash.len() {
                return Err(bad(format!(
                    "a {hash} hash is {} bytes, not {}",
                    hash.len(),
                    digest.len()
                )));
            }
            Subject::Hash { hash, digest }
        }
        (None, Some(_), None) => return Err(bad("hash needs hashAlgorithm")),
        _ => return Err(bad("send either data, or hash with hashAlgorithm")),
    };
    Ok((subject, req.alg))
}

/// The caller's bearer token, checked against the worker's authorizer.
async fn authorized(
    app: &App,
    worker: &Worker,
    auth: &Authorizer,
    headers: &HeaderMap,
    subject: Option<&Subject>,
) -> Result<Authorized, Denial> {
    let token = extract::bearer_like(&TokenSource::Bearer, headers, None)?.ok_or_else(missing)?;
    let authorized = authorize(
        worker,
        auth,
        &token,
        subject,
        &app.stores,
        joseguard::jwt::now(),
    );
    let result = authorized.await;
    let down = match &result {
        Ok(a) => a.store_down.then_some(true),
        Err(d) if d.code == Code::ReplayStoreUnavailable => Some(false),
        Err(_) => None,
    };
    if let Some(allowed) = down {
        app.metrics.replay_store_unavailable(&worker.name, allowed);
    }
    result
}

async fn sign(State(app): State<App>, Path(name): Path<String>, req: Request) -> Response {
    let rt = app.runtime();
    let mut outcome = outcome(&rt, &name, "sign");
    // `Accept: application/jose` asks for the bare compact JWS instead of the JSON answer.
    let bare = is_media_type(req.headers(), header::ACCEPT, "application/jose");
    let result = async {
        let Some((worker, Role::Signing(signer), Some(auth))) =
            rt.worker(&name).map(|w| (w, &w.role, &w.authorizer))
        else {
            return Err(unknown_worker(&name, "signing"));
        };
        let (parts, body) = req.into_parts();
        let body = extract::body(body, rt.settings.max_body_bytes).await?;
        let (subject, asked) = parse_sign_request(&parts.headers, &body)?;
        outcome.data_hash = Some(subject.audit_hash());
        // One instant decides the key: the algorithm is chosen for the key that signs.
        let now = joseguard::jwt::now();
        let current = signer.current(now).ok_or_else(|| {
            Denial::new(Code::KeyUnavailable, "no key of this worker is valid now")
        })?;
        let alg = choose_alg(signer, current, &subject, asked.as_deref())?;
        // An HSM key's session first, before the token is judged (and a single-use token
        // spent): overload waits here, on the async side, for a bounded time.
        let slot = match current.slots.clone() {
            None => None,
            Some(slots) => Some(
                tokio::time::timeout(HSM_SLOT_WAIT, slots.acquire_owned())
                    .await
                    .map_err(|_| Denial::new(Code::KeyUnavailable, "every HSM session is busy"))?
                    .map_err(|_| {
                        Denial::new(Code::KeyUnavailable, "the signing key was replaced")
                    })?,
            ),
        };
        let authorized = authorized(&app, worker, auth, &parts.headers, Some(&subject)).await?;
        outcome.who = Some(authorized.accepted.audit());
        // Signing may block (an HSM): off the async threads, with the worker the request saw.
        let (rt2, name2, claims) = (rt.clone(), name.clone(), authorized.accepted.claims.clone());
        let answer = tokio::task::spawn_blocking(move || {
            let _slot = slot;
            let Some((worker, Role::Signing(signer), Some(auth))) =
                rt2.worker(&name2).map(|w| (w, &w.role, &w.authorizer))
            else {
                return Err(unknown_worker(&name2, "signing"));
            };
            perform(worker, signer, auth, &claims, &subject, alg, now)
        })
        .await
        .map_err(|_| Denial::new(Code::SigningFailed, "the signing task failed"))??;
        Ok(match answer["jws"].as_str() {
            Some(compact) if bare => (
                [(header::CONTENT_TYPE, "application/jose")],
                compact.to_owned(),
            )
                .into_response(),
            _ => axum::Json(answer).into_response(),
        })
    }
    .await;
    outcome.answer(result)
}

/// The JWS to check and its detached payload: a JSON body `{"jws": ..., "payload": b64}`, or the
/// body is the JWS itself (any serialization).
fn parse_verify_request(body: &[u8]) -> Result<(Vec<u8>, Option<Vec<u8>>), Denial> {
    let trimmed = body.trim_ascii();
    if trimmed.first() == Some(&b'{') {
        if let Ok(Value::Object(m)) = joseguard::json::parse(trimmed, "request") {
            if let Some(jws) = m.get("jws") {
                let token = match jws {
                    Value::String(s) => s.as_bytes().to_vec(),
                    Value::Object(_) => jws.to_string().into_bytes(),
                    _ => return Err(bad("jws must be a string or a JSON serialization")),
                };
                let payload = match m.get("payload") {
                    None => None,
                    Some(Value::String(p)) => Some(base64("payload", p)?),
                    Some(_) => return Err(bad("payload must be base64 text")),
                };
                return Ok((token, payload));
            }
        }
    }
    if trimmed.is_empty() {
        return Err(bad("the body is empty: send the JWS"));
    }
    Ok((trimmed.to_vec(), None))
}

async fn verify(State(app): State<App>, Path(name): Path<String>, req: Request) -> Response {
    let rt = app.runtime();
    let mut outcome = outcome(&rt, &name, "verify");
    let result = async {
        let Some((worker, Role::Validation(route))) = rt.worker(&name).map(|w| (w, &w.role)) else {
            return Err(unknown_worker(&name, "validation"));
        };
        let (parts, body) = req.into_parts();
        let body = extract::body(body, rt.settings.max_body_bytes).await?;
        if let Some(auth) = &worker.authorizer {
            let authorized = authorized(&app, worker, auth, &parts.headers, None).await?;
            outcome.who = Some(authorized.accepted.audit());
        }
        let (token, detached) = parse_verify_request(&body)?;
        outcome.data_hash = Some(audit_hash(&token));
        let verdict = decide(route, &token, detached.as_deref(), joseguard::jwt::now()).await;
        // The verdict on the submitted JWS is the answer, not an error of the request; only a
        // verdict that could not be reached (keys unavailable) is.
        Ok(match verdict {
            Ok(a) => axum::Json(json!({
                "valid": true,
                "signer": a.issuer.name,
                "header": a.header.members(),
                "payload": joseguard::json::parse(&a.payload, "payload").ok(),
                "payloadB64": b64::encode(&a.payload),
            }))
            .into_response(),
            Err(d) if super::answer::status(d.code).is_server_error() => return Err(d),
            Err(d) => {
                axum::Json(json!({"valid": false, "code": d.code.as_str(), "reason": d.detail}))
                    .into_response()
            }
        })
    }
    .await;
    outcome.answer(result)
}

fn jwks_response(keys: Vec<Value>) -> Response {
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        axum::Json(json!({ "keys": keys })),
    )
        .into_response()
}

async fn worker_jwks(State(app): State<App>, Path(name): Path<String>) -> Response {
    match app.runtime().worker(&name).map(|w| &w.role) {
        Some(Role::Signing(s)) => jwks_response(s.keys.iter().map(|k| k.public.clone()).collect()),
        _ => unknown_worker(&name, "signing").into_response(),
    }
}

async fn all_jwks(State(app): State<App>) -> Response {
    let keys = app
        .runtime()
        .workers
        .iter()
        .flat_map(|w| match &w.role {
            Role::Signing(s) => s.keys.iter().map(|k| k.public.clone()).collect(),
            Role::Validation(_) => Vec::new(),
        })
        .collect();
    jwks_response(keys)
}
