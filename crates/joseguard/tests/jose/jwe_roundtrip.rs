//! Encrypt → decrypt for every `alg` × `enc` × serialization, zip on and off, several recipients,
//! and the nested ID-token flow.

use std::sync::Arc;

use joseguard::jwa::{
    ContentEncryption, KeyManagementAlgorithm as Alg, ALL_CONTENT_ENCRYPTIONS,
    ALL_KEY_MANAGEMENT_ALGORITHMS,
};
use joseguard::jwe::{self, nested, DecryptPolicy, Decrypter, Header, Serialization};
use joseguard::jws::{Verifier, VerifyPolicy};
use joseguard::{EcCurve, Jwk, JwkSet, JwsAlgorithm, KeySpec};

use crate::common::{decrypt_policy as policy, keys_for};

#[test]
fn every_alg_enc_serialization_and_zip() {
    let plaintext = b"The true sign of intelligence is not knowledge but imagination.".repeat(3);
    let mut cases = 0;
    for alg in ALL_KEY_MANAGEMENT_ALGORITHMS {
        for enc in ALL_CONTENT_ENCRYPTIONS {
            for (enc_key, dec_key) in keys_for(alg, enc) {
                let decrypter = Decrypter::new(policy(alg, enc), dec_key);
                for zip in [false, true] {
                    let b = jwe::Builder::new(&plaintext, enc)
                        .zip(zip)
                        .protected(Header::new().with("typ", "JOSE"))
                        .pbes2_iterations(1_000)
                        .recipient(&enc_key, alg)
                        .unwrap();
                    for (ser, token) in [
                        (Serialization::Compact, b.compact().unwrap()),
                        (Serialization::Flattened, b.flattened().unwrap()),
                        (Serialization::General, b.general().unwrap()),
                    ] {
                        let d = decrypter
                            .decrypt(token.as_bytes())
                            .unwrap_or_else(|e| panic!("{alg} {enc} zip={zip} {ser:?}: {e}"));
                        assert_eq!(d.plaintext, plaintext);
                        assert_eq!((d.alg, d.enc, d.serialization), (alg, enc, ser));
                        cases += 1;
                    }
                }
            }
        }
    }
    // 19 algorithms (A192KW and its ECDH-ES and PBES2 variants included) × 6 encs, the 4 ECDH-ES
    // ones × 4 curves, × 2 zip × 3 serializations
    assert_eq!(cases, (15 + 4 * 4) * 6 * 2 * 3);
}

#[test]
fn general_json_with_several_recipients_shared_headers_and_aad() {
    let rsa = Jwk::generate(KeySpec::Rsa(2048)).unwrap();
    let ec = Jwk::generate(KeySpec::Ec(EcCurve::P384)).unwrap();
    let kw = Jwk::generate(KeySpec::Oct(256)).unwrap();
    let (rsa_pub, ec_pub) = (rsa.to_public().unwrap(), ec.to_public().unwrap());
    let token = jwe::Builder::new(b"to three", ContentEncryption::A256CbcHs512)
        .unprotected(Header::new().with("jku", "https://example.com/keys"))
        .aad(b"context")
        .recipient_with_header(&rsa_pub, Alg::RsaOaep256, Header::new().with("kid", "rsa"))
        .unwrap()
        .recipient_with_header(&ec_pub, Alg::EcdhEsA256KW, Header::new().with("kid", "ec"))
        .unwrap()
        .recipient_with_header(&kw, Alg::A256KW, Header::new().with("kid", "kw"))
        .unwrap()
        .general()
        .unwrap();
    let all = [Alg::RsaOaep256, Alg::EcdhEsA256KW, Alg::A256KW];
    for (i, key) in [rsa, ec, kw].into_iter().enumerate() {
        let d = Decrypter::new(
            DecryptPolicy::new(all, [ContentEncryption::A256CbcHs512]).unwrap(),
            key,
        )
        .decrypt(token.as_bytes())
        .unwrap();
        assert_eq!(d.plaintext, b"to three");
        assert_eq!(d.recipient, i, "the result says which recipient was used");
        assert_eq!(d.aad.as_deref(), Some(&b"context"[..]));
        assert_eq!(
            d.header_member("jku").and_then(|v| v.as_str()),
            Some("https://example.com/keys")
        );
    }
}

