//! One test per JWE safety rule, each asserting the specific error.

use joseguard::b64;
use joseguard::jwa::{ContentEncryption as Enc, KeyManagementAlgorithm as Alg};
use joseguard::jwe::{self, nested, DecryptPolicy, Decrypter, Header, JweLimits};
use joseguard::jws::{Verifier, VerifyPolicy};
use joseguard::{EcCurve, Error, Jwk, JwsAlgorithm, KeySpec, OkpCurve};
use serde_json::Value;

fn policy(algs: &[Alg], encs: &[Enc]) -> DecryptPolicy {
    DecryptPolicy::new(algs.iter().copied(), encs.iter().copied()).unwrap()
}

fn oct(len: usize) -> Jwk {
    Jwk::generate(KeySpec::Oct(len * 8)).unwrap()
}

fn copy(k: &Jwk) -> Jwk {
    Jwk::from_json(k.to_json()).unwrap()
}

fn decrypt(token: &str, key: &Jwk, p: DecryptPolicy) -> Result<Vec<u8>, Error> {
    Decrypter::new(p, copy(key))
        .decrypt(token.as_bytes())
        .map(|d| d.plaintext)
}

/// Replaces segment `i` of a compact JWE.
fn with_segment(token: &str, i: usize, value: &str) -> String {
    let mut parts: Vec<&str> = token.split('.').collect();
    parts[i] = value;
    parts.join(".")
}

/// A compact JWE whose protected header is replaced (the AAD changes, so only header checks that
/// run before decryption can be observed).
fn with_header(token: &str, header: &str) -> String {
    with_segment(token, 0, &b64::encode(header))
}

fn kw_token(key: &Jwk) -> String {
    jwe::Builder::new(b"hello", Enc::A128Gcm)
        .recipient(key, Alg::A128KW)
        .unwrap()
        .compact()
        .unwrap()
}

#[test]
fn allowlists_must_be_non_empty() {
    assert!(matches!(
        DecryptPolicy::new([], [Enc::A128Gcm]).unwrap_err(),
        Error::Config(_)
    ));
    assert!(matches!(
        DecryptPolicy::new([Alg::A128KW], []).unwrap_err(),
        Error::Config(_)
    ));
}

