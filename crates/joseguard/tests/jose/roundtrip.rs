//! Sign → verify for every algorithm × serialization, and key encodings round trips for every kty.

use std::sync::Arc;

use joseguard::jwa::ALL_JWS_ALGORITHMS;
use joseguard::jws::{self, Header, Serialization, SignatureRequirement, Verifier, VerifyPolicy};
use joseguard::{EcCurve, Jwk, JwkSet, JwsAlgorithm, KeySpec, OkpCurve, Sha2};

fn key_for(alg: JwsAlgorithm) -> Jwk {
    let spec = KeySpec::for_jws(alg);
    let mut key = Jwk::generate(spec).unwrap();
    key.set_kid(Some(format!("{alg}-key")));
    key
}

/// The key a verifier holds: the public half, or the secret for HMAC.
fn verifying_key(key: &Jwk) -> Jwk {
    key.to_public()
        .unwrap_or_else(|_| Jwk::from_json(key.to_json()).unwrap())
}

#[test]
fn every_algorithm_in_every_serialization() {
    let payload = br#"{"iss":"https://issuer.example","n":42}"#;
    let mut cases = 0;
    for alg in ALL_JWS_ALGORITHMS {
        let key = key_for(alg);
        let verifier = Verifier::new(VerifyPolicy::new([alg]).unwrap(), verifying_key(&key));
        let builder = jws::Builder::new(payload)
            .signer_with_unprotected(&key, alg, Header::new().with("typ", "JOSE"), None)
            .unwrap();
        for (ser, token) in [
            (Serialization::Compact, builder.compact().unwrap()),
            (Serialization::Flattened, builder.flattened().unwrap()),
            (Serialization::General, builder.general().unwrap()),
        ] {
            let v = verifier
                .verify(token.as_bytes())
                .unwrap_or_else(|e| panic!("{alg} {ser:?}: {e}"));
            assert_eq!(v.payload, payload);
            assert_eq!(v.serialization, ser);
            assert_eq!(v.protected_header().alg(), Some(alg.name()));
            assert_eq!(
                v.protected_header().kid(),
                Some(format!("{alg}-key").as_str())
            );
            let demanding = Verifier::new(
                VerifyPolicy::new([alg]).unwrap().require_serialization(ser),
                verifying_key(&key),
            );
            demanding.verify(token.as_bytes()).unwrap();
            cases += 1;
        }
        // Detached and unencoded payloads, compact and JSON.
        for b64 in [true, false] {
            let b = jws::Builder::new(payload)
                .b64(b64)
                .detached(true)
                .signer(&key, alg, Header::new())
                .unwrap();
            for token in [b.compact().unwrap(), b.flattened().unwrap()] {
                let v = verifier.verify_detached(token.as_bytes(), payload).unwrap();
                assert_eq!(v.payload, payload);
                assert!(verifier
                    .verify_detached(token.as_bytes(), b"other")
                    .is_err());
            }
            let attached = jws::Builder::new(payload)
                .b64(b64)
                .signer(&key, alg, Header::new())
                .unwrap();
            let v = verifier
                .verify(attached.flattened().unwrap().as_bytes())
                .unwrap();
            assert_eq!(v.payload, payload);
        }
    }
    assert_eq!(cases, ALL_JWS_ALGORITHMS.len() * 3);
}

#[test]
fn general_serialization_with_several_signers_and_a_jwk_set() {
    let keys: Vec<Jwk> = [
        JwsAlgorithm::ES256,
        JwsAlgorithm::RS256,
        JwsAlgorithm::EdDSA,
    ]
    .into_iter()
    .map(key_for)
    .collect();
    let mut b = jws::Builder::new(b"multi");
    for (key, alg) in keys.iter().zip([
        JwsAlgorithm::ES256,
        JwsAlgorithm::RS256,
        JwsAlgorithm::EdDSA,
    ]) {
        b = b
            .signer_with_unprotected(
                key,
                alg,
                Header::new(),
                Some(Header::new().with("note", "x")),
            )
            .unwrap();
    }
    let token = b.general().unwrap();
    let set = JwkSet::from_keys(keys.iter().map(|k| Arc::new(k.to_public().unwrap())));
    let policy = VerifyPolicy::new([
        JwsAlgorithm::ES256,
        JwsAlgorithm::RS256,
        JwsAlgorithm::EdDSA,
    ])
    .unwrap()
    .allow_private_headers(["note"]);
    let v = Verifier::new(policy, set).verify(token.as_bytes()).unwrap();
    assert_eq!(v.signatures.len(), 3);
    for (outcome, key) in v.signatures.iter().zip(&keys) {
        assert!(outcome.is_verified());
        assert_eq!(outcome.key.as_ref().unwrap().kid(), key.kid());
    }
}

