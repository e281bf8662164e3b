//! One test per rejection rule of the JWK and JWS layers, each asserting the specific error.

use joseguard::b64;
use joseguard::jws::{self, Header, Limits, Serialization, Verifier, VerifyPolicy};
use joseguard::{EcCurve, Error, Jwk, JwkSet, JwsAlgorithm, KeySpec, OkpCurve};

// ---------------------------------------------------------------- helpers

fn es256() -> Jwk {
    Jwk::generate(KeySpec::Ec(EcCurve::P256)).unwrap()
}

fn hs256() -> Jwk {
    Jwk::generate(KeySpec::Oct(256)).unwrap()
}

fn policy(algs: &[JwsAlgorithm]) -> VerifyPolicy {
    VerifyPolicy::new(algs.iter().copied()).unwrap()
}

/// A compact JWS over `payload` with exactly this protected header JSON, signed by `key`.
fn compact_with_header(header_json: &str, payload: &[u8], key: &Jwk, alg: JwsAlgorithm) -> String {
    let h = b64::encode(header_json);
    let p = b64::encode(payload);
    let input = format!("{h}.{p}");
    let sig = jws::sign_signing_input(key, alg, input.as_bytes()).unwrap();
    format!("{input}.{}", b64::encode(sig))
}

fn verify_hs(token: &str, key: &Jwk, policy: VerifyPolicy) -> Result<jws::Verified, Error> {
    Verifier::new(policy, Jwk::from_json(key.to_json()).unwrap()).verify(token.as_bytes())
}

fn invalid_key(json: &str) -> (String, String) {
    match Jwk::from_json(json).unwrap_err() {
        Error::InvalidKey { member, reason } => (member, reason),
        other => panic!("expected InvalidKey, got {other:?}"),
    }
}

// ---------------------------------------------------------------- JWK

