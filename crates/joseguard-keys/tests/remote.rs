//! RemoteJwks against a real HTTP server on a loopback port: caching, rotation, single flight,
//! cooldown, timeouts, errors, size limits, stale-if-error and failing closed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use joseguard::jws::{self, Header, VerifyPolicy};
use joseguard::{EcCurve, Jwk, JwsAlgorithm, KeySpec};
use joseguard_keys::{JwksSource, KeySourceError, LocalJwks, RemoteConfig, RemoteJwks};

#[derive(Clone)]
enum Behaviour {
    Serve {
        body: String,
        cache_control: Option<String>,
    },
    Slow(Duration, String),
    Status(u16),
    Garbage,
    Oversized,
}

#[derive(Clone)]
struct Server {
    behaviour: Arc<Mutex<Behaviour>>,
    hits: Arc<AtomicUsize>,
    delay: Arc<Mutex<Duration>>,
}

async fn jwks(State(s): State<Server>) -> Response {
    s.hits.fetch_add(1, Ordering::SeqCst);
    let delay = *s.delay.lock().unwrap();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let b = s.behaviour.lock().unwrap().clone();
    match b {
        Behaviour::Serve {
            body,
            cache_control,
        } => {
            let mut r =
                ([(header::CONTENT_TYPE, "application/jwk-set+json")], body).into_response();
            if let Some(cc) = cache_control {
                r.headers_mut()
                    .insert(header::CACHE_CONTROL, cc.parse().unwrap());
            }
            r
        }
        Behaviour::Slow(d, body) => {
            tokio::time::sleep(d).await;
            body.into_response()
        }
        Behaviour::Status(code) => StatusCode::from_u16(code).unwrap().into_response(),
        Behaviour::Garbage => "<html>not json</html>".into_response(),
        Behaviour::Oversized => "x".repeat(2 << 20).into_response(),
    }
}

