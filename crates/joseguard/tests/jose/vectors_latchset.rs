//! Conformance against the latchset/jose test vectors (`tests/vectors` of latchset/jose, commit in
//! `latchset-jose/SOURCE`), read in place from `../shared/vectors/latchset-jose`.
//!
//! Covered here: every JWS (`.jwsc`, `.jwsf`, `.jwsg`), every key (`.jwk`, `.jwkset`) and every
//! thumbprint (`.thp`). The JWE files (`.jwec`, `.jwef`, `.jweg`, with `.pt`/`.pwd`) and
//! `cve-2023-50967/` belong to the JWE issue; [`jwe_files_are_present_for_the_jwe_issue`] only
//! counts them.
//!
//! Every test counts the cases it processed and compares the count with what the directory held
//! when these tests were written, so that a path mistake or an emptied directory cannot make a
//! run pass vacuously.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use joseguard::b64;
use joseguard::jwa::ALL_JWS_ALGORITHMS;
use joseguard::jws::{self, Header, KeyResolver, Keys, Serialization, Verifier, VerifyPolicy};
use joseguard::{Error, Jwk, JwkSet, JwsAlgorithm, Sha2};
use serde_json::Value;

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/vectors");

fn dir() -> PathBuf {
    Path::new(VECTORS).join("latchset-jose")
}

/// The files of the vector directory with this extension (the part after the last dot), sorted.
fn files(ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs::read_dir(dir())
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir().display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == ext))
        .collect();
    out.sort();
    out
}

