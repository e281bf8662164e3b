//! x5c chains against trust anchors, certificate validity and CRL revocation, with certificates
//! and CRLs made by rcgen and a CRL server on a loopback port.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use joseguard::jws::{Header, JwsBuilder};
use joseguard::jwt;
use joseguard::{Jwk, JwsAlgorithm};
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CrlDistributionPoint,
    DistinguishedName, DnType, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose,
    RevokedCertParams, SerialNumber, PKCS_ECDSA_P256_SHA256,
};
use serde_json::{json, Value};
use time::OffsetDateTime;

fn ca_params(name: &str) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, name);
    p.distinguished_name = dn;
    p
}

struct Ca {
    issuer: Issuer<'static, KeyPair>,
    pem: String,
}

fn ca(name: &str) -> Ca {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let params = ca_params(name);
    let cert = params.self_signed(&key).unwrap();
    Ca {
        issuer: Issuer::new(params, key),
        pem: cert.pem(),
    }
}

/// A leaf signed by `ca` (or self-signed when `ca` is None): (signing JWK, DER).
fn leaf(ca: Option<&Ca>, serial: u64, days: (i64, i64), crl_url: &str) -> (Jwk, Vec<u8>) {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let mut p = CertificateParams::new(vec!["signer.example".to_owned()]).unwrap();
    p.serial_number = Some(SerialNumber::from(serial));
    let now = OffsetDateTime::now_utc();
    p.not_before = now + time::Duration::days(days.0);
    p.not_after = now + time::Duration::days(days.1);
    p.crl_distribution_points = vec![CrlDistributionPoint {
        uris: vec![crl_url.to_owned()],
    }];
    let cert = match ca {
        Some(ca) => p.signed_by(&key, &ca.issuer).unwrap(),
        None => p.self_signed(&key).unwrap(),
    };
    (
        Jwk::from_pem(&key.serialize_pem()).unwrap(),
        cert.der().to_vec(),
    )
}

fn crl(ca: &Ca, revoked: &[u64]) -> Vec<u8> {
    let now = OffsetDateTime::now_utc();
    CertificateRevocationListParams {
        this_update: now - time::Duration::hours(1),
        next_update: now + time::Duration::days(1),
        crl_number: SerialNumber::from(1u64),
        issuing_distribution_point: None,
        revoked_certs: revoked
            .iter()
            .map(|s| RevokedCertParams {
                serial_number: SerialNumber::from(*s),
                revocation_time: now - time::Duration::minutes(5),
                reason_code: None,
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: KeyIdMethod::Sha256,
    }
    .signed_by(&ca.issuer)
    .unwrap()
    .der()
    .to_vec()
}

fn token(signer: &Jwk, chain: &[&[u8]], kid: Option<&str>) -> String {
    let x5c: Vec<String> = chain
        .iter()
        .map(|d| base64::engine::general_purpose::STANDARD.encode(d))
        .collect();
    let mut h = Header::new().with("typ", "JWT").with("x5c", x5c);
    if let Some(k) = kid {
        h.insert("kid", k);
    }
    let now = jwt::now();
    JwsBuilder::new(
        json!({"sub": "signer", "exp": now + 300})
            .to_string()
            .as_bytes(),
    )
    .signer(signer, JwsAlgorithm::ES256, h)
    .unwrap()
    .compact()
    .unwrap()
}

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
            "[[issuer]]\nname = \"{name}\"\nalgorithms = [\"ES256\"]\n[issuer.keys]\npinned = {{ file = \"other.jwk\" }}\n[issuer.x5c]\ntrust_anchors = [\"root.pem\"]\ncheck_certificate_revocation = true\n{extra}\n"
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
    let plain = joseguard::jwt::JwtBuilder::new()
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
