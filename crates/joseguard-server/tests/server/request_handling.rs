//! The backend receives exactly the request that was judged: the attacker's side of the gateway.
//! Each class of request smuggling past the route that should judge it is a table of raw
//! requests (no client library normalises them) against a recording backend; every case asserts
//! the answer and what the backend received, and refused requests must never arrive.

use std::time::Duration;

use crate::common::{get, raw, Gw, Recorder};
use joseguard::jwt;
use joseguard::{EcCurve, Jwk, JwsAlgorithm, KeySpec};

fn key() -> Jwk {
    let mut k = Jwk::generate(KeySpec::Ec(EcCurve::P256)).unwrap();
    k.set_kid(Some("k1".into()));
    k
}

fn token(key: &Jwk, scope: &str) -> String {
    let now = jwt::now();
    jwt::Builder::new()
        .issuer("https://op.example")
        .audience("api")
        .subject("alice")
        .claim("scope", scope)
        .issued_at(now)
        .expires_at(now + 300)
        .sign(key, JwsAlgorithm::ES256)
        .unwrap()
}

/// `/admin` needs scope admin; `/api` and `/` take any valid token.
fn config(backend: &str, extra_server: &str, extra_routes: &str) -> String {
    format!(
        r#"
[server]
listen = "127.0.0.1:0"
watch_interval = "0s"
request_timeout = "3s"
{extra_server}

[backend]
url = "{backend}"

[[issuer]]
name = "op"
iss = "https://op.example"
algorithms = ["ES256"]
audiences = ["api"]
[issuer.keys]
k1 = {{ file = "k1.jwk" }}

[[route]]
path = "/admin"
issuers = ["op"]
rules = {{ claim = "scope", contains = "admin" }}

[[route]]
path = "/api"
issuers = ["op"]
[route.claims_to_headers]
X-User = "sub"

[[route]]
path = "/"
issuers = ["op"]
{extra_routes}
"#
    )
}

async fn gateway(name: &str, extra_server: &str, extra_routes: &str) -> (Gw, Recorder, Jwk) {
    let k = key();
    let be = Recorder::start().await;
    let gw = Gw::start(
        name,
        &config(&be.url, extra_server, extra_routes),
        &[("k1.jwk", k.to_public().unwrap().to_json())],
    )
    .await;
    (gw, be, k)
}

