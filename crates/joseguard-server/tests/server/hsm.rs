//! Signing workers with keys in a real SoftHSM2 token: every algorithm through the HSM with the
//! signer's certificate in the output, the token unplugged (503, then recovery, `/readyz` and
//! metrics saying so), a wrong PIN at start-up, more callers than sessions, and key rotation
//! across a reload.

use std::time::Duration;

use base64::Engine;

use joseguard::jws::{Verifier, VerifyPolicy};
use joseguard::{EcCurve, Jwk, JwkSet, JwsAlgorithm, KeySpec, Sha2};
use joseguard_testkit::{SoftHsm, SOFTHSM2_MODULE, SPARE};
use serde_json::{json, Value};

use crate::common::{client, get_text, problem, Gw};
use crate::signing::{config, As};

fn hsm() -> Option<&'static SoftHsm> {
    SoftHsm::for_test()
}

const AUTHZ: &str = r#"
[worker.authorizer]
servers = ["as"]
audiences = ["signer"]
"#;

fn hsm_worker(hsm: &SoftHsm, name: &str, uri: &str, algs: &str, extra: &str) -> String {
    format!(
        r#"
[[worker]]
name = "{name}"
kind = "signing"
key = "{uri}"
pkcs11_module = "{SOFTHSM2_MODULE}"
pin_file = "{pin}"
algorithms = {algs}
{extra}
{AUTHZ}"#,
        pin = hsm.pin_file.display()
    )
}

async fn sign(gw: &Gw, worker: &str, token: &str) -> reqwest::Response {
    client()
        .post(gw.url(&format!("/workers/{worker}/sign")))
        .bearer_auth(token)
        .json(&json!({"data": "aGVsbG8"}))
        .send()
        .await
        .unwrap()
}

async fn jwks(gw: &Gw, worker: &str) -> JwkSet {
    let body = get_text(&gw.url(&format!("/workers/{worker}/jwks"))).await;
    JwkSet::from_json(body).unwrap()
}

/// A certificate for `public` (the HSM key), issued by a throwaway CA, as PEM (leaf, CA).
fn certificate_for(public: &Jwk) -> String {
    certificate_with(public, 10, "joseguard test CA")
}

/// A leaf for `public` valid until `days` from now (negative: expired), issued by a CA named
/// "joseguard test CA"; the file then holds a CA certificate named `ca_in_file` (another name:
/// a chain that does not link).
fn certificate_with(public: &Jwk, days: i64, ca_in_file: &str) -> String {
    let ca = |name: &str| {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let cert = params.self_signed(&key).unwrap();
        (params, key, cert)
    };
    let (params, key, _) = ca("joseguard test CA");
    let (_, _, in_file) = ca(ca_in_file);
    let spki = rcgen::SubjectPublicKeyInfo::from_der(&public.to_spki_der().unwrap()).unwrap();
    let mut leaf = rcgen::CertificateParams::new(vec!["signer.example".into()]).unwrap();
    let now = time::OffsetDateTime::now_utc();
    leaf.not_before = now - time::Duration::days(30);
    leaf.not_after = now + time::Duration::days(days);
    let cert = leaf
        .signed_by(&spki, &rcgen::Issuer::new(params, key))
        .unwrap();
    format!("{}{}", cert.pem(), in_file.pem())
}

