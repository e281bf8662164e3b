//! josekit 0.10 (OpenSSL) as a peer, JWT and JWE. Every algorithm of both tables is there.
//!
//! Signers, verifiers, encrypters and decrypters are built once from DER (or the raw secret)
//! and hold parsed OpenSSL keys, so no call parses a key again.
#![forbid(unsafe_code)]

use joseguard_bench::jwe::JweImpl;
use joseguard_bench::jwt::{Claims, JwtImpl, AUD, ISS};
use joseguard_bench::KeyMaterial;
use josekit::jwe::{JweDecrypter, JweEncrypter, JweHeader};
use josekit::jws::{JwsHeader, JwsSigner, JwsVerifier};
use josekit::jwt::{JwtPayload, JwtPayloadValidator};
use josekit::{JoseError, Map, Value};

/// josekit JWT: header `{"typ":"JWT","alg":..}`, a signer, a verifier and a claims validator,
/// built once.
pub struct JosekitJwt {
    header: JwsHeader,
    signer: Box<dyn JwsSigner>,
    verifier: Box<dyn JwsVerifier>,
    validator: JwtPayloadValidator,
}

fn jws_pair<S, V>(
    signer: Result<S, JoseError>,
    verifier: Result<V, JoseError>,
) -> (Box<dyn JwsSigner>, Box<dyn JwsVerifier>)
where
    S: JwsSigner + 'static,
    V: JwsVerifier + 'static,
{
    (
        Box::new(signer.expect("signer")),
        Box::new(verifier.expect("verifier")),
    )
}

/// The JWT peer constructor.
///
/// HMAC from the secret bytes (at least 32 for HS256); every other signer from the PKCS#8 DER
/// and every verifier from the SPKI DER. For PS256, josekit turns the `rsaEncryption` keys into
/// RSASSA-PSS keys (SHA-256, MGF1-SHA-256, 32-byte salt) once, here.
pub fn jwt_peer(k: &KeyMaterial) -> Option<Box<dyn JwtImpl>> {
    use josekit::jws::{EdDSA, ES256, ES384, ES512, HS256, PS256, RS256};
    let (private, public) = (&k.pkcs8_der, &k.spki_der);
    let (signer, verifier) = match k.alg {
        "HS256" => jws_pair(
            HS256.signer_from_bytes(&k.secret),
            HS256.verifier_from_bytes(&k.secret),
        ),
        "RS256" => jws_pair(
            RS256.signer_from_der(private),
            RS256.verifier_from_der(public),
        ),
        "PS256" => jws_pair(
            PS256.signer_from_der(private),
            PS256.verifier_from_der(public),
        ),
        "ES256" => jws_pair(
            ES256.signer_from_der(private),
            ES256.verifier_from_der(public),
        ),
        "ES384" => jws_pair(
            ES384.signer_from_der(private),
            ES384.verifier_from_der(public),
        ),
        "ES512" => jws_pair(
            ES512.signer_from_der(private),
            ES512.verifier_from_der(public),
        ),
        "EdDSA" => jws_pair(
            EdDSA.signer_from_der(private),
            EdDSA.verifier_from_der(public),
        ),
        _ => return None,
    };
    let mut header = JwsHeader::new();
    header.set_token_type("JWT");
    // Against the current time on each call: `exp` and `nbf` when present, `iat` not in the
    // future; `iss` must equal ISS, and `aud` when present must contain AUD. Presence of `exp`
    // and `aud` is enforced by decoding into `Claims`, whose fields are all required.
    let mut validator = JwtPayloadValidator::new();
    validator.set_issuer(ISS);
    validator.set_audience(AUD);
    Some(Box::new(JosekitJwt {
        header,
        signer,
        verifier,
        validator,
    }))
}

impl JwtImpl for JosekitJwt {
    fn name(&self) -> &'static str {
        "josekit"
    }

    /// `iat` and `exp` go in through `set_claim` as integers: `set_issued_at` / `set_expires_at`
    /// write seconds as a float (`1700000000.0`), which an integer claim (joseguard's, serde's
    /// `i64`) does not accept.
    fn sign(&self, c: &Claims) -> String {
        let mut payload = JwtPayload::new();
        payload.set_subject(c.sub.as_str());
        payload
            .set_claim("name", Some(Value::from(c.name.as_str())))
            .expect("name");
        payload
            .set_claim("iat", Some(Value::from(c.iat)))
            .expect("iat");
        payload
            .set_claim("exp", Some(Value::from(c.exp)))
            .expect("exp");
        payload.set_issuer(c.iss.as_str());
        payload.set_audience(vec![c.aud.as_str()]);
        josekit::jwt::encode_with_signer(&payload, &self.header, &*self.signer).expect("sign")
    }

    fn verify(&self, token: &str) -> Claims {
        let (payload, _header) =
            josekit::jwt::decode_with_verifier(token, &*self.verifier).expect("verify");
        self.validator.validate(&payload).expect("claims");
        let claims: Map<String, Value> = payload.into();
        serde_json::from_value(Value::Object(claims)).expect("decode claims")
    }
}

/// josekit JWE: header `{"enc":..}` (josekit adds `alg`, and `epk` for ECDH-ES), an encrypter
/// and a decrypter, built once.
pub struct JosekitJwe {
    header: JweHeader,
    encrypter: Box<dyn JweEncrypter>,
    decrypter: Box<dyn JweDecrypter>,
}

fn jwe_pair<E, D>(
    encrypter: Result<E, JoseError>,
    decrypter: Result<D, JoseError>,
) -> (Box<dyn JweEncrypter>, Box<dyn JweDecrypter>)
where
    E: JweEncrypter + 'static,
    D: JweDecrypter + 'static,
{
    (
        Box::new(encrypter.expect("encrypter")),
        Box::new(decrypter.expect("decrypter")),
    )
}

/// The JWE peer constructor: encrypters from the SPKI DER, decrypters from the PKCS#8 DER,
/// `dir` from the secret bytes. Both content encryptions of the table are josekit defaults.
pub fn jwe_peer(alg: &str, enc: &str, k: &KeyMaterial) -> Option<Box<dyn JweImpl>> {
    use josekit::jwe::{Dir, ECDH_ES_A256KW, RSA_OAEP_256};
    let (private, public) = (&k.pkcs8_der, &k.spki_der);
    let (encrypter, decrypter) = match alg {
        "ECDH-ES+A256KW" => jwe_pair(
            ECDH_ES_A256KW.encrypter_from_der(public),
            ECDH_ES_A256KW.decrypter_from_der(private),
        ),
        "RSA-OAEP-256" => jwe_pair(
            RSA_OAEP_256.encrypter_from_der(public),
            RSA_OAEP_256.decrypter_from_der(private),
        ),
        "dir" => jwe_pair(
            Dir.encrypter_from_bytes(&k.secret),
            Dir.decrypter_from_bytes(&k.secret),
        ),
        _ => return None,
    };
    let mut header = JweHeader::new();
    header.set_content_encryption(enc);
    Some(Box::new(JosekitJwe {
        header,
        encrypter,
        decrypter,
    }))
}

impl JweImpl for JosekitJwe {
    fn name(&self) -> &'static str {
        "josekit"
    }

    fn encrypt(&self, plaintext: &[u8]) -> String {
        josekit::jwe::serialize_compact(plaintext, &self.header, &*self.encrypter).expect("encrypt")
    }

    fn decrypt(&self, token: &str) -> Vec<u8> {
        josekit::jwe::deserialize_compact(token, &*self.decrypter)
            .expect("decrypt")
            .0
    }
}