fn name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// The file name without its last extension: `rfc7520_4.1.jwsc` -> `rfc7520_4.1`.
fn stem(path: &Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

/// Reads a vector file. Upstream stores some keys as git symbolic links (`rfc7520_4.1.jwk` ->
/// `rfc7520_3.4.jwk`); checked out without symlink support, such a file holds just the target's
/// name. Follow those, so the test works whichever way the tree was checked out.
fn read(path: &Path) -> Vec<u8> {
    let mut path = path.to_path_buf();
    for _ in 0..4 {
        let bytes = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let text = String::from_utf8_lossy(&bytes);
        let target = text.trim();
        let is_link = !target.is_empty()
            && !target.contains(['/', '{', '\n', ' '])
            && path.parent().unwrap().join(target).is_file();
        if !is_link {
            return bytes;
        }
        path = path.parent().unwrap().join(target);
    }
    panic!("{}: symbolic link chain too long", path.display());
}

fn read_string(path: &Path) -> String {
    String::from_utf8(read(path)).unwrap_or_else(|_| panic!("{} is not UTF-8", path.display()))
}

fn all_algorithms() -> VerifyPolicy {
    VerifyPolicy::new(ALL_JWS_ALGORITHMS).unwrap()
}

/// Tries every key of a set, whatever `kid` the token names.
///
/// RFC 7515 A.6's set (`rfc7515_A.6.jwkset`) has no `kid` members while its JWS names
/// `kid: "2010-12-29"` and `kid: "e9bc…"` in the unprotected headers. joseguard's [`Keys::Set`]
/// selects strictly by `kid` (a named `kid` that no key carries is `KidUnknown`, by design), so
/// for a set without any `kid` the test supplies this resolver instead.
struct EveryKey(JwkSet);

impl KeyResolver for EveryKey {
    fn resolve(
        &self,
        _protected: &Header,
        _unprotected: Option<&Header>,
        _alg: JwsAlgorithm,
        _payload: &[u8],
    ) -> joseguard::Result<Vec<Arc<Jwk>>> {
        Ok(self.0.keys().to_vec())
    }
}

/// The keys for the JWS `stem`: `stem.jwk` if present, else `stem.jwkset`.
fn keys_for(stem: &str) -> Keys {
    let jwk = dir().join(format!("{stem}.jwk"));
    if jwk.is_file() {
        let key = Jwk::from_json(read(&jwk)).unwrap_or_else(|e| panic!("{stem}.jwk: {e}"));
        return Keys::Single(Arc::new(key));
    }
    let set_path = dir().join(format!("{stem}.jwkset"));
    assert!(set_path.is_file(), "{stem}: neither .jwk nor .jwkset");
    let set = JwkSet::from_json(read(&set_path)).unwrap_or_else(|e| panic!("{stem}.jwkset: {e}"));
    assert!(
        set.skipped().is_empty(),
        "{stem}.jwkset: {:?}",
        set.skipped()
    );
    if set.keys().iter().all(|k| k.kid().is_none()) {
        Keys::Resolver(Arc::new(EveryKey(set)))
    } else {
        Keys::Set(Arc::new(set))
    }
}

/// The payload every RFC 7520 §4 example signs (RFC 7520 Figure 7); upstream ships it only for the
/// detached example 4.5.
fn rfc7520_payload() -> Vec<u8> {
    read(&dir().join("rfc7520_4.5.payl"))
}

#[derive(Default, Debug, PartialEq, Eq)]
struct JwsCounts {
    verified: BTreeMap<&'static str, usize>,
    detached: usize,
    alg_none_refused: usize,
    signatures: usize,
}

#[test]
fn every_jws_verifies() {
    let mut counts = JwsCounts::default();
    for (ext, serialization) in [
        ("jwsc", Serialization::Compact),
        ("jwsf", Serialization::Flattened),
        ("jwsg", Serialization::General),
    ] {
        for path in files(ext) {
            let case = name(&path);
            let stem = stem(&path);
            let mut token = read(&path);
            if ext == "jwsc" {
                // A compact token is one line; tolerate a trailing newline in the file.
                while token.last().is_some_and(u8::is_ascii_whitespace) {
                    token.pop();
                }
            }

            let first = jws::peek_header(&token).unwrap_or_else(|e| panic!("{case}: {e}"));
            if first.alg() == Some("none") {
                // RFC 7515 A.5: an Unsecured JWS. joseguard never accepts `none`, whatever the
                // policy and keys.
                let key = Jwk::from_json(read(&dir().join("rfc7515_A.1.jwk"))).unwrap();
                let err = Verifier::new(all_algorithms(), key)
                    .verify(&token)
                    .unwrap_err();
                assert_eq!(err, Error::AlgNone, "{case}");
                counts.alg_none_refused += 1;
                continue;
            }

            let mut policy = all_algorithms().require_serialization(serialization);
            let keys = keys_for(&stem);
            if let Keys::Set(set) = &keys {
                // RFC 7520 §4.8's set keeps an HMAC secret beside public keys: refused unless
                // the caller opts in (the refusal itself is asserted in vectors_cookbook).
                if set.mixes_secret_and_public() {
                    policy = policy.dangerous().allow_mixed_key_set();
                }
            }
            let verifier = Verifier::new(policy, keys);
            let payl = dir().join(format!("{stem}.payl"));
            let verified = if payl.is_file() {
                // RFC 7520 §4.5: detached content. Without it the token cannot verify.
                assert!(
                    verifier.verify(&token).is_err(),
                    "{case}: verified without content"
                );
                counts.detached += 1;
                verifier.verify_detached(&token, &read(&payl))
            } else {
                verifier.verify(&token)
            }
            .unwrap_or_else(|e| panic!("{case}: {e}"));

            assert_eq!(verified.serialization, serialization, "{case}");
            let expected_signatures = match ext {
                "jwsg" => {
                    let doc: Value = serde_json::from_slice(&token).unwrap();
                    doc["signatures"].as_array().unwrap().len()
                }
                _ => 1,
            };
            assert_eq!(verified.signatures.len(), expected_signatures, "{case}");
            for s in &verified.signatures {
                assert!(
                    s.is_verified(),
                    "{case}: signature {}: {:?}",
                    s.index,
                    s.error
                );
                assert!(s.key.is_some(), "{case}: signature {}", s.index);
            }
            counts.signatures += verified.signatures.len();

            if stem.starts_with("rfc7520_4.") {
                assert_eq!(verified.payload, rfc7520_payload(), "{case}: payload");
            } else if stem == "rfc7515_A.4" {
                // RFC 7515 A.4 (ES512) signs the octets of the string "Payload".
                assert_eq!(verified.payload, b"Payload", "{case}: payload");
            } else if stem.starts_with("rfc7515_A.") {
                // RFC 7515 A.1-A.3, A.6 and A.7 sign the same JWT Claims Set (with CRLFs).
                let claims: Value = verified
                    .payload_json()
                    .unwrap_or_else(|e| panic!("{case}: {e}"));
                assert_eq!(claims["iss"], "joe", "{case}");
                assert_eq!(claims["exp"], 1_300_819_380, "{case}");
            } else {
                panic!("{case}: no payload expectation for this vector");
            }

            // Tampering with the signature must be caught: flip one bit of the last signature.
            let tampered = tamper_last_signature(&token, ext);
            let res = if payl.is_file() {
                verifier.verify_detached(&tampered, &read(&payl))
            } else {
                verifier.verify(&tampered)
            };
            assert!(res.is_err(), "{case}: tampered token verified");

            *counts.verified.entry(ext).or_default() += 1;
        }
    }
    // Counted in latchset-jose when these tests were written: 10 compact (one of them the
    // `alg: none` example), 8 flattened and 9 general; 3 of them detached (RFC 7520 4.5); 29
    // signatures verified in all (A.6 has 2, RFC 7520 4.8 has 3).
    let expected = JwsCounts {
        verified: BTreeMap::from([("jwsc", 9), ("jwsf", 8), ("jwsg", 9)]),
        detached: 3,
        alg_none_refused: 1,
        signatures: 29,
    };
    assert_eq!(counts, expected);
}

/// Flips one bit in the signature of the last signature object of a token.
fn tamper_last_signature(token: &[u8], ext: &str) -> Vec<u8> {
    fn flip(sig_b64: &str) -> String {
        let mut sig = b64::decode(sig_b64, "signature").unwrap();
        sig[0] ^= 1;
        b64::encode(sig)
    }
    if ext == "jwsc" {
        let text = std::str::from_utf8(token).unwrap();
        let (input, sig) = text.rsplit_once('.').unwrap();
        return format!("{input}.{}", flip(sig)).into_bytes();
    }
    let mut doc: Value = serde_json::from_slice(token).unwrap();
    let obj = match doc.get_mut("signatures") {
        Some(Value::Array(sigs)) => sigs.last_mut().unwrap(),
        _ => &mut doc,
    };
    let sig = obj["signature"].as_str().unwrap().to_owned();
    obj["signature"] = Value::String(flip(&sig));
    serde_json::to_vec(&doc).unwrap()
}

/// Parses a key and checks it survives JWK -> JSON -> JWK unchanged.
fn check_key(case: &str, key: &Jwk, source: &Value) {
    let again = Jwk::from_value(&key.to_value()).unwrap_or_else(|e| panic!("{case}: {e}"));
    assert_eq!(again.to_value(), key.to_value(), "{case}: JWK round trip");
    assert_eq!(
        again.thumbprint(Sha2::Sha256),
        key.thumbprint(Sha2::Sha256),
        "{case}"
    );
    // Every member of the source comes back with the same value (joseguard re-encodes the key
    // material canonically, and the vectors are canonical).
    for (member, value) in source.as_object().unwrap() {
        assert_eq!(
            key.to_value().get(member),
            Some(value),
            "{case}: member {member}"
        );
    }
    assert_eq!(
        key.is_private(),
        source.get("d").is_some() || source.get("k").is_some()
    );
}

#[test]
fn every_jwk_parses() {
    let mut count = 0;
    for path in files("jwk") {
        let case = name(&path);
        let text = read(&path);
        let source: Value = serde_json::from_slice(&text).unwrap();
        let key = Jwk::from_json(&text).unwrap_or_else(|e| panic!("{case}: {e}"));
        check_key(&case, &key, &source);
        count += 1;
    }
    // 40 `.jwk` files (18 of them upstream symbolic links to another key file).
    assert_eq!(count, 40);
}

#[test]
fn every_jwk_set_parses() {
    let mut sets = 0;
    let mut keys = 0;
    for path in files("jwkset") {
        let case = name(&path);
        let text = read(&path);
        let source: Value = serde_json::from_slice(&text).unwrap();
        let members = source["keys"].as_array().unwrap();
        let set = JwkSet::from_json(&text).unwrap_or_else(|e| panic!("{case}: {e}"));
        assert!(set.skipped().is_empty(), "{case}: {:?}", set.skipped());
        assert_eq!(set.len(), members.len(), "{case}");
        for (i, (key, member)) in set.keys().iter().zip(members).enumerate() {
            check_key(&format!("{case}[{i}]"), key, member);
            if let Some(kid) = key.kid() {
                assert!(set.by_kid(kid).any(|k| Arc::ptr_eq(k, key)), "{case}[{i}]");
            }
        }
        sets += 1;
        keys += set.len();
    }
    // rfc7515_A.6 (2 keys), rfc7517_A.1 (2), rfc7517_A.2 (2), rfc7517_A.3 (2), rfc7520_4.8 (3).
    assert_eq!((sets, keys), (5, 11));
}

#[test]
fn every_thumbprint_matches() {
    let mut count = 0;
    for path in files("thp") {
        let case = name(&path);
        let key = Jwk::from_json(read(&dir().join(format!("{}.jwk", stem(&path)))))
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        // One base64url thumbprint per line; the hash is told by the digest length (the file
        // upstream holds only the SHA-256 one of RFC 7638 §3.1).
        for line in read_string(&path).lines().map(str::trim) {
            if line.is_empty() {
                continue;
            }
            let hash = match b64::decode(line, "thumbprint").unwrap().len() {
                32 => Sha2::Sha256,
                48 => Sha2::Sha384,
                64 => Sha2::Sha512,
                n => panic!("{case}: {n}-byte thumbprint"),
            };
            assert_eq!(key.thumbprint_b64(hash), line, "{case} {hash:?}");
            // A private key and its public part share the thumbprint.
            if key.is_private() {
                let public = key.to_public().unwrap();
                assert_eq!(public.thumbprint_b64(hash), line, "{case} public");
            }
            count += 1;
        }
    }
    // rfc7638_3.1.thp: NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs.
    assert_eq!(count, 1);
}

/// The JWE vectors are covered by the JWE issue; this only makes their number visible and fails
/// if they vanish.
#[test]
fn jwe_files_are_present_for_the_jwe_issue() {
    let counts: Vec<(&str, usize)> = ["jwec", "jwef", "jweg", "pt", "pwd"]
        .into_iter()
        .map(|ext| (ext, files(ext).len()))
        .collect();
    assert_eq!(
        counts,
        [
            ("jwec", 9),
            ("jwef", 10),
            ("jweg", 13),
            ("pt", 13),
            ("pwd", 1)
        ]
    );
    let cve = dir().join("cve-2023-50967");
    let mut cve_files: Vec<String> = fs::read_dir(&cve)
        .unwrap_or_else(|e| panic!("{}: {e}", cve.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    cve_files.sort();
    assert_eq!(cve_files, ["cve-2023-50967.jwe", "cve-2023-50967.jwk"]);
}

/// Every file of the directory is of a kind some test above handles, so a new kind of vector
/// upstream cannot go unnoticed.
#[test]
fn no_vector_kind_is_ignored() {
    let known = [
        "jwsc", "jwsf", "jwsg", "payl", "jwk", "jwkset", "thp", "jwec", "jwef", "jweg", "pt", "pwd",
    ];
    for entry in fs::read_dir(dir()).unwrap() {
        let path = entry.unwrap().path();
        let file = name(&path);
        if path.is_dir() {
            assert_eq!(file, "cve-2023-50967");
            continue;
        }
        let ext = path.extension().map(|e| e.to_string_lossy().into_owned());
        assert!(
            file == "SOURCE" || ext.as_deref().is_some_and(|e| known.contains(&e)),
            "unhandled vector file {file}"
        );
    }
}
