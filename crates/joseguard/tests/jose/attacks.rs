//! Known JOSE attacks that the per-rule suites (`rejections.rs`, `jwe_rejections.rs`, `jwt.rs`) do
//! not already name: each test is one class, named after a CVE that exhibits it.
//! `docs/security.md` maps every class, here or elsewhere, to its test.

use joseguard::jwa::{ContentEncryption as Enc, KeyManagementAlgorithm as Alg};
use joseguard::jwe::{self, DecryptPolicy, Decrypter};
use joseguard::jws::{self, Header, SignatureRequirement, Verifier, VerifyPolicy};
use joseguard::{b64, EcCurve, Error, Jwk, JwsAlgorithm, KeySpec};

fn ec() -> Jwk {
    Jwk::generate(KeySpec::Ec(EcCurve::P256)).unwrap()
}

fn es256_policy() -> VerifyPolicy {
    VerifyPolicy::new([JwsAlgorithm::ES256]).unwrap()
}

/// CVE-2018-0114 (node-jose), and `jku`/`x5u` likewise: a key the token carries is never the key
/// it is verified with. The attacker signs with their own key and embeds it; the verifier holds
/// the real key only, and no header member can add another.
#[test]
fn cve_2018_0114_embedded_jwk_jku_x5u_are_not_trusted() {
    let trusted = ec().to_public().unwrap();
    let attacker = ec();
    let embedded = attacker.to_public_value();
    for (name, value) in [
        ("jwk", embedded),
        ("jku", "https://attacker.example/keys".into()),
        ("x5u", "https://attacker.example/cert.pem".into()),
    ] {
        let token = jws::Builder::new(b"{}")
            .signer(
                &attacker,
                JwsAlgorithm::ES256,
                Header::new().with(name, value),
            )
            .unwrap()
            .compact()
            .unwrap();
        let v = Verifier::new(
            es256_policy(),
            Jwk::from_value(&trusted.to_value()).unwrap(),
        );
        assert_eq!(
            v.verify(token.as_bytes()).unwrap_err(),
            Error::SignatureInvalid,
            "{name}"
        );
    }
}

/// CVE-2016-9122 (go-jose): with several signatures, one good signature must not lend its
/// validity to the others, and an unprotected header must not change what was signed.
#[test]
fn cve_2016_9122_multi_signature_confusion() {
    let good = ec();
    let forged = ec();
    let token = jws::Builder::new(b"pay me")
        .signer(&good, JwsAlgorithm::ES256, Header::new())
        .unwrap()
        .signer(&forged, JwsAlgorithm::ES256, Header::new())
        .unwrap()
        .general()
        .unwrap();
    let public = || Jwk::from_value(&good.to_public_value()).unwrap();
    // Default: every signature must verify.
    let strict = Verifier::new(es256_policy(), public());
    assert!(matches!(
        strict.verify(token.as_bytes()).unwrap_err(),
        Error::SignaturesInsufficient { .. }
    ));
    // Opting into "at least one" reports which one verified, with its own header.
    let lenient = Verifier::new(
        es256_policy().require_signatures(SignatureRequirement::AtLeastOne),
        public(),
    );
    let verified = lenient.verify(token.as_bytes()).unwrap();
    let outcomes: Vec<bool> = verified
        .signatures
        .iter()
        .map(|s| s.is_verified())
        .collect();
    assert_eq!(outcomes, [true, false]);
    // An unprotected `alg` or `kid` next to the protected header is refused, not preferred.
    let flat = jws::Builder::new(b"x")
        .signer(&good, JwsAlgorithm::ES256, Header::new())
        .unwrap()
        .flattened()
        .unwrap();
    for extra in [r#"{"alg":"none"}"#, r#"{"alg":"HS256"}"#] {
        let mut v: serde_json::Value = serde_json::from_str(&flat).unwrap();
        v["header"] = serde_json::from_str(extra).unwrap();
        assert!(
            matches!(
                strict.verify(v.to_string().as_bytes()).unwrap_err(),
                Error::Header { .. }
            ),
            "{extra}"
        );
    }
}

/// CVE-2025-27144 (go-jose): a token of a million dots, or one enormous segment, is refused by
/// counting and measuring before any split, decode or allocation in proportion to it.
#[test]
fn cve_2025_27144_many_dots_and_huge_segments() {
    let key = Jwk::generate(KeySpec::Oct(256)).unwrap();
    let v = Verifier::new(VerifyPolicy::new([JwsAlgorithm::HS256]).unwrap(), key);
    let dots = ".".repeat(1_000_000);
    assert!(matches!(
        v.verify(dots.as_bytes()).unwrap_err(),
        Error::Malformed(_)
    ));
    let over = "a".repeat((1 << 20) + 1);
    assert_eq!(
        v.verify(over.as_bytes()).unwrap_err(),
        Error::TooLarge {
            what: "token",
            limit: 1 << 20
        }
    );
    let header = format!("{}.e30.AA", "e".repeat((64 << 10) + 1));
    assert!(matches!(
        v.verify(header.as_bytes()).unwrap_err(),
        Error::TooLarge {
            what: "protected header",
            ..
        }
    ));
    let d = Decrypter::new(
        DecryptPolicy::new([Alg::Dir], [Enc::A256Gcm]).unwrap(),
        Jwk::generate(KeySpec::Oct(256)).unwrap(),
    );
    assert!(matches!(
        d.decrypt(dots.as_bytes()).unwrap_err(),
        Error::Malformed(_)
    ));
}

/// CVE-2016-9123 (go-jose): the CBC-HMAC AAD length (AL) is a 64-bit count of bits. A protected
/// header longer than 8 KiB gives an AL above 2^16; it must still authenticate, and any change
/// to it must still fail.
#[test]
fn cve_2016_9123_cbc_hmac_aad_length_is_64_bit() {
    let key = Jwk::generate(KeySpec::Oct(512)).unwrap();
    let token = jwe::Builder::new(b"secret", Enc::A256CbcHs512)
        .protected(Header::new().with("note", "n".repeat(9_000)))
        .recipient(&key, Alg::Dir)
        .unwrap()
        .compact()
        .unwrap();
    let d = Decrypter::new(
        DecryptPolicy::new([Alg::Dir], [Enc::A256CbcHs512])
            .unwrap()
            .allow_private_headers(["note"]),
        Jwk::from_value(&key.to_value()).unwrap(),
    );
    assert_eq!(d.decrypt(token.as_bytes()).unwrap().plaintext, b"secret");
    // One more header byte changes AL and the AAD: refused as a decryption failure.
    let (head, rest) = token.split_once('.').unwrap();
    let mut header = String::from_utf8(b64::decode(head, "h").unwrap()).unwrap();
    let at = header.find("\"note\":\"").unwrap() + 8;
    header.insert(at, 'n');
    let longer = format!("{}.{rest}", b64::encode(header));
    assert_eq!(
        d.decrypt(longer.as_bytes()).unwrap_err(),
        Error::DecryptionFailed
    );
}
