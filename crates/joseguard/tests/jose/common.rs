//! Helpers shared by the conformance tests that read `../shared/vectors` (relative to the workspace
//! root) in place. Nothing here copies vector data into the repository.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use joseguard::b64;
use joseguard::jwa::{ContentEncryption, KeyManagementAlgorithm as Alg};
use joseguard::jwe::DecryptPolicy;
use joseguard::jws::{Verifier, VerifyPolicy};
use joseguard::{EcCurve, Jwk, JwsAlgorithm, KeySpec, KeyType, OkpCurve};
use serde_json::{Map, Value};

/// The vector tree, read in place.
pub const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/vectors");

/// A path below the vector tree.
pub fn vector_path(rel: &str) -> PathBuf {
    Path::new(VECTORS).join(rel)
}

/// Reads and parses a JSON vector file (path relative to the vector tree).
pub fn read_json(rel: &str) -> Value {
    read_json_path(&vector_path(rel))
}

/// Reads and parses a JSON file.
pub fn read_json_path(path: &Path) -> Value {
    let text = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `.json` files of a vector directory, sorted by name.
pub fn json_files(rel_dir: &str) -> Vec<PathBuf> {
    let dir = vector_path(rel_dir);
    let mut out: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
        .collect();
    out.sort();
    out
}

/// The file name of a path, for messages.
pub fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// A string member, panicking with the member name when it is absent or not a string.
pub fn s<'a>(v: &'a Value, name: &str) -> &'a str {
    v.get(name)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("member {name:?} missing or not a string in {v}"))
}

/// An object member, panicking with the member name when it is absent or not an object.
pub fn obj<'a>(v: &'a Value, name: &str) -> &'a Map<String, Value> {
    v.get(name)
        .and_then(Value::as_object)
        .unwrap_or_else(|| panic!("member {name:?} missing or not an object"))
}

/// An array member, panicking with the member name when it is absent or not an array.
pub fn arr<'a>(v: &'a Value, name: &str) -> &'a [Value] {
    v.get(name)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_else(|| panic!("member {name:?} missing or not an array"))
}

/// The value of the first member whose name starts with `prefix` (some vector files annotate
/// member names, e.g. `thumbprint_sha384_b64u (panva/jose test)`).
pub fn member_starting<'a>(v: &'a Value, prefix: &str) -> Option<&'a Value> {
    v.as_object()?
        .iter()
        .find(|(k, _)| k.starts_with(prefix))
        .map(|(_, v)| v)
}

