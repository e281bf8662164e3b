//! jwt-simple 0.15 with its default features: RSA through BoringSSL (`boring`), ECDSA through
//! RustCrypto (`p256`, `p384`), Ed25519 through `ed25519-compact`, HMAC through `hmac-sha256`.
//! No ES512 (the crate has no P-521 key type), so that row has no jwt-simple entry.
//!
//! JWT only. jwt-simple 0.15 does implement ECDH-ES+A256KW with A256GCM, but its JWE API
//! encrypts and decrypts `JWTClaims` only: the plaintext is always claims serialized by
//! serde_json and decryption parses it back as claims. The JWE rows encrypt arbitrary bytes, so
//! it cannot take part in them (it has neither RSA-OAEP-256, `dir` nor A256CBC-HS512 anyway).
#![forbid(unsafe_code)]

use std::collections::HashSet;

use joseguard_bench::jwt::{Claims, JwtImpl, AUD, ISS};
use joseguard_bench::KeyMaterial;
use jwt_simple::prelude::{
    Audiences, ECDSAP256KeyPairLike, ECDSAP256PublicKeyLike, ECDSAP384KeyPairLike,
    ECDSAP384PublicKeyLike, ES256KeyPair, ES256PublicKey, ES384KeyPair, ES384PublicKey,
    Ed25519KeyPair, Ed25519PublicKey, EdDSAKeyPairLike, EdDSAPublicKeyLike, HS256Key, JWTClaims,
    MACLike, PS256KeyPair, PS256PublicKey, RS256KeyPair, RS256PublicKey, RSAKeyPairLike,
    RSAPublicKeyLike, UnixTimeStamp, VerificationOptions,
};
use serde::{Deserialize, Serialize};

/// The claim outside the registered set, flattened into `JWTClaims::custom`.
#[derive(Serialize, Deserialize)]
struct Custom {
    name: String,
}

/// One algorithm's keys, each parsed once.
///
/// - `HS256Key::from_bytes`: the raw secret.
/// - RSA: `from_pem(pkcs8_pem)` for the private key, because `from_der` takes PKCS#1 only
///   (`d2i_RSAPrivateKey`) while the PEM reader also takes PKCS#8; `from_der(spki_der)` for the
///   public key (SPKI, falling back to PKCS#1).
/// - ECDSA: `from_der(pkcs8_der)` (`SigningKey::from_pkcs8_der`) and `from_der(spki_der)`
///   (`VerifyingKey::from_public_key_der`).
/// - Ed25519: `from_der(pkcs8_der)`, which accepts exactly the 48-byte PKCS#8 v1 encoding (what
///   joseguard writes), and `from_der(spki_der)`.
enum Keys {
    Hs256(HS256Key),
    Rs256(RS256KeyPair, RS256PublicKey),
    Ps256(PS256KeyPair, PS256PublicKey),
    Es256(ES256KeyPair, ES256PublicKey),
    Es384(ES384KeyPair, ES384PublicKey),
    Ed25519(Ed25519KeyPair, Ed25519PublicKey),
}

/// jwt-simple with its keys and verification options built once.
pub struct JwtSimple {
    keys: Keys,
    options: VerificationOptions,
}

