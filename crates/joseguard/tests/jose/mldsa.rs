//! ML-DSA (RFC 9964): AKP keys, JWS in every serialization, and every way a key or a signature
//! is refused.

use joseguard::jwa::MlDsa;
use joseguard::jws::{self, Header, Serialization, Verifier, VerifyPolicy};
use joseguard::jwt;
use joseguard::{b64, Error, Jwk, JwsAlgorithm, KeySpec, KeyType, Sha2};
use serde_json::{json, Value};

fn key(set: MlDsa) -> Jwk {
    Jwk::generate(KeySpec::Akp(set)).unwrap()
}

fn verifier(set: MlDsa, key: &Jwk) -> Verifier {
    Verifier::new(
        VerifyPolicy::new([set.jws_algorithm()]).unwrap(),
        key.to_public().unwrap(),
    )
}

#[test]
fn every_set_in_every_serialization() {
    for set in MlDsa::ALL {
        let k = key(set);
        assert_eq!(k.key_type(), KeyType::Akp);
        assert_eq!(k.jws_algorithms(), vec![set.jws_algorithm()]);
        let b = jws::Builder::new(b"payload")
            .signer(&k, set.jws_algorithm(), Header::new().with("typ", "JOSE"))
            .unwrap();
        let v = verifier(set, &k);
        for (token, ser) in [
            (b.compact().unwrap(), Serialization::Compact),
            (b.flattened().unwrap(), Serialization::Flattened),
            (b.general().unwrap(), Serialization::General),
        ] {
            let verified = v.verify(token.as_bytes()).unwrap();
            assert_eq!(
                (verified.payload.as_slice(), verified.serialization),
                (&b"payload"[..], ser)
            );
        }
        // A JWT too, and its size: the largest signature fits the default limits.
        let t = jwt::Signer::new(k.clone(), set.jws_algorithm())
            .unwrap()
            .sign(&json!({"sub": "alice", "exp": jwt::now() + 60}))
            .unwrap();
        let claims = jwt::Verifier::new([set.jws_algorithm()], k.to_public().unwrap())
            .unwrap()
            .verify::<jwt::Claims>(&t)
            .unwrap()
            .claims;
        assert_eq!(claims.sub.as_deref(), Some("alice"));
        assert!(t.len() < 7000, "{}: {} bytes", set.name(), t.len());
    }
}

#[test]
fn akp_jwks_round_trip_with_alg_pub_and_seed() {
    for set in MlDsa::ALL {
        let k = key(set);
        let v = k.to_value();
        assert_eq!(
            (v["kty"].as_str(), v["alg"].as_str()),
            (Some("AKP"), Some(set.name()))
        );
        assert_eq!(
            b64::decode(v["priv"].as_str().unwrap(), "priv")
                .unwrap()
                .len(),
            32
        );
        assert_eq!(
            b64::decode(v["pub"].as_str().unwrap(), "pub")
                .unwrap()
                .len(),
            set.public_key_len()
        );
        let back = Jwk::from_value(&v).unwrap();
        assert_eq!(back.to_value(), v);
        let public = k.to_public_value();
        assert!(public.get("priv").is_none());
        // RFC 7638 with RFC 9964's members: alg, kty, pub.
        let input = format!(
            r#"{{"alg":"{}","kty":"AKP","pub":"{}"}}"#,
            set.name(),
            public["pub"].as_str().unwrap()
        );
        assert_eq!(
            k.thumbprint(Sha2::Sha256),
            Sha2::Sha256.digest(input.as_bytes())
        );
        // PEM: SPKI and PKCS#8 (seed form) both ways.
        let pem = k.to_private_pem().unwrap();
        assert_eq!(Jwk::from_pem(&pem).unwrap().to_value(), v);
        let spki = k.to_public_pem().unwrap();
        assert_eq!(Jwk::from_pem(&spki).unwrap().to_public_value(), public);
    }
}

