//! Keys and tokens that independent suites judge differently from a naive implementation: keys
//! that cannot serve what they claim, ROCA moduli, small-order Ed25519 points, JWK Sets that mix
//! secrets with public keys, JSON spelled to slip past a compact-only check, duplicate members
//! in payloads, and claims replicated into headers (RFC 7519 §5.3).

use std::sync::Arc;

use joseguard::jwa::{ContentEncryption as Enc, KeyManagementAlgorithm as Alg};
use joseguard::jws::{self, Header, Serialization, Verifier, VerifyPolicy};
use joseguard::jwt::{self, Claims, Validation};
use joseguard::{b64, EcCurve, Error, Jwk, JwkSet, JwsAlgorithm, KeySpec, OkpCurve};

/// A 2048-bit modulus with the ROCA fingerprint: congruent, modulo each of the detector's 38
/// small primes, to a power of 65537, as every Infineon RSALib modulus is. Built for this test
/// by the Chinese remainder theorem (it is not anybody's key).
const ROCA_N_HEX: &str = "8f1d0913f66947c459b5d5f1c8ac5bc048266e1153248e3016d918a9573c29fb3c1dcaf625a6197d57cfac178e5282d9c1c75a5c171298a86e6deada082888f037268f13e778aebb05e7048430bfa7f4e6b7b4638973b60aa886a69e95cf6943d5d5341a8db37ac9b1370d9f4498dfeba036f09648f778e52520f0f156e57214a42afa6256ef824d2121ef1fe49eb6b83ab04018f41c25d9ef0b9fe7822b35cf98d65ed625ff650a2f7022dc1c73b6a5ed37355018bd981455e1662977b23d59df87da33e340802dda65f59cddc8c75f830b4add1c59651543f993a7cf609ef693dda6eed671b094b04a3877861bd9cb826b6baf82fbc90e109d47c54433d8c5";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn defect(jwk: &str) -> String {
    match Jwk::from_json(jwk) {
        Err(e) => e.to_string(),
        Ok(k) => k.usable_jws_algorithms().unwrap_err().to_string(),
    }
}

