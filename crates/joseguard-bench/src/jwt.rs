//! The JWT rows: sign a small JWT, and verify it and decode its claims into a struct.

use std::hint::black_box;

use criterion::Criterion;
use joseguard::jwt;
use joseguard::JwsAlgorithm;
use serde::{Deserialize, Serialize};

use crate::raw::RawJws;
use crate::KeyMaterial;

/// The algorithms of the JWT table.
pub const ALGS: [&str; 10] = [
    "HS256",
    "RS256",
    "PS256",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
    "ML-DSA-44",
    "ML-DSA-65",
    "ML-DSA-87",
];

/// The issuer and audience every implementation checks.
pub const ISS: &str = "https://issuer.example";
pub const AUD: &str = "https://api.example";

/// The claims of the benchmark token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub name: String,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
}

impl Claims {
    /// A token valid for a year from now.
    pub fn sample() -> Claims {
        let now = joseguard::jwt::now();
        Claims {
            sub: "1234567890".into(),
            name: "John Doe".into(),
            iat: now,
            exp: now + 365 * 86_400,
            iss: ISS.into(),
            aud: AUD.into(),
        }
    }
}

/// An implementation under test: its keys are parsed once, at construction.
pub trait JwtImpl {
    /// The row label.
    fn name(&self) -> &'static str;
    /// A compact JWT over `claims` with header `{"alg":..,"typ":"JWT"}`.
    fn sign(&self, claims: &Claims) -> String;
    /// Verifies the signature, checks `exp`, `iss` and `aud`, and decodes the claims.
    fn verify(&self, token: &str) -> Claims;
}

/// A peer's constructor: `None` when it does not support the algorithm.
pub type JwtPeer = fn(&KeyMaterial) -> Option<Box<dyn JwtImpl>>;

/// joseguard: a `jwt::Signer` and a `jwt::Verifier` built once; claims decoded with
/// `jwt::Verifier::verify` into the bench's claims type.
pub struct Joseguard {
    signer: jwt::Signer,
    verifier: jwt::Verifier,
}

impl Joseguard {
    pub fn new(k: &KeyMaterial) -> Joseguard {
        let alg: JwsAlgorithm = k.alg.parse().expect("alg");
        let verifier = jwt::Verifier::new([alg], k.public.clone())
            .expect("verifier")
            .issuer(ISS)
            .audience(AUD);
        Joseguard {
            signer: jwt::Signer::new(k.jwk.clone(), alg).expect("signer"),
            verifier,
        }
    }
}

impl JwtImpl for Joseguard {
    fn name(&self) -> &'static str {
        "joseguard"
    }

    fn sign(&self, claims: &Claims) -> String {
        self.signer.sign(claims).expect("sign")
    }

    fn verify(&self, token: &str) -> Claims {
        self.verifier.verify(token).expect("verify").claims
    }
}

/// Sign and verify rows for every algorithm: raw, joseguard, then `peers`.
pub fn bench(c: &mut Criterion, peers: &[JwtPeer]) {
    let claims = Claims::sample();
    for alg in ALGS {
        let k = KeyMaterial::for_jws(alg);
        let mut impls: Vec<Box<dyn JwtImpl>> = vec![Box::new(Joseguard::new(&k))];
        impls.extend(peers.iter().filter_map(|p| p(&k)));
        // Everyone accepts everyone's token before anything is timed.
        let tokens: Vec<String> = impls.iter().map(|i| i.sign(&claims)).collect();
        for i in &impls {
            for t in &tokens {
                assert_eq!(i.verify(t), claims, "{} on {alg}", i.name());
            }
        }
        let (input, sig) = tokens[0].rsplit_once('.').expect("compact");
        let sig = joseguard::b64::decode(sig, "signature").expect("b64");
        let raw = RawJws::new(&k, input.as_bytes(), sig);
        assert!(raw.verify());

        let mut g = c.benchmark_group(format!("jwt-sign/{alg}"));
        g.bench_function("raw", |b| b.iter(|| black_box(raw.sign())));
        for i in &impls {
            g.bench_function(i.name(), |b| {
                b.iter(|| black_box(i.sign(black_box(&claims))))
            });
        }
        g.finish();
        let mut g = c.benchmark_group(format!("jwt-verify/{alg}"));
        g.bench_function("raw", |b| b.iter(|| black_box(raw.verify())));
        for (i, token) in impls.iter().zip(&tokens) {
            g.bench_function(i.name(), |b| {
                b.iter(|| black_box(i.verify(black_box(token))))
            });
        }
        g.finish();
    }
}