#[test]
fn akp_jwks_are_refused_when_anything_is_off() {
    let k = key(MlDsa::MlDsa65);
    let good = k.to_value();
    let other = key(MlDsa::MlDsa65).to_value();
    let with = |f: &dyn Fn(&mut serde_json::Map<String, Value>)| {
        let mut v = good.as_object().unwrap().clone();
        f(&mut v);
        Jwk::from_value(&Value::Object(v))
            .map(drop)
            .unwrap_err()
            .to_string()
    };
    for (what, err, needle) in [
        (
            "no alg",
            with(&|v| {
                v.remove("alg");
            }),
            "must name its algorithm",
        ),
        (
            "alg EdDSA",
            with(&|v| {
                v.insert("alg".into(), "EdDSA".into());
            }),
            "not an AKP algorithm",
        ),
        (
            "alg of another set",
            with(&|v| {
                v.insert("alg".into(), "ML-DSA-44".into());
            }),
            "pub",
        ),
        (
            "short pub",
            with(&|v| {
                v.insert("pub".into(), b64::encode([1u8; 100]).into());
            }),
            "must be 1952 bytes",
        ),
        (
            "short seed",
            with(&|v| {
                v.insert("priv".into(), b64::encode([1u8; 31]).into());
            }),
            "32-byte seed",
        ),
        (
            "seed of another key",
            with(&|v| {
                v.insert("priv".into(), other["priv"].clone());
            }),
            "does not expand",
        ),
        (
            "no pub",
            with(&|v| {
                v.remove("pub");
            }),
            "missing",
        ),
    ] {
        assert!(err.contains(needle), "{what}: {err}");
    }
}

#[test]
fn a_key_of_one_set_never_verifies_another() {
    let (k44, k65) = (key(MlDsa::MlDsa44), key(MlDsa::MlDsa65));
    let t44 = jws::Builder::new(b"x")
        .signer(&k44, JwsAlgorithm::MlDsa44, Header::new())
        .unwrap()
        .compact()
        .unwrap();
    // The ML-DSA-65 key under a policy allowing both: a key-type mismatch, not a bad signature.
    let both = Verifier::new(
        VerifyPolicy::new([JwsAlgorithm::MlDsa44, JwsAlgorithm::MlDsa65]).unwrap(),
        k65.to_public().unwrap(),
    );
    assert!(matches!(
        both.verify(t44.as_bytes()).unwrap_err(),
        Error::KeyMismatch(_)
    ));
    // Nor signs with it, nor with an elliptic-curve algorithm.
    for alg in [
        JwsAlgorithm::MlDsa65,
        JwsAlgorithm::ES256,
        JwsAlgorithm::EdDSA,
    ] {
        assert!(
            jws::Builder::new(b"x")
                .signer(&k44, alg, Header::new())
                .is_err(),
            "{alg}"
        );
    }
    // And the ML-DSA-44 key is refused for ML-DSA-44 tokens only by a policy without it.
    let other = verifier(MlDsa::MlDsa65, &k44);
    assert!(matches!(
        other.verify(t44.as_bytes()).unwrap_err(),
        Error::AlgNotAllowed { .. }
    ));
}

#[test]
fn truncated_extended_and_flipped_signatures_fail() {
    for set in MlDsa::ALL {
        let k = key(set);
        let t = jws::Builder::new(b"payload")
            .signer(&k, set.jws_algorithm(), Header::new())
            .unwrap()
            .compact()
            .unwrap();
        let v = verifier(set, &k);
        let (input, sig) = t.rsplit_once('.').unwrap();
        let sig = b64::decode(sig, "sig").unwrap();
        let with = |s: &[u8]| format!("{input}.{}", b64::encode(s));
        let mut cases = vec![
            with(&sig[..sig.len() - 1]),
            with(&[&sig[..], &[0]].concat()),
        ];
        for i in [0, sig.len() / 2, sig.len() - 1] {
            let mut flipped = sig.clone();
            flipped[i] ^= 1;
            cases.push(with(&flipped));
        }
        // The same signature over another payload.
        let header = input.split('.').next().unwrap();
        cases.push(format!(
            "{header}.{}.{}",
            b64::encode("other"),
            b64::encode(&sig)
        ));
        for bad in cases {
            assert_eq!(
                v.verify(bad.as_bytes()).unwrap_err(),
                Error::SignatureInvalid,
                "{}",
                set.name()
            );
        }
    }
}

