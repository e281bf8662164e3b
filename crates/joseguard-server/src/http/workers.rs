//! The worker endpoints: `POST /workers/{name}/sign`, `POST /workers/{name}/verify`,
//! `GET /workers/{name}/jwks` and `GET /.well-known/jwks.json`. Each request is authorized (the
//! caller's bearer token, its claims, the binding to the submitted data, single use), performed,
//! and written to one audit line that never holds the token.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine;
use joseguard::b64;
use joseguard::jws::{self, Header, JwsBuilder};
use joseguard::{JwsAlgorithm, KeyType, Sha2};
use serde_json::{json, Map, Value};

use crate::answer::{Audit, Rejection};
use crate::decide::{decide, decide_detached, Accepted};
use crate::extract;
use crate::gateway::App;
use crate::replay::StoreDown;
use crate::runtime::TokenSource;
use crate::worker::{sha2_name, sha2_named, Authorizer, Output, Role, Signer, Worker};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/workers/{name}/sign", post(sign))
        .route("/workers/{name}/verify", post(verify))
        .route("/workers/{name}/jwks", get(worker_jwks))
        .route("/.well-known/jwks.json", get(all_jwks))
}

/// Standard or URL-safe base64, padded or not: callers send either.
fn b64_any(field: &str, text: &str) -> Result<Vec<u8>, Rejection> {
    let t = text.trim().trim_end_matches('=');
    let engine = if t.contains(['-', '_']) {
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
    } else {
        &base64::engine::general_purpose::STANDARD_NO_PAD
    };
    engine
        .decode(t)
        .map_err(|e| bad(format!("{field:?} is not base64: {e}")))
}

fn bad(detail: impl Into<String>) -> Rejection {
    Rejection::bad_request("request_invalid", detail)
}

/// What the caller asks to have signed.
enum Subject {
    Data(Vec<u8>),
    Hash { hash: Sha2, digest: Vec<u8> },
}

/// `SHA-256:<base64url>` of some bytes, for the audit line.
fn audit_hash(data: &[u8]) -> String {
    format!("SHA-256:{}", b64::encode(Sha2::Sha256.digest(data)))
}

