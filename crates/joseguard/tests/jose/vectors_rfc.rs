//! Conformance against the example values of the RFCs, as collected in
//! `../shared/vectors/rfc-appendix` (one JSON list per RFC, read in place).
//!
//! Covered here: `rfc7515.json` (JWS, Appendices A.1-A.7 and E), `rfc7517.json` (JWK and JWK
//! Sets), `rfc7638.json` (thumbprints), `rfc7797.json` (unencoded payloads) and `rfc8037.json`
//! (Ed25519 keys, thumbprint and signature; its X25519 key agreement example, A.6, is JWE and
//! belongs to the JWE issue — only its keys are checked here).
//!
//! Outputs are reproduced byte for byte where the entry's `deterministic` says so (entries without
//! that member use HS256 or EdDSA, which are deterministic by construction); otherwise they are
//! verified, and the algorithm is exercised by signing anew and verifying.
//!
//! Each test asserts the number of entries it handled, so a wrong path or an emptied file fails.

use std::sync::Arc;

use crate::common::*;
use joseguard::dangerous;
use joseguard::jwa::ALL_JWS_ALGORITHMS;
use joseguard::jws::{self, Header, KeyResolver, Serialization};
use joseguard::jws::{Verifier, VerifyPolicy};
use joseguard::{b64, Error, Jwk, JwkSet, JwsAlgorithm, KeyOperation, KeyType, OkpCurve, Sha2};
use serde_json::{json, Value};

fn entries(file: &str) -> Vec<Value> {
    read_json(&format!("rfc-appendix/{file}"))
        .as_array()
        .unwrap_or_else(|| panic!("{file} is not a JSON list"))
        .clone()
}

/// Tries every key it holds, whatever `kid` the token names.
///
/// RFC 7515 A.6 names `kid`s (`2010-12-29`, `e9bc…`) in its unprotected headers while the keys
/// of the vector (those of A.2 and A.3) carry none; [`joseguard::jws::Keys::Set`] selects strictly
/// by `kid`, so this test supplies its keys through a resolver instead.
struct EveryKey(Vec<Arc<Jwk>>);

