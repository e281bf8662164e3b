//! Keys in a real SoftHSM2 token (made by the test in a temporary directory): every algorithm
//! signs through the token and verifies with joseguard and with OpenSSL; a wrong PIN, a missing
//! key or token; more signers than sessions; the token unplugged and plugged back.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use joseguard::jws::{self, Header, Verifier, VerifyPolicy};
use joseguard::{b64, Jwk, JwsAlgorithm, Sha2};
use joseguard_pkcs11::{Pin, Pkcs11Config, Pkcs11Error, Pkcs11Key};
use joseguard_testkit::{SoftHsm, SOFTHSM2_MODULE, SPARE};

fn hsm() -> Option<&'static SoftHsm> {
    SoftHsm::for_test()
}

fn config(hsm: &SoftHsm, label: &str) -> Pkcs11Config {
    let mut c = Pkcs11Config::new(hsm.uri(label).parse().unwrap());
    c.module = Some(PathBuf::from(SOFTHSM2_MODULE));
    c.pin = Some(Pin::File(hsm.pin_file.clone()));
    c
}

fn key(hsm: &SoftHsm, label: &str) -> Pkcs11Key {
    Pkcs11Key::open(config(hsm, label)).unwrap()
}

/// OpenSSL verifies a compact JWS made by the token (ECDSA's r‖s converted to DER for it).
fn openssl_verifies(public: &Jwk, alg: JwsAlgorithm, token: &str) -> bool {
    let dir = std::env::temp_dir().join(format!("joseguard-ossl-{}-{alg}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (input, sig) = token.rsplit_once('.').unwrap();
    let mut sig = b64::decode(sig, "sig").unwrap();
    if public.ec_curve().is_some() {
        let (r, s) = sig.split_at(sig.len() / 2);
        let int = |x: &[u8]| {
            let x: Vec<u8> = x.iter().copied().skip_while(|b| *b == 0).collect();
            let x = if x.first().is_some_and(|b| b & 0x80 != 0) {
                [&[0u8][..], &x].concat()
            } else {
                x
            };
            [&[0x02, x.len() as u8][..], &x].concat()
        };
        let body = [int(r), int(s)].concat();
        sig = if body.len() < 128 {
            [&[0x30, body.len() as u8][..], &body].concat()
        } else {
            [&[0x30, 0x81, body.len() as u8][..], &body].concat()
        };
    }
    std::fs::write(dir.join("pub.pem"), public.to_public_pem().unwrap()).unwrap();
    std::fs::write(dir.join("sig"), sig).unwrap();
    std::fs::write(dir.join("input"), input).unwrap();
    let mut cmd = Command::new("openssl");
    cmd.current_dir(&dir).arg("pkeyutl").arg("-verify").args([
        "-pubin", "-inkey", "pub.pem", "-sigfile", "sig", "-in", "input",
    ]);
    match alg {
        JwsAlgorithm::EdDSA => {
            cmd.arg("-rawin");
        }
        _ => {
            cmd.args(["-rawin", "-digest", &format!("sha{}", alg.hash().len() * 8)]);
        }
    }
    if alg.rsa_padding() == Some(joseguard::jwa::RsaPadding::Pss) {
        cmd.args([
            "-pkeyopt",
            "rsa_padding_mode:pss",
            "-pkeyopt",
            &format!("rsa_pss_saltlen:{}", alg.hash().len()),
        ]);
    }
    let ok = cmd.output().unwrap().status.success();
    let _ = std::fs::remove_dir_all(&dir);
    ok
}

#[test]
fn every_algorithm_signs_through_the_token() {
    let Some(hsm) = hsm() else { return };
    let mut cases = vec![
        ("rsa-1", JwsAlgorithm::RS256),
        ("rsa-1", JwsAlgorithm::RS512),
        ("rsa-1", JwsAlgorithm::PS256),
        ("rsa-1", JwsAlgorithm::PS384),
        ("ec-256", JwsAlgorithm::ES256),
        ("ec-384", JwsAlgorithm::ES384),
    ];
    if hsm.keys.contains(&"ed-1") {
        cases.push(("ed-1", JwsAlgorithm::EdDSA));
    }
    for (label, alg) in cases {
        let k = key(hsm, label);
        let public = k.public().clone();
        assert_eq!(
            public.kid(),
            Some(public.thumbprint_b64(Sha2::Sha256).as_str()),
            "kid is the thumbprint"
        );
        let jwk = k.into_jwk().unwrap();
        assert!(jwk.is_private() && jwk.is_remote());
        assert!(
            jwk.to_pkcs8_der().is_err(),
            "the private key never leaves the token"
        );
        let token = jws::Builder::new(b"signed in hardware")
            .signer(&jwk, alg, Header::new())
            .unwrap()
            .compact()
            .unwrap();
        let verified = Verifier::new(VerifyPolicy::new([alg]).unwrap(), public.clone())
            .verify(token.as_bytes())
            .unwrap_or_else(|e| panic!("{label} {alg}: {e}"));
        assert_eq!(verified.payload, b"signed in hardware");
        assert!(
            openssl_verifies(&public, alg, &token),
            "{label} {alg}: OpenSSL"
        );
    }
}

#[test]
fn digests_computed_elsewhere_sign_too() {
    let Some(hsm) = hsm() else { return };
    for (label, alg) in [
        ("rsa-1", JwsAlgorithm::RS256),
        ("rsa-1", JwsAlgorithm::PS256),
        ("ec-256", JwsAlgorithm::ES256),
    ] {
        let jwk = key(hsm, label).into_jwk().unwrap();
        // The signing input is hashed here; only the digest goes to the token.
        let input = format!(
            "{}.{}",
            b64::encode(format!(r#"{{"alg":"{alg}"}}"#)),
            b64::encode("payload")
        );
        let sig = jws::sign_digest(&jwk, alg, &Sha2::Sha256.digest(input.as_bytes())).unwrap();
        let token = format!("{input}.{}", b64::encode(&sig));
        let public = jwk.to_public().unwrap();
        Verifier::new(VerifyPolicy::new([alg]).unwrap(), public)
            .verify(token.as_bytes())
            .unwrap_or_else(|e| panic!("{label} {alg}: {e}"));
    }
}

#[test]
fn start_up_errors_name_what_is_wrong_and_never_the_pin() {
    let Some(hsm) = hsm() else { return };
    let wrong = hsm.dir.join("wrong-pin");
    std::fs::write(&wrong, "wrong-Jv3Tq\n").unwrap();
    let mut c = config(hsm, "ec-256");
    c.pin = Some(Pin::File(wrong));
    let e = Pkcs11Key::open(c).unwrap_err();
    assert!(matches!(e, Pkcs11Error::PinRefused(_)), "{e}");
    assert!(
        e.to_string().contains("refused the PIN") && !e.to_string().contains("wrong-Jv3Tq"),
        "{e}"
    );
    let e = Pkcs11Key::open(config(hsm, "no-such-key")).unwrap_err();
    assert!(
        e.to_string()
            .contains("no private key labelled \"no-such-key\""),
        "{e}"
    );
    let mut c = Pkcs11Config::new("pkcs11:token=elsewhere;object=ec-256".parse().unwrap());
    c.module = Some(PathBuf::from(SOFTHSM2_MODULE));
    c.pin = Some(Pin::File(hsm.pin_file.clone()));
    let e = Pkcs11Key::open(c).unwrap_err();
    assert!(
        e.to_string().contains("no token labelled \"elsewhere\""),
        "{e}"
    );
    // A public key object under the same id that is another key's: refused, not published.
    let mut c = Pkcs11Config::new(joseguard_testkit::MISMATCHED.parse().unwrap());
    c.module = Some(PathBuf::from(SOFTHSM2_MODULE));
    c.pin = Some(Pin::File(hsm.pin_file.clone()));
    let e = Pkcs11Key::open(c).unwrap_err().to_string();
    assert!(e.contains("is not this private key's"), "{e}");
    let mut c = config(hsm, "ec-256");
    c.pin = Some(Pin::Env("JOSEGUARD_TEST_NO_SUCH_VAR".into()));
    assert!(Pkcs11Key::open(c)
        .unwrap_err()
        .to_string()
        .contains("JOSEGUARD_TEST_NO_SUCH_VAR is not set"));
}

#[test]
fn more_signers_than_sessions_wait_their_turn() {
    let Some(hsm) = hsm() else { return };
    let mut c = config(hsm, "ec-256");
    c.sessions = 2;
    let jwk = Arc::new(Pkcs11Key::open(c).unwrap().into_jwk().unwrap());
    let threads: Vec<_> = (0..16)
        .map(|i| {
            let jwk = jwk.clone();
            std::thread::spawn(move || {
                jws::Builder::new(format!("doc {i}").as_bytes())
                    .signer(&jwk, JwsAlgorithm::ES256, Header::new())
                    .unwrap()
                    .compact()
                    .unwrap()
            })
        })
        .collect();
    let v = Verifier::new(
        VerifyPolicy::new([JwsAlgorithm::ES256]).unwrap(),
        jwk.to_public().unwrap(),
    );
    for t in threads {
        v.verify(t.join().unwrap().as_bytes()).unwrap();
    }
}

/// An HSM restart with the token absent for a while: every session is gone (the spare
/// module, a separate instance, is finalised) and the token directory moved away; then the HSM
/// comes back with it (finalised again, as a restarting device's library reinitialises).
/// Signing is `KeyUnavailable` in between, then recovers by itself.
#[test]
fn an_unplugged_token_is_unavailable_then_recovers() {
    let Some(hsm) = hsm() else { return };
    // The key's own PIN file, which an operator gets wrong while the HSM is away.
    let pin_file = hsm.dir.join("spare-pin");
    std::fs::copy(&hsm.pin_file, &pin_file).unwrap();
    let mut c = Pkcs11Config::new(hsm.uri_in(SPARE, "ec-256").parse().unwrap());
    c.module = Some(hsm.spare_module());
    c.pin = Some(Pin::File(pin_file.clone()));
    let k = Pkcs11Key::open(c).unwrap();
    let jwk = k.clone().into_jwk().unwrap();
    let sign = || {
        jws::Builder::new(b"x")
            .signer(&jwk, JwsAlgorithm::ES256, Header::new())
            .and_then(|b| b.compact())
    };
    sign().unwrap();
    let unplugged = hsm.unplug(SPARE);
    hsm.restart_spare();
    let e = sign().unwrap_err();
    assert_eq!(e.code(), "key_unavailable", "{e}");
    assert!(!k.is_available());
    // Still away after the next login attempt (at most one a second).
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(sign().unwrap_err().code(), "key_unavailable");
    // The HSM comes back with its token (SoftHSM2 reads its tokens when initialised).
    std::fs::write(&pin_file, "9999\n").unwrap();
    drop(unplugged);
    hsm.restart_spare();
    // Back with a wrong PIN: refused once, then not offered again (HSMs lock the PIN after a
    // few wrong tries), until the file changes.
    std::thread::sleep(Duration::from_millis(3500));
    assert!(!k.is_available());
    assert_eq!(
        k.refused_logins(),
        1,
        "one try with the wrong PIN, not one a second"
    );
    std::fs::copy(&hsm.pin_file, &pin_file).unwrap();
    // Nobody signs meanwhile (a load balancer has stopped sending): the key logs in again by
    // itself, so readiness comes back without traffic.
    let mut back = false;
    for _ in 0..40 {
        std::thread::sleep(Duration::from_millis(200));
        if k.is_available() {
            back = true;
            break;
        }
    }
    assert!(back, "the key recovers by itself, without a request");
    sign().unwrap();
    assert!(k.unavailable_count() >= 2);
}