#[test]
fn at_least_one_reports_which_signature_verified() {
    let good = key_for(JwsAlgorithm::ES256);
    let other = key_for(JwsAlgorithm::ES384);
    let token = jws::Builder::new(b"x")
        .signer(&good, JwsAlgorithm::ES256, Header::new())
        .unwrap()
        .signer(&other, JwsAlgorithm::ES384, Header::new())
        .unwrap()
        .general()
        .unwrap();
    let keys = good.to_public().unwrap();
    let all = Verifier::new(
        VerifyPolicy::new([JwsAlgorithm::ES256, JwsAlgorithm::ES384]).unwrap(),
        keys.to_public().unwrap(),
    );
    assert_eq!(
        all.verify(token.as_bytes()).unwrap_err(),
        joseguard::Error::SignaturesInsufficient {
            verified: 1,
            total: 2
        }
    );
    let one = Verifier::new(
        VerifyPolicy::new([JwsAlgorithm::ES256, JwsAlgorithm::ES384])
            .unwrap()
            .require_signatures(SignatureRequirement::AtLeastOne),
        keys,
    );
    let v = one.verify(token.as_bytes()).unwrap();
    assert!(v.signatures[0].is_verified());
    assert!(!v.signatures[1].is_verified());
}

#[test]
fn keys_round_trip_through_jwk_and_pem_for_every_kty() {
    let specs = [
        KeySpec::Rsa(2048),
        KeySpec::Ec(EcCurve::P256),
        KeySpec::Ec(EcCurve::P384),
        KeySpec::Ec(EcCurve::P521),
        KeySpec::Ec(EcCurve::Secp256k1),
        KeySpec::Okp(OkpCurve::Ed25519),
        KeySpec::Okp(OkpCurve::X25519),
    ];
    for spec in specs {
        let key = Jwk::generate(spec).unwrap();
        let thumb = key.thumbprint(Sha2::Sha256);
        // JWK text
        let again = Jwk::from_json(key.to_json()).unwrap();
        assert_eq!(again.to_value(), key.to_value(), "{spec}");
        // PKCS#8 PEM
        let pem = key.to_private_pem().unwrap();
        let from_pem = Jwk::from_pem(&pem).unwrap();
        assert_eq!(from_pem.to_value(), key.to_value(), "{spec} via PKCS#8");
        // SPKI PEM
        let public = Jwk::from_pem(&key.to_public_pem().unwrap()).unwrap();
        assert!(!public.is_private());
        assert_eq!(public.thumbprint(Sha2::Sha256), thumb, "{spec} via SPKI");
        assert_eq!(public.to_value(), key.to_public().unwrap().to_value());
        // DER auto-detection
        let from_der = Jwk::from_der(&key.to_pkcs8_der().unwrap()).unwrap();
        assert_eq!(from_der.thumbprint(Sha2::Sha256), thumb);
        assert_eq!(
            Jwk::from_der(&key.to_spki_der().unwrap())
                .unwrap()
                .thumbprint(Sha2::Sha256),
            thumb
        );
    }
    let oct = Jwk::generate(KeySpec::Oct(256)).unwrap();
    assert_eq!(
        Jwk::from_json(oct.to_json()).unwrap().to_value(),
        oct.to_value()
    );
    assert!(oct.to_private_pem().is_err());
}

