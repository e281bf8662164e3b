//! The real server and a real backend on loopback ports: every answer, every key source, token
//! sources, JOSE body forwarding, forward-auth, operations endpoints and reloads.

use std::sync::Arc;
use std::time::Duration;

use crate::common::{client, get_text, problem, refusal, Gw};

use base64::Engine;
use joseguard::jws::{self, Header};
use joseguard::jwt;
use joseguard::{b64, EcCurve, Jwk, JwsAlgorithm, KeySpec};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The echo backend (the one the quickstart embeds): answers with what it received.
async fn backend() -> String {
    joseguard_server::http::echo::start().await.unwrap()
}

/// A backend that answers only after `delay`.
async fn slow_backend(delay: Duration) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().fallback(move || async move {
        tokio::time::sleep(delay).await;
        "late"
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

fn es_key(kid: &str) -> Jwk {
    let mut k = Jwk::generate(KeySpec::Ec(EcCurve::P256)).unwrap();
    k.set_kid(Some(kid.into()));
    k
}

fn token(key: &Jwk, alg: JwsAlgorithm, f: impl FnOnce(jwt::Builder) -> jwt::Builder) -> String {
    let now = jwt::now();
    f(jwt::Builder::new()
        .issuer("https://op.example")
        .audience("api")
        .subject("alice")
        .issued_at(now)
        .expires_at(now + 300))
    .sign(key, alg)
    .unwrap()
}

fn base_config(backend: &str, extra_issuer: &str, routes: &str) -> String {
    format!(
        r#"
[server]
listen = "127.0.0.1:0"
max_body_bytes = 4096
request_timeout = "2s"
watch_interval = "0s"

[backend]
url = "{backend}"

[[issuer]]
name = "op"
iss = "https://op.example"
algorithms = ["ES256", "RS256", "EdDSA"]
audiences = ["api"]
{extra_issuer}

{routes}
"#
    )
}

const API: &str = r#"
[[route]]
path = "/api"
issuers = ["op"]
[route.claims_to_headers]
X-User = "sub"
X-Roles = { claim = "realm_access.roles", format = "comma" }
X-Roles-Json = "realm_access.roles"
"#;

#[tokio::test]
async fn bearer_answers() {
    let k1 = es_key("k1");
    let be = backend().await;
    let cfg = base_config(&be, "[issuer.keys]\nk1 = { file = \"k1.jwk\" }", API);
    let gw = Gw::start(
        "bearer",
        &cfg,
        &[("k1.jwk", k1.to_public().unwrap().to_json())],
    )
    .await;
    let c = client();
    // 200: claims to headers, inbound copies stripped.
    let good = token(&k1, JwsAlgorithm::ES256, |b| {
        b.claim("realm_access", json!({"roles": ["admin", "ops"]}))
    });
    let r = c
        .get(gw.url("/api/x?q=1"))
        .bearer_auth(&good)
        .header("X-User", "mallory")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let echo: Value = r.json().await.unwrap();
    assert_eq!(echo["uri"], "/api/x?q=1");
    assert_eq!(echo["headers"]["x-user"], "alice");
    assert_eq!(echo["headers"]["x-roles"], "admin,ops");
    assert_eq!(echo["headers"]["x-roles-json"], r#"["admin","ops"]"#);
    // 401 missing: challenge without error.
    let (s, ch, body) = problem(c.get(gw.url("/api/x")).send().await.unwrap()).await;
    assert_eq!(
        (s, ch.as_deref(), body["code"].as_str()),
        (
            StatusCode::UNAUTHORIZED,
            Some(r#"Bearer realm="joseguard""#),
            Some("token_missing")
        )
    );
    // Each rejection with its stable code.
    let now = jwt::now();
    let other = es_key("k1");
    let cases = [
        (
            token(&k1, JwsAlgorithm::ES256, |b| b.expires_at(now - 600)),
            "token_expired",
        ),
        (
            token(&k1, JwsAlgorithm::ES256, |b| b.not_before(now + 600)),
            "token_not_yet_valid",
        ),
        (
            token(&es_key("k9"), JwsAlgorithm::ES256, |b| b),
            "kid_unknown",
        ),
        (
            token(&other, JwsAlgorithm::ES256, |b| b),
            "signature_invalid",
        ),
        (
            token(&k1, JwsAlgorithm::ES256, |b| b.audience("other")),
            "audience_invalid",
        ),
        (
            token(&k1, JwsAlgorithm::ES256, |b| {
                b.issuer("https://evil.example")
            }),
            "issuer_invalid",
        ),
        (
            token(&k1, JwsAlgorithm::ES256, |b| b.typ("at+jwt")),
            "typ_not_allowed",
        ),
        ("not.a.token".to_owned(), "token_malformed"),
        ("a.b".to_owned(), "token_malformed"),
        (
            format!(
                "{}.{}.",
                b64::encode(r#"{"alg":"none"}"#),
                b64::encode("{}")
            ),
            "alg_not_allowed",
        ),
    ];
    for (t, code) in cases {
        let (s, ch, body) =
            problem(c.get(gw.url("/api")).bearer_auth(&t).send().await.unwrap()).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{code}");
        assert_eq!(body["code"], code);
        let ch = ch.unwrap();
        assert!(
            ch.starts_with(
                r#"Bearer realm="joseguard", error="invalid_token", error_description=""#
            ),
            "{ch}"
        );
        assert!(
            !ch.contains(&t) || t.len() < 12,
            "the challenge never echoes the token"
        );
    }
    // typ is case-insensitive and JOSE is accepted (the Gravitee policy wrongly refused it).
    let jose = jws::Builder::new(
        json!({"iss":"https://op.example","aud":"api","exp": now + 60})
            .to_string()
            .as_bytes(),
    )
    .signer(&k1, JwsAlgorithm::ES256, Header::new().with("typ", "jose"))
    .unwrap()
    .compact()
    .unwrap();
    assert_eq!(
        c.get(gw.url("/api"))
            .bearer_auth(&jose)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // No 404 leaks into routed paths; unrouted paths get 404 problem.
    assert_eq!(
        c.get(gw.url("/nothing")).send().await.unwrap().status(),
        404
    );
}

#[tokio::test]
async fn every_key_source_and_the_gravitee_example() {
    // Gravitee's README: policy.jws.kid.default is an ssh-rsa line, kid-2016 a PEM certificate.
    let rsa = Jwk::generate(KeySpec::Rsa(2048)).unwrap();
    let rsa_pub = rsa.to_public().unwrap().to_public_value();
    let mpint = |b64u: &str| {
        let mut v = b64::decode(b64u, "x").unwrap();
        if v[0] & 0x80 != 0 {
            v.insert(0, 0);
        }
        v
    };
    let mut wire = Vec::new();
    for part in [
        b"ssh-rsa".to_vec(),
        mpint(rsa_pub["e"].as_str().unwrap()),
        mpint(rsa_pub["n"].as_str().unwrap()),
    ] {
        wire.extend_from_slice(&(part.len() as u32).to_be_bytes());
        wire.extend_from_slice(&part);
    }
    let ssh_line = format!(
        "ssh-rsa {} gateway@example",
        base64::engine::general_purpose::STANDARD.encode(&wire)
    );
    // A certificate for kid-2016, made with rcgen; its private key signs.
    let cert_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["signer.example".into()])
        .unwrap()
        .self_signed(&cert_key)
        .unwrap();
    let mut cert_signer = Jwk::from_pem(&cert_key.serialize_pem()).unwrap();
    cert_signer.set_kid(Some("kid-2016".into()));
    // SPKI PEM, base64 SPKI, inline JWK, JWK Set file, and a JWK Set URL.
    let spki_key = es_key("spki");
    let b64_key = es_key("b64");
    let inline = Jwk::generate(KeySpec::Okp(joseguard::OkpCurve::Ed25519)).unwrap();
    let set_key = es_key("from-set");
    let url_key = es_key("from-url");
    let jwks_url = {
        let body = json!({"keys": [url_key.to_public_value()]}).to_string();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks", listener.local_addr().unwrap());
        let app =
            axum::Router::new().route("/jwks", axum::routing::get(move || async move { body }));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        url
    };
    let be = backend().await;
    let b64_spki = base64::engine::general_purpose::STANDARD.encode(b64_key.to_spki_der().unwrap());
    let inline_toml = inline.to_public_value().to_string().replace('"', "\\\"");
    let issuers = format!(
        r#"
[issuer.keys]
default = "{ssh_line}"
kid-2016 = {{ file = "cert.pem" }}
spki = {{ file = "spki.pem" }}
b64 = {{ spki = "{b64_spki}" }}
ed = "{inline_toml}"

[[issuer]]
name = "set"
iss = "https://set.example"
algorithms = ["ES256"]
jwks_file = "jwks.json"

[[issuer]]
name = "url"
iss = "https://url.example"
algorithms = ["ES256"]
jwks_url = "{jwks_url}"
"#
    );
    let routes = r#"
[[route]]
path = "/api"
issuers = ["op", "set", "url"]
"#;
    let cfg = base_config(&be, &issuers, routes);
    let files = [
        ("cert.pem", cert.pem()),
        ("spki.pem", spki_key.to_public_pem().unwrap()),
        (
            "jwks.json",
            json!({"keys": [set_key.to_public_value()]}).to_string(),
        ),
    ];
    let gw = Gw::start("sources", &cfg, &files).await;
    let c = client();
    let mut inline_signer = inline;
    inline_signer.set_kid(Some("ed".into()));
    let now = jwt::now();
    let cases: Vec<(String, &str)> = vec![
        (
            token(&rsa, JwsAlgorithm::RS256, |b| b),
            "ssh-rsa default (no kid)",
        ),
        (
            token(&cert_signer, JwsAlgorithm::ES256, |b| b),
            "PEM certificate kid-2016",
        ),
        (token(&spki_key, JwsAlgorithm::ES256, |b| b), "SPKI PEM"),
        (token(&b64_key, JwsAlgorithm::ES256, |b| b), "base64 SPKI"),
        (
            token(&inline_signer, JwsAlgorithm::EdDSA, |b| b),
            "inline JWK",
        ),
        (
            jwt::Builder::new()
                .issuer("https://set.example")
                .expires_at(now + 60)
                .sign(&set_key, JwsAlgorithm::ES256)
                .unwrap(),
            "JWK Set file",
        ),
        (
            jwt::Builder::new()
                .issuer("https://url.example")
                .expires_at(now + 60)
                .sign(&url_key, JwsAlgorithm::ES256)
                .unwrap(),
            "JWK Set URL",
        ),
    ];
    for (t, what) in cases {
        let r = c.get(gw.url("/api")).bearer_auth(&t).send().await.unwrap();
        assert_eq!(r.status(), 200, "{what}: {}", r.text().await.unwrap());
    }
    // A token naming an issuer the route does not accept.
    let stranger = jwt::Builder::new()
        .issuer("https://nobody")
        .expires_at(now + 60)
        .sign(&set_key, JwsAlgorithm::ES256)
        .unwrap();
    assert_eq!(
        refusal(
            c.get(gw.url("/api"))
                .bearer_auth(&stranger)
                .send()
                .await
                .unwrap()
        )
        .await,
        (StatusCode::UNAUTHORIZED, "issuer_unknown".to_owned())
    );
}

#[tokio::test]
async fn rules_deny_with_403() {
    let k1 = es_key("k1");
    let be = backend().await;
    let routes = r#"
[[route]]
path = "/api"
issuers = ["op"]
rules = { all = [
  { claim = "scope", contains = "read" },
  { any = [ { claim = "acr", at_least = "substantial", levels = ["low", "substantial", "high"] }, { claim = "amr", contains = "mfa" } ] },
  { not = { claim = "suspended", exists = true } },
  { claim = "email", regex = ".*@example\\.com" },
  { claim = "age", gte = 18 },
] }
"#;
    let cfg = base_config(&be, "[issuer.keys]\nk1 = { file = \"k1.jwk\" }", routes);
    let gw = Gw::start(
        "rules",
        &cfg,
        &[("k1.jwk", k1.to_public().unwrap().to_json())],
    )
    .await;
    let c = client();
    let ok = |b: jwt::Builder| {
        b.claim("scope", "read write")
            .claim("acr", "high")
            .claim("email", "a@example.com")
            .claim("age", 30)
    };
    let t = token(&k1, JwsAlgorithm::ES256, ok);
    assert_eq!(
        c.get(gw.url("/api"))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let denials: Vec<Box<dyn Fn(jwt::Builder) -> jwt::Builder>> = vec![
        Box::new(move |b| ok(b).claim("scope", "write")),
        Box::new(move |b| ok(b).claim("acr", "low")),
        Box::new(move |b| ok(b).claim("suspended", true)),
        Box::new(move |b| ok(b).claim("email", "a@example.com.evil")),
        Box::new(move |b| ok(b).claim("age", 17)),
    ];
    for d in denials {
        let t = token(&k1, JwsAlgorithm::ES256, d);
        let (s, ch, body) =
            problem(c.get(gw.url("/api")).bearer_auth(&t).send().await.unwrap()).await;
        assert_eq!(
            (s, body["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("rule_denied"))
        );
        assert!(ch.unwrap().contains(r#"error="insufficient_scope""#));
    }
    // amr instead of acr satisfies the any-of.
    let t = token(&k1, JwsAlgorithm::ES256, |b| {
        ok(b)
            .claim("acr", "low")
            .claim("amr", json!(["pwd", "mfa"]))
    });
    assert_eq!(
        c.get(gw.url("/api"))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn jose_body_mode_forwards_original_or_payload() {
    let k1 = es_key("k1");
    let be = backend().await;
    let routes = r#"
[[route]]
path = "/orig"
issuers = ["docs"]
mode = "jose-body"
require_exp = false

[[route]]
path = "/payload"
issuers = ["docs"]
mode = "jose-body"
forward = "payload"
require_exp = false
allow_json_serialization = true
cty = ["json", "text/plain"]
"#;
    // A document signer: no iss/aud expectations, its documents are not JWTs.
    let docs = "[issuer.keys]\nk1 = { file = \"k1.jwk\" }\n\n[[issuer]]\nname = \"docs\"\nalgorithms = [\"ES256\"]\n[issuer.keys]\nk1 = { file = \"k1.jwk\" }";
    let cfg = base_config(&be, docs, routes);
    let gw = Gw::start(
        "jose",
        &cfg,
        &[("k1.jwk", k1.to_public().unwrap().to_json())],
    )
    .await;
    let c = client();
    let jws = |payload: &[u8], cty: Option<&str>| {
        let mut h = Header::new().with("typ", "JOSE");
        if let Some(c) = cty {
            h.insert("cty", c);
        }
        let b = jws::Builder::new(payload)
            .signer(&k1, JwsAlgorithm::ES256, h)
            .unwrap();
        (b.compact().unwrap(), b.flattened().unwrap())
    };
    let doc = jws(br#"{"amount":42}"#, Some("json"));
    let compact = doc.0.clone();
    let r = c
        .post(gw.url("/orig"))
        .header("content-type", "application/jose")
        .body(compact.clone())
        .send()
        .await
        .unwrap();
    let echo: Value = r.json().await.unwrap();
    assert_eq!(echo["body"], compact.as_str(), "original request forwarded");
    assert_eq!(echo["headers"]["content-type"], "application/jose");
    // cty "json" becomes application/json (RFC 7515 §4.1.10).
    let r = c
        .post(gw.url("/payload"))
        .header("content-type", "application/jose+json")
        .body(compact)
        .send()
        .await
        .unwrap();
    let echo: Value = r.json().await.unwrap();
    assert_eq!(echo["body"], r#"{"amount":42}"#);
    assert_eq!(echo["headers"]["content-type"], "application/json");
    let text = jws(b"plain words", Some("text/plain")).0;
    let echo: Value = c
        .post(gw.url("/payload"))
        .header("content-type", "application/jose")
        .body(text)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            echo["body"].as_str(),
            echo["headers"]["content-type"].as_str()
        ),
        (Some("plain words"), Some("text/plain"))
    );
    // Flattened JSON only where allowed.
    let flat = doc.1;
    assert_eq!(
        c.post(gw.url("/payload"))
            .header("content-type", "application/jose+json")
            .body(flat.clone())
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        refusal(
            c.post(gw.url("/orig"))
                .header("content-type", "application/jose+json")
                .body(flat)
                .send()
                .await
                .unwrap()
        )
        .await,
        (
            StatusCode::UNAUTHORIZED,
            "serialization_not_allowed".to_owned()
        )
    );
    // cty not allowed, wrong content type, empty body, body over the limit.
    let xml = jws(b"<a/>", Some("xml")).0;
    let (_, _, body) = problem(
        c.post(gw.url("/payload"))
            .header("content-type", "application/jose")
            .body(xml)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(body["code"], "cty_not_allowed");
    assert_eq!(
        refusal(
            c.post(gw.url("/orig"))
                .header("content-type", "text/plain")
                .body("x")
                .send()
                .await
                .unwrap()
        )
        .await,
        (
            StatusCode::BAD_REQUEST,
            "content_type_unsupported".to_owned()
        )
    );
    assert_eq!(
        refusal(
            c.post(gw.url("/orig"))
                .header("content-type", "application/jose")
                .send()
                .await
                .unwrap()
        )
        .await,
        (StatusCode::UNAUTHORIZED, "token_missing".to_owned())
    );
    let big = jws(&vec![b'a'; 8000], None).0;
    assert_eq!(
        refusal(
            c.post(gw.url("/orig"))
                .header("content-type", "application/jose")
                .body(big)
                .send()
                .await
                .unwrap()
        )
        .await,
        (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large".to_owned())
    );
}

#[tokio::test]
async fn token_sources_header_query_cookie() {
    let k1 = es_key("k1");
    let be = backend().await;
    let routes = r#"
[[route]]
path = "/h"
issuers = ["op"]
token = { header = "X-Token" }
[[route]]
path = "/q"
issuers = ["op"]
token = { query = "access_token" }
[[route]]
path = "/c"
issuers = ["op"]
token = { cookie = "session" }
"#;
    let cfg = base_config(&be, "[issuer.keys]\nk1 = { file = \"k1.jwk\" }", routes);
    let gw = Gw::start(
        "sources2",
        &cfg,
        &[("k1.jwk", k1.to_public().unwrap().to_json())],
    )
    .await;
    let c = client();
    let t = token(&k1, JwsAlgorithm::ES256, |b| b);
    assert_eq!(
        c.get(gw.url("/h"))
            .header("X-Token", &t)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        c.get(gw.url(&format!("/q?x=1&access_token={t}")))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        c.get(gw.url("/c"))
            .header("cookie", format!("a=b; session={t}"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        c.get(gw.url("/h"))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap()
            .status(),
        401,
        "the route reads X-Token only"
    );
}

#[tokio::test]
async fn backend_failures_are_502_and_504() {
    let k1 = es_key("k1");
    let slow = slow_backend(Duration::from_secs(5)).await;
    let routes = r#"
[[route]]
path = "/down"
issuers = ["op"]
backend = "http://127.0.0.1:9"
[[route]]
path = "/slow"
issuers = ["op"]
backend = "SLOW"
"#
    .replace("SLOW", &slow);
    let cfg = base_config(
        "http://127.0.0.1:9",
        "[issuer.keys]\nk1 = { file = \"k1.jwk\" }",
        &routes,
    );
    let gw = Gw::start(
        "backend",
        &cfg,
        &[("k1.jwk", k1.to_public().unwrap().to_json())],
    )
    .await;
    let c = client();
    let t = token(&k1, JwsAlgorithm::ES256, |b| b);
    assert_eq!(
        refusal(c.get(gw.url("/down")).bearer_auth(&t).send().await.unwrap()).await,
        (StatusCode::BAD_GATEWAY, "backend_unavailable".to_owned())
    );
    let (s, _, _) = problem(c.get(gw.url("/slow")).bearer_auth(&t).send().await.unwrap()).await;
    assert_eq!(s, StatusCode::GATEWAY_TIMEOUT);
}

/// `[backend] max_connections` bounds the connections to the backend: with 2, eight
/// concurrent requests reach a backend that counts them at most two at a time, and all eight
/// are answered (the others wait for a connection, within the request timeout).
#[tokio::test]
async fn backend_connections_are_bounded() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let (now, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (n, p) = (now.clone(), peak.clone());
    let app = axum::Router::new().fallback(move || {
        let (n, p) = (n.clone(), p.clone());
        async move {
            let current = n.fetch_add(1, Ordering::SeqCst) + 1;
            p.fetch_max(current, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(100)).await;
            n.fetch_sub(1, Ordering::SeqCst);
            "ok"
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let be = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let k1 = es_key("k1");
    let cfg = base_config(&be, "[issuer.keys]\nk1 = { file = \"k1.jwk\" }", API)
        .replace("[backend]\n", "[backend]\nmax_connections = 2\n");
    let gw = Gw::start(
        "backend-pool",
        &cfg,
        &[("k1.jwk", k1.to_public().unwrap().to_json())],
    )
    .await;
    let t = token(&k1, JwsAlgorithm::ES256, |b| b);
    let c = client();
    let answers = futures_util::future::join_all(
        (0..8).map(|i| c.get(gw.url(&format!("/api/{i}"))).bearer_auth(&t).send()),
    )
    .await;
    for a in answers {
        assert_eq!(a.unwrap().status(), 200);
    }
    assert_eq!(
        peak.load(Ordering::SeqCst),
        2,
        "at most two at a time, and two used"
    );
}

#[tokio::test]
async fn keys_unavailable_is_503_with_retry_after() {
    let routes = "[[route]]\npath = \"/api\"\nissuers = [\"op\"]\n";
    let cfg = base_config(
        "http://127.0.0.1:9",
        "jwks_url = \"http://127.0.0.1:9/jwks\"",
        routes,
    );
    let gw = Gw::start("unavail", &cfg, &[]).await;
    let c = client();
    let t = token(&es_key("k1"), JwsAlgorithm::ES256, |b| b);
    let r = c.get(gw.url("/api")).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.headers().get("retry-after").unwrap(), "30");
    assert_eq!(
        refusal(r).await,
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "keys_unavailable".to_owned()
        )
    );
    assert_eq!(
        c.get(gw.url("/readyz")).send().await.unwrap().status(),
        503,
        "not ready without keys"
    );
    assert_eq!(
        c.get(gw.url("/healthz")).send().await.unwrap().status(),
        200
    );
}

/// A gateway with forward-auth for `integration`, the `/api` routes and an `/admin` route that
/// needs scope admin; the issuer's key and a valid token.
async fn forward_auth_gateway(name: &str, integration: &str) -> (Gw, Jwk, String) {
    let k1 = es_key("k1");
    let t = token(&k1, JwsAlgorithm::ES256, |b| {
        b.claim("realm_access", json!({"roles": ["a", "b"]}))
    });
    let routes = format!(
        "{API}\n[[route]]\npath = \"/admin\"\nissuers = [\"op\"]\nrules = {{ claim = \"scope\", contains = \"admin\" }}\n[forward_auth]\n{integration}\n"
    );
    let cfg = base_config(
        "http://127.0.0.1:9",
        "[issuer.keys]\nk1 = { file = \"k1.jwk\" }",
        &routes,
    );
    let gw = Gw::start(name, &cfg, &[("k1.jwk", k1.to_public().unwrap().to_json())]).await;
    (gw, k1, t)
}

/// A forward-auth request with the token and these headers to `path`.
async fn ask_auth(gw: &Gw, token: &str, headers: &[(&str, &str)], path: &str) -> reqwest::Response {
    let mut r = client().get(gw.url(path)).bearer_auth(token);
    for (n, v) in headers {
        r = r.header(*n, *v);
    }
    r.send().await.unwrap()
}

/// nginx: `X-Original-Method` and `X-Original-URI`, exactly once each, canonicalised like the
/// gateway's own targets; another header or a path after the endpoint is not its source.
#[tokio::test]
async fn forward_auth_nginx_reads_its_two_headers_only() {
    let (gw, _, t) = forward_auth_gateway("fwd-nginx", "integration = \"nginx\"").await;
    let nginx = |uri| vec![("X-Original-Method", "GET"), ("X-Original-URI", uri)];
    let r = ask_auth(&gw, &t, &nginx("/api/orders"), "/_joseguard/auth").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-user"], "alice");
    assert_eq!(r.headers()["x-roles"], "a,b");
    for (headers, want) in [
        (nginx("/api/../admin"), 403),
        (nginx("/api/%2e%2e/admin"), 403),
        (nginx("/api%2fx"), 400),
        (nginx("/api/x?access_token=other"), 400),
        (vec![("X-Original-URI", "/api/x")], 400),
        (
            vec![("X-Original-Method", "GET"), ("X-Forwarded-Uri", "/api/x")],
            400,
        ),
        (
            vec![("X-Original-Method", "TRACE"), ("X-Original-URI", "/api/x")],
            403,
        ),
        (nginx("/nowhere"), 403),
    ] {
        // nginx passes on only 401 and 403: what the gateway answers 404 or 405 is 403 here.
        let r = ask_auth(&gw, &t, &headers, "/_joseguard/auth").await;
        assert_eq!(r.status().as_u16(), want, "{headers:?}");
    }
    let twice = client()
        .get(gw.url("/_joseguard/auth"))
        .bearer_auth(&t)
        .header("X-Original-Method", "GET")
        .header("X-Original-URI", "/api/x")
        .header("X-Original-URI", "/admin/x")
        .send()
        .await
        .unwrap();
    assert_eq!(twice.status(), 400);
    let r = ask_auth(&gw, &t, &nginx("/api/x"), "/_joseguard/auth/admin").await;
    assert_eq!(
        r.status(),
        400,
        "a path after the endpoint is Envoy's source"
    );
}

/// Traefik: `X-Forwarded-Method` and `X-Forwarded-Uri`; a client's `X-Original-URI` means
/// nothing.
#[tokio::test]
async fn forward_auth_traefik_ignores_nginx_headers() {
    let (gw, _, t) = forward_auth_gateway("fwd-traefik", "integration = \"traefik\"").await;
    let traefik = |uri| {
        vec![
            ("X-Forwarded-Method", "GET"),
            ("X-Forwarded-Uri", uri),
            ("X-Original-URI", "/api/x"),
        ]
    };
    let r = ask_auth(&gw, &t, &traefik("/api/x"), "/_joseguard/auth").await;
    assert_eq!(r.status(), 200);
    let r = ask_auth(&gw, &t, &traefik("/admin/x"), "/_joseguard/auth").await;
    assert_eq!(r.status(), 403);
}

/// Envoy `ext_authz` with `path_prefix`: the original path follows the endpoint's; headers are
/// ignored; the answers are the gateway's.
#[tokio::test]
async fn forward_auth_envoy_reads_the_path() {
    let (gw, k1, t) = forward_auth_gateway("fwd-envoy", "integration = \"envoy\"").await;
    let r = ask_auth(
        &gw,
        &t,
        &[("X-Original-URI", "/api/x")],
        "/_joseguard/auth/admin/x",
    )
    .await;
    assert_eq!(r.status(), 403);
    let r = client()
        .post(gw.url("/_joseguard/auth/api/orders"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let expired = token(&k1, JwsAlgorithm::ES256, |b| {
        b.expires_at(jwt::now() - 3600)
    });
    assert_eq!(
        refusal(ask_auth(&gw, &expired, &[], "/_joseguard/auth/api").await).await,
        (StatusCode::UNAUTHORIZED, "token_expired".to_owned())
    );
}

/// Explicit header names, and no other.
#[tokio::test]
async fn forward_auth_with_named_headers() {
    let (gw, _, t) = forward_auth_gateway(
        "fwd-headers",
        "integration = \"headers\"\nuri_header = \"X-Uri\"\nmethod_header = \"X-Method\"",
    )
    .await;
    let r = ask_auth(
        &gw,
        &t,
        &[("X-Method", "GET"), ("X-Uri", "/api/x")],
        "/_joseguard/auth",
    )
    .await;
    assert_eq!(r.status(), 200);
    let nginx = [("X-Original-Method", "GET"), ("X-Original-URI", "/api/x")];
    let r = ask_auth(&gw, &t, &nginx, "/_joseguard/auth").await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn metrics_and_reload() {
    let (k1, k2) = (es_key("k1"), es_key("k2"));
    let be = backend().await;
    let cfg = base_config(&be, "[issuer.keys]\nk1 = { file = \"k1.jwk\" }", API);
    let gw = Gw::start(
        "reload",
        &cfg,
        &[
            ("k1.jwk", k1.to_public().unwrap().to_json()),
            ("k2.jwk", k2.to_public().unwrap().to_json()),
        ],
    )
    .await;
    let c = client();
    let t2 = token(&k2, JwsAlgorithm::ES256, |b| b);
    assert_eq!(
        c.get(gw.url("/api"))
            .bearer_auth(&t2)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    // A good new configuration is taken.
    std::fs::write(
        gw.dir.join("gw.toml"),
        base_config(&be, "[issuer.keys]\nk2 = { file = \"k2.jwk\" }", API),
    )
    .unwrap();
    gw.reload.notify_one();
    let mut ok = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if c.get(gw.url("/api"))
            .bearer_auth(&t2)
            .send()
            .await
            .unwrap()
            .status()
            == 200
        {
            ok = true;
            break;
        }
    }
    assert!(ok, "reloaded");
    // A bad one is refused and the old one kept.
    std::fs::write(gw.dir.join("gw.toml"), "[[route]]\npath = \"nope\"").unwrap();
    gw.reload.notify_one();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        c.get(gw.url("/api"))
            .bearer_auth(&t2)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let m = get_text(&gw.url("/metrics")).await;
    assert!(
        m.contains(r#"joseguard_decisions_total{route="/api",decision="allow",code="ok"}"#),
        "{m}"
    );
    assert!(m.contains(r#"decision="deny",code="kid_unknown""#));
    assert!(m.contains("joseguard_request_duration_seconds_bucket"));
    assert!(m.contains(r#"joseguard_keys{issuer="op"} 1"#));
    assert!(m.ends_with("# EOF\n"));
}

#[tokio::test]
async fn config_errors_name_the_key_and_the_fix() {
    let cases = [
        ("[[route]]\npath = \"/a\"\nissuers = [\"x\"]\n[backend]\necho = true", "no [[issuer]] named \"x\""),
        ("[[issuer]]\nname = \"a\"\nalgorithms = []\njwks_url = \"https://x/j\"\n", "algorithms: must list at least one"),
        ("[[issuer]]\nname = \"a\"\nalgorithms = [\"none\"]\njwks_url = \"https://x/j\"\n", "alg none"),
        ("[[issuer]]\nname = \"a\"\nalgorithms = [\"ES256\"]\n", "no keys"),
        ("[[issuer]]\nname = \"a\"\nalgorithms = [\"ES256\"]\njwks_url = \"http://example.com/j\"\n", "https"),
        ("[server]\nlisten = \"nowhere\"", ".toml:2: listen = \"nowhere\": invalid socket address"),
        ("[server]\nrequest_timeout = \"soon\"", ".toml:2: request_timeout = \"soon\": expected number at 0 (write e.g."),
        ("[[route]]\npath = \"/a\"\nissuers = [\"a\"]\nmode = \"jose\"\n", ".toml:4: mode = \"jose\": unknown variant `jose`"),
        ("[backend]\necho = true\n\n[[route]]\npath = \"/a\"\nissuers = [\"x\"]\n", ".toml:4: route[0] (/a).issuers: no [[issuer]] named \"x\""),
        ("[server]\nbogus = 1", "unknown field `bogus`"),
        ("[[issuer]]\nname = \"a\"\nalgorithms = [\"ES256\"]\n[issuer.keys]\nk = \"ssh-rsa garbage\"\n", "issuer[0] (a).keys.k"),
        ("[[issuer]]\nname = \"a\"\nalgorithms = [\"ES256\"]\n[issuer.keys]\nk = { file = \"missing.pem\" }\n", "missing.pem"),
    ];
    let dir = std::env::temp_dir().join(format!("joseguard-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (i, (text, needle)) in cases.iter().enumerate() {
        let path = dir.join(format!("c{i}.toml"));
        std::fs::write(&path, text).unwrap();
        let e = joseguard_server::load(&path)
            .await
            .err()
            .expect("refused")
            .to_string();
        assert!(e.contains(needle), "{text:?}: {e}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `discovery = ISSUER`: the JWK Set from the provider's discovery document, whose `issuer`
/// must be exactly that; tokens must carry it as `iss`.
#[tokio::test]
async fn issuer_keys_by_oidc_discovery() {
    let k1 = es_key("k1");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let op = format!("http://{}", listener.local_addr().unwrap());
    let claimed: Arc<std::sync::Mutex<String>> = Arc::new(std::sync::Mutex::new(op.clone()));
    let (doc_issuer, jwks_uri) = (claimed.clone(), format!("{op}/jwks"));
    let jwks = json!({ "keys": [k1.to_public_value()] });
    let provider = axum::Router::new()
        .route(
            "/.well-known/openid-configuration",
            axum::routing::get(move || {
                let issuer = doc_issuer.lock().unwrap().clone();
                let jwks_uri = jwks_uri.clone();
                async move { axum::Json(json!({ "issuer": issuer, "jwks_uri": jwks_uri })) }
            }),
        )
        .route(
            "/jwks",
            axum::routing::get(move || async move { axum::Json(jwks) }),
        );
    tokio::spawn(async move { axum::serve(listener, provider).await.unwrap() });
    let be = backend().await;
    let cfg = |extra: &str| {
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\nwatch_interval = \"0s\"\n[backend]\nurl = \"{be}\"\n\
             [[issuer]]\nname = \"op\"\nalgorithms = [\"ES256\"]\naudiences = [\"api\"]\ndiscovery = \"{op}\"\n{extra}\
             [[route]]\npath = \"/api\"\nissuers = [\"op\"]\n"
        )
    };
    let gw = Gw::start("discovery", &cfg(""), &[]).await;
    let c = client();
    let with_iss = |iss: &str| {
        let now = jwt::now();
        jwt::Builder::new()
            .issuer(iss)
            .audience("api")
            .subject("alice")
            .expires_at(now + 60)
            .sign(&k1, JwsAlgorithm::ES256)
            .unwrap()
    };
    let ok = c
        .get(gw.url("/api/x"))
        .bearer_auth(with_iss(&op))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let (s, _, body) = problem(
        c.get(gw.url("/api/x"))
            .bearer_auth(with_iss("https://op.example"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (s.as_u16(), body["code"].as_str()),
        (401, Some("issuer_invalid"))
    );

    // A document naming another issuer, and iss set to something else: refused at load.
    *claimed.lock().unwrap() = "https://op.example".into();
    let dir = std::env::temp_dir().join(format!("joseguard-disc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (extra, needle) in [
        ("", "is for issuer \"https://op.example\""),
        ("iss = \"https://other.example\"\n", "must equal iss"),
    ] {
        let path = dir.join("c.toml");
        std::fs::write(&path, cfg(extra)).unwrap();
        let e = joseguard_server::load(&path)
            .await
            .err()
            .expect("refused")
            .to_string();
        assert!(e.contains("discovery") && e.contains(needle), "{e}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn garbage_never_yields_500() {
    let k1 = es_key("k1");
    let be = backend().await;
    let cfg = base_config(&be, "[issuer.keys]\nk1 = { file = \"k1.jwk\" }", API);
    let gw = Gw::start(
        "garbage",
        &cfg,
        &[("k1.jwk", k1.to_public().unwrap().to_json())],
    )
    .await;
    let c = client();
    let long = "a.".repeat(5000);
    let inputs = [
        "",
        " ",
        "Bearer",
        "....",
        "e30.e30.e30",
        "{}",
        "{\"payload\":1}",
        "eyJhbGciOiJFUzI1NiJ9..",
        &long,
        "\u{7f}",
    ];
    for i in inputs {
        let r = c
            .get(gw.url("/api"))
            .header("authorization", format!("Bearer {i}"))
            .send()
            .await;
        if let Ok(r) = r {
            assert!(r.status().is_client_error(), "{i:?}: {}", r.status());
        }
    }
}

#[tokio::test]
async fn reloads_when_the_file_changes() {
    let (k1, k2) = (es_key("k1"), es_key("k2"));
    let be = backend().await;
    let watched = |keys: &str| {
        base_config(&be, keys, API).replace("watch_interval = \"0s\"", "watch_interval = \"100ms\"")
    };
    let files = [
        ("k1.jwk", k1.to_public().unwrap().to_json()),
        ("k2.jwk", k2.to_public().unwrap().to_json()),
    ];
    let gw = Gw::start(
        "watch",
        &watched("[issuer.keys]\nk1 = { file = \"k1.jwk\" }"),
        &files,
    )
    .await;
    let c = client();
    let t2 = token(&k2, JwsAlgorithm::ES256, |b| b);
    assert_eq!(
        c.get(gw.url("/api"))
            .bearer_auth(&t2)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    // Make sure the modification time moves even on coarse-grained file systems.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    std::fs::write(
        gw.dir.join("gw.toml"),
        watched("[issuer.keys]\nk2 = { file = \"k2.jwk\" }"),
    )
    .unwrap();
    let mut status = 0;
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        status = c
            .get(gw.url("/api"))
            .bearer_auth(&t2)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        if status == 200 {
            break;
        }
    }
    assert_eq!(
        status, 200,
        "the changed file was picked up without a signal"
    );
}

/// The verified-token cache: a token presented again is answered from it, but never past its
/// `exp`, never after a reload that removed its key, and rules still run on every request.
#[tokio::test]
async fn verified_token_cache_never_outlives_exp_or_a_reload() {
    let k1 = es_key("k1");
    let be = backend().await;
    let issuer = "leeway = \"0s\"\n[issuer.keys]\nk1 = { file = \"k1.jwk\" }";
    let routes = format!("{API}\n[[route]]\npath = \"/admin\"\nissuers = [\"op\"]\nrules = {{ claim = \"scope\", contains = \"admin\" }}\n");
    let cfg = base_config(&be, issuer, &routes);
    let gw = Gw::start(
        "cache",
        &cfg,
        &[("k1.jwk", k1.to_public().unwrap().to_json())],
    )
    .await;
    let c = client();
    let status = |path: &'static str, t: String| {
        let req = c.get(gw.url(path)).bearer_auth(t);
        async move { req.send().await.unwrap().status() }
    };
    let short = token(&k1, JwsAlgorithm::ES256, |b| b.expires_at(jwt::now() + 2));
    assert_eq!(status("/api", short.clone()).await, 200);
    assert_eq!(status("/api", short.clone()).await, 200, "from the cache");
    // Rules run on cached tokens too.
    assert_eq!(status("/admin", short.clone()).await, 403);
    assert_eq!(status("/admin", short.clone()).await, 403);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(status("/api", short).await, 401, "cached, but expired");
    // A fractional exp (RFC 7519 §2) is read once, as the validation reads it: the entry ends
    // when the token does, not a TTL later.
    let now = jwt::now();
    let fractional = jws::Builder::new(
        json!({"iss": "https://op.example", "aud": "api", "exp": (now + 1) as f64 + 0.5})
            .to_string()
            .as_bytes(),
    )
    .signer(&k1, JwsAlgorithm::ES256, Header::new().with("typ", "JWT"))
    .unwrap()
    .compact()
    .unwrap();
    assert_eq!(status("/api", fractional.clone()).await, 200);
    assert_eq!(status("/api", fractional.clone()).await, 200);
    while jwt::now() < now + 1 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status("/api", fractional).await, 401, "cached, but expired");

    let long = token(&k1, JwsAlgorithm::ES256, |b| b);
    assert_eq!(status("/api", long.clone()).await, 200);
    let k2 = es_key("k2");
    std::fs::write(gw.dir.join("k2.jwk"), k2.to_public().unwrap().to_json()).unwrap();
    let without_k1 = base_config(&be, "[issuer.keys]\nk2 = { file = \"k2.jwk\" }", API);
    std::fs::write(gw.dir.join("gw.toml"), without_k1).unwrap();
    gw.reload.notify_one();
    let mut refused = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if status("/api", long.clone()).await == 401 {
            refused = true;
            break;
        }
    }
    assert!(refused, "a reload empties the cache");
}

/// ML-DSA (RFC 9964) issuers: AKP keys from a JWK Set URL, bearer tokens and an ML-DSA-87
/// document posted as `application/jose` (a 4.6 KB signature within the default limits); the
/// algorithm allowlist and the key's parameter set both bind.
#[tokio::test]
async fn post_quantum_issuer_from_a_jwk_set_url() {
    use joseguard::jwa::MlDsa;
    let pq = |set: MlDsa, kid: &str| Jwk::generate(KeySpec::Akp(set)).unwrap().with_kid(kid);
    let (k44, k65, k87) = (
        pq(MlDsa::MlDsa44, "pq44"),
        pq(MlDsa::MlDsa65, "pq65"),
        pq(MlDsa::MlDsa87, "pq87"),
    );
    let public = [&k44, &k65, &k87].map(|k| k.to_public_value());
    let body = json!({ "keys": public }).to_string();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let jwks_url = format!("http://{}/jwks", listener.local_addr().unwrap());
    let app = axum::Router::new().route("/jwks", axum::routing::get(move || async move { body }));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let be = backend().await;
    // The base issuer (ES256, RS256, EdDSA) reads the same set; it has no use for AKP keys.
    let issuers = format!(
        r#"jwks_url = "{jwks_url}"

[[issuer]]
name = "pq"
iss = "https://pq.example"
algorithms = ["ML-DSA-65", "ML-DSA-87"]
jwks_url = "{jwks_url}"
"#
    );
    let routes = r#"
[[route]]
path = "/pq"
issuers = ["pq"]
[route.claims_to_headers]
X-User = "sub"

[[route]]
path = "/doc"
issuers = ["pq"]
mode = "jose-body"
require_exp = false
"#;
    let mut cfg = base_config(&be, &issuers, routes);
    cfg = cfg.replace("max_body_bytes = 4096", "max_body_bytes = 16384");
    let gw = Gw::start("ml-dsa", &cfg, &[]).await;
    let c = client();
    let pq_token = |key: &Jwk, alg: JwsAlgorithm| {
        jwt::Builder::new()
            .issuer("https://pq.example")
            .subject("alice")
            .expires_at(jwt::now() + 60)
            .sign(key, alg)
            .unwrap()
    };
    for (key, alg) in [(&k65, JwsAlgorithm::MlDsa65), (&k87, JwsAlgorithm::MlDsa87)] {
        let r = c
            .get(gw.url("/pq"))
            .bearer_auth(pq_token(key, alg))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{alg:?}");
        let echo: Value = r.json().await.unwrap();
        assert_eq!(echo["headers"]["x-user"], "alice");
    }
    // An ML-DSA-87 document as the body: the backend receives exactly it.
    let doc = jws::Builder::new(b"contract")
        .signer(&k87, JwsAlgorithm::MlDsa87, Header::new())
        .unwrap()
        .compact()
        .unwrap();
    assert!(doc.len() > 6000);
    let r = c
        .post(gw.url("/doc"))
        .header("content-type", "application/jose")
        .body(doc.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let echo: Value = r.json().await.unwrap();
    assert_eq!(echo["body"], doc);
    // Rejections: an algorithm not allowed; a key of another parameter set under the kid of
    // an allowed one; a truncated and an extended signature.
    let good = pq_token(&k65, JwsAlgorithm::MlDsa65);
    let (head, sig) = good.rsplit_once('.').unwrap();
    let raw = b64::decode(sig, "signature").unwrap();
    let cases = [
        (pq_token(&k44, JwsAlgorithm::MlDsa44), "alg_not_allowed"),
        (
            pq_token(&k87.clone().with_kid("pq65"), JwsAlgorithm::MlDsa87),
            "key_unusable",
        ),
        (
            format!("{head}.{}", b64::encode(&raw[..raw.len() - 1])),
            "signature_invalid",
        ),
        (
            format!("{head}.{}", b64::encode([&raw[..], &[0]].concat())),
            "signature_invalid",
        ),
    ];
    for (t, code) in cases {
        let (s, _, body) =
            problem(c.get(gw.url("/pq")).bearer_auth(&t).send().await.unwrap()).await;
        assert_eq!(
            (s, body["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some(code))
        );
    }
}