fn code(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["code"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Classes 1 and 2: the path is judged and forwarded in one canonical form; what has none is
/// refused before any route sees it.
#[tokio::test]
async fn judged_path_is_forwarded_path() {
    let (gw, be, k) = gateway("target", "", "").await;
    let auth = format!("Authorization: Bearer {}", token(&k, "read"));
    // (raw target, status, code, what the backend must receive or None)
    let cases: &[(&str, u16, &str, Option<&str>)] = &[
        ("/api/x", 200, "", Some("/api/x")),
        ("/api/../admin", 403, "rule_denied", None),
        ("/api/%2e%2e/admin", 403, "rule_denied", None),
        ("/api/.%2E/admin/x", 403, "rule_denied", None),
        ("/%61dmin", 403, "rule_denied", None),
        ("/%41dmin", 200, "", Some("/Admin")),
        ("//admin", 403, "rule_denied", None),
        ("/api//../admin", 403, "rule_denied", None),
        ("/api/./x/../y", 200, "", Some("/api/y")),
        ("/api/%7e%75ser", 200, "", Some("/api/~user")),
        ("/api/a%3cb%3E", 200, "", Some("/api/a%3Cb%3E")),
        (
            "/api/x?q='a'&b=%2f&c",
            200,
            "",
            Some("/api/x?q='a'&b=%2f&c"),
        ),
        ("/admin%2fx", 400, "request_invalid", None),
        ("/api%2F..%2Fadmin", 400, "request_invalid", None),
        ("/api/%5c..%5cadmin", 400, "request_invalid", None),
        ("/api/\\../admin", 400, "request_invalid", None),
        ("/admin;x=1", 400, "request_invalid", None),
        ("/api/..;/admin", 400, "request_invalid", None),
        ("/api/%00", 400, "request_invalid", None),
        ("/api/%zz", 400, "request_invalid", None),
        ("/..", 400, "request_invalid", None),
        ("/api/../../etc/passwd", 400, "request_invalid", None),
        (
            "http://gw.example/api/../admin",
            400,
            "request_invalid",
            None,
        ),
    ];
    for (target, status, want_code, received) in cases {
        let (s, _, body) = raw(gw.addr, &get(target, &[&auth])).await;
        assert_eq!(s, *status, "{target}: {body}");
        if !want_code.is_empty() {
            assert_eq!(code(&body), *want_code, "{target}");
        }
        let got = be.take();
        match received {
            Some(want) => {
                assert_eq!(got.len(), 1, "{target}");
                assert_eq!(got[0].target, *want, "{target}");
            }
            None => assert!(got.is_empty(), "{target} reached the backend: {got:?}"),
        }
    }
}

/// `merge_slashes = false` keeps `//`: the route matching then sees the same `//` the backend
/// receives.
#[tokio::test]
async fn slashes_can_be_kept() {
    let (gw, be, k) = gateway("slashes", "merge_slashes = false", "").await;
    let auth = format!("Authorization: Bearer {}", token(&k, "read"));
    let (s, _, _) = raw(gw.addr, &get("/api//x", &[&auth])).await;
    assert_eq!(s, 200);
    assert_eq!(be.take()[0].target, "/api//x");
}

/// Class 4 and hygiene: every spelling of a header the gateway sets is removed, hop-by-hop
/// headers and those `Connection` nominates go, and the token stays behind unless the route
/// forwards it.
#[tokio::test]
async fn the_backend_receives_only_verified_identity_headers() {
    let (gw, be, k) = gateway(
        "headers",
        "",
        "[[route]]\npath = \"/pass\"\nissuers = [\"op\"]\nforward_token = true\n",
    )
    .await;
    let t = token(&k, "read");
    let auth = format!("Authorization: Bearer {t}");
    let (s, _, _) = raw(
        gw.addr,
        &get(
            "/api/x",
            &[
                &auth,
                "X-User: evil",
                "X_User: evil",
                "x_USER: evil",
                "X-Forwarded-For: 10.0.0.1",
                "X_Forwarded_Host: evil.example",
                "Forwarded: for=10.0.0.1",
                "Connection: close, X-Drop-Me",
                "X-Drop-Me: 1",
                "Proxy-Authorization: Basic eA==",
                "X-Keep: kept",
            ],
        ),
    )
    .await;
    assert_eq!(s, 200);
    let got = be.take().remove(0);
    assert_eq!(got.method, "GET");
    assert_eq!(got.header("x-user"), ["alice"]);
    for gone in [
        "x_user",
        "x_forwarded_host",
        "forwarded",
        "x-drop-me",
        "proxy-authorization",
        "authorization",
    ] {
        assert!(got.header(gone).is_empty(), "{gone}: {got:?}");
    }
    assert_eq!(got.header("x-forwarded-for"), ["127.0.0.1"]);
    assert_eq!(got.header("x-forwarded-host"), ["gw.example"]);
    assert_eq!(got.header("x-forwarded-proto"), ["http"]);
    assert_eq!(got.header("x-keep"), ["kept"]);
    // The token travels only where the route says so.
    let (s, _, _) = raw(gw.addr, &get("/pass", &[&auth])).await;
    assert_eq!(s, 200);
    assert_eq!(
        be.take()[0].header("authorization"),
        [format!("Bearer {t}")]
    );
}

/// A claim header the gateway manages itself, or two spellings of one name, are configuration
/// errors.
#[tokio::test]
async fn claim_headers_cannot_shadow_managed_ones() {
    for (headers, needle) in [
        ("X-Forwarded-For = \"sub\"", "manages itself"),
        ("X_Forwarded_Host = \"sub\"", "manages itself"),
        ("X-User = \"sub\"\nX_User = \"email\"", "same header"),
    ] {
        let cfg = format!(
            "[backend]\nurl = \"http://127.0.0.1:9\"\n[[issuer]]\nname = \"op\"\nalgorithms = [\"ES256\"]\njwks_url = \"http://127.0.0.1:9/j\"\n[[route]]\npath = \"/\"\nissuers = [\"op\"]\n[route.claims_to_headers]\n{headers}\n"
        );
        let e = joseguard_server::load_str(&cfg, std::path::Path::new("."))
            .await
            .err()
            .expect("refused");
        assert!(e.to_string().contains(needle), "{e}");
    }
}

/// Class 5: a token carried twice is refused (RFC 6750 §3.1), whatever the carriers.
#[tokio::test]
async fn duplicate_token_carriers_are_invalid_requests() {
    let routes = r#"
[[route]]
path = "/q"
issuers = ["op"]
token = { query = "access_token" }
[[route]]
path = "/c"
issuers = ["op"]
token = { cookie = "session" }
[[route]]
path = "/h"
issuers = ["op"]
token = { header = "X-Token" }
"#;
    let (gw, be, k) = gateway("dupes", "", routes).await;
    let (t, other) = (token(&k, "read"), token(&k, "admin"));
    let bearer = |t: &str| format!("Authorization: Bearer {t}");
    let cases: Vec<(String, Vec<String>)> = vec![
        ("/api".into(), vec![bearer(&t), bearer(&other)]),
        (
            "/api".into(),
            vec![bearer(&t), "Authorization: Basic eDp5".into()],
        ),
        (format!("/api?access_token={other}"), vec![bearer(&t)]),
        (format!("/q?access_token={t}&access_token={other}"), vec![]),
        (
            format!("/q?access_token={t}&access%5Ftoken={other}"),
            vec![],
        ),
        (format!("/q?access_token={t};access_token={other}"), vec![]),
        (
            "/c".into(),
            vec![format!("Cookie: session={t}; session={other}")],
        ),
        (
            "/c".into(),
            vec![
                format!("Cookie: session={t}"),
                format!("Cookie: session={other}"),
            ],
        ),
        (
            "/h".into(),
            vec![format!("X-Token: {t}"), format!("X_Token: {other}")],
        ),
        ("/h".into(), vec![format!("X-Token: {t}"), bearer(&other)]),
    ];
    for (target, headers) in cases {
        let hs: Vec<&str> = headers.iter().map(String::as_str).collect();
        let (s, head, body) = raw(gw.addr, &get(&target, &hs)).await;
        assert_eq!(
            (s, code(&body).as_str()),
            (400, "token_duplicated"),
            "{target} {hs:?}"
        );
        assert!(head.contains("error=\"invalid_request\""), "{head}");
        assert!(be.take().is_empty(), "{target} reached the backend");
    }
    // One carrier: accepted, and the token does not travel on (query and cookie stripped).
    let (s, _, _) = raw(gw.addr, &get(&format!("/q?a=1&access_token={t}&b=2"), &[])).await;
    assert_eq!(s, 200);
    assert_eq!(be.take()[0].target, "/q?a=1&b=2");
    let cookie = format!("Cookie: x=1; session={t}; y=2");
    let (s, _, _) = raw(gw.addr, &get("/c", &[&cookie])).await;
    assert_eq!(s, 200);
    assert_eq!(be.take()[0].header("cookie"), ["x=1; y=2"]);
}

/// Class 8: TRACE and CONNECT are refused before any route, with or without a token.
#[tokio::test]
async fn trace_and_connect_are_refused() {
    let (gw, be, k) = gateway("methods", "", "").await;
    let auth = format!("Authorization: Bearer {}", token(&k, "admin"));
    for request in [
        format!("TRACE /api HTTP/1.1\r\nHost: x\r\n{auth}\r\nConnection: close\r\n\r\n"),
        "CONNECT backend.example:443 HTTP/1.1\r\nHost: backend.example:443\r\nConnection: close\r\n\r\n"
            .to_owned(),
    ] {
        let (s, _, _) = raw(gw.addr, &request).await;
        assert!(s == 405 || s == 400, "{request}: {s}");
        assert!(be.take().is_empty());
    }
    let (s, _, body) = raw(
        gw.addr,
        &format!("TRACE /api HTTP/1.1\r\nHost: x\r\n{auth}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert_eq!((s, code(&body).as_str()), (405, "method_not_allowed"));
}

/// Class 7: labels come from configured names only; what a client puts in a URL never becomes
/// a series, and nothing can add lines to the exposition.
#[tokio::test]
async fn metrics_labels_are_configured_names() {
    let (gw, _be, _k) = gateway("labels", "", "").await;
    for target in [
        "/workers/evil%22%7D%200%0Ajoseguard_fake%7Bx%3D%22/sign",
        "/workers/another-unknown/sign",
        "/workers/x%0Ay/verify",
    ] {
        let request = format!(
            "POST {target} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
        );
        raw(gw.addr, &request).await;
    }
    let (_, _, text) = raw(gw.addr, &get("/metrics", &[])).await;
    assert!(!text.contains("joseguard_fake"), "{text}");
    assert!(!text.contains("evil"), "{text}");
    assert!(!text.contains("another-unknown"), "{text}");
    assert!(text.contains("route=\"unknown\""), "{text}");
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        assert!(line.starts_with("joseguard_"), "{line}");
    }
}

/// Class 6: slow and idle connections are closed, and at the connection limit a flood of idle
/// sockets cannot stop `/healthz` (or a real request) from being answered.
#[tokio::test]
async fn slow_and_idle_connections_are_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (gw, _be, k) = gateway(
        "slowloris",
        "max_connections = 50\nheader_read_timeout = \"1s\"\nidle_timeout = \"2s\"",
        "",
    )
    .await;
    // A request head that never completes is cut after header_read_timeout.
    let mut slow = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    slow.write_all(b"GET /api HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(5), slow.read(&mut buf))
        .await
        .expect("closed by the server")
        .unwrap_or(0);
    assert_eq!(n, 0);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    // A kept-alive connection with nothing to say is closed after idle_timeout.
    let mut idle = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let n = idle.read(&mut [0u8; 1024]).await.unwrap();
    assert!(n > 0);
    let started = std::time::Instant::now();
    let n = tokio::time::timeout(Duration::from_secs(6), idle.read(&mut buf))
        .await
        .expect("closed by the server")
        .unwrap_or(0);
    assert_eq!(n, 0);
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    // 300 sockets that send nothing, against a limit of 50.
    let mut flood = Vec::new();
    for _ in 0..300 {
        if let Ok(s) = tokio::net::TcpStream::connect(gw.addr).await {
            flood.push(s);
        }
    }
    for _ in 0..3 {
        let started = std::time::Instant::now();
        let (s, _, body) = raw(gw.addr, &get("/healthz", &[])).await;
        assert_eq!((s, body.as_str()), (200, "ok"));
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }
    let auth = format!("Authorization: Bearer {}", token(&k, "read"));
    let (s, _, _) = raw(gw.addr, &get("/api", &[&auth])).await;
    assert_eq!(s, 200);
    drop(flood);
}

/// The issue's own example on the quickstart configuration: `/api` takes any valid token,
/// `/admin` needs scope admin; `/api/../admin` is judged as `/admin`.
#[tokio::test]
async fn quickstart_judges_the_canonical_path() {
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let read = |f: &str| std::fs::read_to_string(examples.join(f)).unwrap();
    let config = read("quickstart.toml")
        .replace("127.0.0.1:8080", "127.0.0.1:0")
        .replace(
            "log_format = \"text\"",
            "log_format = \"text\"\nwatch_interval = \"0s\"",
        );
    let gw = Gw::start(
        "quickstart",
        &config,
        &[(
            "quickstart/demo-issuer.pub.jwk",
            read("quickstart/demo-issuer.pub.jwk"),
        )],
    )
    .await;
    let issuer = Jwk::from_text(&read("quickstart/demo-issuer.jwk")).unwrap();
    let now = jwt::now();
    let t = jwt::Builder::new()
        .issuer("https://issuer.example")
        .audience("quickstart-api")
        .subject("alice")
        .claim("scope", "read write")
        .expires_at(now + 300)
        .sign(&issuer, JwsAlgorithm::ES256)
        .unwrap();
    let auth = format!("Authorization: Bearer {t}");
    let (s, _, body) = raw(gw.addr, &get("/api/hello", &[&auth])).await;
    assert_eq!(s, 200, "{body}");
    let echo: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(echo["uri"], "/api/hello");
    for target in ["/api/../admin", "/api/%2e%2e/admin", "/%61dmin", "//admin"] {
        let (s, _, body) = raw(gw.addr, &get(target, &[&auth])).await;
        assert_eq!((s, code(&body).as_str()), (403, "rule_denied"), "{target}");
    }
}