/// The peer constructor: `None` for ES512.
pub fn jwt_peer(k: &KeyMaterial) -> Option<Box<dyn JwtImpl>> {
    let private = &k.pkcs8_der[..];
    let public = &k.spki_der[..];
    let keys = match k.alg {
        "HS256" => Keys::Hs256(HS256Key::from_bytes(&k.secret)),
        "RS256" => Keys::Rs256(
            RS256KeyPair::from_pem(&k.pkcs8_pem).expect("rs256 private"),
            RS256PublicKey::from_der(public).expect("rs256 public"),
        ),
        "PS256" => Keys::Ps256(
            PS256KeyPair::from_pem(&k.pkcs8_pem).expect("ps256 private"),
            PS256PublicKey::from_der(public).expect("ps256 public"),
        ),
        "ES256" => Keys::Es256(
            ES256KeyPair::from_der(private).expect("es256 private"),
            ES256PublicKey::from_der(public).expect("es256 public"),
        ),
        "ES384" => Keys::Es384(
            ES384KeyPair::from_der(private).expect("es384 private"),
            ES384PublicKey::from_der(public).expect("es384 public"),
        ),
        "EdDSA" => Keys::Ed25519(
            Ed25519KeyPair::from_der(private).expect("ed25519 private"),
            Ed25519PublicKey::from_der(public).expect("ed25519 public"),
        ),
        _ => return None,
    };
    // Issuer and audience required; `exp` is always checked when present (15 min tolerance, the
    // default) and its presence is enforced in `claims_from`. No `typ` requirement: a `typ`
    // present must be `JWT` or end in `+JWT`.
    let options = VerificationOptions {
        allowed_issuers: Some(HashSet::from([ISS.to_string()])),
        allowed_audiences: Some(HashSet::from([AUD.to_string()])),
        ..VerificationOptions::default()
    };
    Some(Box::new(JwtSimple { keys, options }))
}

/// The input claims exactly: `Claims::create` would stamp its own `iat`, `nbf` and `exp`.
fn jwt_claims(c: &Claims) -> JWTClaims<Custom> {
    JWTClaims {
        issued_at: Some(UnixTimeStamp::from_secs(c.iat as u64)),
        expires_at: Some(UnixTimeStamp::from_secs(c.exp as u64)),
        invalid_before: None,
        issuer: Some(c.iss.clone()),
        subject: Some(c.sub.clone()),
        audiences: Some(Audiences::AsString(c.aud.clone())),
        jwt_id: None,
        nonce: None,
        custom: Custom {
            name: c.name.clone(),
        },
    }
}

/// The decoded claims back into the harness's struct; every one of them is required.
fn claims_from(c: JWTClaims<Custom>) -> Claims {
    Claims {
        sub: c.subject.expect("sub"),
        name: c.custom.name,
        iat: c.issued_at.expect("iat").as_secs() as i64,
        exp: c.expires_at.expect("exp").as_secs() as i64,
        iss: c.issuer.expect("iss"),
        aud: c
            .audiences
            .expect("aud")
            .into_string()
            .expect("a single aud"),
    }
}

impl JwtImpl for JwtSimple {
    fn name(&self) -> &'static str {
        "jwt-simple"
    }

    /// Header `{"alg":..,"typ":"JWT"}` (no `kid`: none is set on the keys).
    fn sign(&self, claims: &Claims) -> String {
        let c = jwt_claims(claims);
        match &self.keys {
            Keys::Hs256(k) => k.authenticate(c),
            Keys::Rs256(k, _) => k.sign(c),
            Keys::Ps256(k, _) => k.sign(c),
            Keys::Es256(k, _) => k.sign(c),
            Keys::Es384(k, _) => k.sign(c),
            Keys::Ed25519(k, _) => k.sign(c),
        }
        .expect("sign")
    }

    /// `verify_token` takes its options by value, so they are cloned on every call.
    fn verify(&self, token: &str) -> Claims {
        let options = Some(self.options.clone());
        let claims = match &self.keys {
            Keys::Hs256(k) => k.verify_token::<Custom>(token, options),
            Keys::Rs256(_, k) => k.verify_token::<Custom>(token, options),
            Keys::Ps256(_, k) => k.verify_token::<Custom>(token, options),
            Keys::Es256(_, k) => k.verify_token::<Custom>(token, options),
            Keys::Es384(_, k) => k.verify_token::<Custom>(token, options),
            Keys::Ed25519(_, k) => k.verify_token::<Custom>(token, options),
        }
        .expect("verify");
        claims_from(claims)
    }
}
