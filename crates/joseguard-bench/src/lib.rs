//! Benchmark fixtures and the harness that runs every implementation side by side in one
//! process: raw aws-lc-rs doing only the primitive with keys already parsed (the floor),
//! joseguard, and whichever peers a bench binary brings (`bench/peers/`). Every implementation
//! must accept every other's tokens before anything is timed, so that all do the same work.
//!
//! `cargo bench -p joseguard-bench` runs raw and joseguard; `bash bench/library.sh` runs the
//! peers too and writes the tables of `docs/benchmarks.md`.
#![forbid(unsafe_code)]

pub mod jwe;
pub mod jwt;
pub mod raw;

use joseguard::{EcCurve, Jwk, KeySpec, KeyType, OkpCurve};

/// The criterion settings every bench binary uses, so that their rows compare: 30 samples,
/// 0.5 s warm-up, 2 s of measurement per row.
pub fn criterion_config() -> criterion::Criterion {
    criterion::Criterion::default()
        .sample_size(30)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2))
}

/// A key in every form an implementation may want, made once.
pub struct KeyMaterial {
    /// The algorithm name (`ES256`, `RSA-OAEP-256`, ...).
    pub alg: &'static str,
    /// The private (or secret) key.
    pub jwk: Jwk,
    /// The public key (the secret itself for `oct`).
    pub public: Jwk,
    /// `oct` keys: the secret bytes.
    pub secret: Vec<u8>,
    /// Asymmetric keys: PKCS#8 and SubjectPublicKeyInfo, DER and PEM.
    pub pkcs8_der: Vec<u8>,
    pub spki_der: Vec<u8>,
    pub pkcs8_pem: String,
    pub spki_pem: String,
}

impl KeyMaterial {
    /// Generates a key for `spec`.
    pub fn new(alg: &'static str, spec: KeySpec) -> KeyMaterial {
        KeyMaterial::from_jwk(alg, Jwk::generate(spec).expect("generate"))
    }

    /// The forms of an existing key.
    pub fn from_jwk(alg: &'static str, jwk: Jwk) -> KeyMaterial {
        if jwk.key_type() == KeyType::Oct {
            let value = jwk.to_value();
            let k = value["k"].as_str().expect("k");
            let secret = joseguard::b64::decode(k, "k").expect("k");
            let public = Jwk::from_json(jwk.to_json()).expect("oct");
            return KeyMaterial {
                alg,
                jwk,
                public,
                secret,
                pkcs8_der: Vec::new(),
                spki_der: Vec::new(),
                pkcs8_pem: String::new(),
                spki_pem: String::new(),
            };
        }
        KeyMaterial {
            alg,
            public: jwk.to_public().expect("public"),
            secret: Vec::new(),
            pkcs8_der: jwk.to_pkcs8_der().expect("pkcs8").to_vec(),
            spki_der: jwk.to_spki_der().expect("spki"),
            pkcs8_pem: jwk.to_private_pem().expect("pem").to_string(),
            spki_pem: jwk.to_public_pem().expect("pem"),
            jwk,
        }
    }

    /// The key a JWS algorithm uses.
    pub fn for_jws(alg: &'static str) -> KeyMaterial {
        let spec = match alg {
            "HS256" => KeySpec::Oct(256),
            "RS256" | "PS256" => KeySpec::Rsa(2048),
            "ES256" => KeySpec::Ec(EcCurve::P256),
            "ES384" => KeySpec::Ec(EcCurve::P384),
            "ES512" => KeySpec::Ec(EcCurve::P521),
            "EdDSA" => KeySpec::Okp(OkpCurve::Ed25519),
            ml if ml.starts_with("ML-DSA-") => KeySpec::Akp(ml.parse().expect("ML-DSA set")),
            other => panic!("no key for {other}"),
        };
        KeyMaterial::new(alg, spec)
    }
}