#[test]
fn ml_dsa_signs_no_precomputed_digest() {
    let k = key(MlDsa::MlDsa44);
    assert!(jws::sign_digest(&k, JwsAlgorithm::MlDsa44, &[0; 64]).is_err());
    assert_eq!(JwsAlgorithm::MlDsa44.digest_hash(), None);
    assert_eq!(
        "AKP:ML-DSA-87".parse::<KeySpec>().unwrap(),
        KeySpec::Akp(MlDsa::MlDsa87)
    );
    assert_eq!(
        "ML-DSA-44".parse::<JwsAlgorithm>().unwrap(),
        JwsAlgorithm::MlDsa44
    );
}

/// RFC 9964 Appendix A's JOSE examples (`rfc9964/ml-dsa-*.json`, made by the RFC authors'
/// implementation): for each parameter set, the key from the all-zero seed has the published
/// `kid` (the RFC 7638 thumbprint over the `pub` we derive, so the key generation is checked
/// too), and the published compact JWS verifies with it; one changed signature byte does not.
#[test]
fn rfc_9964_appendix_examples() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/jose/rfc9964");
    for set in MlDsa::ALL {
        let file = dir.join(format!("{}.json", set.name().to_lowercase()));
        let example: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        assert_eq!(example["alg"], set.name());
        let kid = example["kid"].as_str().unwrap();
        let jws = example["jws"].as_str().unwrap();
        let seeded = seeded_key(set);
        assert_eq!(seeded.thumbprint_b64(Sha2::Sha256), kid, "{}", set.name());
        let v = Verifier::new(
            VerifyPolicy::new([set.jws_algorithm()]).unwrap(),
            seeded.to_public().unwrap().with_kid(kid),
        );
        let verified = v.verify(jws.as_bytes()).unwrap();
        assert_eq!(
            std::str::from_utf8(&verified.payload).unwrap(),
            "It\u{2019}s a dangerous business, Frodo, going out your door."
        );
        assert_eq!(verified.protected_header().kid(), Some(kid));
        let mut forged = jws.as_bytes().to_vec();
        let at = forged.len() - 100;
        forged[at] = if forged[at] == b'A' { b'B' } else { b'A' };
        assert!(v.verify(&forged).is_err());
    }
}

/// The key RFC 9964's examples use: the all-zero seed, through PKCS#8 (the seed form) since a
/// JWK needs `pub` as well, which is what is being checked.
fn seeded_key(set: MlDsa) -> Jwk {
    let oid_last = match set {
        MlDsa::MlDsa44 => 0x11,
        MlDsa::MlDsa65 => 0x12,
        _ => 0x13,
    };
    // OneAsymmetricKey { version 0, AlgorithmIdentifier { id-ml-dsa-* }, OCTET STRING {
    // [0] IMPLICIT seed } } (RFC 9881 §6, the seed-only choice).
    let mut der = vec![
        0x30, 0x34, 0x02, 0x01, 0x00, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
        0x04, 0x03, oid_last, 0x04, 0x22, 0x80, 0x20,
    ];
    der.extend_from_slice(&[0u8; 32]);
    Jwk::from_der(&der).unwrap()
}

/// A signature carrying an `x5c` chain of three ML-DSA-87-sized certificates (about 7.5 KB of
/// DER each: a 2,592-byte key and a 4,627-byte signature) verifies within the default limits;
/// at 16 KiB, the old header limit, it did not.
#[test]
fn an_ml_dsa_certificate_chain_fits_the_default_header_limit() {
    use base64::Engine;
    let k = key(MlDsa::MlDsa87);
    let der = |seed: u8| vec![seed; 7_500];
    let chain: Vec<String> = (1..=3)
        .map(|i| base64::engine::general_purpose::STANDARD.encode(der(i)))
        .collect();
    let token = jws::Builder::new(b"signed with a PQ certificate")
        .signer(
            &k,
            JwsAlgorithm::MlDsa87,
            Header::new().with("x5c", json!(chain)),
        )
        .unwrap()
        .compact()
        .unwrap();
    let header_len = token.split('.').next().unwrap().len();
    assert!(header_len > 16 << 10, "{header_len}");
    let verified = verifier(MlDsa::MlDsa87, &k)
        .verify(token.as_bytes())
        .unwrap();
    assert_eq!(
        verified
            .protected_header()
            .get("x5c")
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        3
    );
}