/// Starts the server on a free loopback port; it stops when the test's runtime ends.
async fn start(initial: Behaviour) -> (Server, String) {
    let server = Server {
        behaviour: Arc::new(Mutex::new(initial)),
        hits: Arc::new(AtomicUsize::new(0)),
        delay: Arc::new(Mutex::new(Duration::ZERO)),
    };
    let app = Router::new()
        .route("/jwks", get(jwks))
        .with_state(server.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (server, url)
}

fn key(kid: &str) -> Jwk {
    let mut k = Jwk::generate(KeySpec::Ec(EcCurve::P256)).unwrap();
    k.set_kid(Some(kid.into()));
    k
}

fn set_json(keys: &[&Jwk]) -> String {
    let keys: Vec<_> = keys.iter().map(|k| k.to_public_value()).collect();
    serde_json::json!({ "keys": keys }).to_string()
}

fn serve(keys: &[&Jwk], cc: Option<&str>) -> Behaviour {
    Behaviour::Serve {
        body: set_json(keys),
        cache_control: cc.map(str::to_owned),
    }
}

fn quick() -> RemoteConfig {
    RemoteConfig {
        min_max_age: Duration::ZERO,
        cooldown: Duration::from_millis(300),
        timeout: Duration::from_millis(500),
        stale_if_error: Duration::from_secs(2),
        ..RemoteConfig::default()
    }
}

#[tokio::test]
async fn caches_within_max_age_and_honours_cache_control() {
    let k1 = key("k1");
    let (server, url) = start(serve(&[&k1], Some("public, max-age=1"))).await;
    let jwks = RemoteJwks::new(&url, quick()).unwrap();
    for _ in 0..5 {
        assert_eq!(jwks.keys_for(Some("k1")).await.unwrap().len(), 1);
    }
    assert_eq!(server.hits.load(Ordering::SeqCst), 1, "cached");
    let stats = jwks.stats();
    assert_eq!(
        (stats.fetches, stats.hits, stats.misses, stats.keys),
        (1, 4, 1, 1)
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    jwks.keys_for(Some("k1")).await.unwrap();
    assert_eq!(
        server.hits.load(Ordering::SeqCst),
        2,
        "refetched after max-age=1"
    );
}

#[tokio::test]
async fn cache_control_is_bounded() {
    let k1 = key("k1");
    let (server, url) = start(serve(&[&k1], Some("max-age=0"))).await;
    let config = RemoteConfig {
        min_max_age: Duration::from_secs(60),
        ..quick()
    };
    let jwks = RemoteJwks::new(&url, config).unwrap();
    for _ in 0..3 {
        jwks.keys_for(Some("k1")).await.unwrap();
    }
    assert_eq!(
        server.hits.load(Ordering::SeqCst),
        1,
        "max-age=0 raised to the 60 s floor"
    );
}

#[tokio::test]
async fn rotation_refetches_once_per_cooldown() {
    let (k1, k2) = (key("k1"), key("k2"));
    let (server, url) = start(serve(&[&k1], None)).await;
    let jwks = RemoteJwks::new(&url, quick()).unwrap();
    jwks.keys_for(Some("k1")).await.unwrap();
    // The provider rotates to k2; a token signed with k2 arrives.
    *server.behaviour.lock().unwrap() = serve(&[&k1, &k2], None);
    tokio::time::sleep(Duration::from_millis(350)).await;
    let token = jws::Builder::new(b"x")
        .signer(&k2, JwsAlgorithm::ES256, Header::new())
        .unwrap()
        .compact()
        .unwrap();
    let source = JwksSource::Remote(Arc::new(jwks));
    let policy = VerifyPolicy::new([JwsAlgorithm::ES256]).unwrap();
    let v = source
        .verifier_for(token.as_bytes(), &policy)
        .await
        .unwrap();
    v.verify(token.as_bytes()).unwrap();
    assert_eq!(server.hits.load(Ordering::SeqCst), 2);
    // Unknown kids within the cooldown do not refetch.
    let JwksSource::Remote(jwks) = &source else {
        unreachable!()
    };
    for _ in 0..10 {
        let set = jwks.keys_for(Some("nobody")).await.unwrap();
        assert!(set.by_kid("nobody").next().is_none());
    }
    assert_eq!(server.hits.load(Ordering::SeqCst), 2, "cooldown holds");
    tokio::time::sleep(Duration::from_millis(350)).await;
    jwks.keys_for(Some("nobody")).await.unwrap();
    assert_eq!(
        server.hits.load(Ordering::SeqCst),
        3,
        "one refetch after the cooldown"
    );
}

#[tokio::test]
async fn concurrent_misses_share_one_fetch() {
    let k1 = key("k1");
    let (server, url) = start(serve(&[&k1], None)).await;
    *server.delay.lock().unwrap() = Duration::from_millis(200);
    let jwks = Arc::new(RemoteJwks::new(&url, quick()).unwrap());
    let tasks: Vec<_> = (0..25)
        .map(|_| {
            let j = jwks.clone();
            tokio::spawn(async move { j.keys_for(Some("k1")).await.map(|s| s.len()) })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), 1);
    }
    assert_eq!(server.hits.load(Ordering::SeqCst), 1, "single flight");
    assert_eq!(jwks.stats().fetches, 1);
}

/// Callers that go away mid-fetch (reset requests naming unknown kids) do not get one fetch
/// each: the abandoned attempt counts for the cooldown; once it has passed, one fetch runs.
#[tokio::test]
async fn abandoned_fetches_still_count_for_the_cooldown() {
    let k1 = key("k1");
    let (server, url) = start(serve(&[&k1], None)).await;
    let jwks = RemoteJwks::new(&url, quick()).unwrap();
    jwks.keys_for(Some("k1")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(350)).await;
    *server.delay.lock().unwrap() = Duration::from_millis(200);
    let first =
        tokio::time::timeout(Duration::from_millis(20), jwks.keys_for(Some("nobody"))).await;
    assert!(first.is_err(), "the caller gave up first");
    for _ in 0..9 {
        // Within the cooldown: answered from the set in hand, no fetch.
        let again =
            tokio::time::timeout(Duration::from_millis(20), jwks.keys_for(Some("nobody"))).await;
        assert!(again.is_ok_and(|set| set.unwrap().by_kid("nobody").next().is_none()));
    }
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(
        server.hits.load(Ordering::SeqCst),
        2,
        "one fetch for ten abandoned callers"
    );
    // The set in hand still serves known kids meanwhile.
    assert_eq!(jwks.keys_for(Some("k1")).await.unwrap().len(), 1);
    tokio::time::sleep(Duration::from_millis(100)).await;
    *server.delay.lock().unwrap() = Duration::ZERO;
    jwks.keys_for(Some("nobody")).await.unwrap();
    assert_eq!(
        server.hits.load(Ordering::SeqCst),
        3,
        "one fetch after the cooldown"
    );
}

#[tokio::test]
async fn slow_servers_time_out_and_fail_closed_without_a_set() {
    let k1 = key("k1");
    let (_server, url) = start(Behaviour::Slow(Duration::from_secs(3), set_json(&[&k1]))).await;
    let jwks = RemoteJwks::new(&url, quick()).unwrap();
    let started = std::time::Instant::now();
    let e = jwks.keys_for(Some("k1")).await.unwrap_err();
    assert!(
        matches!(&e, KeySourceError::Unavailable(m) if m.contains("timed out")),
        "{e}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the timeout cut the request short"
    );
    assert_eq!(jwks.stats().failures, 1);
}

#[tokio::test]
async fn errors_garbage_and_oversized_bodies_are_failures() {
    for (b, needle) in [
        (Behaviour::Status(500), "HTTP 500"),
        (Behaviour::Status(404), "HTTP 404"),
        (Behaviour::Garbage, "unusable"),
        (Behaviour::Oversized, "larger than"),
    ] {
        let (_server, url) = start(b).await;
        let jwks = RemoteJwks::new(&url, quick()).unwrap();
        let e = jwks.keys_for(None).await.unwrap_err();
        assert!(e.to_string().contains(needle), "{e}");
        assert_eq!((jwks.stats().fetches, jwks.stats().failures), (1, 1));
    }
}

#[tokio::test]
async fn stale_if_error_then_closed() {
    let k1 = key("k1");
    let (server, url) = start(serve(&[&k1], Some("max-age=1"))).await;
    let jwks = RemoteJwks::new(&url, quick()).unwrap();
    jwks.keys_for(Some("k1")).await.unwrap();
    *server.behaviour.lock().unwrap() = Behaviour::Status(503);
    tokio::time::sleep(Duration::from_millis(1050)).await;
    // Stale now; the refresh fails; within stale_if_error (2 s) the old set is served.
    assert_eq!(jwks.keys_for(Some("k1")).await.unwrap().len(), 1);
    assert_eq!(jwks.stats().failures, 1);
    // Within the cooldown a failed source is not hammered.
    jwks.keys_for(Some("k1")).await.unwrap();
    assert_eq!(server.hits.load(Ordering::SeqCst), 2);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let e = jwks.keys_for(Some("k1")).await.unwrap_err();
    assert!(
        matches!(e, KeySourceError::Unavailable(_)),
        "fails closed after the stale window: {e}"
    );
    // Recovery.
    *server.behaviour.lock().unwrap() = serve(&[&k1], None);
    tokio::time::sleep(Duration::from_millis(350)).await;
    jwks.keys_for(Some("k1")).await.unwrap();
}

#[test]
fn plain_http_only_to_loopback() {
    for ok in [
        "https://op.example/jwks",
        "http://127.0.0.1:8080/jwks",
        "http://localhost/jwks",
        "http://[::1]:9/jwks",
    ] {
        assert!(RemoteJwks::new(ok, RemoteConfig::default()).is_ok(), "{ok}");
    }
    for bad in [
        "http://op.example/jwks",
        "ftp://op.example/jwks",
        "not a url",
        "http://10.0.0.1/jwks",
    ] {
        assert!(
            matches!(
                RemoteJwks::new(bad, RemoteConfig::default()).unwrap_err(),
                KeySourceError::Config(_)
            ),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn local_file_reloads_on_change_and_keeps_keys_through_a_bad_write() {
    let dir = std::env::temp_dir().join(format!("joseguard-local-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("jwks.json");
    let (k1, k2) = (key("k1"), key("k2"));
    std::fs::write(&path, set_json(&[&k1])).unwrap();
    let local = LocalJwks::open(&path)
        .await
        .unwrap()
        .poll_interval(Duration::ZERO);
    assert!(local.keys().await.unwrap().by_kid("k1").next().is_some());
    std::fs::write(&path, set_json(&[&k1, &k2])).unwrap();
    assert!(
        local.keys().await.unwrap().by_kid("k2").next().is_some(),
        "reloaded"
    );
    std::fs::write(&path, "{ half written").unwrap();
    assert_eq!(
        local.keys().await.unwrap().len(),
        2,
        "a bad write keeps the last set"
    );
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(LocalJwks::open(dir.join("missing.json")).await.is_err());
}

/// A secret published at a URL is no secret: `oct` keys and keys with private members in a
/// fetched set are never used, and counted.
#[tokio::test]
async fn fetched_sets_never_yield_secrets() {
    let public = key("pub");
    let leaked = key("leaked");
    let mut hmac = Jwk::generate(KeySpec::Oct(256)).unwrap();
    hmac.set_kid(Some("hmac".into()));
    let body = serde_json::json!({ "keys": [
        public.to_public_value(),
        leaked.to_value(),
        hmac.to_value(),
    ]})
    .to_string();
    let (_server, url) = start(Behaviour::Serve {
        body,
        cache_control: None,
    })
    .await;
    let jwks = RemoteJwks::new(&url, quick()).unwrap();
    let set = jwks.keys_for(None).await.unwrap();
    assert_eq!(set.len(), 1);
    assert_eq!(set.keys()[0].kid(), Some("pub"));
    assert!(!set.keys()[0].is_private());
    assert!(set.by_kid("hmac").next().is_none() && set.by_kid("leaked").next().is_none());
    assert_eq!(jwks.stats().refused_secret_keys, 2);
    // A token signed with the leaked private key is not verified by the fetched set.
    let token = jws::Builder::new(b"x")
        .signer(&leaked, JwsAlgorithm::ES256, Header::new())
        .unwrap()
        .compact()
        .unwrap();
    let policy = VerifyPolicy::new([JwsAlgorithm::ES256, JwsAlgorithm::HS256]).unwrap();
    let verifier = JwksSource::Remote(Arc::new(jwks))
        .verifier_for(token.as_bytes(), &policy)
        .await
        .unwrap();
    assert!(verifier.verify(token.as_bytes()).is_err());
}