#[tokio::test]
async fn hsm_keys_sign_with_their_certificate() {
    let Some(hsm) = hsm() else { return };
    let authz = As::es256();
    // The public key of ec-256, for its certificate: what the worker reports at first start.
    let probes = hsm_worker(hsm, "p", &hsm.uri("ec-256"), r#"["ES256"]"#, "")
        + &hsm_worker(hsm, "q", &hsm.uri("rsa-1"), r#"["PS256"]"#, "");
    let probe = Gw::start("hsm-probe", &format!("{}{probes}", config(&authz, "")), &[]).await;
    let ec_public = jwks(&probe, "p").await.keys()[0].clone();
    let rsa_public = jwks(&probe, "q").await.keys()[0].clone();
    drop(probe);
    let mut workers = hsm_worker(
        hsm,
        "ec",
        &hsm.uri("ec-256"),
        r#"["ES256"]"#,
        "certificate_chain = \"chain.pem\"",
    );
    workers += &hsm_worker(
        hsm,
        "rsa",
        &hsm.uri("rsa-1"),
        r#"["PS256", "RS256"]"#,
        "certificate_chain = \"rsa.pem\"\ncertificate_header = \"x5t#S256\"",
    );
    workers += &hsm_worker(hsm, "p384", &hsm.uri("ec-384"), r#"["ES384"]"#, "");
    if hsm.keys.contains(&"ed-1") {
        workers += &hsm_worker(hsm, "ed", &hsm.uri("ed-1"), r#"["EdDSA"]"#, "");
    }
    let gw = Gw::start(
        "hsm-sign",
        &format!("{}{workers}", config(&authz, "")),
        &[
            ("chain.pem", certificate_for(&ec_public)),
            ("rsa.pem", certificate_for(&rsa_public)),
        ],
    )
    .await;
    let t = authz.token(|b| b);
    let mut cases = vec![
        ("ec", JwsAlgorithm::ES256),
        ("rsa", JwsAlgorithm::PS256),
        ("p384", JwsAlgorithm::ES384),
    ];
    if hsm.keys.contains(&"ed-1") {
        cases.push(("ed", JwsAlgorithm::EdDSA));
    }
    for (worker, alg) in cases {
        let resp = sign(&gw, worker, &t).await;
        assert_eq!(resp.status(), 200, "{worker}");
        let answer: Value = resp.json().await.unwrap();
        let set = jwks(&gw, worker).await;
        let verified = Verifier::new(VerifyPolicy::new([alg]).unwrap(), set.clone())
            .verify(answer["jws"].as_str().unwrap().as_bytes())
            .unwrap_or_else(|e| panic!("{worker}: {e}"));
        assert_eq!(verified.payload, b"hello");
        let header = verified.protected_header();
        assert_eq!(
            header.kid(),
            Some(set.keys()[0].thumbprint_b64(Sha2::Sha256).as_str())
        );
        match worker {
            "ec" => {
                // The chain in the signature and in the JWK Set; the leaf certifies the key.
                let x5c = header.get("x5c").unwrap().as_array().unwrap();
                assert_eq!(x5c.len(), 2);
                assert_eq!(
                    set.keys()[0].member("x5c").unwrap().as_array().unwrap(),
                    x5c
                );
            }
            "rsa" => {
                // Only the thumbprint signed; the JWK Set still carries the chain.
                assert!(header.get("x5c").is_none());
                // The thumbprint is SHA-256 over the leaf's DER, the first x5c entry's bytes.
                let x5c = set.keys()[0].member("x5c").unwrap().as_array().unwrap();
                let leaf = base64::engine::general_purpose::STANDARD
                    .decode(x5c[0].as_str().unwrap())
                    .unwrap();
                assert_eq!(
                    header.get("x5t#S256").and_then(Value::as_str),
                    Some(joseguard::b64::encode(Sha2::Sha256.digest(&leaf)).as_str())
                );
            }
            _ => assert!(header.get("x5c").is_none()),
        }
    }
    let metrics = get_text(&gw.url("/metrics")).await;
    assert!(
        metrics.contains("joseguard_worker_key_available{worker=\"ec\""),
        "{metrics}"
    );
    assert!(metrics.contains("joseguard_worker_certificate_expiry_seconds{worker=\"ec\""));
}

#[tokio::test]
async fn a_certificate_for_another_key_or_a_wrong_pin_stops_the_start() {
    let Some(hsm) = hsm() else { return };
    let authz = As::es256();
    let other = Jwk::generate(KeySpec::Ec(EcCurve::P256))
        .unwrap()
        .to_public()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("joseguard-hsm-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("chain.pem"), certificate_for(&other)).unwrap();
    let ec_public = {
        let mut c = joseguard_pkcs11::Pkcs11Config::new(hsm.uri("ec-256").parse().unwrap());
        c.module = Some(SOFTHSM2_MODULE.into());
        c.pin = Some(joseguard_pkcs11::Pin::File(hsm.pin_file.clone()));
        joseguard_pkcs11::Pkcs11Key::open(c)
            .unwrap()
            .public()
            .clone()
    };
    std::fs::write(
        dir.join("expired.pem"),
        certificate_with(&ec_public, -1, "joseguard test CA"),
    )
    .unwrap();
    std::fs::write(
        dir.join("unlinked.pem"),
        certificate_with(&ec_public, 10, "another CA"),
    )
    .unwrap();
    std::fs::write(dir.join("wrong-pin"), "wrong-Jv3Tq\n").unwrap();
    let cases = [
        (
            hsm_worker(
                hsm,
                "ec",
                &hsm.uri("ec-256"),
                r#"["ES256"]"#,
                "certificate_chain = \"chain.pem\"",
            ),
            "the first certificate is not for this key",
        ),
        (
            hsm_worker(
                hsm,
                "ec",
                &hsm.uri("ec-256"),
                r#"["ES256"]"#,
                "certificate_chain = \"expired.pem\"",
            ),
            "the signer's certificate expired",
        ),
        (
            hsm_worker(
                hsm,
                "ec",
                &hsm.uri("ec-256"),
                r#"["ES256"]"#,
                "certificate_chain = \"unlinked.pem\"",
            ),
            "certificate 1 was not issued by certificate 2",
        ),
        (
            hsm_worker(hsm, "ec", &hsm.uri("ec-256"), r#"["ES256"]"#, "")
                .replace(&hsm.pin_file.display().to_string(), "wrong-pin"),
            "refused the PIN",
        ),
        (
            hsm_worker(hsm, "ec", &hsm.uri("no-such"), r#"["ES256"]"#, ""),
            "no private key labelled \"no-such\"",
        ),
        (
            hsm_worker(hsm, "ec", &hsm.uri("ec-256"), r#"["RS256"]"#, ""),
            "RS256 cannot use a EC key",
        ),
        (
            hsm_worker(
                hsm,
                "ec",
                &hsm.uri("ec-256"),
                r#"["ES256"]"#,
                "certificate_header = \"x5t#S256\"",
            ),
            "needs a certificate_chain",
        ),
        (
            hsm_worker(
                hsm,
                "ec",
                &hsm.uri("ec-256"),
                r#"["ES256"]"#,
                "pin_env = \"HSM_PIN\"",
            ),
            "not both",
        ),
    ];
    for (worker, needle) in cases {
        let path = dir.join("c.toml");
        std::fs::write(&path, format!("{}{worker}", config(&authz, ""))).unwrap();
        let e = joseguard_server::load(&path)
            .await
            .err()
            .expect("refused")
            .to_string();
        assert!(
            e.contains(needle) && !e.contains("wrong-Jv3Tq") && !e.contains(joseguard_testkit::PIN),
            "{e}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The HSM restarts with its token away (the spare module, a separate SoftHSM2 instance, is
/// finalised and the token moved out), then comes back with it.
#[tokio::test]
async fn an_unplugged_hsm_is_503_then_recovers() {
    let Some(hsm) = hsm() else { return };
    let authz = As::es256();
    let worker = hsm_worker(
        hsm,
        "spare",
        &hsm.uri_in(SPARE, "ec-256"),
        r#"["ES256"]"#,
        "",
    )
    .replace(SOFTHSM2_MODULE, &hsm.spare_module().display().to_string());
    let gw = Gw::start(
        "hsm-unplug",
        &format!("{}{worker}", config(&authz, "")),
        &[],
    )
    .await;
    assert_eq!(sign(&gw, "spare", &authz.token(|b| b)).await.status(), 200);
    let unplugged = hsm.unplug(SPARE);
    hsm.restart_spare();
    let resp = sign(&gw, "spare", &authz.token(|b| b)).await;
    assert_eq!(resp.status(), 503);
    assert_eq!(resp.headers()["retry-after"], "30");
    let (_, _, body) = problem(resp).await;
    assert_eq!(body["code"], "key_unavailable");
    assert_eq!(readyz(&gw).await, 503);
    let metrics = get_text(&gw.url("/metrics")).await;
    assert!(
        metrics.contains("joseguard_worker_key_available{worker=\"spare\",kid="),
        "{metrics}"
    );
    assert!(
        metrics.contains("joseguard_worker_key_unavailable_total{worker=\"spare\""),
        "{metrics}"
    );
    drop(unplugged);
    hsm.restart_spare();
    // No signing request meanwhile: readiness comes back by itself (a load balancer that
    // stopped sending on the 503 would otherwise never send the request that recovers it).
    let mut back = false;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if readyz(&gw).await == 200 {
            back = true;
            break;
        }
    }
    assert!(back, "the worker recovers by itself, without a request");
    assert_eq!(sign(&gw, "spare", &authz.token(|b| b)).await.status(), 200);
}

async fn readyz(gw: &Gw) -> u16 {
    let resp = client().get(gw.url("/readyz")).send().await.unwrap();
    resp.status().as_u16()
}

#[tokio::test]
async fn more_callers_than_sessions_all_get_signatures() {
    let Some(hsm) = hsm() else { return };
    let authz = As::es256();
    let worker = hsm_worker(
        hsm,
        "ec",
        &hsm.uri("ec-256"),
        r#"["ES256"]"#,
        "sessions = 2",
    );
    let gw = Gw::start("hsm-pool", &format!("{}{worker}", config(&authz, "")), &[]).await;
    let t = authz.token(|b| b);
    let calls: Vec<_> = (0..12).map(|_| sign(&gw, "ec", &t)).collect();
    for resp in futures_util::future::join_all(calls).await {
        assert_eq!(resp.status(), 200);
    }
}

/// Two keys, the second valid from a future instant: the first signs and both are published;
/// the configuration is changed so the second is current and reloaded while requests run: every
/// request gets a signature, the new ones by the second key.
#[tokio::test]
async fn rotation_across_a_reload() {
    let authz = As::es256();
    let config = |second_from: &str| {
        format!(
            r#"{head}
[[worker]]
name = "rot"
kind = "signing"
algorithms = ["ES256"]
[[worker.keys]]
kid = "2026-a"
key_file = "a.jwk"
generate = "EC:P-256"
not_before = "2020-01-01T00:00:00Z"
[[worker.keys]]
kid = "2026-b"
key_file = "b.jwk"
generate = "EC:P-256"
not_before = "{second_from}"
{AUTHZ}"#,
            head = config(&authz, "")
        )
    };
    let gw = Gw::start("rotation", &config("2999-01-01T00:00:00Z"), &[]).await;
    let kid_of = |answer: &Value| answer["kid"].as_str().unwrap().to_owned();
    let first: Value = sign(&gw, "rot", &authz.token(|b| b))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(kid_of(&first), "2026-a");
    let set = jwks(&gw, "rot").await;
    assert_eq!(
        set.keys()
            .iter()
            .filter_map(|k| k.kid())
            .collect::<Vec<_>>(),
        ["2026-a", "2026-b"]
    );
    std::fs::write(gw.dir.join("gw.toml"), config("2021-01-01T00:00:00Z")).unwrap();
    let t = authz.token(|b| b);
    let during: Vec<_> = (0..10).map(|_| sign(&gw, "rot", &t)).collect();
    gw.reload.notify_one();
    for resp in futures_util::future::join_all(during).await {
        assert_eq!(resp.status(), 200, "no request is dropped by the reload");
    }
    let mut switched = false;
    for _ in 0..50 {
        let answer: Value = sign(&gw, "rot", &authz.token(|b| b))
            .await
            .json()
            .await
            .unwrap();
        if kid_of(&answer) == "2026-b" {
            switched = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(switched, "the newest valid key signs after the reload");
    // Both keys are still published, and a signature of the first still verifies.
    let set = jwks(&gw, "rot").await;
    Verifier::new(VerifyPolicy::new([JwsAlgorithm::ES256]).unwrap(), set)
        .verify(first["jws"].as_str().unwrap().as_bytes())
        .unwrap();
}