#[test]
fn key_specs_parse() {
    for s in [
        "oct:256",
        "RSA:3072",
        "EC:P-256",
        "EC:secp256k1",
        "OKP:Ed25519",
        "OKP:X25519",
    ] {
        assert_eq!(s.parse::<KeySpec>().unwrap().to_string(), s);
    }
    for s in ["oct", "RSA:abc", "EC:P-192", "OKP:Ed448", "DSA:1024"] {
        assert!(s.parse::<KeySpec>().is_err(), "{s}");
    }
    assert!(Jwk::generate(KeySpec::Rsa(1024)).is_err());
    assert!(Jwk::generate(KeySpec::Oct(64)).is_err());
}

#[test]
fn thumbprint_uri_form() {
    // RFC 7638 §3.1 example key; RFC 9278 §3 gives its URI.
    let key = Jwk::from_json(r#"{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}"#).unwrap();
    assert_eq!(
        key.thumbprint_uri(Sha2::Sha256),
        "urn:ietf:params:oauth:jwk-thumbprint:sha-256:NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
}

#[test]
fn signing_a_submitted_digest_verifies_over_the_document() {
    use aws_lc_rs::signature::{self, UnparsedPublicKey};
    let doc = b"a large document, hashed by the client";
    let cases: [(
        JwsAlgorithm,
        KeySpec,
        &'static dyn signature::VerificationAlgorithm,
    ); 5] = [
        (
            JwsAlgorithm::ES256,
            KeySpec::Ec(EcCurve::P256),
            &signature::ECDSA_P256_SHA256_FIXED,
        ),
        (
            JwsAlgorithm::ES384,
            KeySpec::Ec(EcCurve::P384),
            &signature::ECDSA_P384_SHA384_FIXED,
        ),
        (
            JwsAlgorithm::ES512,
            KeySpec::Ec(EcCurve::P521),
            &signature::ECDSA_P521_SHA512_FIXED,
        ),
        (
            JwsAlgorithm::RS256,
            KeySpec::Rsa(2048),
            &signature::RSA_PKCS1_2048_8192_SHA256,
        ),
        (
            JwsAlgorithm::PS384,
            KeySpec::Rsa(2048),
            &signature::RSA_PSS_2048_8192_SHA384,
        ),
    ];
    for (alg, spec, verify_alg) in cases {
        let key = Jwk::generate(spec).unwrap();
        let digest = alg.hash().digest(doc);
        let sig = joseguard::jws::sign_digest(&key, alg, &digest).unwrap();
        let public = UnparsedPublicKey::new(verify_alg, key.to_spki_der().unwrap());
        public.verify(doc, &sig).unwrap_or_else(|_| {
            panic!("{alg}: signature over the digest verifies over the document")
        });
        assert!(public.verify(b"another document", &sig).is_err());
    }
    let ed = Jwk::generate(KeySpec::Okp(OkpCurve::Ed25519)).unwrap();
    assert!(joseguard::jws::sign_digest(&ed, JwsAlgorithm::EdDSA, &[0; 64]).is_err());
    let ec = Jwk::generate(KeySpec::Ec(EcCurve::P256)).unwrap();
    assert!(joseguard::jws::sign_digest(&ec, JwsAlgorithm::ES256, &[0; 20]).is_err());
}

#[test]
fn detached_unencoded_payloads_may_be_binary() {
    let key = key_for(JwsAlgorithm::ES256);
    let doc: &[u8] = &[0xff, 0x00, 0xfe, b'.', 0x80];
    let b = jws::Builder::new(doc)
        .b64(false)
        .detached(true)
        .signer(&key, JwsAlgorithm::ES256, Header::new())
        .unwrap();
    let v = Verifier::new(
        VerifyPolicy::new([JwsAlgorithm::ES256]).unwrap(),
        verifying_key(&key),
    );
    for token in [b.compact().unwrap(), b.flattened().unwrap()] {
        assert_eq!(
            v.verify_detached(token.as_bytes(), doc).unwrap().payload,
            doc
        );
        assert!(v.verify_detached(token.as_bytes(), b"other").is_err());
    }
    let attached = jws::Builder::new(doc)
        .b64(false)
        .signer(&key, JwsAlgorithm::ES256, Header::new())
        .unwrap();
    assert!(
        attached.flattened().is_err(),
        "a binary unencoded payload cannot travel inside JSON"
    );
}