impl Subject {
    /// The audit line's hash: of the data, or the submitted hash as it came.
    fn audit_hash(&self) -> String {
        match self {
            Subject::Data(d) => audit_hash(d),
            Subject::Hash { hash, digest } => {
                format!("{}:{}", sha2_name(*hash), b64::encode(digest))
            }
        }
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SignBody {
    data: Option<String>,
    hash: Option<String>,
    hash_algorithm: Option<String>,
    alg: Option<String>,
}

/// A JSON body (`{"data": b64}` or `{"hash": b64, "hashAlgorithm": "SHA-256"}`, optional
/// `alg`); any other content type is the document itself.
fn parse_sign_request(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Subject, Option<String>), Rejection> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        });
    if !is_json {
        if body.is_empty() {
            return Err(bad(
                "the body is empty: send the document, or JSON with data or hash",
            ));
        }
        return Ok((Subject::Data(body.to_vec()), None));
    }
    let req: SignBody =
        serde_json::from_slice(body).map_err(|e| bad(format!("the JSON body: {e}")))?;
    let subject = match (req.data, req.hash, req.hash_algorithm) {
        (Some(d), None, None) => Subject::Data(b64_any("data", &d)?),
        (None, Some(h), Some(name)) => {
            let hash = sha2_named(&name).ok_or_else(|| {
                bad(format!(
                    "hashAlgorithm {name:?}: use SHA-256, SHA-384 or SHA-512"
                ))
            })?;
            let digest = b64_any("hash", &h)?;
            if digest.len() != hash.len() {
                return Err(bad(format!(
                    "a {} hash is {} bytes, not {}",
                    sha2_name(hash),
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

/// The algorithm: the one asked for if the worker offers it, else the worker's first that fits.
fn choose_alg(
    signer: &Signer,
    subject: &Subject,
    asked: Option<&str>,
) -> Result<JwsAlgorithm, Rejection> {
    let fits = |alg: &JwsAlgorithm| match subject {
        Subject::Data(_) => true,
        Subject::Hash { hash, .. } => signer.key.key_type() != KeyType::Okp && alg.hash() == *hash,
    };
    if let Some(name) = asked {
        let alg = signer
            .algorithms
            .iter()
            .find(|a| a.name() == name)
            .ok_or_else(|| {
                Rejection::bad_request(
                    "alg_not_allowed",
                    format!("this worker does not sign with {name:?}"),
                )
            })?;
        return if fits(alg) {
            Ok(*alg)
        } else {
            Err(Rejection::bad_request(
                "hash_algorithm_unsupported",
                format!("{name} does not sign this hash"),
            ))
        };
    }
    signer.algorithms.iter().copied().find(fits).ok_or_else(|| {
        Rejection::bad_request(
            "hash_algorithm_unsupported",
            "no algorithm of this worker signs this hash (EdDSA signs whole documents only)",
        )
    })
}

fn unknown_worker(name: &str, kind: &str) -> Rejection {
    Rejection::new(
        StatusCode::NOT_FOUND,
        "worker_unknown",
        format!("no {kind} worker named {name:?}"),
    )
}

/// Checks the caller's token against the worker's authorizer; on success, the token is spent
/// when the worker is single-use. `subject` is what a binding must name.
async fn authorize(
    app: &App,
    worker: &Worker,
    auth: &Authorizer,
    headers: &HeaderMap,
    subject: Option<&Subject>,
) -> Result<Arc<Accepted>, Rejection> {
    let token = extract::bearer_like(&TokenSource::Bearer, headers, None)?
        .ok_or_else(Rejection::missing)?;
    let now = joseguard::jwt::now();
    let accepted = decide(&auth.route, &token, now).await?;
    let identified = |mut r: Rejection| {
        r.audit = Some(Box::new(accepted.audit()));
        r
    };
    if let (Some(binding), Some(subject)) = (&auth.binding, subject) {
        let digest = match subject {
            Subject::Data(d) => binding.hash.digest(d),
            Subject::Hash { hash, digest } if *hash == binding.hash => digest.clone(),
            Subject::Hash { hash, .. } => {
                return Err(identified(Rejection::new(
                    StatusCode::FORBIDDEN,
                    "binding_failed",
                    format!(
                        "tokens for this worker bind {} hashes; the request submits a {} hash",
                        sha2_name(binding.hash),
                        sha2_name(*hash)
                    ),
                )))
            }
        };
        if !binding.matches(&accepted.claims, &digest) {
            return Err(identified(Rejection::new(
                StatusCode::FORBIDDEN,
                "binding_failed",
                format!(
                    "claim {:?} does not name the {} hash of the submitted data",
                    binding.claim,
                    sha2_name(binding.hash)
                ),
            )));
        }
    }
    if let Some(single) = &auth.single_use {
        let Some(jti) = accepted
            .claims
            .get("jti")
            .and_then(Value::as_str)
            .filter(|j| !j.is_empty())
        else {
            return Err(identified(Rejection::new(
                StatusCode::UNAUTHORIZED,
                "jti_missing",
                "this worker accepts each token once and needs its jti",
            )));
        };
        let iss = accepted
            .claims
            .get("iss")
            .and_then(Value::as_str)
            .unwrap_or("");
        // Hashed: bounded key length whatever the claims hold, and no claim text in Redis.
        let key = format!(
            "joseguard:jti:{}",
            b64::encode(Sha2::Sha256.digest(format!("{iss}\0{jti}").as_bytes()))
        );
        // Remembered as long as the authorizer would accept the token: its validity as the
        // validation computed it (exp with the clock skew).
        let until = accepted
            .valid_until
            .unwrap_or_else(|| now.saturating_add(auth.skew as i64));
        let first_use = match app.replay_store(&single.store) {
            Ok(store) => store.first_use(&key, until, now).await,
            Err(down) => Err(down),
        };
        match first_use {
            Ok(true) => {}
            Ok(false) => {
                return Err(identified(Rejection::new(
                    StatusCode::CONFLICT,
                    "token_replayed",
                    "this token was already used (jti seen before)",
                )))
            }
            Err(StoreDown(why)) => {
                app.metrics
                    .replay_store_unavailable(&worker.name, single.allow_when_down);
                if single.allow_when_down {
                    tracing::warn!(worker = %worker.name, error = %why, "replay store unavailable; accepting as configured");
                } else {
                    tracing::error!(worker = %worker.name, error = %why, "replay store unavailable; refusing");
                    return Err(identified(Rejection::unavailable(
                        "replay_store_unavailable",
                        "the replay store cannot be reached",
                    )));
                }
            }
        }
    }
    Ok(accepted)
}

/// The claims the authorizer copies into the signature, rendered.
fn context(auth: &Authorizer, claims: &Value) -> Map<String, Value> {
    auth.context
        .iter()
        .filter_map(|(name, t)| t.render(claims).map(|v| (name.clone(), v)))
        .collect()
}

fn signing_failed(e: joseguard::Error) -> Rejection {
    Rejection::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "signing_failed",
        e.to_string(),
    )
}

/// Signs the subject; the answer's JSON.
fn perform(
    worker: &Worker,
    signer: &Signer,
    auth: &Authorizer,
    claims: &Value,
    subject: &Subject,
    alg: JwsAlgorithm,
) -> Result<Value, Rejection> {
    let ctx = context(auth, claims);
    let mut answer = json!({
        "worker": worker.name,
        "alg": alg.name(),
        "kid": signer.kid,
        "context": ctx,
    });
    match subject {
        Subject::Data(data) => {
            let wrapped;
            let mut protected = Header::new();
            let payload: &[u8] = if auth.context_in_payload {
                wrapped = serde_json::to_vec(&json!({
                    "document": b64::encode(data),
                    "attributes": ctx,
                }))
                .map_err(|e| signing_failed(joseguard::Error::Config(e.to_string())))?;
                &wrapped
            } else {
                for (name, value) in &ctx {
                    protected.insert(name, value.clone());
                }
                data
            };
            let mut builder = JwsBuilder::new(payload);
            if signer.output == Output::Detached {
                builder = builder.b64(false).detached(true);
            }
            let builder = builder
                .signer(&signer.key, alg, protected)
                .map_err(signing_failed)?;
            let jws = match signer.output {
                Output::Compact | Output::Detached => {
                    Value::String(builder.compact().map_err(signing_failed)?)
                }
                Output::Flattened => {
                    let flat = builder.flattened().map_err(signing_failed)?;
                    serde_json::from_str(&flat)
                        .map_err(|e| signing_failed(joseguard::Error::Config(e.to_string())))?
                }
            };
            answer["output"] = signer.output.name().into();
            answer["jws"] = jws;
        }
        Subject::Hash { hash, digest } => {
            let sig = jws::sign_digest(&signer.key, alg, digest).map_err(signing_failed)?;
            answer["hashAlgorithm"] = sha2_name(*hash).into();
            answer["signature"] = b64::encode(&sig).into();
        }
    }
    Ok(answer)
}

/// One audit line per worker request, and its metrics.
fn record(
    app: &App,
    worker: &str,
    operation: &str,
    started: Instant,
    data_hash: &str,
    outcome: Result<&Audit, &Rejection>,
) {
    let (status, code, allowed, a) = crate::answer::summary(outcome.map(|a| (200, a)));
    tracing::info!(
        target: "joseguard::audit",
        worker,
        operation,
        status,
        decision = if allowed { "allow" } else { "deny" },
        reason = code,
        issuer = a.issuer.as_str(),
        iss = a.iss.as_str(),
        sub = a.sub.as_str(),
        jti = a.jti.as_str(),
        data_hash,
        ms = started.elapsed().as_secs_f64() * 1000.0,
    );
    // The name comes from the URL: only a configured worker's name becomes a label.
    let label = match app.runtime().worker(worker) {
        Some(_) => format!("worker:{worker}:{operation}"),
        None => "unknown".to_owned(),
    };
    app.metrics
        .record(&label, allowed, code, started.elapsed().as_secs_f64());
}

async fn sign(State(app): State<App>, Path(name): Path<String>, req: Request) -> Response {
    let started = Instant::now();
    let rt = app.runtime();
    let mut data_hash = String::new();
    // `Accept: application/jose` asks for the bare compact JWS instead of the JSON answer.
    let bare = req
        .headers()
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|m| {
            m.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/jose"))
        });
    let result = async {
        let Some((worker, Role::Signing(signer), Some(auth))) =
            rt.worker(&name).map(|w| (w, &w.role, &w.authorizer))
        else {
            return Err(unknown_worker(&name, "signing"));
        };
        let (parts, body) = req.into_parts();
        let body = extract::body(body, rt.settings.max_body_bytes).await?;
        let (subject, asked) = parse_sign_request(&parts.headers, &body)?;
        data_hash = subject.audit_hash();
        let alg = choose_alg(signer, &subject, asked.as_deref())?;
        let accepted = authorize(&app, worker, auth, &parts.headers, Some(&subject)).await?;
        let answer = perform(worker, signer, auth, &accepted.claims, &subject, alg)?;
        Ok((answer, accepted.audit()))
    }
    .await;
    match result {
        Ok((answer, audit)) => {
            record(&app, &name, "sign", started, &data_hash, Ok(&audit));
            match answer["jws"].as_str() {
                Some(compact) if bare => (
                    [(header::CONTENT_TYPE, "application/jose")],
                    compact.to_owned(),
                )
                    .into_response(),
                _ => axum::Json(answer).into_response(),
            }
        }
        Err(r) => {
            record(&app, &name, "sign", started, &data_hash, Err(&r));
            r.into_response(&rt.settings.realm)
        }
    }
}

/// The JWS to check and its detached payload: a JSON body `{"jws": ..., "payload": b64}`, or the
/// body is the JWS itself (any serialization).
fn parse_verify_request(body: &[u8]) -> Result<(Vec<u8>, Option<Vec<u8>>), Rejection> {
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
                    Some(Value::String(p)) => Some(b64_any("payload", p)?),
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
    let started = Instant::now();
    let rt = app.runtime();
    let mut data_hash = String::new();
    let result = async {
        let Some((worker, Role::Validation(route))) = rt.worker(&name).map(|w| (w, &w.role)) else {
            return Err(unknown_worker(&name, "validation"));
        };
        let (parts, body) = req.into_parts();
        let body = extract::body(body, rt.settings.max_body_bytes).await?;
        let caller = match &worker.authorizer {
            Some(auth) => authorize(&app, worker, auth, &parts.headers, None)
                .await?
                .audit(),
            None => Audit::default(),
        };
        let (token, detached) = parse_verify_request(&body)?;
        data_hash = audit_hash(&token);
        let now = joseguard::jwt::now();
        let verdict = decide_detached(route, &token, detached.as_deref(), now).await;
        Ok((verdict, caller))
    }
    .await;
    let (verdict, caller) = match result {
        Ok(v) => v,
        Err(r) => {
            record(&app, &name, "verify", started, &data_hash, Err(&r));
            return r.into_response(&rt.settings.realm);
        }
    };
    // The verdict on the submitted JWS is the answer, not an error of the request; only a
    // verdict that could not be reached (keys unavailable) is.
    match verdict {
        Ok(a) => {
            record(&app, &name, "verify", started, &data_hash, Ok(&caller));
            axum::Json(json!({
                "valid": true,
                "signer": a.issuer.name,
                "header": a.header.members(),
                "payload": joseguard::json::parse(&a.payload, "payload").ok(),
                "payloadB64": b64::encode(&a.payload),
            }))
            .into_response()
        }
        Err(r) => {
            record(&app, &name, "verify", started, &data_hash, Err(&r));
            if r.status == StatusCode::SERVICE_UNAVAILABLE {
                return r.into_response(&rt.settings.realm);
            }
            axum::Json(json!({"valid": false, "code": r.code, "reason": r.detail})).into_response()
        }
    }
}

fn jwks_response(keys: Vec<Value>) -> Response {
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        axum::Json(json!({ "keys": keys })),
    )
        .into_response()
}

async fn worker_jwks(State(app): State<App>, Path(name): Path<String>) -> Response {
    let rt = app.runtime();
    match rt.worker(&name).map(|w| &w.role) {
        Some(Role::Signing(s)) => jwks_response(vec![s.public.clone()]),
        _ => unknown_worker(&name, "signing").into_response(&rt.settings.realm),
    }
}

async fn all_jwks(State(app): State<App>) -> Response {
    let keys = app
        .runtime()
        .workers
        .iter()
        .filter_map(|w| match &w.role {
            Role::Signing(s) => Some(s.public.clone()),
            Role::Validation(_) => None,
        })
        .collect();
    jwks_response(keys)
}