#[test]
fn nested_id_token_flow() {
    // The issuer signs with ES256; the relying party's encryption key is chosen by kid from its set.
    let mut issuer = Jwk::generate(KeySpec::Ec(EcCurve::P256)).unwrap();
    issuer.set_kid(Some("issuer-1".into()));
    let mut rp_enc = Jwk::generate(KeySpec::Ec(EcCurve::P256)).unwrap();
    rp_enc.set_kid(Some("rp-enc".into()));
    let claims = br#"{"iss":"https://op.example","aud":"rp","sub":"alice"}"#;
    let token = nested::sign_then_encrypt(
        claims,
        &issuer,
        JwsAlgorithm::ES256,
        &rp_enc.to_public().unwrap(),
        Alg::EcdhEsA256KW,
        ContentEncryption::A256Gcm,
    )
    .unwrap();
    let rp_keys = JwkSet::from_keys([
        Arc::new(Jwk::generate(KeySpec::Ec(EcCurve::P256)).unwrap()),
        Arc::new(rp_enc),
    ]);
    let decrypter = Decrypter::new(
        DecryptPolicy::new(
            [Alg::EcdhEsA256KW],
            [ContentEncryption::A256Gcm, ContentEncryption::A256CbcHs512],
        )
        .unwrap(),
        rp_keys,
    );
    let issuer_keys = JwkSet::from_keys([Arc::new(issuer.to_public().unwrap())]);
    let verifier = Verifier::new(
        VerifyPolicy::new([JwsAlgorithm::ES256]).unwrap(),
        issuer_keys,
    );
    let n = nested::decrypt_then_verify(token.as_bytes(), &decrypter, &verifier).unwrap();
    assert_eq!(n.verified.payload, claims);
    assert_eq!(n.decrypted.key.kid(), Some("rp-enc"));
    assert_eq!(n.verified.protected_header().typ(), Some("JWT"));
}

/// `jwt::Verifier::decrypt_with` takes compact JWEs only (RFC 7519 §7.2), whatever its
/// decrypter allows: a JSON JWE could carry `cty` or replicated claims outside the protected
/// header, where the §5.3 check does not look.
#[test]
fn nested_jwts_are_compact_jwes() {
    let issuer = Jwk::generate(KeySpec::Ec(EcCurve::P256)).unwrap();
    let rp_enc = Jwk::generate(KeySpec::Ec(EcCurve::P256)).unwrap();
    let claims =
        serde_json::json!({"iss": "https://op.example", "sub": "alice", "exp": 4_000_000_000u64});
    let inner = joseguard::jwt::Signer::new(issuer.clone(), JwsAlgorithm::ES256)
        .unwrap()
        .sign(&claims)
        .unwrap();
    let rp_public = rp_enc.to_public().unwrap();
    let outer = jwe::Builder::new(inner.as_bytes(), ContentEncryption::A256Gcm)
        .protected(Header::new().with("cty", "JWT"))
        .recipient(&rp_public, Alg::EcdhEsA256KW)
        .unwrap();
    let decrypter = || {
        Decrypter::new(
            DecryptPolicy::new([Alg::EcdhEsA256KW], [ContentEncryption::A256Gcm]).unwrap(),
            rp_enc.clone(),
        )
    };
    let verifier =
        joseguard::jwt::Verifier::new([JwsAlgorithm::ES256], issuer.to_public().unwrap())
            .unwrap()
            .issuer("https://op.example")
            .decrypt_with(decrypter());
    let compact = outer.compact().unwrap();
    let token = verifier
        .verify::<joseguard::jwt::Claims>(compact.as_bytes())
        .unwrap();
    assert_eq!(token.claims.sub.as_deref(), Some("alice"));
    for json in [outer.flattened().unwrap(), outer.general().unwrap()] {
        let e = verifier
            .verify::<joseguard::jwt::Claims>(json.as_bytes())
            .unwrap_err();
        assert!(
            matches!(
                e,
                joseguard::Error::SerializationMismatch {
                    expected: "compact",
                    ..
                }
            ),
            "{e}"
        );
    }
}