/// A key that cannot serve what it claims says why: too short, empty, a bad exponent, an alg
/// of another curve or none at all, a point off its curve, or a use that forbids signatures.
#[test]
fn unusable_keys_state_their_defect() {
    let k31 = b64::encode([7u8; 31]);
    let p256 = Jwk::generate(KeySpec::Ec(EcCurve::P256))
        .unwrap()
        .to_public_value();
    let (x, y) = (p256["x"].as_str().unwrap(), p256["y"].as_str().unwrap());
    let rsa = Jwk::generate(KeySpec::Rsa(2048)).unwrap().to_public_value();
    let n = rsa["n"].as_str().unwrap();
    let mut off_curve = b64::decode(y, "y").unwrap();
    off_curve[31] ^= 1;
    for (jwk, why) in [
        (
            format!(r#"{{"kty":"oct","k":"{k31}"}}"#),
            "HS256 needs a key of at least 32 bytes, this one has 31",
        ),
        (
            format!(r#"{{"kty":"oct","k":"{k31}","alg":"HS256"}}"#),
            "at least 32 bytes",
        ),
        (r#"{"kty":"oct","k":""}"#.to_owned(), "k"),
        (format!(r#"{{"kty":"RSA","n":"{n}","e":"AQ"}}"#), "not 1"),
        (
            format!(r#"{{"kty":"EC","crv":"P-256","x":"{x}","y":"{y}","alg":"ES521"}}"#),
            "ES521",
        ),
        (
            format!(r#"{{"kty":"EC","crv":"P-256","x":"{x}","y":"{y}","alg":"ES384"}}"#),
            "ES384 cannot use a EC key on P-256",
        ),
        (
            format!(
                r#"{{"kty":"EC","crv":"P-256","x":"{x}","y":"{}"}}"#,
                b64::encode(&off_curve)
            ),
            "not a point on P-256",
        ),
        (
            format!(r#"{{"kty":"EC","crv":"P-256","x":"{x}","y":"{y}","use":"enc"}}"#),
            "use",
        ),
        (
            format!(r#"{{"kty":"EC","crv":"P-256","x":"{x}","y":"{y}","key_ops":["encrypt"]}}"#),
            "key_ops",
        ),
    ] {
        let got = defect(&jwk);
        assert!(got.contains(why), "{jwk}: {got}");
    }
    // A fitting key lists what it can do.
    let ok = Jwk::from_value(&p256)
        .unwrap()
        .usable_jws_algorithms()
        .unwrap();
    assert_eq!(ok, [JwsAlgorithm::ES256]);
}

/// For decryption, a key that only RSA1_5 or PBES2 could use says they are opt-in.
#[test]
fn opt_in_key_management_is_named() {
    let encs = joseguard::jwa::ALL_CONTENT_ENCRYPTIONS;
    let mut rsa = Jwk::generate(KeySpec::Rsa(2048)).unwrap();
    rsa.set_alg(Some("RSA1_5".into()));
    let e = joseguard::jwe::usable_algorithms(&rsa, &encs).unwrap_err();
    assert!(
        e.to_string().contains("RSA1_5") && e.to_string().contains("explicitly"),
        "{e}"
    );
    let mut pw = Jwk::from_json(r#"{"kty":"oct","k":"cGFzc3dvcmQ"}"#).unwrap();
    pw.set_alg(Some("PBES2-HS384+A192KW".into()));
    let e = joseguard::jwe::usable_algorithms(&pw, &encs).unwrap_err();
    assert!(e.to_string().contains("PBES2-HS384+A192KW"), "{e}");
    rsa.set_alg(None);
    let fits = joseguard::jwe::usable_algorithms(&rsa, &encs).unwrap();
    assert!(fits.contains(&Alg::RsaOaep256) && !fits.contains(&Alg::Rsa1_5));
    let aes192 = Jwk::generate(KeySpec::Oct(192)).unwrap();
    let fits = joseguard::jwe::usable_algorithms(&aes192, &[Enc::A192Gcm]).unwrap();
    assert!(
        fits.contains(&Alg::A192KW) && fits.contains(&Alg::A192GCMKW),
        "{fits:?}"
    );
}

/// ROCA (CVE-2017-15361) moduli are refused wherever an RSA key comes in; fresh keys pass.
#[test]
fn roca_moduli_are_refused_at_import() {
    let n = b64::encode(hex(ROCA_N_HEX));
    let e = Jwk::from_json(format!(r#"{{"kty":"RSA","n":"{n}","e":"AQAB"}}"#)).unwrap_err();
    assert!(e.to_string().contains("ROCA"), "{e}");
    // The same modulus as SubjectPublicKeyInfo: take a real key's SPKI and swap its modulus.
    let real = Jwk::generate(KeySpec::Rsa(2048)).unwrap();
    let spki = real.to_public().unwrap().to_spki_der().unwrap();
    let real_n = b64::decode(real.to_public_value()["n"].as_str().unwrap(), "n").unwrap();
    let at = spki
        .windows(real_n.len())
        .position(|w| w == real_n.as_slice())
        .unwrap();
    let mut forged = spki.clone();
    forged[at..at + real_n.len()].copy_from_slice(&hex(ROCA_N_HEX));
    let e = Jwk::from_der(&forged).unwrap_err();
    assert!(e.to_string().contains("ROCA"), "{e}");
    for _ in 0..3 {
        Jwk::from_json(Jwk::generate(KeySpec::Rsa(2048)).unwrap().to_json()).unwrap();
    }
}

/// The small-order Ed25519 points (and their non-canonical and sign-flipped encodings) are
/// refused as public keys in every format.
#[test]
fn small_order_ed25519_keys_are_refused() {
    let small_order = [
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ];
    for point in small_order {
        for sign in [0u8, 0x80] {
            let mut x = hex(point);
            x[31] |= sign;
            let jwk = format!(
                r#"{{"kty":"OKP","crv":"Ed25519","x":"{}"}}"#,
                b64::encode(&x)
            );
            match Jwk::from_json(&jwk) {
                Err(e) => assert!(e.to_string().contains("small order"), "{e}"),
                Ok(_) => panic!("{point} (sign {sign}) accepted"),
            }
            // As an OpenSSH line too.
            let mut blob = Vec::new();
            for part in [&b"ssh-ed25519"[..], &x[..]] {
                blob.extend_from_slice(&(part.len() as u32).to_be_bytes());
                blob.extend_from_slice(part);
            }
            let line = format!("ssh-ed25519 {}", base64_std(&blob));
            assert!(Jwk::from_text(&line).is_err(), "{point} as OpenSSH");
        }
    }
    // Real keys still load.
    let k = Jwk::generate(KeySpec::Okp(OkpCurve::Ed25519)).unwrap();
    Jwk::from_json(k.to_public().unwrap().to_json()).unwrap();
}

fn base64_std(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A verification set that holds an HMAC secret beside public keys is refused unless the caller
/// opts in; a fetched set is stripped of secrets (joseguard-keys uses without_secrets).
#[test]
fn mixed_key_sets_are_refused_for_verification() {
    let ec = Jwk::generate(KeySpec::Ec(EcCurve::P256)).unwrap();
    let hmac = Jwk::generate(KeySpec::Oct(256)).unwrap();
    let token = jws::Builder::new(b"x")
        .signer(&ec, JwsAlgorithm::ES256, Header::new())
        .unwrap()
        .compact()
        .unwrap();
    let mixed = JwkSet::from_keys([
        Arc::new(ec.to_public().unwrap()),
        Arc::new(Jwk::from_json(hmac.to_json()).unwrap()),
    ]);
    assert!(mixed.mixes_secret_and_public());
    let policy = || VerifyPolicy::new([JwsAlgorithm::ES256, JwsAlgorithm::HS256]).unwrap();
    let e = Verifier::new(policy(), mixed.clone())
        .verify(token.as_bytes())
        .unwrap_err();
    assert!(e.to_string().contains("mixes secret"), "{e}");
    Verifier::new(policy().dangerous().allow_mixed_key_set(), mixed.clone())
        .verify(token.as_bytes())
        .unwrap();
    // Secrets only, or public keys only: fine.
    let only_public = JwkSet::from_keys([Arc::new(ec.to_public().unwrap())]);
    assert!(!only_public.mixes_secret_and_public());
    // Stripping: oct keys and private keys go.
    let with_private = JwkSet::from_keys([
        Arc::new(ec.to_public().unwrap()),
        Arc::new(Jwk::from_json(hmac.to_json()).unwrap()),
        Arc::new(Jwk::from_json(ec.to_json()).unwrap()),
    ]);
    let (clean, dropped) = with_private.without_secrets();
    assert_eq!((clean.len(), dropped), (1, 2));
    assert!(!clean.keys()[0].is_private());
}

/// "Compact only" is the parser's decision, not a look at the first byte: JSON behind
/// whitespace is JSON.
#[test]
fn compact_only_is_enforced_by_the_parser() {
    let k = Jwk::generate(KeySpec::Ec(EcCurve::P256)).unwrap();
    let flattened = jws::Builder::new(br#"{"exp":4102444800}"#)
        .signer(&k, JwsAlgorithm::ES256, Header::new().with("typ", "JWT"))
        .unwrap()
        .flattened()
        .unwrap();
    let v = jwt::Verifier::from_parts(
        Verifier::new(
            VerifyPolicy::new([JwsAlgorithm::ES256]).unwrap(),
            k.to_public().unwrap(),
        ),
        Validation::new(),
    );
    for spelled in [
        flattened.clone(),
        format!(" {flattened}"),
        format!("\n\t{flattened}"),
        format!("\r\n{flattened}"),
    ] {
        let e = v
            .verify_at::<Claims>(spelled.as_bytes(), 1_800_000_000)
            .unwrap_err();
        assert!(
            matches!(e, Error::SerializationMismatch { .. }),
            "{spelled:?}: {e}"
        );
        let e = v
            .verify_at::<serde_json::Value>(spelled.as_bytes(), 1_800_000_000)
            .unwrap_err();
        assert!(matches!(e, Error::SerializationMismatch { .. }), "{e}");
    }
    let plain = Verifier::new(
        VerifyPolicy::new([JwsAlgorithm::ES256]).unwrap(),
        k.to_public().unwrap(),
    )
    .require_serialization(Serialization::Compact);
    assert!(plain.verify(format!(" {flattened}").as_bytes()).is_err());
}

/// No last-wins: a payload with a member twice is refused by payload_json, at any depth.
#[test]
fn payload_json_refuses_duplicate_members() {
    let k = Jwk::generate(KeySpec::Ec(EcCurve::P256)).unwrap();
    let v = Verifier::new(
        VerifyPolicy::new([JwsAlgorithm::ES256]).unwrap(),
        k.to_public().unwrap(),
    );
    for payload in [
        &br#"{"sub":"alice","sub":"admin"}"#[..],
        br#"{"a":{"role":"user","role":"admin"}}"#,
    ] {
        let t = jws::Builder::new(payload)
            .signer(&k, JwsAlgorithm::ES256, Header::new())
            .unwrap()
            .compact()
            .unwrap();
        let verified = v.verify(t.as_bytes()).unwrap();
        let e = verified.payload_json::<serde_json::Value>().unwrap_err();
        assert!(matches!(e, Error::DuplicateMember { .. }), "{e}");
    }
}

/// RFC 7519 §5.3: iss, sub and aud replicated in the header must equal the claims.
#[test]
fn replicated_claims_must_match() {
    let k = Jwk::generate(KeySpec::Ec(EcCurve::P256)).unwrap();
    let v = jwt::Verifier::from_parts(
        Verifier::new(
            VerifyPolicy::new([JwsAlgorithm::ES256]).unwrap(),
            k.to_public().unwrap(),
        ),
        Validation::new(),
    );
    let claims =
        br#"{"iss":"https://op.example","sub":"alice","aud":["api","x"],"exp":4102444800}"#;
    let sign = |h: Header| {
        jws::Builder::new(claims)
            .signer(&k, JwsAlgorithm::ES256, h)
            .unwrap()
            .compact()
            .unwrap()
    };
    let same = Header::new()
        .with("iss", "https://op.example")
        .with("sub", "alice")
        .with("aud", serde_json::json!(["api", "x"]));
    v.verify_at::<Claims>(sign(same).as_bytes(), 1_800_000_000)
        .unwrap();
    for (name, value) in [
        ("iss", serde_json::json!("https://evil.example")),
        ("sub", serde_json::json!("admin")),
        ("aud", serde_json::json!("api")),
    ] {
        let t = sign(Header::new().with(name, value));
        let e = v
            .verify_at::<Claims>(t.as_bytes(), 1_800_000_000)
            .unwrap_err();
        assert!(
            matches!(&e, Error::Header { name: n, .. } if n == name),
            "{name}: {e}"
        );
        let e = v
            .verify_at::<serde_json::Value>(t.as_bytes(), 1_800_000_000)
            .unwrap_err();
        assert!(
            matches!(&e, Error::Header { name: n, .. } if n == name),
            "{name}: {e}"
        );
    }
}