#[test]
fn rsa1_5_and_pbes2_need_explicit_enabling() {
    assert!(
        matches!(DecryptPolicy::new([Alg::Rsa1_5], [Enc::A128Gcm]).unwrap_err(), Error::Config(m) if m.contains("enable"))
    );
    assert!(matches!(
        DecryptPolicy::new([Alg::Pbes2Hs256A128KW], [Enc::A128Gcm]).unwrap_err(),
        Error::Config(_)
    ));
    let rsa = Jwk::generate(KeySpec::Rsa(2048)).unwrap();
    let t = jwe::Builder::new(b"x", Enc::A128Gcm)
        .recipient(&rsa.to_public().unwrap(), Alg::Rsa1_5)
        .unwrap()
        .compact()
        .unwrap();
    assert_eq!(
        decrypt(&t, &rsa, policy(&[Alg::RsaOaep], &[Enc::A128Gcm])).unwrap_err(),
        Error::AlgNotAllowed {
            alg: "RSA1_5".into()
        }
    );
    assert_eq!(
        decrypt(
            &t,
            &rsa,
            policy(&[Alg::RsaOaep], &[Enc::A128Gcm])
                .dangerous()
                .enable_rsa1_5()
        )
        .unwrap(),
        b"x"
    );
    let pw = Jwk::from_json(r#"{"kty":"oct","k":"cGFzc3dvcmQ"}"#).unwrap();
    let t = jwe::Builder::new(b"x", Enc::A128Gcm)
        .recipient(&pw, Alg::Pbes2Hs256A128KW)
        .unwrap()
        .compact()
        .unwrap();
    assert_eq!(
        decrypt(&t, &pw, policy(&[Alg::A128KW], &[Enc::A128Gcm])).unwrap_err(),
        Error::AlgNotAllowed {
            alg: "PBES2-HS256+A128KW".into()
        }
    );
}

#[test]
fn pbes2_iteration_cap_and_salt() {
    let pw = Jwk::from_json(r#"{"kty":"oct","k":"cGFzc3dvcmQ"}"#).unwrap();
    let p = || {
        policy(&[Alg::A128KW], &[Enc::A128Gcm])
            .dangerous()
            .enable_pbes2(10_000)
    };
    let t = jwe::Builder::new(b"x", Enc::A128Gcm)
        .pbes2_iterations(20_000)
        .recipient(&pw, Alg::Pbes2Hs256A128KW)
        .unwrap()
        .compact()
        .unwrap();
    // CVE-2022-36083 / CVE-2023-50967: refused before any PBKDF2 iteration runs.
    assert!(
        matches!(decrypt(&t, &pw, p()).unwrap_err(), Error::TooLarge { what, limit: 10_000 } if what.contains("p2c"))
    );
    let t = jwe::Builder::new(b"x", Enc::A128Gcm)
        .dangerous()
        .fixed_p2s(b"short")
        .recipient(&pw, Alg::Pbes2Hs256A128KW)
        .unwrap()
        .compact()
        .unwrap();
    assert!(
        matches!(decrypt(&t, &pw, p()).unwrap_err(), Error::Header { name, .. } if name == "p2s")
    );
}

#[test]
fn enc_must_be_allowed_and_supported() {
    let key = oct(16);
    let t = kw_token(&key);
    assert_eq!(
        decrypt(&t, &key, policy(&[Alg::A128KW], &[Enc::A256Gcm])).unwrap_err(),
        Error::EncNotAllowed {
            enc: "A128GCM".into()
        }
    );
    let t2 = with_header(&t, r#"{"alg":"A128KW","enc":"A128CTR"}"#);
    assert!(matches!(
        decrypt(&t2, &key, policy(&[Alg::A128KW], &[Enc::A128Gcm])).unwrap_err(),
        Error::AlgUnsupported { .. }
    ));
}

#[test]
fn alg_none_and_missing_members() {
    let key = oct(16);
    let t = kw_token(&key);
    let p = || policy(&[Alg::A128KW], &[Enc::A128Gcm]);
    assert_eq!(
        decrypt(
            &with_header(&t, r#"{"alg":"none","enc":"A128GCM"}"#),
            &key,
            p()
        )
        .unwrap_err(),
        Error::AlgNone
    );
    assert!(
        matches!(decrypt(&with_header(&t, r#"{"enc":"A128GCM"}"#), &key, p()).unwrap_err(), Error::Header { name, .. } if name == "alg")
    );
    assert!(
        matches!(decrypt(&with_header(&t, r#"{"alg":"A128KW"}"#), &key, p()).unwrap_err(), Error::Header { name, .. } if name == "enc")
    );
}

#[test]
fn ecdh_es_epk_on_another_curve_is_refused() {
    // Invalid-curve attacks (CVE-2016-9121, CVE-2017-16007): the epk must be on the recipient's curve.
    let recipient = Jwk::generate(KeySpec::Ec(EcCurve::P256)).unwrap();
    let t = jwe::Builder::new(b"x", Enc::A128Gcm)
        .recipient(&recipient.to_public().unwrap(), Alg::EcdhEs)
        .unwrap()
        .compact()
        .unwrap();
    let other = Jwk::generate(KeySpec::Ec(EcCurve::P384))
        .unwrap()
        .to_public_value();
    let h = serde_json::json!({"alg":"ECDH-ES","enc":"A128GCM","epk": other}).to_string();
    let e = decrypt(
        &with_header(&t, &h),
        &recipient,
        policy(&[Alg::EcdhEs], &[Enc::A128Gcm]),
    )
    .unwrap_err();
    assert!(
        matches!(&e, Error::Header { name, reason } if name == "epk" && reason.contains("curve")),
        "{e}"
    );
}

#[test]
fn ecdh_es_epk_off_the_curve_is_refused() {
    let recipient = Jwk::generate(KeySpec::Ec(EcCurve::P256)).unwrap();
    let t = jwe::Builder::new(b"x", Enc::A128Gcm)
        .recipient(&recipient.to_public().unwrap(), Alg::EcdhEs)
        .unwrap()
        .compact()
        .unwrap();
    let header: Value =
        serde_json::from_slice(&b64::decode(t.split('.').next().unwrap(), "h").unwrap()).unwrap();
    let mut h = header.clone();
    let mut y = b64::decode(h["epk"]["y"].as_str().unwrap(), "y").unwrap();
    y[31] ^= 1;
    h["epk"]["y"] = b64::encode(&y).into();
    let e = decrypt(
        &with_header(&t, &h.to_string()),
        &recipient,
        policy(&[Alg::EcdhEs], &[Enc::A128Gcm]),
    )
    .unwrap_err();
    assert!(
        matches!(&e, Error::Header { name, reason } if name == "epk" && reason.contains("not a point")),
        "{e}"
    );
}

#[test]
fn x25519_small_order_epk_is_refused() {
    let recipient = Jwk::generate(KeySpec::Okp(OkpCurve::X25519)).unwrap();
    let t = jwe::Builder::new(b"x", Enc::A128Gcm)
        .recipient(&recipient.to_public().unwrap(), Alg::EcdhEs)
        .unwrap()
        .compact()
        .unwrap();
    // The all-zero point has small order: the shared secret is all zeros.
    let h = serde_json::json!({"alg":"ECDH-ES","enc":"A128GCM","epk":{"kty":"OKP","crv":"X25519","x": b64::encode([0u8; 32])}}).to_string();
    let e = decrypt(
        &with_header(&t, &h),
        &recipient,
        policy(&[Alg::EcdhEs], &[Enc::A128Gcm]),
    )
    .unwrap_err();
    assert!(
        matches!(&e, Error::Header { name, .. } if name == "epk"),
        "{e}"
    );
}

#[test]
fn cbc_hmac_tag_and_ciphertext_tampering() {
    let key = oct(32);
    let t = jwe::Builder::new(b"attack at dawn, bring snacks", Enc::A128CbcHs256)
        .recipient(&key, Alg::Dir)
        .unwrap()
        .compact()
        .unwrap();
    let p = || policy(&[Alg::Dir], &[Enc::A128CbcHs256]);
    let parts: Vec<&str> = t.split('.').collect();
    let mut tag = b64::decode(parts[4], "tag").unwrap();
    tag[0] ^= 1;
    assert_eq!(
        decrypt(&with_segment(&t, 4, &b64::encode(&tag)), &key, p()).unwrap_err(),
        Error::DecryptionFailed
    );
    let mut ct = b64::decode(parts[3], "ct").unwrap();
    ct[0] ^= 1;
    assert_eq!(
        decrypt(&with_segment(&t, 3, &b64::encode(&ct)), &key, p()).unwrap_err(),
        Error::DecryptionFailed
    );
}

#[test]
fn cbc_padding_errors_look_like_tag_errors() {
    // With a valid MAC over a ciphertext whose padding is wrong, the error must be the same as for
    // a bad tag (padding oracle, CVE-2017-12973 class). Build one with the known dir key.
    use aws_lc_rs::hmac;
    let key = oct(32);
    let k = b64::decode(key.to_value()["k"].as_str().unwrap(), "k").unwrap();
    let t = jwe::Builder::new(b"0123456789abcdef", Enc::A128CbcHs256)
        .recipient(&key, Alg::Dir)
        .unwrap()
        .compact()
        .unwrap();
    let parts: Vec<&str> = t.split('.').collect();
    let iv = b64::decode(parts[2], "iv").unwrap();
    let mut ct = b64::decode(parts[3], "ct").unwrap();
    // Two blocks: data, then a full padding block. Flipping the IV-side byte of block 1 that
    // lands in the last byte of block 2 breaks the padding.
    let n = ct.len();
    ct[n - 17] ^= 0x55;
    let aad = parts[0].as_bytes();
    let mut mac_input = aad.to_vec();
    mac_input.extend_from_slice(&iv);
    mac_input.extend_from_slice(&ct);
    mac_input.extend_from_slice(&((aad.len() as u64) * 8).to_be_bytes());
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &k[..16]), &mac_input);
    let forged = with_segment(
        &with_segment(&t, 3, &b64::encode(&ct)),
        4,
        &b64::encode(&tag.as_ref()[..16]),
    );
    assert_eq!(
        decrypt(&forged, &key, policy(&[Alg::Dir], &[Enc::A128CbcHs256])).unwrap_err(),
        Error::DecryptionFailed
    );
}

#[test]
fn short_or_empty_encrypted_keys_never_panic() {
    // CVE-2026-34986 class: truncated or empty encrypted keys.
    let key = oct(16);
    let t = kw_token(&key);
    let p = || policy(&[Alg::A128KW], &[Enc::A128Gcm]);
    for ek in ["", "AAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"] {
        assert_eq!(
            decrypt(&with_segment(&t, 1, ek), &key, p()).unwrap_err(),
            Error::DecryptionFailed,
            "{ek:?}"
        );
    }
    let rsa = Jwk::generate(KeySpec::Rsa(2048)).unwrap();
    let t = jwe::Builder::new(b"x", Enc::A128Gcm)
        .recipient(&rsa.to_public().unwrap(), Alg::RsaOaep256)
        .unwrap()
        .compact()
        .unwrap();
    for ek in ["", "AAAA"] {
        assert_eq!(
            decrypt(
                &with_segment(&t, 1, ek),
                &rsa,
                policy(&[Alg::RsaOaep256], &[Enc::A128Gcm])
            )
            .unwrap_err(),
            Error::DecryptionFailed
        );
    }
    // dir and ECDH-ES carry no encrypted key at all.
    let d = oct(16);
    let t = jwe::Builder::new(b"x", Enc::A128Gcm)
        .recipient(&d, Alg::Dir)
        .unwrap()
        .compact()
        .unwrap();
    assert!(matches!(
        decrypt(
            &with_segment(&t, 1, "AAAA"),
            &d,
            policy(&[Alg::Dir], &[Enc::A128Gcm])
        )
        .unwrap_err(),
        Error::Malformed(_)
    ));
}

#[test]
fn rsa1_5_failures_are_indistinguishable() {
    // RFC 7516 §11.5: a bad RSA1_5 unwrap gives the same error as a bad tag.
    let rsa = Jwk::generate(KeySpec::Rsa(2048)).unwrap();
    let t = jwe::Builder::new(b"x", Enc::A128CbcHs256)
        .recipient(&rsa.to_public().unwrap(), Alg::Rsa1_5)
        .unwrap()
        .compact()
        .unwrap();
    let p = || {
        policy(&[Alg::RsaOaep], &[Enc::A128CbcHs256])
            .dangerous()
            .enable_rsa1_5()
    };
    let mut ek = b64::decode(t.split('.').nth(1).unwrap(), "ek").unwrap();
    ek[10] ^= 0xff;
    assert_eq!(
        decrypt(&with_segment(&t, 1, &b64::encode(&ek)), &rsa, p()).unwrap_err(),
        Error::DecryptionFailed
    );
    let mut tag = b64::decode(t.split('.').nth(4).unwrap(), "tag").unwrap();
    tag[0] ^= 1;
    assert_eq!(
        decrypt(&with_segment(&t, 4, &b64::encode(&tag)), &rsa, p()).unwrap_err(),
        Error::DecryptionFailed
    );
}

#[test]
fn iv_and_tag_lengths_are_checked() {
    let key = oct(16);
    let t = kw_token(&key);
    let p = || policy(&[Alg::A128KW], &[Enc::A128Gcm]);
    assert!(
        matches!(decrypt(&with_segment(&t, 2, &b64::encode([0u8; 16])), &key, p()).unwrap_err(), Error::Malformed(m) if m.contains("iv"))
    );
    assert!(
        matches!(decrypt(&with_segment(&t, 4, &b64::encode([0u8; 8])), &key, p()).unwrap_err(), Error::Malformed(m) if m.contains("tag"))
    );
    assert!(
        matches!(decrypt(&with_segment(&t, 4, ""), &key, p()).unwrap_err(), Error::Malformed(m) if m.contains("tag"))
    );
}

#[test]
fn zip_rules_and_decompression_bomb() {
    let key = oct(16);
    let p = || policy(&[Alg::A128KW], &[Enc::A128Gcm]);
    let bomb_plain = vec![b'a'; 2_000_000];
    let t = jwe::Builder::new(&bomb_plain, Enc::A128Gcm)
        .zip(true)
        .recipient(&key, Alg::A128KW)
        .unwrap()
        .compact()
        .unwrap();
    assert!(t.len() < 20_000);
    // CVE-2024-28176 class: inflation stops at the cap (default 250 kB).
    assert_eq!(
        decrypt(&t, &key, p()).unwrap_err(),
        Error::TooLarge {
            what: "decompressed plaintext",
            limit: 250_000
        }
    );
    let mut roomy = JweLimits::default();
    roomy.max_decompressed_bytes = 3_000_000;
    assert_eq!(
        decrypt(&t, &key, p().limits(roomy)).unwrap().len(),
        2_000_000
    );
    let t = kw_token(&key);
    assert!(
        matches!(decrypt(&with_header(&t, r#"{"alg":"A128KW","enc":"A128GCM","zip":"GZIP"}"#), &key, p()).unwrap_err(), Error::Header { name, .. } if name == "zip")
    );
    let flat = jwe::Builder::new(b"x", Enc::A128Gcm)
        .unprotected(Header::new().with("zip", "DEF"))
        .recipient(&key, Alg::A128KW)
        .unwrap()
        .flattened()
        .unwrap();
    assert!(
        matches!(decrypt(&flat, &key, p()).unwrap_err(), Error::Header { name, reason } if name == "zip" && reason.contains("protected"))
    );
}

#[test]
fn crit_private_names_and_disjoint_headers() {
    let key = oct(16);
    let p = || policy(&[Alg::A128KW], &[Enc::A128Gcm]);
    let b = |h: Header| {
        jwe::Builder::new(b"x", Enc::A128Gcm)
            .protected(h)
            .recipient(&key, Alg::A128KW)
            .unwrap()
            .compact()
            .unwrap()
    };
    let t = b(Header::new().with("crit", vec!["exp"]).with("exp", 1));
    assert!(
        matches!(decrypt(&t, &key, p()).unwrap_err(), Error::Crit(m) if m.contains("not understood"))
    );
    assert_eq!(
        decrypt(&t, &key, p().understand_crit(["exp"])).unwrap(),
        b"x"
    );
    let t = b(Header::new().with("crit", vec!["enc"]));
    assert!(
        matches!(decrypt(&t, &key, p()).unwrap_err(), Error::Crit(m) if m.contains("specification"))
    );
    let t = b(Header::new().with("tenant", "acme"));
    assert_eq!(
        decrypt(&t, &key, p()).unwrap_err(),
        Error::PrivateHeaderNotAllowed {
            name: "tenant".into()
        }
    );
    assert_eq!(
        decrypt(&t, &key, p().allow_private_headers(["tenant"])).unwrap(),
        b"x"
    );
    let flat = jwe::Builder::new(b"x", Enc::A128Gcm)
        .protected(Header::new().with("typ", "JOSE"))
        .unprotected(Header::new().with("typ", "JWE"))
        .recipient(&key, Alg::A128KW)
        .unwrap()
        .flattened()
        .unwrap();
    assert!(
        matches!(decrypt(&flat, &key, p()).unwrap_err(), Error::Header { name, .. } if name == "typ")
    );
}

#[test]
fn wrong_key_unknown_kid_and_key_fit() {
    let mut key = oct(16);
    key.set_kid(Some("a".into()));
    let t = kw_token(&key);
    let p = || policy(&[Alg::A128KW], &[Enc::A128Gcm]);
    assert_eq!(
        decrypt(&t, &oct(16), p()).unwrap_err(),
        Error::DecryptionFailed
    );
    let mut other = oct(16);
    other.set_kid(Some("b".into()));
    let set = joseguard::JwkSet::from_keys([std::sync::Arc::new(other)]);
    assert_eq!(
        Decrypter::new(p(), set).decrypt(t.as_bytes()).unwrap_err(),
        Error::KidUnknown {
            kid: Some("a".into())
        }
    );
    assert!(matches!(
        decrypt(&t, &oct(32), p()).unwrap_err(),
        Error::KeyMismatch(_)
    ));
    let rsa = Jwk::generate(KeySpec::Rsa(2048)).unwrap();
    let t = jwe::Builder::new(b"x", Enc::A128Gcm)
        .recipient(&rsa.to_public().unwrap(), Alg::RsaOaep)
        .unwrap()
        .compact()
        .unwrap();
    assert_eq!(
        decrypt(
            &t,
            &rsa.to_public().unwrap(),
            policy(&[Alg::RsaOaep], &[Enc::A128Gcm])
        )
        .unwrap_err(),
        Error::PrivateKeyRequired
    );
    assert!(matches!(
        jwe::Builder::new(b"x", Enc::A256Gcm)
            .recipient(&oct(16), Alg::Dir)
            .err()
            .unwrap(),
        Error::KeyMismatch(_)
    ));
}

#[test]
fn structure_limits_and_polyglots() {
    let key = oct(16);
    let p = || policy(&[Alg::A128KW], &[Enc::A128Gcm]);
    for bad in ["a.b.c.d", "a.b.c.d.e.f", "....."] {
        assert!(
            matches!(
                decrypt(bad, &key, p()).unwrap_err(),
                Error::Malformed(_) | Error::Base64 { .. } | Error::Json { .. }
            ),
            "{bad}"
        );
    }
    let flat = jwe::Builder::new(b"x", Enc::A128Gcm)
        .recipient(&key, Alg::A128KW)
        .unwrap()
        .flattened()
        .unwrap();
    let mut v: Value = serde_json::from_str(&flat).unwrap();
    v["recipients"] = serde_json::json!([{"encrypted_key": "AAAA"}]);
    assert!(
        matches!(decrypt(&v.to_string(), &key, p()).unwrap_err(), Error::Malformed(m) if m.contains("unexpected"))
    );
    let mut b = jwe::Builder::new(b"x", Enc::A128Gcm);
    let keys: Vec<Jwk> = (0..3).map(|_| oct(16)).collect();
    for k in &keys {
        b = b.recipient(k, Alg::A128KW).unwrap();
    }
    let g = b.general().unwrap();
    let mut small = JweLimits::default();
    small.max_recipients = 2;
    assert_eq!(
        decrypt(&g, &keys[0], p().limits(small)).unwrap_err(),
        Error::TooLarge {
            what: "recipients",
            limit: 2
        }
    );
}

/// A nested JWT needs an inner signature; `cty` may be absent (Corppass sends
/// `{"typ":"JWT","alg":"ECDH-ES+A256KW","kid":"...","enc":"A256CBC-HS512"}`), but a `cty` naming
/// something else is refused.
#[test]
fn nested_jwt_requires_an_inner_signature_and_no_other_cty() {
    let enc_key = Jwk::generate(KeySpec::Ec(EcCurve::P256)).unwrap();
    let signer = Jwk::generate(KeySpec::Ec(EcCurve::P256)).unwrap();
    let decrypter = Decrypter::new(
        policy(&[Alg::EcdhEsA256KW], &[Enc::A256Gcm]),
        copy(&enc_key),
    );
    let verifier = Verifier::new(
        VerifyPolicy::new([JwsAlgorithm::ES256]).unwrap(),
        signer.to_public().unwrap(),
    );
    // No cty, and the content is no JWS: refused.
    let plain = jwe::Builder::new(b"{}", Enc::A256Gcm)
        .recipient(&enc_key.to_public().unwrap(), Alg::EcdhEsA256KW)
        .unwrap()
        .compact()
        .unwrap();
    assert!(matches!(
        nested::decrypt_then_verify(plain.as_bytes(), &decrypter, &verifier).unwrap_err(),
        Error::Malformed(_) | Error::Base64 { .. } | Error::Json { .. }
    ));
    // No cty (Corppass's header), a signed JWT inside: accepted, the signature verified.
    let inner = joseguard::jws::Builder::new(br#"{"sub":"corp"}"#)
        .signer(
            &signer,
            JwsAlgorithm::ES256,
            Header::new().with("typ", "JWT"),
        )
        .unwrap()
        .compact()
        .unwrap();
    let corppass = |cty: Option<&str>| {
        let mut h = Header::new().with("typ", "JWT").with("kid", "rp-enc");
        if let Some(c) = cty {
            h.insert("cty", c);
        }
        jwe::Builder::new(inner.as_bytes(), Enc::A256Gcm)
            .protected(h)
            .recipient(&enc_key.to_public().unwrap(), Alg::EcdhEsA256KW)
            .unwrap()
            .compact()
            .unwrap()
    };
    let n = nested::decrypt_then_verify(corppass(None).as_bytes(), &decrypter, &verifier).unwrap();
    assert_eq!(n.verified.payload, br#"{"sub":"corp"}"#);
    nested::decrypt_then_verify(corppass(Some("jwt")).as_bytes(), &decrypter, &verifier).unwrap();
    // A cty that names something else: refused.
    assert!(matches!(
        nested::decrypt_then_verify(corppass(Some("JSON")).as_bytes(), &decrypter, &verifier).unwrap_err(),
        Error::Header { name, .. } if name == "cty"
    ));
    // cty JWT but the content is not a JWS: refused.
    let fake = jwe::Builder::new(b"{\"sub\":\"x\"}", Enc::A256Gcm)
        .protected(Header::new().with("cty", "JWT"))
        .recipient(&enc_key.to_public().unwrap(), Alg::EcdhEsA256KW)
        .unwrap()
        .compact()
        .unwrap();
    assert!(nested::decrypt_then_verify(fake.as_bytes(), &decrypter, &verifier).is_err());
    // Signed by someone else: refused.
    let intruder = Jwk::generate(KeySpec::Ec(EcCurve::P256)).unwrap();
    let t = nested::sign_then_encrypt(
        b"{}",
        &intruder,
        JwsAlgorithm::ES256,
        &enc_key.to_public().unwrap(),
        Alg::EcdhEsA256KW,
        Enc::A256Gcm,
    )
    .unwrap();
    assert_eq!(
        nested::decrypt_then_verify(t.as_bytes(), &decrypter, &verifier).unwrap_err(),
        Error::SignatureInvalid
    );
}
