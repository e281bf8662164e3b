//! jsonwebtoken 11 with its aws-lc-rs backend, the same cryptography as joseguard. JWT only:
//! the crate has no JWE. No ES512 either (`Algorithm` stops at ES384), so that row has no
//! jsonwebtoken entry.
//!
//! With only the `aws_lc_rs` feature on, the crate selects `crypto::aws_lc::DEFAULT_PROVIDER`
//! itself on first use (`CryptoProvider::from_crate_features`); nothing needs installing.
//!
//! The keys below are made once, but an `EncodingKey` and a `DecodingKey` only hold bytes:
//! `encode` and `decode` ask the provider for a fresh signer or verifier on every call, which
//! parses the key again each time: `EcdsaKeyPair::from_pkcs8` / `Ed25519KeyPair::from_pkcs8` per
//! ECDSA/EdDSA signature, `RsaKeyPair::from_der` per RSA signature, a new `hmac::Key` per HMAC,
//! and an unparsed public key (parsed inside `verify`) per verification. That is the crate's
//! only API, so it is what these rows time.
#![forbid(unsafe_code)]

use joseguard_bench::jwt::{Claims, JwtImpl, AUD, ISS};
use joseguard_bench::KeyMaterial;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};

/// One algorithm's keys, header and validation, built once.
pub struct JsonWebToken {
    header: Header,
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

/// The peer constructor: `None` for ES512.
///
/// Keys come from PEM because each `from_*_pem` extracts what the aws-lc-rs backend wants,
/// which differs by family: the whole PKCS#8 for EC and Ed25519 private keys, the inner PKCS#1
/// `RSAPrivateKey` for RSA (`RsaKeyPair::from_der`), the PKCS#1 `RSAPublicKey` from an RSA SPKI,
/// and the raw point / raw 32 bytes from an EC / Ed25519 SPKI. The `from_*_der` constructors
/// store their input as is, so they would need those conversions done here.
pub fn jwt_peer(k: &KeyMaterial) -> Option<Box<dyn JwtImpl>> {
    let alg: Algorithm = k.alg.parse().ok()?;
    let private = k.pkcs8_pem.as_bytes();
    let public = k.spki_pem.as_bytes();
    let (encoding, decoding) = match alg {
        Algorithm::HS256 => (
            EncodingKey::from_secret(&k.secret),
            DecodingKey::from_secret(&k.secret),
        ),
        Algorithm::RS256 | Algorithm::PS256 => (
            EncodingKey::from_rsa_pem(private).expect("rsa private"),
            DecodingKey::from_rsa_pem(public).expect("rsa public"),
        ),
        Algorithm::ES256 | Algorithm::ES384 => (
            EncodingKey::from_ec_pem(private).expect("ec private"),
            DecodingKey::from_ec_pem(public).expect("ec public"),
        ),
        Algorithm::EdDSA => (
            EncodingKey::from_ed_pem(private).expect("ed25519 private"),
            DecodingKey::from_ed_pem(public).expect("ed25519 public"),
        ),
        _ => return None,
    };
    let mut validation = Validation::new(alg);
    validation.set_issuer(&[ISS]);
    validation.set_audience(&[AUD]);
    validation.set_required_spec_claims(&["exp", "iss", "aud"]);
    Some(Box::new(JsonWebToken {
        header: Header::new(alg),
        encoding,
        decoding,
        validation,
    }))
}

impl JwtImpl for JsonWebToken {
    fn name(&self) -> &'static str {
        "jsonwebtoken"
    }

    /// Header `{"typ":"JWT","alg":..}`, the claims serialized by serde.
    fn sign(&self, claims: &Claims) -> String {
        jsonwebtoken::encode(&self.header, claims, &self.encoding).expect("sign")
    }

    /// Signature, `exp` (60 s leeway, the default), `iss` and `aud`, then the claims by serde.
    fn verify(&self, token: &str) -> Claims {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .expect("verify")
            .claims
    }
}
