//! x5c chains against trust anchors, certificate validity and CRL revocation, with certificates
//! and CRLs made by rcgen and a CRL server on a loopback port.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use joseguard::jwt;
use joseguard::{Jwk, JwsAlgorithm};
use serde_json::Value;

use crate::pki::{ca, crl, leaf, token};

#[tokio::test]
async fn chains_validity_and_revocation() {
    // The CRL server: serves the current CRL, or fails.
    let crl_body: Arc<Mutex<Option<Vec<u8>>>> = Arc::new(Mutex::new(None));
    let served = crl_body.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let crl_url = format!("http://{}/ca.crl", listener.local_addr().unwrap());
    let app = axum::Router::new().route(
        "/ca.crl",
        axum::routing::get(move || {
            let served = served.clone();
            async move {
                match served.lock().unwrap().clone() {
                    Some(b) => (axum::http::StatusCode::OK, b),
                    None => (axum::http::StatusCode::INTERNAL_SERVER_ERROR, Vec::new()),
                }
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let root = ca("Test Root");
    let stranger_ca = ca("Stranger Root");
    let (good, good_der) = leaf(Some(&root), 1, (-1, 30), &crl_url);
    let (expired, expired_der) = leaf(Some(&root), 2, (-30, -1), &crl_url);
    let (revoked, revoked_der) = leaf(Some(&root), 3, (-1, 30), &crl_url);
    let (untrusted, untrusted_der) = leaf(Some(&stranger_ca), 4, (-1, 30), &crl_url);
    let (selfsigned, selfsigned_der) = leaf(None, 5, (-1, 30), &crl_url);
    *crl_body.lock().unwrap() = Some(crl(&root, &[3]));

    let dir = std::env::temp_dir().join(format!("joseguard-x5c-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("root.pem"), &root.pem).unwrap();
    std::fs::write(
        dir.join("other.jwk"),
        Jwk::generate(joseguard::KeySpec::Ec(joseguard::EcCurve::P256))
            .unwrap()
            .to_public()
            .unwrap()
            .to_json(),
    )
    .unwrap();
    let issuer = |name: &str, extra: &str| {
        format!(
            "[[issuer]]\nname = \"{name}\"\nalgorithms = [\"ES256\"]\n[issuer.keys]\npinned = {{ file = \"other.jwk\" }}\n[issuer.x5c]\ntrust_anchors = [\"root.pem\"]\ncheck_certificate_revocation = true\ntrust_any_leaf = true\n{extra}\n"
        )
    };
    let config = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\nwatch_interval = \"0s\"\n[backend]\necho = true\n{}{}{}{}\
         [[route]]\npath = \"/closed\"\nissuers = [\"closed\"]\n[[route]]\npath = \"/open\"\nissuers = [\"open\"]\n\
         [[route]]\npath = \"/novalidity\"\nissuers = [\"novalidity\"]\n[[route]]\npath = \"/required\"\nissuers = [\"required\"]\n",
        issuer("closed", ""),
        issuer("open", "revocation_fail_open = true"),
        issuer("novalidity", "check_certificate_validity = false"),
        issuer("required", "require = true"),
    );
    std::fs::write(dir.join("gw.toml"), config).unwrap();
    let (_stop, rx) = tokio::sync::oneshot::channel::<()>();
    let running = joseguard_server::start(dir.join("gw.toml"), async move {
        let _ = rx.await;
    })
    .await
    .unwrap();
    let c = reqwest::Client::new();
    let call = |path: &str, t: String| {
        let c = c.clone();
        let url = format!("http://{}{path}", running.addr);
        async move {
            let r = c.get(url).bearer_auth(t).send().await.unwrap();
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            (status, body["code"].as_str().unwrap_or("").to_owned())
        }
    };
    let ok = |(s, _): (u16, String)| assert_eq!(s, 200);
    let code = |(s, c): (u16, String), want_status: u16, want: &str| {
        assert_eq!((s, c.as_str()), (want_status, want));
    };

    ok(call("/closed", token(&good, &[&good_der], None)).await);
    code(
        call("/closed", token(&expired, &[&expired_der], None)).await,
        401,
        "cert_expired",
    );
    code(
        call("/closed", token(&revoked, &[&revoked_der], None)).await,
        401,
        "cert_revoked",
    );
    code(
        call("/closed", token(&untrusted, &[&untrusted_der], None)).await,
        401,
        "chain_untrusted",
    );
    // A client-supplied self-signed certificate never passes.
    code(
        call("/closed", token(&selfsigned, &[&selfsigned_der], None)).await,
        401,
        "chain_untrusted",
    );
    // The leaf's key must be the one that signed.
    code(
        call("/closed", token(&expired, &[&good_der], None)).await,
        401,
        "signature_invalid",
    );
    // With a configured key for the kid, the leaf must carry that key.
    code(
        call("/closed", token(&good, &[&good_der], Some("pinned"))).await,
        401,
        "x5c_key_mismatch",
    );
    // check_certificate_validity = false accepts an expired leaf (inadvisable, Gravitee parity).
    ok(call("/novalidity", token(&expired, &[&expired_der], None)).await);
    // require = true refuses tokens without x5c.
    let plain = joseguard::jwt::Builder::new()
        .expires_at(jwt::now() + 60)
        .sign(&good, JwsAlgorithm::ES256)
        .unwrap();
    code(call("/required", plain).await, 401, "x5c_missing");
    // The CRL server goes down: cached CRLs keep working; a leaf whose CRL was never fetched
    // fails closed with 503 (or passes when the issuer is fail-open).
    ok(call("/open", token(&good, &[&good_der], None)).await);
    *crl_body.lock().unwrap() = None;
    ok(call("/closed", token(&good, &[&good_der], None)).await);
    code(
        call("/open", token(&revoked, &[&revoked_der], None)).await,
        401,
        "cert_revoked",
    );
    let fresh_ca_url = format!("{}-other", crl_url);
    let (late, late_der) = leaf(Some(&root), 6, (-1, 30), &fresh_ca_url);
    code(
        call("/closed", token(&late, &[&late_der], None)).await,
        503,
        "revocation_unavailable",
    );
    ok(call("/open", token(&late, &[&late_der], None)).await);
    let metrics = c
        .get(format!("http://{}/metrics", running.addr))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"joseguard_crl_fetches_total{issuer="closed"} 2"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"joseguard_crl_fetch_failures_total{issuer="closed"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains(r#"joseguard_crl_oldest_age_seconds{issuer="closed"}"#));
    let _ = std::fs::remove_dir_all(&dir);
    tokio::time::sleep(Duration::from_millis(10)).await;
}

/// A gateway with one x5c issuer per entry of `issuers` (name, extra `[issuer.x5c]` lines, extra
/// `[issuer]` lines), a route `/<name>` for each (`/<name>-body` in JOSE body mode), trusting
/// `root`.
async fn x5c_gateway(
    name: &str,
    root: &crate::pki::Ca,
    backend: &str,
    issuers: &[(&str, &str, &str)],
    files: &[(&str, String)],
) -> crate::common::Gw {
    let mut config = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\nwatch_interval = \"0s\"\nrequest_timeout = \"10s\"\n[backend]\nurl = \"{backend}\"\n"
    );
    for (issuer, x5c, extra) in issuers {
        config.push_str(&format!(
            "[[issuer]]\nname = \"{issuer}\"\nalgorithms = [\"ES256\"]\nleeway = \"0s\"\n{extra}\n[issuer.x5c]\ntrust_anchors = [\"root.pem\"]\n{x5c}\n\
             [[route]]\npath = \"/{issuer}\"\nissuers = [\"{issuer}\"]\nrequire_exp = false\n\
             [[route]]\npath = \"/{issuer}-body\"\nissuers = [\"{issuer}\"]\nmode = \"jose-body\"\nrequire_exp = false\n"
        ));
    }
    let mut all = vec![("root.pem", root.pem.clone())];
    all.extend(files.iter().cloned());
    crate::common::Gw::start(name, &config, &all).await
}

/// (status, code, detail) of a bearer request to `path`.
async fn ask(gw: &crate::common::Gw, path: &str, token: &str) -> (u16, String, String) {
    let r = crate::common::client()
        .get(gw.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    (
        status,
        body["code"].as_str().unwrap_or("").to_owned(),
        body["detail"].as_str().unwrap_or("").to_owned(),
    )
}

/// (status, code) of the token posted as a JOSE body to `path`.
async fn post_body(gw: &crate::common::Gw, path: &str, token: &str) -> (u16, String) {
    let r = crate::common::client()
        .post(gw.url(path))
        .header("content-type", "application/jose")
        .body(token.to_owned())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    (status, body["code"].as_str().unwrap_or("").to_owned())
}

/// Server-side request forgery: a certificate that does not chain to an anchor names a CRL URL
/// on an internal service. The gateway must refuse with 401 `chain_untrusted` before fetching
/// anything, in bearer and body mode, fail-open or not, and say nothing about the URL.
#[tokio::test]
async fn untrusted_chains_fetch_nothing() {
    let internal = crate::common::Recorder::start().await;
    let target = format!("{}/internal/admin?action=purge", internal.url);
    let root = ca("Test Root");
    let stranger = ca("Stranger Root");
    let (self_signed, self_signed_der) = leaf(None, 1, (-1, 30), &target);
    let (foreign, foreign_der) = leaf(Some(&stranger), 2, (-1, 30), &target);
    let gw = x5c_gateway(
        "ssrf",
        &root,
        "http://127.0.0.1:9",
        &[
            ("closed", "check_certificate_revocation = true\ntrust_any_leaf = true", ""),
            (
                "open",
                "check_certificate_revocation = true\nrevocation_fail_open = true\ntrust_any_leaf = true",
                "",
            ),
        ],
        &[],
    )
    .await;
    for _ in 0..3 {
        for (key, der) in [(&self_signed, &self_signed_der), (&foreign, &foreign_der)] {
            let t = token(key, &[der], None);
            for path in ["/closed", "/open"] {
                let (s, code, detail) = ask(&gw, path, &t).await;
                assert_eq!((s, code.as_str()), (401, "chain_untrusted"), "{path}");
                assert!(
                    !detail.contains("127.0.0.1") && !detail.contains("HTTP"),
                    "{detail}"
                );
                let (s, code) = post_body(&gw, &format!("{path}-body"), &t).await;
                assert_eq!((s, code.as_str()), (401, "chain_untrusted"), "{path}-body");
            }
        }
    }
    assert!(
        internal.take().is_empty(),
        "the internal service was reached"
    );
}

/// A hung CRL server costs one timeout: concurrent requests share the one fetch and get 503
/// (not 504) together; the failure is remembered, so the next request does not wait again; and a
/// redirecting or oversized CRL is not followed or not kept.
#[tokio::test]
async fn crl_fetches_are_bounded() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    // Accepts and never answers; counts connections.
    let hung = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hung_url = format!("http://{}/ca.crl", hung.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let seen = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = hung.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            held.push(s);
        }
    });
    // Redirects to a recorder; or streams 20 MiB.
    let internal = crate::common::Recorder::start().await;
    let to = format!("{}/internal", internal.url);
    let other = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", other.local_addr().unwrap());
    let app = axum::Router::new()
        .route(
            "/redirect.crl",
            axum::routing::get(move || {
                let to = to.clone();
                async move { axum::response::Redirect::temporary(&to) }
            }),
        )
        .route(
            "/huge.crl",
            axum::routing::get(|| async {
                let chunk = axum::body::Bytes::from(vec![0x30u8; 1 << 20]);
                let stream = futures_util::stream::iter(
                    (0..20).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
                );
                axum::body::Body::from_stream(stream)
            }),
        );
    tokio::spawn(async move { axum::serve(other, app).await.unwrap() });

    let root = ca("Test Root");
    let (hung_key, hung_der) = leaf(Some(&root), 1, (-1, 30), &hung_url);
    let (redirect_key, redirect_der) =
        leaf(Some(&root), 2, (-1, 30), &format!("{base}/redirect.crl"));
    let (huge_key, huge_der) = leaf(Some(&root), 3, (-1, 30), &format!("{base}/huge.crl"));
    let gw = x5c_gateway(
        "hung",
        &root,
        "http://127.0.0.1:9",
        &[(
            "crl",
            "check_certificate_revocation = true\ncrl_timeout = \"1s\"\ntrust_any_leaf = true",
            "",
        )],
        &[],
    )
    .await;
    let t = token(&hung_key, &[&hung_der], None);
    let started = std::time::Instant::now();
    let answers = futures_util::future::join_all((0..8).map(|_| ask(&gw, "/crl", &t))).await;
    let took = started.elapsed();
    for (s, code, detail) in &answers {
        assert_eq!((*s, code.as_str()), (503, "revocation_unavailable"));
        assert!(!detail.contains("127.0.0.1"), "{detail}");
    }
    assert!(
        took < Duration::from_millis(2500),
        "8 requests took {took:?}"
    );
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        1,
        "one fetch for all of them"
    );
    let started = std::time::Instant::now();
    assert_eq!(ask(&gw, "/crl", &t).await.0, 503);
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "the failure was remembered"
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
    // No redirect is followed: the recorder never hears of it.
    let t = token(&redirect_key, &[&redirect_der], None);
    assert_eq!(ask(&gw, "/crl", &t).await.1, "revocation_unavailable");
    assert!(internal.take().is_empty());
    // 20 MiB is cut off at the limit.
    let t = token(&huge_key, &[&huge_der], None);
    assert_eq!(ask(&gw, "/crl", &t).await.1, "revocation_unavailable");
    let metrics = crate::common::get_text(&gw.url("/metrics")).await;
    assert!(
        metrics.contains(r#"joseguard_crl_fetch_failures_total{issuer="crl"} 3"#),
        "{metrics}"
    );
}

/// A CRL that is not the issuing CA's (signed by another key) revokes nothing and vouches for
/// nothing: the status stays unknown and the request is refused.
#[tokio::test]
async fn forged_crls_are_refused() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/ca.crl", listener.local_addr().unwrap());
    let root = ca("Test Root");
    let impostor = ca("Test Root");
    let forged = crl(&impostor, &[]);
    let app = axum::Router::new().route(
        "/ca.crl",
        axum::routing::get(move || {
            let forged = forged.clone();
            async move { forged }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let (key, der) = leaf(Some(&root), 7, (-1, 30), &url);
    let gw = x5c_gateway(
        "forged",
        &root,
        "http://127.0.0.1:9",
        &[(
            "crl",
            "check_certificate_revocation = true\ntrust_any_leaf = true",
            "",
        )],
        &[],
    )
    .await;
    let (s, code, _) = ask(&gw, "/crl", &token(&key, &[&der], None)).await;
    assert_ne!(s, 200, "{code}");
    assert!(s == 401 || s == 503, "{s} {code}");
}

/// Which leaf may sign: the pin table of docs/gateway.md.
#[tokio::test]
async fn x5c_leaves_are_pinned_to_configured_keys() {
    let backend = crate::common::Recorder::start().await;
    let root = ca("Test Root");
    let (a, a_der) = leaf(Some(&root), 1, (-1, 30), "http://127.0.0.1:9/none.crl");
    let (b, b_der) = leaf(Some(&root), 2, (-1, 30), "http://127.0.0.1:9/none.crl");
    let public = |k: &Jwk| k.to_public().unwrap().to_json();
    let files = [("a.jwk", public(&a)), ("b.jwk", public(&b))];
    let gw = x5c_gateway(
        "pins",
        &root,
        &backend.url,
        &[
            (
                "pinned",
                "",
                "[issuer.keys]\ndefault = { file = \"a.jwk\" }\nkid-2016 = { file = \"b.jwk\" }",
            ),
            (
                "nodefault",
                "",
                "[issuer.keys]\nkid-2016 = { file = \"b.jwk\" }",
            ),
            (
                "anyleaf",
                "trust_any_leaf = true",
                "[issuer.keys]\nkid-2016 = { file = \"b.jwk\" }",
            ),
        ],
        &files,
    )
    .await;
    let chain_a = token(&a, &[&a_der], None);
    let chain_b = token(&b, &[&b_der], None);
    let a_2016 = token(&a, &[&a_der], Some("kid-2016"));
    let b_2016 = token(&b, &[&b_der], Some("kid-2016"));
    let a_default = token(&a, &[&a_der], Some("default"));
    let a_unknown = token(&a, &[&a_der], Some("kid-2099"));
    for (path, t, want) in [
        ("/pinned", &chain_a, "ok"),
        ("/pinned", &chain_b, "x5c_key_mismatch"),
        ("/pinned", &a_default, "ok"),
        ("/pinned", &b_2016, "ok"),
        ("/pinned", &a_2016, "x5c_key_mismatch"),
        ("/pinned", &a_unknown, "kid_unknown"),
        ("/nodefault", &chain_b, "kid_unknown"),
        ("/nodefault", &b_2016, "ok"),
        ("/nodefault", &a_unknown, "kid_unknown"),
        ("/anyleaf", &chain_a, "ok"),
        ("/anyleaf", &a_unknown, "ok"),
        ("/anyleaf", &a_2016, "x5c_key_mismatch"),
        ("/anyleaf", &b_2016, "ok"),
    ] {
        let (s, code, _) = ask(&gw, path, t).await;
        match want {
            "ok" => assert_eq!(s, 200, "{path} {code}"),
            want => assert_eq!((s, code.as_str()), (401, want), "{path}"),
        }
    }
    // Pinning needs keys to pin to.
    let e = joseguard_server::load_str(
        "[backend]\nurl = \"http://127.0.0.1:9\"\n[[issuer]]\nname = \"x\"\nalgorithms = [\"ES256\"]\n\
         [issuer.x5c]\ntrust_anchors = [\"/dev/null\"]\n[[route]]\npath = \"/\"\nissuers = [\"x\"]\n",
        std::path::Path::new("."),
    )
    .await
    .err()
    .expect("refused");
    assert!(e.to_string().contains("trust_any_leaf"), "{e}");
}
