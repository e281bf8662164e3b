//! Properties over random inputs (proptest): sign → verify and encrypt → decrypt round trips over
//! random payloads, headers, algorithms and serializations; any single-bit change to a token is
//! rejected; parse(serialize(x)) == x for keys and headers.

use std::sync::LazyLock;

use joseguard::jwa::{ALL_CONTENT_ENCRYPTIONS, ALL_JWS_ALGORITHMS, ALL_KEY_MANAGEMENT_ALGORITHMS};
use joseguard::jwe::{self, Decrypter};
use joseguard::jws::{self, Header, Verifier, VerifyPolicy};
use joseguard::{Jwk, JwsAlgorithm, KeySpec, KeyType};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value;

use crate::common::{decrypt_policy, keys_for};

/// One signing key per JWS algorithm, made once (RSA generation is slow).
static SIGNERS: LazyLock<Vec<(JwsAlgorithm, Jwk)>> = LazyLock::new(|| {
    let rsa = Jwk::generate(KeySpec::Rsa(2048)).unwrap().to_json();
    ALL_JWS_ALGORITHMS
        .iter()
        .map(|&alg| {
            let key = match alg.name() {
                n if n.starts_with("HS") => Jwk::generate(KeySpec::Oct(alg.hash().len() * 8)),
                n if n.starts_with("RS") || n.starts_with("PS") => Jwk::from_json(&rsa),
                _ => Jwk::generate(KeySpec::for_jws(alg)),
            };
            (alg, key.unwrap())
        })
        .collect()
});

/// The key a verifier holds: the public part, or the secret itself.
fn verifying(key: &Jwk) -> Jwk {
    if key.key_type() == KeyType::Oct {
        Jwk::from_json(key.to_json()).unwrap()
    } else {
        key.to_public().unwrap()
    }
}

fn header_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        ".{0,24}".prop_map(Value::from),
        prop::collection::vec("[a-z]{0,6}", 0..4).prop_map(Value::from),
    ]
}

/// Private header members: distinct names outside the registered ones.
fn private_members() -> impl Strategy<Value = Vec<(String, Value)>> {
    prop::collection::btree_map("x-[a-z0-9]{1,8}", header_value(), 0..4)
        .prop_map(|m| m.into_iter().collect())
}

fn sign(
    alg: JwsAlgorithm,
    key: &Jwk,
    payload: &[u8],
    members: &[(String, Value)],
    serialization: usize,
) -> String {
    let mut header = Header::new().with("typ", "JOSE");
    for (name, value) in members {
        header.insert(name, value.clone());
    }
    let b = jws::Builder::new(payload).signer(key, alg, header).unwrap();
    match serialization {
        0 => b.compact(),
        1 => b.flattened(),
        _ => b.general(),
    }
    .unwrap()
}

fn verifier(alg: JwsAlgorithm, key: &Jwk, members: &[(String, Value)]) -> Verifier {
    let policy = VerifyPolicy::new([alg])
        .unwrap()
        .allow_private_headers(members.iter().map(|(n, _)| n.clone()));
    Verifier::new(policy, verifying(key))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn jws_sign_then_verify(
        which in any::<Index>(),
        payload in prop::collection::vec(any::<u8>(), 0..600),
        members in private_members(),
        serialization in 0..3usize,
    ) {
        let (alg, key) = which.get(&SIGNERS);
        let token = sign(*alg, key, &payload, &members, serialization);
        let verified = verifier(*alg, key, &members).verify(token.as_bytes()).unwrap();
        prop_assert_eq!(&verified.payload, &payload);
        for (name, value) in &members {
            prop_assert_eq!(verified.protected_header().get(name), Some(value));
        }
    }

    #[test]
    fn jws_any_bit_flip_is_rejected(
        which in any::<Index>(),
        payload in prop::collection::vec(any::<u8>(), 1..200),
        serialization in 0..2usize,
        at in any::<Index>(),
        bit in 0..8u8,
    ) {
        let (alg, key) = which.get(&SIGNERS);
        let token = sign(*alg, key, &payload, &[], serialization);
        let mut bytes = token.into_bytes();
        let i = at.index(bytes.len());
        bytes[i] ^= 1 << bit;
        let v = verifier(*alg, key, &[]);
        // A JSON serialization may absorb a flip in insignificant whitespace or key order only
        // if it still says the same thing; ours has none, so every flip must fail.
        prop_assert!(v.verify(&bytes).is_err(), "flip of bit {} at {}", bit, i);
    }

    #[test]
    fn jwe_encrypt_then_decrypt(
        alg in any::<Index>(),
        enc in any::<Index>(),
        payload in prop::collection::vec(any::<u8>(), 0..2000),
        zip in any::<bool>(),
        serialization in 0..3usize,
        flip in prop::option::of((any::<Index>(), 0..8u8)),
    ) {
        let alg = *alg.get(&ALL_KEY_MANAGEMENT_ALGORITHMS);
        let enc = *enc.get(&ALL_CONTENT_ENCRYPTIONS);
        let (enc_key, dec_key) = keys_for(alg, enc).swap_remove(0);
        let b = jwe::Builder::new(&payload, enc)
            .zip(zip)
            .pbes2_iterations(1_000)
            .recipient(&enc_key, alg)
            .unwrap();
        let token = match serialization {
            0 => b.compact(),
            1 => b.flattened(),
            _ => b.general(),
        }
        .unwrap();
        let d = Decrypter::new(decrypt_policy(alg, enc), dec_key);
        match flip {
            None => prop_assert_eq!(d.decrypt(token.as_bytes()).unwrap().plaintext, payload),
            Some((at, bit)) if serialization == 0 => {
                let mut bytes = token.into_bytes();
                let i = at.index(bytes.len());
                bytes[i] ^= 1 << bit;
                prop_assert!(d.decrypt(&bytes).is_err(), "{} {}: flip of bit {} at {}", alg, enc, bit, i);
            }
            Some(_) => {}
        }
    }

    #[test]
    fn header_parse_of_serialize_is_identity(members in private_members(), kid in "[ -~]{0,20}") {
        let mut h = Header::new().with("alg", "ES256").with("kid", kid);
        for (name, value) in &members {
            h.insert(name, value.clone());
        }
        prop_assert_eq!(Header::from_json(&h.to_json()).unwrap(), h);
    }

    #[test]
    fn jwk_parse_of_serialize_is_identity(
        which in any::<Index>(),
        kid in prop::option::of("[ -~]{1,20}"),
        public in any::<bool>(),
    ) {
        let (_, key) = which.get(&SIGNERS);
        let mut key = Jwk::from_json(key.to_json()).unwrap();
        key.set_kid(kid);
        let key = if public && key.key_type() != KeyType::Oct { key.to_public().unwrap() } else { key };
        let again = Jwk::from_json(key.to_json()).unwrap();
        prop_assert_eq!(again.to_value(), key.to_value());
        prop_assert_eq!(again.thumbprint_b64(joseguard::Sha2::Sha256), key.thumbprint_b64(joseguard::Sha2::Sha256));
        if key.key_type() != KeyType::Oct {
            let pem = Jwk::from_pem(&key.to_public_pem().unwrap()).unwrap();
            prop_assert_eq!(pem.thumbprint_b64(joseguard::Sha2::Sha256), key.thumbprint_b64(joseguard::Sha2::Sha256));
        }
    }
}