impl KeyResolver for EveryKey {
    fn resolve(
        &self,
        _protected: &Header,
        _unprotected: Option<&Header>,
        _alg: JwsAlgorithm,
        _payload: &[u8],
    ) -> joseguard::Result<Vec<Arc<Jwk>>> {
        Ok(self.0.clone())
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Rfc7515Counts {
    /// A.1-A.4: compact JWS with their key.
    signed_compact: usize,
    /// Of those, signatures reproduced byte for byte (`deterministic: true`).
    reproduced: usize,
    /// Of those, whole tokens rebuilt with jws::Builder (compact JSON header, deterministic).
    rebuilt: usize,
    /// Of those, randomized signatures made anew and verified.
    fresh: usize,
    /// A.5: `alg: none` refused.
    alg_none_refused: usize,
    /// A.6: general JSON.
    general: usize,
    /// A.7: flattened JSON.
    flattened: usize,
    /// Appendix E: `crit` with an unknown name refused.
    crit_refused: usize,
}

#[test]
fn rfc7515_jws() {
    let list = entries("rfc7515.json");
    assert_eq!(list.len(), 8, "rfc7515.json entries");
    let mut counts = Rfc7515Counts::default();
    for entry in &list {
        let section = s(entry, "section");
        if section.starts_with("RFC 7515 Appendix E") {
            crit_unknown(section, entry);
            counts.crit_refused += 1;
        } else if entry.get("alg").and_then(Value::as_str) == Some("none") {
            alg_none(section, entry, &list);
            counts.alg_none_refused += 1;
        } else if entry.get("compact").is_some() {
            signed_compact(section, entry, &mut counts);
            counts.signed_compact += 1;
        } else if entry["serialized"].get("signatures").is_some() {
            general_two_signatures(section, entry);
            counts.general += 1;
        } else {
            flattened_one_signature(section, entry);
            counts.flattened += 1;
        }
    }
    assert_eq!(
        counts,
        Rfc7515Counts {
            signed_compact: 4,
            // A.1 (HS256), A.2 (RS256).
            reproduced: 2,
            // A.2 only: A.1's header has line breaks ({"typ":"JWT",\r\n "alg":"HS256"}).
            rebuilt: 1,
            // A.3 (ES256), A.4 (ES512).
            fresh: 2,
            alg_none_refused: 1,
            general: 1,
            flattened: 1,
            crit_refused: 1,
        }
    );
}

/// A.1-A.4: one key, one compact JWS.
fn signed_compact(section: &str, entry: &Value, counts: &mut Rfc7515Counts) {
    let key = jwk(&entry["key"], section);
    let alg = alg(s(entry, "alg"));
    let protected_b64u = s(entry, "protected_header_octets_b64u");
    let payload_b64u = s(entry, "payload_b64u");
    let signature_b64u = s(entry, "signature_b64u");
    let compact = s(entry, "compact");
    assert_eq!(
        compact,
        format!("{protected_b64u}.{payload_b64u}.{signature_b64u}"),
        "{section}"
    );
    let payload = unb64(payload_b64u, "payload");
    let signing_input = format!("{protected_b64u}.{payload_b64u}");

    let deterministic = entry["deterministic"]
        .as_bool()
        .expect("deterministic member");
    assert_eq!(
        deterministic,
        is_deterministic(alg),
        "{section}: deterministic"
    );
    if deterministic {
        let sig = jws::sign_signing_input(&key, alg, signing_input.as_bytes())
            .unwrap_or_else(|e| panic!("{section}: signing: {e}"));
        assert_eq!(b64::encode(sig), signature_b64u, "{section}: signature");
        counts.reproduced += 1;
        if is_compact_json(protected_b64u) {
            // The vector keys carry no kid, so the builder's header is exactly {"alg":…}.
            let p = decode_header_json(protected_b64u);
            let token = jws::Builder::new(&payload)
                .signer(&key, alg, Header::from_map(p.as_object().unwrap().clone()))
                .and_then(|b| b.compact())
                .unwrap();
            assert_eq!(token, compact, "{section}: rebuilt");
            counts.rebuilt += 1;
        }
    } else {
        // ECDSA signatures are randomized: sign anew and verify that too.
        let sig = jws::sign_signing_input(&key, alg, signing_input.as_bytes()).unwrap();
        let fresh = format!("{signing_input}.{}", b64::encode(&sig));
        let v = verifier([alg], verification_key(&key))
            .verify(fresh.as_bytes())
            .unwrap_or_else(|e| panic!("{section}: fresh signature: {e}"));
        assert_eq!(v.payload, payload);
        counts.fresh += 1;
    }

    let v = verifier([alg], verification_key(&key))
        .verify(compact.as_bytes())
        .unwrap_or_else(|e| panic!("{section}: does not verify: {e}"));
    assert_eq!(v.payload, payload, "{section}");
    assert_eq!(v.serialization, Serialization::Compact);
    assert_eq!(
        Value::Object(v.protected_header().members().clone()),
        decode_header_json(protected_b64u)
    );
    // The allowlist decides: the same token under a policy without its algorithm is refused.
    let other = if alg == JwsAlgorithm::HS256 {
        JwsAlgorithm::HS512
    } else {
        JwsAlgorithm::HS256
    };
    let refused = verifier([other], verification_key(&key)).verify(compact.as_bytes());
    assert!(
        matches!(&refused, Err(Error::AlgNotAllowed { alg: a }) if a == alg.name()),
        "{section}: {refused:?}"
    );
}

/// A.5: an Unsecured JWS. joseguard cannot express `none` in a policy, so every verifier refuses
/// it, however permissive otherwise.
fn alg_none(section: &str, entry: &Value, list: &[Value]) {
    assert_eq!(
        entry["expect"], "reject-unless-unsecured-explicitly-allowed",
        "{section}"
    );
    assert_eq!("none".parse::<JwsAlgorithm>(), Err(Error::AlgNone));
    // The vector's "key" ({"kty":"oct","k":""}) is a placeholder: an empty secret is not a key.
    let placeholder = Jwk::from_value(&entry["key"]);
    assert!(
        matches!(&placeholder, Err(Error::InvalidKey { member, .. }) if member == "k"),
        "{section}: {placeholder:?}"
    );
    let compact = s(entry, "compact");
    assert!(compact.ends_with('.'), "{section}: empty signature");
    // It is well-formed: it decodes (without verification) to alg none and the payload.
    let decoded = dangerous::decode_unverified(compact.as_bytes()).unwrap();
    assert_eq!(decoded.headers[0].0.alg(), Some("none"));
    assert_eq!(
        decoded.payload.as_deref(),
        Some(unb64(s(entry, "payload_b64u"), "payload").as_slice())
    );
    // Every algorithm allowed, with a real key of each kind the file has: still refused.
    for other in list
        .iter()
        .filter(|e| e.get("key").is_some() && e.get("alg").and_then(Value::as_str) != Some("none"))
    {
        let key = verification_key(&jwk(&other["key"], s(other, "section")));
        let result = Verifier::new(VerifyPolicy::new(ALL_JWS_ALGORITHMS).unwrap(), key)
            .verify(compact.as_bytes());
        assert_eq!(result.unwrap_err(), Error::AlgNone, "{section}");
    }
}

/// Appendix E: `crit` naming an extension nobody understands (and `alg: none`).
fn crit_unknown(section: &str, entry: &Value) {
    assert!(s(entry, "expect").starts_with("invalid"), "{section}");
    let compact = s(entry, "compact");
    let decoded = dangerous::decode_unverified(compact.as_bytes()).unwrap();
    let header = &decoded.headers[0].0;
    assert_eq!(header.alg(), Some("none"));
    assert_eq!(
        header.get("crit"),
        Some(&json!(["http://example.com/UNDEFINED"]))
    );
    let hmac = Jwk::from_value(&json!({"kty": "oct", "k": b64::encode([7u8; 64])})).unwrap();
    let permissive = VerifyPolicy::new(ALL_JWS_ALGORITHMS)
        .unwrap()
        .dangerous()
        .allow_any_private_header();
    let result = Verifier::new(permissive.clone(), copy(&hmac)).verify(compact.as_bytes());
    // Either reason suffices; joseguard checks alg first.
    assert!(
        matches!(result, Err(Error::AlgNone | Error::Crit(_))),
        "{section}: {result:?}"
    );

    // Derived case: the same header with a real algorithm and a valid signature is still refused,
    // now for crit alone.
    let mut members = header.members().clone();
    members.insert("alg".into(), "HS256".into());
    let protected_b64u = b64::encode(Value::Object(members).to_string());
    let input = format!("{protected_b64u}.{}", compact.split('.').nth(1).unwrap());
    let sig = jws::sign_signing_input(&hmac, JwsAlgorithm::HS256, input.as_bytes()).unwrap();
    let token = format!("{input}.{}", b64::encode(sig));
    let result = Verifier::new(permissive, copy(&hmac)).verify(token.as_bytes());
    assert!(
        matches!(result, Err(Error::Crit(_))),
        "{section}: {result:?}"
    );
}

/// A.6: general JSON with an RS256 and an ES256 signature.
fn general_two_signatures(section: &str, entry: &Value) {
    let keys: Vec<Arc<Jwk>> = arr(entry, "keys")
        .iter()
        .map(|k| Arc::new(verification_key(&jwk(k, section))))
        .collect();
    assert_eq!(keys.len(), 2);
    let token = token_text(&entry["serialized"]);
    let policy = VerifyPolicy::new([JwsAlgorithm::RS256, JwsAlgorithm::ES256]).unwrap();
    let v = Verifier::new(
        policy.clone(),
        joseguard::jws::Keys::Resolver(Arc::new(EveryKey(keys.clone()))),
    )
    .verify(token.as_bytes())
    .unwrap_or_else(|e| panic!("{section}: {e}"));
    assert_eq!(v.serialization, Serialization::General);
    assert_eq!(
        v.payload,
        unb64(s(&entry["serialized"], "payload"), "payload")
    );
    assert_eq!(v.signatures.len(), 2);
    for (i, (outcome, (alg, kty))) in v
        .signatures
        .iter()
        .zip([
            (JwsAlgorithm::RS256, KeyType::Rsa),
            (JwsAlgorithm::ES256, KeyType::Ec),
        ])
        .enumerate()
    {
        assert!(outcome.is_verified(), "{section}[{i}]: {:?}", outcome.error);
        assert_eq!(outcome.alg, Some(alg));
        let used = outcome.key.as_ref().unwrap();
        assert_eq!(used.key_type(), kty, "{section}[{i}]");
        assert_eq!(used.to_value(), keys[i].to_value(), "{section}[{i}]");
        assert_eq!(
            outcome.unprotected.as_ref().and_then(Header::kid),
            entry["serialized"]["signatures"][i]["header"]["kid"].as_str()
        );
    }
    // A JWK Set selects by kid, and these keys have none: both signatures name an unknown kid.
    let set = JwkSet::from_keys(keys);
    let strict = Verifier::new(policy, set).verify(token.as_bytes());
    assert!(
        matches!(
            strict,
            Err(Error::SignaturesInsufficient {
                verified: 0,
                total: 2
            })
        ),
        "{section}: {strict:?}"
    );
}

/// A.7: flattened JSON, ES256, `kid` in the unprotected header.
fn flattened_one_signature(section: &str, entry: &Value) {
    let keys = arr(entry, "keys");
    assert_eq!(keys.len(), 1);
    let key = verification_key(&jwk(&keys[0], section));
    let token = token_text(&entry["serialized"]);
    let v = verifier([JwsAlgorithm::ES256], key)
        .verify(token.as_bytes())
        .unwrap_or_else(|e| panic!("{section}: {e}"));
    assert_eq!(v.serialization, Serialization::Flattened);
    assert_eq!(
        v.payload,
        unb64(s(&entry["serialized"], "payload"), "payload")
    );
    assert_eq!(
        v.signatures[0].unprotected.as_ref().and_then(Header::kid),
        Some("e9bc097a-ce51-4036-9562-d2ade882db0d")
    );
}

#[test]
fn rfc7517_jwk() {
    let list = entries("rfc7517.json");
    assert_eq!(list.len(), 5, "rfc7517.json entries");
    let mut sets = Vec::new();
    let mut single = 0;
    for entry in &list {
        let section = s(entry, "section");
        if let Some(jwks) = entry.get("jwks") {
            let set =
                JwkSet::from_json(jwks.to_string()).unwrap_or_else(|e| panic!("{section}: {e}"));
            assert!(set.skipped().is_empty(), "{section}: {:?}", set.skipped());
            let given = arr(jwks, "keys");
            assert_eq!(set.len(), given.len(), "{section}");
            for (key, input) in set.keys().iter().zip(given) {
                assert_round_trip(key, input, section);
                let private = input.get("d").is_some() || s(input, "kty") == "oct";
                assert_eq!(key.is_private(), private, "{section}");
                if let Some(kid) = input.get("kid").and_then(Value::as_str) {
                    assert_eq!(set.by_kid(kid).count(), 1, "{section}: {kid}");
                }
            }
            assert_eq!(&set.to_value(), jwks, "{section}");
            sets.push((section, set));
        } else {
            let input = &entry["jwk"];
            let key = jwk(input, section);
            assert_round_trip(&key, input, section);
            assert_eq!(key.key_type(), KeyType::Rsa);
            assert_eq!(key.rsa_bits(), Some(2048), "{section}");
            if section.contains("Appendix B") {
                // x5c: the library checks the certificate holds this very key.
                assert!(!key.is_private());
                assert_eq!(key.member("x5c"), input.get("x5c"));
                assert!(key
                    .check_jws(JwsAlgorithm::RS256, KeyOperation::Verify)
                    .is_ok());
            } else {
                // C.1: a private key for encryption (`use: enc`), so never for signatures.
                assert!(section.contains("Appendix C.1"), "{section}");
                assert!(key.is_private());
                assert_eq!(key.to_public().unwrap().to_value(), public_members(input));
                let sign = key.check_jws(JwsAlgorithm::RS256, KeyOperation::Sign);
                assert!(matches!(sign, Err(Error::KeyMismatch(_))), "{sign:?}");
            }
            single += 1;
        }
    }
    assert_eq!((sets.len(), single), (3, 2));

    // A.2 is A.1 with the private members: its public form is A.1.
    assert!(sets[0].0.contains("A.1") && sets[1].0.contains("A.2") && sets[2].0.contains("A.3"));
    assert_eq!(sets[1].1.to_public_value(), list[0]["jwks"]);
    assert!(sets[0].1.keys().iter().all(|k| !k.is_private()));
    // A.3 holds only secrets: nothing is public.
    assert_eq!(sets[2].1.to_public_value(), json!({"keys": []}));

    // A.3's HMAC key is the key of RFC 7515 A.1, whose token names no kid: the set's other key
    // (A128KW, 16 bytes) does not fit HS256, so the HMAC key is the one that verifies.
    let rfc7515 = entries("rfc7515.json");
    let a1 = rfc7515
        .iter()
        .find(|e| s(e, "section") == "RFC 7515 Appendix A.1")
        .unwrap();
    let a3 = JwkSet::from_json(list[2]["jwks"].to_string()).unwrap();
    let v = Verifier::new(VerifyPolicy::new([JwsAlgorithm::HS256]).unwrap(), a3)
        .verify(s(a1, "compact").as_bytes())
        .expect("RFC 7515 A.1 with the RFC 7517 A.3 set");
    assert_eq!(
        v.verified_signature().key.as_ref().unwrap().kid(),
        Some("HMAC key used in JWS A.1 example")
    );
}

#[test]
fn rfc7638_thumbprints() {
    let list = entries("rfc7638.json");
    assert_eq!(list.len(), 2, "rfc7638.json entries");
    let mut compared = 0;
    for entry in &list {
        let section = s(entry, "section");
        let input = &entry["jwk"];
        let key = jwk(input, section);
        let canonical = s(entry, "canonical_json");
        // The canonical JSON, built here from the members, and the vector agree with each other.
        assert_eq!(rfc7638_input(input), canonical, "{section}");
        let sha256 = s(entry, "thumbprint_sha256_b64u");
        assert_eq!(sha256_b64(canonical.as_bytes()), sha256, "{section}");

        assert_eq!(key.thumbprint_b64(Sha2::Sha256), sha256, "{section}");
        compared += 1;
        for (prefix, hash) in [
            ("thumbprint_sha384_b64u", Sha2::Sha384),
            ("thumbprint_sha512_b64u", Sha2::Sha512),
        ] {
            if let Some(expected) = member_starting(entry, prefix) {
                assert_eq!(
                    Some(key.thumbprint_b64(hash).as_str()),
                    expected.as_str(),
                    "{section}: {prefix}"
                );
                compared += 1;
            }
        }
        if let Some(uri) = member_starting(entry, "thumbprint_uri") {
            assert_eq!(
                Some(key.thumbprint_uri(Sha2::Sha256).as_str()),
                uri.as_str(),
                "{section}"
            );
            compared += 1;
        }
        // The thumbprint ignores kid, use and alg.
        let mut bare = copy(&key);
        bare.set_kid(None);
        bare.set_alg(None);
        bare.set_key_use(None);
        assert_eq!(bare.thumbprint_b64(Sha2::Sha256), sha256, "{section}");
    }
    // RSA: SHA-256, SHA-384, SHA-512, URI; EC: SHA-256.
    assert_eq!(compared, 5);
}

#[test]
fn rfc7797_unencoded_payload() {
    let list = entries("rfc7797.json");
    assert_eq!(list.len(), 2, "rfc7797.json entries");
    let mut handled = 0;
    for entry in &list {
        let section = s(entry, "section");
        // The file has no `deterministic` member: both entries are HS256, deterministic.
        let key = jwk(&entry["key"], section);
        let payload = s(entry, "payload_utf8");
        let protected_json = s(entry, "protected_json");
        let protected: Value = serde_json::from_str(protected_json).unwrap();
        // The key carries a kid the RFC's headers do not: sign with a copy without it, so that
        // the builder adds none.
        let mut signer = copy(&key);
        signer.set_kid(None);
        let strict = verifier([JwsAlgorithm::HS256], copy(&key));
        let b64_payload = protected.get("b64") != Some(&Value::Bool(false));
        if b64_payload {
            // 4.1: the ordinary, base64url-encoded payload.
            let compact = s(entry, "compact");
            let built = jws::Builder::new(payload.as_bytes())
                .signer(&signer, JwsAlgorithm::HS256, Header::new())
                .and_then(|b| b.compact())
                .unwrap();
            assert_eq!(built, compact, "{section}");
            assert!(compact.starts_with(&b64::encode(protected_json)));
            let v = strict.verify(compact.as_bytes()).unwrap();
            assert_eq!(v.payload, payload.as_bytes());
        } else {
            // 4.2: b64 false, crit ["b64"].
            let builder = jws::Builder::new(payload.as_bytes())
                .b64(false)
                .signer(&signer, JwsAlgorithm::HS256, Header::new())
                .unwrap();
            let flattened: Value = serde_json::from_str(&builder.flattened().unwrap()).unwrap();
            assert_eq!(flattened, entry["flattened"], "{section}");
            assert_eq!(
                decode_header_json(s(&entry["flattened"], "protected")),
                protected
            );
            // RFC 7797 §5.2: "$.02" contains a '.', so it cannot travel attached in the compact
            // form; detached it can.
            assert!(matches!(builder.compact(), Err(Error::Config(_))));
            let detached = jws::Builder::new(payload.as_bytes())
                .b64(false)
                .detached(true)
                .signer(&signer, JwsAlgorithm::HS256, Header::new())
                .and_then(|b| b.compact())
                .unwrap();
            let compact_detached = s(entry, "compact_detached");
            assert_eq!(detached, compact_detached, "{section}");

            let v = strict
                .verify(token_text(&entry["flattened"]).as_bytes())
                .unwrap();
            assert_eq!(v.payload, payload.as_bytes());
            assert_eq!(v.protected_header().b64(), Some(false));
            let v = strict
                .verify_detached(compact_detached.as_bytes(), payload.as_bytes())
                .unwrap();
            assert_eq!(v.payload, payload.as_bytes());
            // The unencoded payload is signed as is: its base64url form is other content.
            let wrong = strict.verify_detached(compact_detached.as_bytes(), b"JC4wMg");
            assert!(matches!(wrong, Err(Error::SignatureInvalid)), "{wrong:?}");
        }
        handled += 1;
    }
    assert_eq!(handled, 2);
}

#[test]
fn rfc8037_okp() {
    let list = entries("rfc8037.json");
    assert_eq!(list.len(), 4, "rfc8037.json entries");
    let mut handled = Vec::new();
    for entry in &list {
        let section = s(entry, "section");
        if section.contains("A.1/A.2") {
            let input = &entry["jwk"];
            let key = jwk(input, section);
            assert_eq!(key.key_type(), KeyType::Okp);
            assert_eq!(key.okp_curve(), Some(OkpCurve::Ed25519));
            assert!(key.is_private());
            assert_round_trip(&key, input, section);
            let public = key.to_public().unwrap();
            assert!(!public.is_private());
            assert_eq!(public.to_value(), public_members(input));
            assert!(key
                .check_jws(JwsAlgorithm::EdDSA, KeyOperation::Sign)
                .is_ok());
            handled.push("A.1/A.2");
        } else if section.contains("A.3") {
            let input = &entry["jwk_public"];
            let key = jwk(input, section);
            assert!(!key.is_private());
            assert_round_trip(&key, input, section);
            let canonical = s(entry, "canonical_json");
            assert_eq!(rfc7638_input(input), canonical);
            let expected = s(entry, "thumbprint_sha256_b64u");
            assert_eq!(sha256_b64(canonical.as_bytes()), expected);
            assert_eq!(key.thumbprint_b64(Sha2::Sha256), expected, "{section}");
            // The private key of A.1 has the same thumbprint.
            let private = jwk(&list[0]["jwk"], "A.1");
            assert_eq!(private.thumbprint_b64(Sha2::Sha256), expected);
            handled.push("A.3");
        } else if section.contains("A.4/A.5") {
            // Ed25519 is deterministic (RFC 8032): the token is rebuilt byte for byte.
            let key = jwk(&entry["key"], section);
            let alg = alg(s(entry, "alg"));
            assert_eq!(alg, JwsAlgorithm::EdDSA);
            let payload = s(entry, "payload_utf8");
            let compact = s(entry, "compact");
            let protected = Header::from_map(obj(entry, "protected").clone());
            let built = jws::Builder::new(payload.as_bytes())
                .signer(&key, alg, protected)
                .and_then(|b| b.compact())
                .unwrap();
            assert_eq!(built, compact, "{section}");
            let (input, sig) = compact.rsplit_once('.').unwrap();
            let made = jws::sign_signing_input(&key, alg, input.as_bytes()).unwrap();
            assert_eq!(b64::encode(made), sig);
            let v = verifier([alg], verification_key(&key))
                .verify(compact.as_bytes())
                .unwrap_or_else(|e| panic!("{section}: {e}"));
            assert_eq!(v.payload, payload.as_bytes());
            // A changed payload does not verify.
            let forged = compact.replacen(".RXhh", ".RXhi", 1);
            let result = verifier([alg], verification_key(&key)).verify(forged.as_bytes());
            assert!(matches!(result, Err(Error::SignatureInvalid)), "{result:?}");
            handled.push("A.4/A.5");
        } else {
            // A.6 is ECDH-ES key agreement with X25519: deriving Z and the JWE built on it belong
            // to the JWE issue. Only its keys (the JWK part) are checked here: the public JWKs
            // parse, and each RFC 7748 §6.1 private scalar, as a JWK `d`, belongs to its `x`.
            assert!(section.contains("A.6"), "{section}");
            let pairs = [
                (
                    &entry["bob_public_jwk"],
                    member_starting(entry, "bob_private_hex"),
                ),
                (&entry["epk"], entry.get("ephemeral_private_hex")),
            ];
            for (public, private_hex) in pairs {
                let key = jwk(public, section);
                assert_eq!(key.okp_curve(), Some(OkpCurve::X25519));
                assert!(!key.is_private());
                assert_round_trip(&key, public, section);
                // X25519 keys are for key agreement, never for signatures.
                assert!(key
                    .check_jws(JwsAlgorithm::EdDSA, KeyOperation::Verify)
                    .is_err());
                let d = unhex(private_hex.and_then(Value::as_str).expect("private hex"));
                let mut with_d = public.clone();
                with_d["d"] = Value::String(b64::encode(&d));
                let private = jwk(&with_d, section);
                assert!(private.is_private());
                assert_eq!(private.to_public().unwrap().to_value(), *public);
            }
            handled.push("A.6 (keys only)");
        }
    }
    assert_eq!(handled, ["A.1/A.2", "A.3", "A.4/A.5", "A.6 (keys only)"]);
}
