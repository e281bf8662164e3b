//! A real axum service behind `JwtAuth`, against a real OpenID provider on loopback (discovery
//! document and JWK Set served by axum): answers, per-route rules, rotation, outage, and a
//! discovery document that names another issuer.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use joseguard::jwt;
use joseguard::{EcCurve, Jwk, JwsAlgorithm, KeySpec};
use joseguard_axum::{Claims, JwtAuth};
use joseguard_keys::RemoteConfig;
use serde_json::{json, Value};

/// The provider: its discovery document (with an `issuer` the test may falsify) and JWK Set
/// (rotatable, and able to fail).
#[derive(Clone, Default)]
struct Provider {
    base: Arc<Mutex<String>>,
    claimed_issuer: Arc<Mutex<Option<String>>>,
    keys: Arc<Mutex<Vec<Value>>>,
    down: Arc<AtomicBool>,
}

async fn discovery(State(p): State<Provider>) -> impl IntoResponse {
    let base = p.base.lock().unwrap().clone();
    let issuer = p
        .claimed_issuer
        .lock()
        .unwrap()
        .clone()
        .unwrap_or(base.clone());
    axum::Json(json!({ "issuer": issuer, "jwks_uri": format!("{base}/jwks") }))
}

async fn jwks(State(p): State<Provider>) -> axum::response::Response {
    if p.down.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let keys = p.keys.lock().unwrap().clone();
    (
        [(header::CACHE_CONTROL, "max-age=0")],
        axum::Json(json!({ "keys": keys })),
    )
        .into_response()
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

async fn provider(keys: &[&Jwk]) -> (Provider, String) {
    let p = Provider::default();
    *p.keys.lock().unwrap() = keys.iter().map(|k| k.to_public_value()).collect();
    let app = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .with_state(p.clone());
    let url = serve(app).await;
    *p.base.lock().unwrap() = url.clone();
    (p, url)
}

fn quick() -> RemoteConfig {
    RemoteConfig {
        cooldown: Duration::ZERO,
        min_max_age: Duration::ZERO,
        timeout: Duration::from_secs(2),
        ..RemoteConfig::default()
    }
}

fn key(kid: &str) -> Jwk {
    Jwk::generate(KeySpec::Ec(EcCurve::P256))
        .unwrap()
        .with_kid(kid)
}

fn token(key: &Jwk, claims: Value) -> String {
    jwt::Signer::new(key.clone(), JwsAlgorithm::ES256)
        .unwrap()
        .sign(&claims)
        .unwrap()
}

#[derive(serde::Deserialize)]
struct Me {
    sub: String,
}

async fn me(Claims(me): Claims<Me>) -> String {
    me.sub
}

/// The service: `/me` for audience `api`, `/admin` also needing scope `admin`.
async fn service(auth: JwtAuth) -> String {
    let auth = auth.audience("api");
    let admin = auth
        .clone()
        .rule(|c| match c["scope"].as_str() == Some("admin") {
            true => Ok(()),
            false => Err("scope admin required".into()),
        });
    let app = Router::new()
        .route("/me", get(me).layer(auth))
        .route("/admin", get(me).layer(admin));
    serve(app).await
}

async fn call(url: &str, token: Option<&str>) -> (StatusCode, Option<String>, Value) {
    let mut r = reqwest::Client::new().get(url);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let resp = r.send().await.unwrap();
    let status = resp.status();
    let challenge = resp
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = resp.text().await.unwrap();
    let json = serde_json::from_str(&body).unwrap_or(Value::String(body));
    (status, challenge, json)
}

fn claims(iss: &str, extra: Value) -> Value {
    let mut c = json!({ "iss": iss, "aud": "api", "sub": "alice", "exp": jwt::now() + 300 });
    c.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    c
}

#[tokio::test]
async fn answers_and_rules_through_discovery() {
    let k1 = key("k1");
    let (_, issuer) = provider(&[&k1]).await;
    let app = service(JwtAuth::from_issuer_with(&issuer, quick()).await.unwrap()).await;
    let me_url = format!("{app}/me");
    let admin_url = format!("{app}/admin");

    let good = token(&k1, claims(&issuer, json!({})));
    let (s, _, body) = call(&me_url, Some(&good)).await;
    assert_eq!((s, body), (StatusCode::OK, json!("alice")));

    let (s, challenge, body) = call(&me_url, None).await;
    assert_eq!(
        (s, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("token_missing"))
    );
    assert_eq!(challenge.as_deref(), Some(r#"Bearer realm="api""#));

    for (claims, code) in [
        (
            claims(&issuer, json!({ "exp": jwt::now() - 3600 })),
            "token_expired",
        ),
        (
            claims(&issuer, json!({ "aud": "other" })),
            "audience_invalid",
        ),
        (claims("https://evil.example", json!({})), "issuer_invalid"),
    ] {
        let (s, challenge, body) = call(&me_url, Some(&token(&k1, claims))).await;
        assert_eq!(
            (s, body["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some(code))
        );
        assert!(challenge.unwrap().contains(r#"error="invalid_token""#));
        assert!(
            !body.to_string().contains(&good[..20]),
            "no token in the answer"
        );
    }
    let (s, _, body) = call(
        &me_url,
        Some(&token(&key("k1"), claims(&issuer, json!({})))),
    )
    .await;
    assert_eq!(
        (s, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("signature_invalid"))
    );

    let (s, challenge, body) = call(&admin_url, Some(&good)).await;
    assert_eq!(
        (s, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("rule_denied"))
    );
    assert!(challenge.unwrap().contains(r#"error="insufficient_scope""#));
    let admin = token(&k1, claims(&issuer, json!({ "scope": "admin" })));
    assert_eq!(call(&admin_url, Some(&admin)).await.0, StatusCode::OK);

    let twice = reqwest::Client::new()
        .get(&me_url)
        .header(header::AUTHORIZATION, format!("Bearer {good}"))
        .header(header::AUTHORIZATION, format!("Bearer {admin}"))
        .send()
        .await
        .unwrap();
    assert_eq!(twice.status(), StatusCode::BAD_REQUEST);

    // Claims that do not fit the handler's type.
    let no_sub = token(
        &k1,
        json!({ "iss": issuer, "aud": "api", "exp": jwt::now() + 60 }),
    );
    let (s, _, body) = call(&me_url, Some(&no_sub)).await;
    assert_eq!(
        (s, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("claim_invalid"))
    );
}

#[tokio::test]
async fn rotation_and_outage() {
    let (k1, k2) = (key("k1"), key("k2"));
    let (provider, issuer) = provider(&[&k1]).await;
    let app = service(JwtAuth::from_issuer_with(&issuer, quick()).await.unwrap()).await;
    let me_url = format!("{app}/me");
    assert_eq!(
        call(&me_url, Some(&token(&k1, claims(&issuer, json!({})))))
            .await
            .0,
        StatusCode::OK
    );

    // The provider rotates to k2: a token naming k2 makes the layer fetch again.
    *provider.keys.lock().unwrap() = vec![k2.to_public_value()];
    assert_eq!(
        call(&me_url, Some(&token(&k2, claims(&issuer, json!({})))))
            .await
            .0,
        StatusCode::OK
    );

    // The JWK Set goes down: the last good set keeps serving (stale-if-error).
    provider.down.store(true, Ordering::SeqCst);
    assert_eq!(
        call(&me_url, Some(&token(&k2, claims(&issuer, json!({})))))
            .await
            .0,
        StatusCode::OK
    );

    // A service that never had the keys fails closed with 503 and Retry-After.
    let cold = service(JwtAuth::from_issuer_with(&issuer, quick()).await.unwrap()).await;
    let resp = reqwest::Client::new()
        .get(format!("{cold}/me"))
        .bearer_auth(token(&k2, claims(&issuer, json!({}))))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(resp.headers()[header::RETRY_AFTER], "30");
    let body: Value = serde_json::from_str(&resp.text().await.unwrap()).unwrap();
    assert_eq!(body["code"], "keys_unavailable");
}

#[tokio::test]
async fn a_discovery_document_for_another_issuer_is_refused() {
    let (provider, issuer) = provider(&[&key("k1")]).await;
    *provider.claimed_issuer.lock().unwrap() = Some("https://op.example".into());
    let err = JwtAuth::from_issuer_with(&issuer, quick())
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("is for issuer \"https://op.example\""),
        "{err}"
    );
    // And an issuer whose document cannot be had at all.
    assert!(JwtAuth::from_issuer_with("http://127.0.0.1:9", quick())
        .await
        .is_err());
}

#[tokio::test]
async fn keys_from_a_file() {
    let k1 = key("k1");
    let dir = std::env::temp_dir().join(format!("joseguard-axum-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("jwks.json");
    std::fs::write(&path, json!({ "keys": [k1.to_public_value()] }).to_string()).unwrap();
    let auth = JwtAuth::from_jwks_file(&path)
        .await
        .unwrap()
        .issuer("https://op.example");
    let app = service(auth).await;
    let t = token(&k1, claims("https://op.example", json!({})));
    assert_eq!(call(&format!("{app}/me"), Some(&t)).await.0, StatusCode::OK);
    std::fs::remove_dir_all(dir).unwrap();
}

#[allow(dead_code)] // its `main` is for `cargo run --example service`
#[path = "../examples/service.rs"]
mod service_example;

#[tokio::test]
async fn the_example_service_runs() {
    service_example::demo().await.unwrap();
}
