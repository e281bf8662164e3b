//! Real keys for the targets: the RFC 7520 cookbook's, read from ../shared/vectors at build time
//! (in place, not copied), so that the cookbook's tokens in the seed corpora verify and decrypt
//! and the fuzzer starts from deep inside the code.

use std::sync::Arc;

use joseguard::{Jwk, JwkSet};

macro_rules! vector {
    ($path:literal) => {
        include_str!(concat!("../../../shared/vectors/cookbook/", $path))
    };
}

const FILES: &[&str] = &[
    vector!("jws/4_1.rsa_v15_signature.json"),
    vector!("jws/4_3.ecdsa_signature.json"),
    vector!("jws/4_4.hmac-sha2_integrity_protection.json"),
    vector!("curve25519/jws.json"),
    vector!("jwe/5_2.key_encryption_using_rsa-oaep_with_aes-gcm.json"),
    vector!(
        "jwe/5_4.key_agreement_with_key_wrapping_using_ecdh-es_and_aes-keywrap_with_aes-gcm.json"
    ),
    vector!("jwe/5_6.direct_encryption_using_aes-gcm.json"),
    vector!("jwe/5_8.key_wrap_using_aes-keywrap_with_aes-gcm.json"),
    vector!("jwe/5_3.key_wrap_using_pbes2-aes-keywrap_with-aes-cbc-hmac-sha2.json"),
];

/// An ML-DSA-44 (AKP) key made for the fuzzer, which the cookbook predates; `fixed/` holds
/// tokens it signed, which seed.py adds to the corpora.
const ML_DSA: &str = include_str!("../fixed/ml-dsa-44.jwk");

/// Every cookbook input key that parses (PBES2 passwords as `oct` keys), and the ML-DSA key.
pub fn all() -> JwkSet {
    let mut set = JwkSet::from_keys([]);
    set.push(Arc::new(Jwk::from_json(ML_DSA).expect("fixed/ml-dsa-44.jwk")));
    for text in FILES {
        let v: serde_json::Value = serde_json::from_str(text).expect("cookbook JSON");
        let input = &v["input"];
        if let Some(pwd) = input["pwd"].as_str() {
            let k = serde_json::json!({"kty": "oct", "k": joseguard::b64::encode(pwd.as_bytes())});
            if let Ok(k) = Jwk::from_value(&k) {
                set.push(Arc::new(k));
            }
        }
        let keys = match &input["key"] {
            serde_json::Value::Array(a) => a.clone(),
            k => vec![k.clone()],
        };
        for k in keys {
            if let Ok(k) = Jwk::from_value(&k) {
                set.push(Arc::new(k));
            }
        }
    }
    set
}