#[test]
fn jwk_missing_or_unknown_kty() {
    assert_eq!(invalid_key(r#"{"k":"AAAA"}"#).0, "kty");
    assert_eq!(invalid_key(r#"{"kty":"DSA"}"#).0, "kty");
    assert_eq!(invalid_key(r#"{"kty":7}"#).0, "kty");
}

#[test]
fn jwk_member_types_are_strict() {
    assert_eq!(invalid_key(r#"{"kty":"oct","k":"AAAA","kid":7}"#).0, "kid");
    assert_eq!(
        invalid_key(r#"{"kty":"oct","k":"AAAA","use":true}"#).0,
        "use"
    );
    assert_eq!(
        invalid_key(r#"{"kty":"oct","k":"AAAA","key_ops":"sign"}"#).0,
        "key_ops"
    );
    assert_eq!(invalid_key(r#"{"kty":"oct","k":"AAAA","x5c":[]}"#).0, "x5c");
    assert_eq!(
        invalid_key(r#"{"kty":"oct","k":"AAAA","x5t":"AAAA"}"#).0,
        "x5t"
    );
}

#[test]
fn jwk_key_ops_rules() {
    let (m, r) = invalid_key(r#"{"kty":"oct","k":"AAAA","key_ops":["sign","sign"]}"#);
    assert_eq!((m.as_str(), r.contains("duplicate")), ("key_ops", true));
    let (m, r) = invalid_key(r#"{"kty":"oct","k":"AAAA","use":"sig","key_ops":["encrypt"]}"#);
    assert_eq!((m.as_str(), r.contains("inconsistent")), ("key_ops", true));
}

#[test]
fn jwk_duplicate_member() {
    assert_eq!(
        Jwk::from_json(r#"{"kty":"oct","k":"AAAA","k":"BBBB"}"#).unwrap_err(),
        Error::DuplicateMember { name: "k".into() }
    );
}

#[test]
fn jwk_non_canonical_base64() {
    assert_eq!(invalid_key(r#"{"kty":"oct","k":"AAAA="}"#).0, "k");
    assert_eq!(invalid_key(r#"{"kty":"oct","k":"AB"}"#).0, "k");
    assert_eq!(invalid_key(r#"{"kty":"oct","k":""}"#).0, "k");
}

#[test]
fn jwk_ec_lengths_curve_and_point() {
    let key = es256().to_public_value();
    let x = key["x"].as_str().unwrap();
    let y = key["y"].as_str().unwrap();
    // x of the wrong length for the curve
    let short = b64::encode(&b64::decode(x, "x").unwrap()[1..]);
    assert_eq!(
        invalid_key(&format!(
            r#"{{"kty":"EC","crv":"P-256","x":"{short}","y":"{y}"}}"#
        ))
        .0,
        "x"
    );
    // a point that is not on the curve
    let mut yb = b64::decode(y, "y").unwrap();
    yb[31] ^= 1;
    let bad_y = b64::encode(&yb);
    let (m, r) = invalid_key(&format!(
        r#"{{"kty":"EC","crv":"P-256","x":"{x}","y":"{bad_y}"}}"#
    ));
    assert_eq!(m, "x/y");
    assert!(r.contains("not a point"));
    // the right lengths on the wrong curve
    assert_eq!(
        invalid_key(&format!(
            r#"{{"kty":"EC","crv":"P-384","x":"{x}","y":"{y}"}}"#
        ))
        .0,
        "x"
    );
    assert_eq!(
        invalid_key(&format!(
            r#"{{"kty":"EC","crv":"P-192","x":"{x}","y":"{y}"}}"#
        ))
        .0,
        "crv"
    );
    assert_eq!(
        invalid_key(&format!(r#"{{"kty":"EC","crv":"P-256","x":"{x}"}}"#)).0,
        "y"
    );
}

#[test]
fn jwk_private_part_must_match_public_part() {
    let a = es256().to_value();
    let b = es256().to_value();
    let mut mixed = a.clone();
    mixed["d"] = b["d"].clone();
    assert_eq!(invalid_key(&mixed.to_string()).0, "d");

    let a = Jwk::generate(KeySpec::Okp(OkpCurve::Ed25519))
        .unwrap()
        .to_value();
    let b = Jwk::generate(KeySpec::Okp(OkpCurve::Ed25519))
        .unwrap()
        .to_value();
    let mut mixed = a.clone();
    mixed["d"] = b["d"].clone();
    assert_eq!(invalid_key(&mixed.to_string()).0, "d");

    let a = Jwk::generate(KeySpec::Okp(OkpCurve::X25519))
        .unwrap()
        .to_value();
    let b = Jwk::generate(KeySpec::Okp(OkpCurve::X25519))
        .unwrap()
        .to_value();
    let mut mixed = a.clone();
    mixed["d"] = b["d"].clone();
    assert_eq!(invalid_key(&mixed.to_string()).0, "d");
}

#[test]
fn jwk_rsa_private_rules() {
    let a = Jwk::generate(KeySpec::Rsa(2048)).unwrap().to_value();
    let mut missing = a.clone();
    missing.as_object_mut().unwrap().remove("p");
    assert_eq!(invalid_key(&missing.to_string()).0, "p");

    let b = Jwk::generate(KeySpec::Rsa(2048)).unwrap().to_value();
    let mut mixed = a.clone();
    mixed["d"] = b["d"].clone();
    assert_eq!(invalid_key(&mixed.to_string()).0, "d");

    let mut oth = a.clone();
    oth["oth"] = serde_json::json!([]);
    assert_eq!(invalid_key(&oth.to_string()).0, "oth");

    let mut even = a;
    even["n"] = "AAAC".into();
    assert_eq!(invalid_key(&even.to_string()).0, "n");
}

#[test]
fn jwk_okp_lengths() {
    assert_eq!(
        invalid_key(r#"{"kty":"OKP","crv":"Ed25519","x":"AAAA"}"#).0,
        "x"
    );
    assert_eq!(
        invalid_key(r#"{"kty":"OKP","crv":"Ed448","x":"AAAA"}"#).0,
        "crv"
    );
}

#[test]
fn jwk_x5c_must_hold_the_same_key() {
    // RFC 7517 Appendix B: an RSA key with its certificate; swap in another key's modulus.
    let b = r#"{"kty":"RSA","use":"sig","kid":"1b94c","n":"vrjOfz9Ccdgx5nQudyhdoR17V-IubWMeOZCwX_jj0hgAsz2J_pqYW08PLbK_PdiVGKPrqzmDIsLI7sA25VEnHU1uCLNwBuUiCO11_-7dYbsr4iJmG0Qu2j8DsVyT1azpJC_NG84Ty5KKthuCaPod7iI7w0LK9orSMhBEwwZDCxTWq4aYWAchc8t-emd9qOvWtVMDC2BXksRngh6X5bUYLy6AyHKvj-nUy1wgzjYQDwHMTplCoLtU-o-8SNnZ1tmRoGE9uJkBLdh5gFENabWnU5m1ZqZPdwS-qo-meMvVfJb6jJVWRpl2SUtCnYG2C32qvbWbjZ_jBPD5eunqsIo1vQ","e":"AQAB","x5c":["MIIDQjCCAiqgAwIBAgIGATz/FuLiMA0GCSqGSIb3DQEBBQUAMGIxCzAJBgNVBAYTAlVTMQswCQYDVQQIEwJDTzEPMA0GA1UEBxMGRGVudmVyMRwwGgYDVQQKExNQaW5nIElkZW50aXR5IENvcnAuMRcwFQYDVQQDEw5CcmlhbiBDYW1wYmVsbDAeFw0xMzAyMjEyMzI5MTVaFw0xODA4MTQyMjI5MTVaMGIxCzAJBgNVBAYTAlVTMQswCQYDVQQIEwJDTzEPMA0GA1UEBxMGRGVudmVyMRwwGgYDVQQKExNQaW5nIElkZW50aXR5IENvcnAuMRcwFQYDVQQDEw5CcmlhbiBDYW1wYmVsbDCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBAL64zn8/QnHYMeZ0LncoXaEde1fiLm1jHjmQsF/449IYALM9if6amFtPDy2yvz3YlRij66s5gyLCyO7ANuVRJx1NbgizcAblIgjtdf/u3WG7K+IiZhtELto/A7Fck9Ws6SQvzRvOE8uSirYbgmj6He4iO8NCyvaK0jIQRMMGQwsU1quGmFgHIXPLfnpnfajr1rVTAwtgV5LEZ4Iel+W1GC8ugMhyr4/p1MtcIM42EA8BzE6ZQqC7VPqPvEjZ2dbZkaBhPbiZAS3YeYBRDWm1p1OZtWamT3cEvqqPpnjL1XyW+oyVVkaZdklLQp2Btgt9qr21m42f4wTw+Xrp6rCKNb0CAwEAATANBgkqhkiG9w0BAQUFAAOCAQEAh8zGlfSlcI0o3rYDPBB07aXNswb4ECNIKG0CETTUxmXl9KUL+9gGlqCz5iWLOgWsnrcKcY0vXPG9J1r9AqBNTqNgHq2G03X09266X5CpOe1zFo+Owb1zxtp3PehFdfQJ610CDLEaS9V9Rqp17hCyybEpOGVwe8fnk+fbEL2Bo3UPGrpsHzUoaGpDftmWssZkhpBJKVMJyf/RuP2SmmaIzmnw9JiSlYhzo4tpzd5rFXhjRbg4zW9C+2qok+2+qDM1iJ684gPHMIY8aLWrdgQTxkumGmTqgawR+N5MDtdPTEQ0XfIBc2cJEUyMTY5MPvACWpkA6SdS4xSvdXK3IVfOWA=="]}"#;
    assert!(Jwk::from_json(b).is_ok());
    let other = Jwk::generate(KeySpec::Rsa(2048)).unwrap().to_public_value();
    let mut v: serde_json::Value = serde_json::from_str(b).unwrap();
    v["n"] = other["n"].clone();
    assert_eq!(invalid_key(&v.to_string()).0, "x5c");
}

#[test]
fn jwk_set_skips_unusable_keys_and_keeps_duplicate_kids_in_order() {
    let a = es256();
    let b = es256();
    let mut av = a.to_public_value();
    av["kid"] = "same".into();
    let mut bv = b.to_public_value();
    bv["kid"] = "same".into();
    let set_json =
        serde_json::json!({"keys": [av, {"kty":"Ed448"}, bv, {"kty":"EC","crv":"P-256"}]});
    let set = JwkSet::from_json(set_json.to_string()).unwrap();
    assert_eq!(set.len(), 2);
    assert_eq!(
        set.skipped().iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        vec![1, 3]
    );
    let by_kid: Vec<_> = set.by_kid("same").collect();
    assert_eq!(by_kid.len(), 2);
    assert_eq!(
        by_kid[0].thumbprint_b64(joseguard::Sha2::Sha256),
        a.thumbprint_b64(joseguard::Sha2::Sha256)
    );
    assert!(JwkSet::from_json(r#"{"keys":{}}"#).is_err());
    // A token signed by the second duplicate still verifies: both are tried, in order.
    let mut signer = b;
    signer.set_kid(Some("same".into()));
    let token = jws::Builder::new(b"x")
        .signer(&signer, JwsAlgorithm::ES256, Header::new())
        .unwrap()
        .compact()
        .unwrap();
    let v = Verifier::new(policy(&[JwsAlgorithm::ES256]), set)
        .verify(token.as_bytes())
        .unwrap();
    assert_eq!(v.payload, b"x");
}

#[test]
fn key_selection_honours_alg_use_and_key_ops() {
    let set = JwkSet::from_json(
        r#"{"keys":[
        {"kty":"oct","k":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","kid":"a","alg":"HS256","use":"sig"},
        {"kty":"oct","k":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","kid":"b","use":"enc"},
        {"kty":"oct","k":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","kid":"c","key_ops":["verify"]}]}"#,
    )
    .unwrap();
    let kids = |it: Box<dyn Iterator<Item = &std::sync::Arc<Jwk>> + '_>| {
        it.map(|k| k.kid().unwrap().to_owned()).collect::<Vec<_>>()
    };
    assert_eq!(
        kids(set.select(None, Some("HS384"), None, None)),
        ["b", "c"]
    );
    assert_eq!(kids(set.select(None, None, Some("sig"), None)), ["a", "c"]);
    assert_eq!(kids(set.select(None, None, None, Some("sign"))), ["a", "b"]);
    assert_eq!(kids(set.select(Some("c"), None, None, None)), ["c"]);
}

// ---------------------------------------------------------------- JWS: algorithms and keys

#[test]
fn alg_none_is_never_accepted() {
    let key = hs256();
    let h = b64::encode(r#"{"alg":"none"}"#);
    let token = format!("{h}.{}.", b64::encode("{}"));
    assert_eq!(
        verify_hs(&token, &key, policy(&[JwsAlgorithm::HS256])).unwrap_err(),
        Error::AlgNone
    );
    let token = format!(
        "{}.{}.",
        b64::encode(r#"{"alg":"None"}"#),
        b64::encode("{}")
    );
    assert_eq!(
        verify_hs(&token, &key, policy(&[JwsAlgorithm::HS256])).unwrap_err(),
        Error::AlgNone
    );
}

#[test]
fn empty_allowlist_is_refused() {
    assert!(matches!(
        VerifyPolicy::new([]).unwrap_err(),
        Error::Config(_)
    ));
}

#[test]
fn alg_not_in_allowlist() {
    let key = hs256();
    let token = compact_with_header(r#"{"alg":"HS256"}"#, b"{}", &key, JwsAlgorithm::HS256);
    assert_eq!(
        verify_hs(&token, &key, policy(&[JwsAlgorithm::HS512])).unwrap_err(),
        Error::AlgNotAllowed {
            alg: "HS256".into()
        }
    );
}

#[test]
fn alg_unknown_or_missing_or_mistyped() {
    let key = hs256();
    let p = policy(&[JwsAlgorithm::HS256]);
    let t = compact_with_header(r#"{"alg":"HS257"}"#, b"{}", &key, JwsAlgorithm::HS256);
    assert_eq!(
        verify_hs(&t, &key, p.clone()).unwrap_err(),
        Error::AlgUnsupported {
            alg: "HS257".into()
        }
    );
    let t = compact_with_header(r#"{"typ":"JWT"}"#, b"{}", &key, JwsAlgorithm::HS256);
    assert!(
        matches!(verify_hs(&t, &key, p.clone()).unwrap_err(), Error::Header { name, .. } if name == "alg")
    );
    let t = compact_with_header(r#"{"alg":["HS256"]}"#, b"{}", &key, JwsAlgorithm::HS256);
    assert!(
        matches!(verify_hs(&t, &key, p).unwrap_err(), Error::Header { name, .. } if name == "alg")
    );
}

#[test]
fn hmac_with_a_public_key_is_refused() {
    // CVE-2016-10555: the attacker signs HS256 with the verifier's public key as the secret.
    let rsa = Jwk::generate(KeySpec::Rsa(2048))
        .unwrap()
        .to_public()
        .unwrap();
    let secret = Jwk::from_json(format!(
        r#"{{"kty":"oct","k":"{}"}}"#,
        b64::encode(rsa.to_public_pem().unwrap())
    ))
    .unwrap();
    let token = compact_with_header(r#"{"alg":"HS256"}"#, b"{}", &secret, JwsAlgorithm::HS256);
    let v = Verifier::new(policy(&[JwsAlgorithm::HS256, JwsAlgorithm::RS256]), rsa);
    assert!(
        matches!(v.verify(token.as_bytes()).unwrap_err(), Error::KeyMismatch(m) if m.contains("HS256 cannot use a RSA key"))
    );
}

#[test]
fn symmetric_key_never_verifies_an_asymmetric_alg() {
    let oct = hs256();
    let ec = es256();
    let token = jws::Builder::new(b"x")
        .signer(&ec, JwsAlgorithm::ES256, Header::new())
        .unwrap()
        .compact()
        .unwrap();
    let v = Verifier::new(policy(&[JwsAlgorithm::ES256]), oct);
    assert!(matches!(
        v.verify(token.as_bytes()).unwrap_err(),
        Error::KeyMismatch(_)
    ));
}

#[test]
fn curve_must_fit_the_alg() {
    let p256 = es256();
    let p384 = Jwk::generate(KeySpec::Ec(EcCurve::P384)).unwrap();
    assert!(matches!(
        jws::Builder::new(b"x")
            .signer(&p384, JwsAlgorithm::ES256, Header::new())
            .err()
            .unwrap(),
        Error::KeyMismatch(_)
    ));
    let token = jws::Builder::new(b"x")
        .signer(&p256, JwsAlgorithm::ES256, Header::new())
        .unwrap()
        .compact()
        .unwrap();
    let v = Verifier::new(policy(&[JwsAlgorithm::ES256]), p384.to_public().unwrap());
    assert!(matches!(
        v.verify(token.as_bytes()).unwrap_err(),
        Error::KeyMismatch(_)
    ));
}

#[test]
fn hmac_key_shorter_than_the_hash_is_refused() {
    let short = Jwk::generate(KeySpec::Oct(128)).unwrap();
    assert!(matches!(
        jws::Builder::new(b"x").signer(&short, JwsAlgorithm::HS256, Header::new()).err().unwrap(),
        Error::KeyMismatch(m) if m.contains("at least 32 bytes")
    ));
}

#[test]
fn keys_own_alg_use_and_key_ops_are_enforced() {
    let base = hs256().to_value();
    let token_for = |key: &Jwk| {
        // sign with an unrestricted copy of the same secret
        let k = Jwk::from_json(serde_json::json!({"kty":"oct","k": base["k"].clone()}).to_string())
            .unwrap();
        let _ = key;
        compact_with_header(r#"{"alg":"HS256"}"#, b"{}", &k, JwsAlgorithm::HS256)
    };
    for (member, value, expect) in [
        ("alg", serde_json::json!("HS512"), "key is for alg HS512"),
        ("use", serde_json::json!("enc"), "key use is \"enc\""),
        (
            "key_ops",
            serde_json::json!(["sign"]),
            "key_ops does not include \"verify\"",
        ),
    ] {
        let mut v = base.clone();
        v[member] = value;
        let key = Jwk::from_json(v.to_string()).unwrap();
        let token = token_for(&key);
        let err = Verifier::new(policy(&[JwsAlgorithm::HS256]), key)
            .verify(token.as_bytes())
            .unwrap_err();
        assert!(
            matches!(&err, Error::KeyMismatch(m) if m.contains(expect)),
            "{member}: {err}"
        );
    }
}

#[test]
fn signing_needs_a_private_key() {
    let public = es256().to_public().unwrap();
    assert_eq!(
        jws::Builder::new(b"x")
            .signer(&public, JwsAlgorithm::ES256, Header::new())
            .err()
            .unwrap(),
        Error::PrivateKeyRequired
    );
}

#[test]
fn small_rsa_keys_are_refused() {
    // A 1024-bit modulus (odd; primality does not matter for the size check).
    let mut n = vec![0xc5u8; 128];
    n[127] = 0x01;
    let small = Jwk::from_json(format!(
        r#"{{"kty":"RSA","n":"{}","e":"AQAB"}}"#,
        b64::encode(&n)
    ))
    .unwrap();
    let big = Jwk::generate(KeySpec::Rsa(2048)).unwrap();
    let token = jws::Builder::new(b"x")
        .signer(&big, JwsAlgorithm::RS256, Header::new())
        .unwrap()
        .compact()
        .unwrap();
    let v = Verifier::new(policy(&[JwsAlgorithm::RS256]), small);
    assert_eq!(
        v.verify(token.as_bytes()).unwrap_err(),
        Error::KeyTooSmall {
            bits: 1024,
            min: 2048
        }
    );
    let strict = Verifier::new(
        policy(&[JwsAlgorithm::RS256]).min_rsa_bits(3072),
        big.to_public().unwrap(),
    );
    assert_eq!(
        strict.verify(token.as_bytes()).unwrap_err(),
        Error::KeyTooSmall {
            bits: 2048,
            min: 3072
        }
    );
}

#[test]
fn ecdsa_signature_must_be_fixed_size_with_r_s_in_range() {
    // CVE-2022-21449 ("psychic signatures"): r = s = 0 must never verify.
    for curve in [
        EcCurve::P256,
        EcCurve::P384,
        EcCurve::P521,
        EcCurve::Secp256k1,
    ] {
        let key = Jwk::generate(KeySpec::Ec(curve)).unwrap();
        let alg = curve.jws_algorithm();
        let good = jws::Builder::new(b"x")
            .signer(&key, alg, Header::new())
            .unwrap()
            .compact()
            .unwrap();
        let (input, sig) = good.rsplit_once('.').unwrap();
        let sig = b64::decode(sig, "sig").unwrap();
        let v = Verifier::new(policy(&[alg]), key.to_public().unwrap());
        let zero = vec![0u8; sig.len()];
        let ones = vec![0xffu8; sig.len()]; // r, s ≥ n
        let der_like = [&[0x30u8, 0x44][..], &sig].concat();
        for bad in [zero, ones, der_like, sig[..sig.len() - 1].to_vec()] {
            let t = format!("{input}.{}", b64::encode(&bad));
            assert_eq!(
                v.verify(t.as_bytes()).unwrap_err(),
                Error::SignatureInvalid,
                "{curve:?}"
            );
        }
    }
}

#[test]
fn tampered_tokens_fail() {
    let key = es256();
    let token = jws::Builder::new(b"{\"a\":1}")
        .signer(&key, JwsAlgorithm::ES256, Header::new())
        .unwrap()
        .compact()
        .unwrap();
    let v = Verifier::new(policy(&[JwsAlgorithm::ES256]), key.to_public().unwrap());
    let parts: Vec<&str> = token.split('.').collect();
    let other_payload = format!("{}.{}.{}", parts[0], b64::encode("{\"a\":2}"), parts[2]);
    assert_eq!(
        v.verify(other_payload.as_bytes()).unwrap_err(),
        Error::SignatureInvalid
    );
    let other_key = Verifier::new(policy(&[JwsAlgorithm::ES256]), es256().to_public().unwrap());
    assert_eq!(
        other_key.verify(token.as_bytes()).unwrap_err(),
        Error::SignatureInvalid
    );
}

#[test]
fn unknown_kid_in_a_set() {
    let mut key = es256();
    key.set_kid(Some("known".into()));
    let set = JwkSet::from_keys([std::sync::Arc::new(key.to_public().unwrap())]);
    let mut signer = es256();
    signer.set_kid(Some("stranger".into()));
    let token = jws::Builder::new(b"x")
        .signer(&signer, JwsAlgorithm::ES256, Header::new())
        .unwrap()
        .compact()
        .unwrap();
    let v = Verifier::new(policy(&[JwsAlgorithm::ES256]), set.clone());
    assert_eq!(
        v.verify(token.as_bytes()).unwrap_err(),
        Error::KidUnknown {
            kid: Some("stranger".into())
        }
    );
    // No kid at all and no key that fits the alg:
    let ed = Jwk::generate(KeySpec::Okp(OkpCurve::Ed25519)).unwrap();
    let token = jws::Builder::new(b"x")
        .signer(&ed, JwsAlgorithm::EdDSA, Header::new())
        .unwrap()
        .compact()
        .unwrap();
    let v = Verifier::new(policy(&[JwsAlgorithm::EdDSA]), set);
    assert_eq!(
        v.verify(token.as_bytes()).unwrap_err(),
        Error::KidUnknown { kid: None }
    );
}

// ---------------------------------------------------------------- JWS: headers

#[test]
fn crit_rules() {
    let key = hs256();
    let p = || policy(&[JwsAlgorithm::HS256]);
    let crit_err = |header: &str, pol: VerifyPolicy| {
        let t = compact_with_header(header, b"{}", &key, JwsAlgorithm::HS256);
        verify_hs(&t, &key, pol).unwrap_err()
    };
    for (header, needle) in [
        (r#"{"alg":"HS256","crit":"exp","exp":1}"#, "array"),
        (r#"{"alg":"HS256","crit":[]}"#, "empty"),
        (
            r#"{"alg":"HS256","crit":["alg"]}"#,
            "defined by the specification",
        ),
        (
            r#"{"alg":"HS256","crit":["exp"],"exp":1}"#,
            "not understood",
        ),
        (
            r#"{"alg":"HS256","crit":["b64","b64"],"b64":true}"#,
            "twice",
        ),
        (r#"{"alg":"HS256","crit":[1]}"#, "array of strings"),
    ] {
        let e = crit_err(header, p());
        assert!(
            matches!(&e, Error::Crit(m) if m.contains(needle)),
            "{header}: {e}"
        );
    }
    // Declared as understood: accepted, but the name must be present.
    let e = crit_err(
        r#"{"alg":"HS256","crit":["exp"]}"#,
        p().understand_crit(["exp"]),
    );
    assert!(
        matches!(&e, Error::Crit(m) if m.contains("not present")),
        "{e}"
    );
    let t = compact_with_header(
        r#"{"alg":"HS256","crit":["exp"],"exp":1}"#,
        b"{}",
        &key,
        JwsAlgorithm::HS256,
    );
    verify_hs(&t, &key, p().understand_crit(["exp"])).unwrap();
}

#[test]
fn crit_and_b64_must_be_protected() {
    let key = hs256();
    let token = jws::Builder::new(b"x")
        .signer_with_unprotected(
            &key,
            JwsAlgorithm::HS256,
            Header::new(),
            Some(Header::new().with("crit", vec!["b64"])),
        )
        .unwrap()
        .flattened()
        .unwrap();
    assert!(
        matches!(verify_hs(&token, &key, policy(&[JwsAlgorithm::HS256])).unwrap_err(), Error::Header { name, .. } if name == "crit")
    );
    let token = jws::Builder::new(b"x")
        .signer_with_unprotected(
            &key,
            JwsAlgorithm::HS256,
            Header::new(),
            Some(Header::new().with("b64", false)),
        )
        .unwrap()
        .flattened()
        .unwrap();
    assert!(
        matches!(verify_hs(&token, &key, policy(&[JwsAlgorithm::HS256])).unwrap_err(), Error::Header { name, .. } if name == "b64")
    );
}

#[test]
fn b64_requires_crit_and_a_boolean() {
    let key = hs256();
    let t = compact_with_header(
        r#"{"alg":"HS256","b64":false}"#,
        b"x",
        &key,
        JwsAlgorithm::HS256,
    );
    assert!(
        matches!(verify_hs(&t, &key, policy(&[JwsAlgorithm::HS256])).unwrap_err(), Error::Crit(m) if m.contains("b64"))
    );
    let t = compact_with_header(
        r#"{"alg":"HS256","b64":"no","crit":["b64"]}"#,
        b"x",
        &key,
        JwsAlgorithm::HS256,
    );
    assert!(
        matches!(verify_hs(&t, &key, policy(&[JwsAlgorithm::HS256])).unwrap_err(), Error::Header { name, .. } if name == "b64")
    );
}

#[test]
fn signatures_must_agree_on_b64() {
    let key = hs256();
    let p = r#"{"alg":"HS256","b64":false,"crit":["b64"]}"#;
    let q = r#"{"alg":"HS256"}"#;
    let payload = "$.02";
    let sig = |h: &str, seg: &str| {
        let hb = b64::encode(h);
        let s =
            jws::sign_signing_input(&key, JwsAlgorithm::HS256, format!("{hb}.{seg}").as_bytes())
                .unwrap();
        serde_json::json!({"protected": hb, "signature": b64::encode(s)})
    };
    let token =
        serde_json::json!({"payload": payload, "signatures": [sig(p, payload), sig(q, payload)]})
            .to_string();
    assert!(
        matches!(verify_hs(&token, &key, policy(&[JwsAlgorithm::HS256])).unwrap_err(), Error::Crit(m) if m.contains("disagree"))
    );
}

#[test]
fn private_header_names_must_be_declared() {
    let key = hs256();
    let t = compact_with_header(
        r#"{"alg":"HS256","tenant":"acme"}"#,
        b"{}",
        &key,
        JwsAlgorithm::HS256,
    );
    assert_eq!(
        verify_hs(&t, &key, policy(&[JwsAlgorithm::HS256])).unwrap_err(),
        Error::PrivateHeaderNotAllowed {
            name: "tenant".into()
        }
    );
    verify_hs(
        &t,
        &key,
        policy(&[JwsAlgorithm::HS256]).allow_private_headers(["tenant"]),
    )
    .unwrap();
    verify_hs(
        &t,
        &key,
        policy(&[JwsAlgorithm::HS256])
            .dangerous()
            .allow_any_private_header(),
    )
    .unwrap();
}

#[test]
fn duplicate_header_members_are_refused() {
    let key = hs256();
    let t = compact_with_header(
        r#"{"alg":"HS256","alg":"none"}"#,
        b"{}",
        &key,
        JwsAlgorithm::HS256,
    );
    assert_eq!(
        verify_hs(&t, &key, policy(&[JwsAlgorithm::HS256])).unwrap_err(),
        Error::DuplicateMember { name: "alg".into() }
    );
    let json =
        r#"{"payload":"e30","payload":"e30","protected":"eyJhbGciOiJIUzI1NiJ9","signature":"AA"}"#;
    assert_eq!(
        verify_hs(json, &key, policy(&[JwsAlgorithm::HS256])).unwrap_err(),
        Error::DuplicateMember {
            name: "payload".into()
        }
    );
}

#[test]
fn protected_and_unprotected_must_be_disjoint() {
    let key = hs256();
    let token = jws::Builder::new(b"x")
        .signer_with_unprotected(
            &key,
            JwsAlgorithm::HS256,
            Header::new().with("typ", "JOSE"),
            Some(Header::new().with("typ", "JWT")),
        )
        .unwrap()
        .flattened()
        .unwrap();
    assert!(
        matches!(verify_hs(&token, &key, policy(&[JwsAlgorithm::HS256])).unwrap_err(), Error::Header { name, .. } if name == "typ")
    );
}

#[test]
fn registered_members_are_type_checked() {
    let key = hs256();
    for (header, name) in [
        (r#"{"alg":"HS256","kid":1}"#, "kid"),
        (r#"{"alg":"HS256","typ":{}}"#, "typ"),
        (r#"{"alg":"HS256","jwk":"x"}"#, "jwk"),
        (r#"{"alg":"HS256","x5c":[1]}"#, "x5c"),
    ] {
        let t = compact_with_header(header, b"{}", &key, JwsAlgorithm::HS256);
        assert!(
            matches!(verify_hs(&t, &key, policy(&[JwsAlgorithm::HS256])).unwrap_err(), Error::Header { name: n, .. } if n == name),
            "{header}"
        );
    }
}

// ---------------------------------------------------------------- JWS: structure and limits

#[test]
fn compact_structure() {
    let key = hs256();
    let p = || policy(&[JwsAlgorithm::HS256]);
    for bad in ["a.b", "a.b.c.d", "....................", ""] {
        assert!(
            matches!(verify_hs(bad, &key, p()).unwrap_err(), Error::Malformed(_)),
            "{bad:?}"
        );
    }
    let t = compact_with_header(r#"{"alg":"HS256"}"#, b"{}", &key, JwsAlgorithm::HS256);
    // Non-canonical base64url anywhere is refused.
    let padded = format!("{t}=");
    assert!(
        matches!(verify_hs(&padded, &key, p()).unwrap_err(), Error::Base64 { part } if part == "signature")
    );
    let spaced = t.replacen('.', ". ", 1);
    assert!(matches!(
        verify_hs(&spaced, &key, p()).unwrap_err(),
        Error::Base64 { .. }
    ));
    let not_json = format!("{}.e30.AA", b64::encode("alg"));
    assert!(matches!(
        verify_hs(&not_json, &key, p()).unwrap_err(),
        Error::Json { .. }
    ));
}

#[test]
fn json_structure_and_polyglots() {
    let key = hs256();
    let p = || policy(&[JwsAlgorithm::HS256]);
    let flat = jws::Builder::new(b"x")
        .signer(&key, JwsAlgorithm::HS256, Header::new())
        .unwrap()
        .flattened()
        .unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&flat).unwrap();
    // CVE-2022-39227 class: extra members that another parser might read.
    v["signatures"] = serde_json::json!([]);
    assert!(matches!(
        verify_hs(&v.to_string(), &key, p()).unwrap_err(),
        Error::Malformed(_)
    ));
    let mut v: serde_json::Value = serde_json::from_str(&flat).unwrap();
    v["extra"] = 1.into();
    assert!(
        matches!(verify_hs(&v.to_string(), &key, p()).unwrap_err(), Error::Malformed(m) if m.contains("extra"))
    );
    for bad in [
        r#"{"payload":"e30","signatures":[]}"#,
        r#"{"payload":1,"protected":"e30","signature":"AA"}"#,
        r#"{"payload":"e30","protected":"e30"}"#,
        "[]",
    ] {
        assert!(
            matches!(
                verify_hs(bad, &key, p()).unwrap_err(),
                Error::Malformed(_) | Error::Json { .. }
            ),
            "{bad}"
        );
    }
}

#[test]
fn serialization_can_be_demanded() {
    let key = hs256();
    let flat = jws::Builder::new(b"x")
        .signer(&key, JwsAlgorithm::HS256, Header::new())
        .unwrap()
        .flattened()
        .unwrap();
    assert_eq!(
        verify_hs(
            &flat,
            &key,
            policy(&[JwsAlgorithm::HS256]).require_serialization(Serialization::Compact)
        )
        .unwrap_err(),
        Error::SerializationMismatch {
            expected: "compact",
            found: "flattened JSON"
        }
    );
}

#[test]
fn limits_are_enforced() {
    let key = hs256();
    let t = compact_with_header(
        r#"{"alg":"HS256"}"#,
        &[b'a'; 2000],
        &key,
        JwsAlgorithm::HS256,
    );
    let mut small = Limits::default();
    small.max_token_bytes = 1000;
    assert_eq!(
        verify_hs(&t, &key, policy(&[JwsAlgorithm::HS256]).limits(small)).unwrap_err(),
        Error::TooLarge {
            what: "token",
            limit: 1000
        }
    );
    let big_header = format!(r#"{{"alg":"HS256","kid":"{}"}}"#, "k".repeat(100));
    let t = compact_with_header(&big_header, b"{}", &key, JwsAlgorithm::HS256);
    let mut small = Limits::default();
    small.max_header_bytes = 64;
    assert_eq!(
        verify_hs(&t, &key, policy(&[JwsAlgorithm::HS256]).limits(small)).unwrap_err(),
        Error::TooLarge {
            what: "protected header",
            limit: 64
        }
    );
    let mut b = jws::Builder::new(b"x");
    for _ in 0..3 {
        b = b.signer(&key, JwsAlgorithm::HS256, Header::new()).unwrap();
    }
    let g = b.general().unwrap();
    let mut small = Limits::default();
    small.max_signatures = 2;
    assert_eq!(
        verify_hs(&g, &key, policy(&[JwsAlgorithm::HS256]).limits(small)).unwrap_err(),
        Error::TooLarge {
            what: "signatures",
            limit: 2
        }
    );
}

#[test]
fn detached_payload_rules() {
    let key = hs256();
    let v = Verifier::new(
        policy(&[JwsAlgorithm::HS256]),
        Jwk::from_json(key.to_json()).unwrap(),
    );
    let detached = jws::Builder::new(b"doc")
        .detached(true)
        .signer(&key, JwsAlgorithm::HS256, Header::new())
        .unwrap();
    assert!(
        matches!(v.verify(detached.flattened().unwrap().as_bytes()).unwrap_err(), Error::Malformed(m) if m.contains("detached"))
    );
    let attached = jws::Builder::new(b"doc")
        .signer(&key, JwsAlgorithm::HS256, Header::new())
        .unwrap()
        .compact()
        .unwrap();
    assert!(
        matches!(v.verify_detached(attached.as_bytes(), b"doc").unwrap_err(), Error::Malformed(m) if m.contains("not detached"))
    );
}

#[test]
fn builder_refuses_unsound_outputs() {
    let key = hs256();
    let b = jws::Builder::new(b"a.b")
        .b64(false)
        .signer(&key, JwsAlgorithm::HS256, Header::new())
        .unwrap();
    assert!(matches!(b.compact().unwrap_err(), Error::Config(m) if m.contains("'.'")));
    let b = jws::Builder::new(b"x")
        .signer_with_unprotected(
            &key,
            JwsAlgorithm::HS256,
            Header::new(),
            Some(Header::new().with("kid", "k")),
        )
        .unwrap();
    assert!(matches!(b.compact().unwrap_err(), Error::Config(_)));
    assert!(matches!(
        jws::Builder::new(b"x").compact().unwrap_err(),
        Error::Config(_)
    ));
    let two = jws::Builder::new(b"x")
        .signer(&key, JwsAlgorithm::HS256, Header::new())
        .unwrap()
        .signer(&key, JwsAlgorithm::HS256, Header::new())
        .unwrap();
    assert!(two.compact().is_err() && two.flattened().is_err() && two.general().is_ok());
}

#[test]
fn peek_and_unverified_decode_do_not_verify() {
    let key = hs256();
    let t = compact_with_header(
        r#"{"alg":"HS256","kid":"k1"}"#,
        b"{\"sub\":\"x\"}",
        &key,
        JwsAlgorithm::HS256,
    );
    assert_eq!(jws::peek_header(t.as_bytes()).unwrap().kid(), Some("k1"));
    let forged = format!("{}AAAA", &t[..t.rfind('.').unwrap() + 1]);
    let u = joseguard::dangerous::decode_unverified(forged.as_bytes()).unwrap();
    assert_eq!(u.payload.unwrap(), b"{\"sub\":\"x\"}");
    assert!(jws::peek_header(b"not a token").is_err());
}
