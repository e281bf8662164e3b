//! The JWE rows: encrypt and decrypt 1 KiB and 100 KiB payloads.

use std::hint::black_box;

use criterion::Criterion;
use joseguard::jwa::{ContentEncryption, KeyManagementAlgorithm};
use joseguard::jwe::{self, DecryptPolicy, Decrypter};
use joseguard::{EcCurve, KeySpec};

use crate::raw::RawJwe;
use crate::KeyMaterial;

/// (alg, enc) pairs of the JWE table.
pub const CASES: [(&str, &str); 4] = [
    ("ECDH-ES+A256KW", "A256GCM"),
    ("ECDH-ES+A256KW", "A256CBC-HS512"),
    ("RSA-OAEP-256", "A256GCM"),
    ("dir", "A256GCM"),
];

/// Payload sizes.
pub const SIZES: [usize; 2] = [1024, 100 * 1024];

/// An implementation under test, its keys parsed once.
pub trait JweImpl {
    fn name(&self) -> &'static str;
    /// A compact JWE of `plaintext`.
    fn encrypt(&self, plaintext: &[u8]) -> String;
    /// The plaintext of a compact JWE.
    fn decrypt(&self, token: &str) -> Vec<u8>;
}

/// A peer's constructor for (alg, enc) with the recipient key: `None` when unsupported.
pub type JwePeer = fn(&str, &str, &KeyMaterial) -> Option<Box<dyn JweImpl>>;

/// The recipient key of an algorithm.
pub fn key_for(alg: &'static str, enc: &str) -> KeyMaterial {
    let spec = match alg {
        "ECDH-ES+A256KW" => KeySpec::Ec(EcCurve::P256),
        "RSA-OAEP-256" => KeySpec::Rsa(2048),
        _ if enc == "A256CBC-HS512" => KeySpec::Oct(512),
        _ => KeySpec::Oct(256),
    };
    KeyMaterial::new(alg, spec)
}

/// joseguard: a `Decrypter` built once.
pub struct Joseguard {
    public: joseguard::Jwk,
    alg: KeyManagementAlgorithm,
    enc: ContentEncryption,
    decrypter: Decrypter,
}

impl Joseguard {
    pub fn new(alg: &str, enc: &str, k: &KeyMaterial) -> Joseguard {
        let alg: KeyManagementAlgorithm = alg.parse().expect("alg");
        let enc: ContentEncryption = enc.parse().expect("enc");
        let private = joseguard::Jwk::from_json(k.jwk.to_json()).expect("key");
        Joseguard {
            public: joseguard::Jwk::from_json(k.public.to_json()).expect("public"),
            alg,
            enc,
            decrypter: Decrypter::new(DecryptPolicy::new([alg], [enc]).expect("policy"), private),
        }
    }
}

impl JweImpl for Joseguard {
    fn name(&self) -> &'static str {
        "joseguard"
    }

    fn encrypt(&self, plaintext: &[u8]) -> String {
        jwe::Builder::new(plaintext, self.enc)
            .recipient(&self.public, self.alg)
            .expect("recipient")
            .compact()
            .expect("encrypt")
    }

    fn decrypt(&self, token: &str) -> Vec<u8> {
        self.decrypter
            .decrypt(token.as_bytes())
            .expect("decrypt")
            .plaintext
    }
}

/// Encrypt and decrypt rows for every case and size: raw, joseguard, then `peers`.
pub fn bench(c: &mut Criterion, peers: &[JwePeer]) {
    for (alg, enc) in CASES {
        let k = key_for(alg, enc);
        let mut impls: Vec<Box<dyn JweImpl>> = vec![Box::new(Joseguard::new(alg, enc, &k))];
        impls.extend(peers.iter().filter_map(|p| p(alg, enc, &k)));
        let raw = RawJwe::new(alg, enc);
        for size in SIZES {
            let plaintext: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            let tokens: Vec<String> = impls.iter().map(|i| i.encrypt(&plaintext)).collect();
            for i in &impls {
                for t in &tokens {
                    assert_eq!(i.decrypt(t), plaintext, "{} on {alg}/{enc}", i.name());
                }
            }
            let aad = tokens[0]
                .split('.')
                .next()
                .expect("header")
                .as_bytes()
                .to_vec();
            let sealed = raw.encrypt(&plaintext, &aad);
            assert_eq!(raw.decrypt(&sealed, &aad), plaintext);

            let label = format!("{alg}+{enc}/{}KiB", size / 1024);
            let mut g = c.benchmark_group(format!("jwe-encrypt/{label}"));
            g.bench_function("raw", |b| {
                b.iter(|| black_box(raw.encrypt(black_box(&plaintext), &aad)))
            });
            for i in &impls {
                g.bench_function(i.name(), |b| {
                    b.iter(|| black_box(i.encrypt(black_box(&plaintext))))
                });
            }
            g.finish();
            let mut g = c.benchmark_group(format!("jwe-decrypt/{label}"));
            g.bench_function("raw", |b| {
                b.iter(|| black_box(raw.decrypt(black_box(&sealed), &aad)))
            });
            for (i, t) in impls.iter().zip(&tokens) {
                g.bench_function(i.name(), |b| b.iter(|| black_box(i.decrypt(black_box(t)))));
            }
            g.finish();
        }
    }
}