/// Decodes base64url, panicking with `what` on failure.
pub fn unb64(input: &str, what: &str) -> Vec<u8> {
    b64::decode(input, what).unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// Decodes lowercase or uppercase hex.
pub fn unhex(input: &str) -> Vec<u8> {
    assert!(input.len() % 2 == 0, "odd-length hex {input:?}");
    (0..input.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&input[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Parses a JWK from a vector's JSON value, panicking with `what` on failure.
pub fn jwk(v: &Value, what: &str) -> Jwk {
    Jwk::from_value(v).unwrap_or_else(|e| panic!("{what}: key does not parse: {e}"))
}

/// A copy of a key (`Jwk` is not `Clone`: key material is shared with `Arc` instead).
pub fn copy(key: &Jwk) -> Jwk {
    Jwk::from_value(&key.to_value()).expect("a key's own JSON parses")
}

/// The key a verifier should hold: the public part of an asymmetric key (so verification never
/// depends on private material), the secret itself for `oct`.
pub fn verification_key(key: &Jwk) -> Jwk {
    if key.key_type() == KeyType::Oct {
        copy(key)
    } else {
        key.to_public()
            .unwrap_or_else(|e| panic!("public part of {key:?}: {e}"))
    }
}

/// An algorithm by name, panicking on names joseguard does not implement.
pub fn alg(name: &str) -> JwsAlgorithm {
    name.parse().unwrap_or_else(|e| panic!("alg {name:?}: {e}"))
}

/// True for the algorithms whose signatures are a function of key and input (HMAC, RSASSA-PKCS1
/// v1.5, Ed25519); PS* and ES* signatures are randomized.
pub fn is_deterministic(alg: JwsAlgorithm) -> bool {
    use JwsAlgorithm::*;
    matches!(
        alg,
        HS256 | HS384 | HS512 | RS256 | RS384 | RS512 | EdDSA | Ed25519
    )
}

/// A verifier that allows exactly these algorithms.
pub fn verifier(algs: impl IntoIterator<Item = JwsAlgorithm>, key: Jwk) -> Verifier {
    Verifier::new(VerifyPolicy::new(algs).expect("non-empty allowlist"), key)
}

/// A token in text form: a compact string as is, a JSON serialization as JSON text.
pub fn token_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Decodes a base64url protected header into JSON.
pub fn decode_header_json(b64u: &str) -> Value {
    serde_json::from_slice(&unb64(b64u, "protected header")).expect("protected header is JSON")
}

/// True when the base64url header is JSON without insignificant whitespace, with members in the
/// order they parse — that is, exactly what a serializer that keeps member order would write.
/// Only then can [`joseguard::jws::Builder`] reproduce its bytes.
pub fn is_compact_json(b64u: &str) -> bool {
    let bytes = unb64(b64u, "protected header");
    let value: Value = serde_json::from_slice(&bytes).expect("protected header is JSON");
    serde_json::to_vec(&value).unwrap() == bytes
}

/// The RFC 7638 §3.2 input for a JWK given as JSON, built here independently of the library: the
/// required public members of its `kty`, in lexicographic order, without whitespace.
pub fn rfc7638_input(jwk: &Value) -> String {
    let required: &[&str] = match s(jwk, "kty") {
        "EC" => &["crv", "kty", "x", "y"],
        "RSA" => &["e", "kty", "n"],
        "oct" => &["k", "kty"],
        "OKP" => &["crv", "kty", "x"],
        other => panic!("no RFC 7638 members for kty {other:?}"),
    };
    let members: BTreeMap<&str, &Value> = required
        .iter()
        .map(|&name| {
            let v = jwk.get(name).unwrap_or_else(|| panic!("JWK lacks {name}"));
            (name, v)
        })
        .collect();
    serde_json::to_string(&members).unwrap()
}

/// SHA-256 of `data` as base64url, computed with the backend directly (not through joseguard).
pub fn sha256_b64(data: &[u8]) -> String {
    b64::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data))
}

/// The members of a JWK object that are not private key material (RFC 7517 §4, RFC 7518 §6).
pub fn public_members(jwk: &Value) -> Value {
    let mut map = jwk.as_object().expect("JWK object").clone();
    let private: &[&str] = match s(jwk, "kty") {
        "RSA" => &["d", "p", "q", "dp", "dq", "qi", "oth"],
        "EC" | "OKP" => &["d"],
        _ => &[],
    };
    for name in private {
        map.shift_remove(*name);
    }
    Value::Object(map)
}

/// Asserts that a key's JSON (`to_value`) has exactly the members of the input, whatever their
/// order (serde_json's map equality ignores order).
pub fn assert_round_trip(key: &Jwk, input: &Value, what: &str) {
    assert_eq!(
        &key.to_value(),
        input,
        "{what}: to_value differs from input"
    );
    let again = Jwk::from_json(key.to_json())
        .unwrap_or_else(|e| panic!("{what}: to_json does not parse again: {e}"));
    assert_eq!(
        &again.to_value(),
        input,
        "{what}: second round trip differs"
    );
}

/// Recipient keys for `alg`: (encrypting key, decrypting key).
pub fn keys_for(alg: Alg, enc: ContentEncryption) -> Vec<(Jwk, Jwk)> {
    let pair = |spec: KeySpec| {
        let private = Jwk::generate(spec).unwrap();
        (private.to_public().unwrap(), private)
    };
    let secret = |len: usize| {
        let k = Jwk::generate(KeySpec::Oct(len * 8)).unwrap();
        (Jwk::from_json(k.to_json()).unwrap(), k)
    };
    match alg {
        Alg::Dir => vec![secret(enc.key_len())],
        Alg::RsaOaep | Alg::RsaOaep256 | Alg::RsaOaep384 | Alg::RsaOaep512 | Alg::Rsa1_5 => {
            vec![pair(KeySpec::Rsa(2048))]
        }
        Alg::EcdhEs | Alg::EcdhEsA128KW | Alg::EcdhEsA192KW | Alg::EcdhEsA256KW => vec![
            pair(KeySpec::Ec(EcCurve::P256)),
            pair(KeySpec::Ec(EcCurve::P384)),
            pair(KeySpec::Ec(EcCurve::P521)),
            pair(KeySpec::Okp(OkpCurve::X25519)),
        ],
        Alg::Pbes2Hs256A128KW | Alg::Pbes2Hs384A192KW | Alg::Pbes2Hs512A256KW => {
            let k = Jwk::from_json(r#"{"kty":"oct","k":"Y29ycmVjdCBob3JzZSBiYXR0ZXJ5IHN0YXBsZQ"}"#)
                .unwrap();
            vec![(Jwk::from_json(k.to_json()).unwrap(), k)]
        }
        _ => vec![secret(alg.wrap_key_len().unwrap())],
    }
}

pub fn decrypt_policy(alg: Alg, enc: ContentEncryption) -> DecryptPolicy {
    match alg {
        Alg::Rsa1_5 => DecryptPolicy::new([Alg::RsaOaep], [enc])
            .unwrap()
            .dangerous()
            .enable_rsa1_5(),
        Alg::Pbes2Hs256A128KW | Alg::Pbes2Hs384A192KW | Alg::Pbes2Hs512A256KW => {
            DecryptPolicy::new([Alg::Dir], [enc])
                .unwrap()
                .dangerous()
                .enable_pbes2(10_000)
        }
        _ => DecryptPolicy::new([alg], [enc]).unwrap(),
    }
}
