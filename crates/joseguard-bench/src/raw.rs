//! The floor: aws-lc-rs alone, keys parsed once, no JSON, no base64. For a JWT, only the
//! signature primitive over the same signing input; for a JWE, only the key management and
//! content encryption primitives.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use aws_lc_rs::agreement::{self, PrivateKey, UnparsedPublicKey, ECDH_P256};
use aws_lc_rs::cipher::{
    DecryptionContext, EncryptionContext, PaddedBlockDecryptingKey, PaddedBlockEncryptingKey,
    UnboundCipherKey, AES_256,
};
use aws_lc_rs::hmac;
use aws_lc_rs::iv::FixedLength;
use aws_lc_rs::kdf::{get_sskdf_digest_algorithm, sskdf_digest, SskdfDigestAlgorithmId};
use aws_lc_rs::key_wrap::{AesKek, KeyWrap, AES_256 as KW_AES_256};
use aws_lc_rs::rand::{fill, SystemRandom};
use aws_lc_rs::rsa::{
    KeySize, OaepPrivateDecryptingKey, OaepPublicEncryptingKey, PrivateDecryptingKey,
    OAEP_SHA256_MGF1SHA256,
};
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, Ed25519KeyPair, ParsedPublicKey, PqdsaKeyPair, PqdsaSigningAlgorithm,
    RsaKeyPair, VerificationAlgorithm,
};

use crate::KeyMaterial;

enum Signer {
    Hmac(Box<hmac::Key>),
    Rsa(RsaKeyPair, &'static dyn signature::RsaEncoding),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
    MlDsa(PqdsaKeyPair),
}

enum Check {
    Hmac(Box<hmac::Key>),
    Parsed(ParsedPublicKey),
}

/// A JWS signature primitive over a fixed signing input.
pub struct RawJws {
    signer: Signer,
    check: Check,
    input: Vec<u8>,
    sig: Vec<u8>,
    rng: SystemRandom,
}

impl RawJws {
    /// Parses the key of `k` once; `sig` is a valid signature over `input`.
    pub fn new(k: &KeyMaterial, input: &[u8], sig: Vec<u8>) -> RawJws {
        use signature::*;
        let der = &k.pkcs8_der[..];
        let ec = |sign: &'static EcdsaSigningAlgorithm,
                  verify: &'static EcdsaVerificationAlgorithm| {
            let kp = EcdsaKeyPair::from_pkcs8(sign, der).expect("ec pkcs8");
            let parsed = ParsedPublicKey::new(verify, kp.public_key().as_ref()).expect("ec public");
            (Signer::Ec(kp), Check::Parsed(parsed))
        };
        let rsa = |enc: &'static dyn RsaEncoding, verify: &'static RsaParameters| {
            let kp = RsaKeyPair::from_pkcs8(der).expect("rsa pkcs8");
            let parsed =
                ParsedPublicKey::new(verify, kp.public_key().as_ref()).expect("rsa public");
            (Signer::Rsa(kp, enc), Check::Parsed(parsed))
        };
        let (signer, check) = match k.alg {
            "HS256" => (
                Signer::Hmac(Box::new(hmac::Key::new(hmac::HMAC_SHA256, &k.secret))),
                Check::Hmac(Box::new(hmac::Key::new(hmac::HMAC_SHA256, &k.secret))),
            ),
            "RS256" => rsa(&RSA_PKCS1_SHA256, &RSA_PKCS1_2048_8192_SHA256),
            "PS256" => rsa(&RSA_PSS_SHA256, &RSA_PSS_2048_8192_SHA256),
            "ES256" => ec(&ECDSA_P256_SHA256_FIXED_SIGNING, &ECDSA_P256_SHA256_FIXED),
            "ES384" => ec(&ECDSA_P384_SHA384_FIXED_SIGNING, &ECDSA_P384_SHA384_FIXED),
            "ES512" => ec(&ECDSA_P521_SHA512_FIXED_SIGNING, &ECDSA_P521_SHA512_FIXED),
            "EdDSA" => {
                let kp = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).expect("ed25519 pkcs8");
                let parsed =
                    ParsedPublicKey::new(&ED25519, kp.public_key().as_ref()).expect("ed public");
                (Signer::Ed(kp), Check::Parsed(parsed))
            }
            "ML-DSA-44" => ml_dsa(&ML_DSA_44_SIGNING, &ML_DSA_44, der),
            "ML-DSA-65" => ml_dsa(&ML_DSA_65_SIGNING, &ML_DSA_65, der),
            "ML-DSA-87" => ml_dsa(&ML_DSA_87_SIGNING, &ML_DSA_87, der),
            other => panic!("no raw signer for {other}"),
        };
        RawJws {
            signer,
            check,
            input: input.to_vec(),
            sig,
            rng: SystemRandom::new(),
        }
    }

    /// A signature over the input.
    pub fn sign(&self) -> Vec<u8> {
        match &self.signer {
            Signer::Hmac(k) => hmac::sign(k, &self.input).as_ref().to_vec(),
            Signer::Rsa(kp, enc) => {
                let mut sig = vec![0; kp.public_modulus_len()];
                kp.sign(*enc, &self.rng, &self.input, &mut sig)
                    .expect("rsa sign");
                sig
            }
            Signer::Ec(kp) => kp
                .sign(&self.rng, &self.input)
                .expect("ec sign")
                .as_ref()
                .to_vec(),
            Signer::Ed(kp) => kp.sign(&self.input).as_ref().to_vec(),
            Signer::MlDsa(kp) => {
                let mut sig = vec![0; kp.algorithm().signature_len()];
                let len = kp.sign(&self.input, &mut sig).expect("ml-dsa sign");
                sig.truncate(len);
                sig
            }
        }
    }

    /// Verifies the signature over the input.
    pub fn verify(&self) -> bool {
        match &self.check {
            Check::Hmac(k) => hmac::verify(k, &self.input, &self.sig).is_ok(),
            Check::Parsed(p) => p.verify_sig(&self.input, &self.sig).is_ok(),
        }
    }
}

/// An ML-DSA key pair from PKCS#8 (seed form) and its parsed public key.
fn ml_dsa(
    sign: &'static PqdsaSigningAlgorithm,
    verify: &'static dyn VerificationAlgorithm,
    der: &[u8],
) -> (Signer, Check) {
    use signature::KeyPair;
    let kp = PqdsaKeyPair::from_pkcs8(sign, der).expect("ml-dsa pkcs8");
    let parsed = ParsedPublicKey::new(verify, kp.public_key().as_ref()).expect("ml-dsa public");
    (Signer::MlDsa(kp), Check::Parsed(parsed))
}

/// A key-management algorithm with its keys, parsed once.
enum KeyMgmt {
    Dir([u8; 32]),
    EcdhEsA256Kw {
        recipient: PrivateKey,
        public: Vec<u8>,
    },
    RsaOaep256 {
        enc: OaepPublicEncryptingKey,
        dec: OaepPrivateDecryptingKey,
    },
}

/// What a raw JWE encryption produces: encrypted key, ephemeral public key, IV, ciphertext, tag.
pub struct Sealed {
    pub ek: Vec<u8>,
    pub epk: Vec<u8>,
    pub iv: Vec<u8>,
    pub ct: Vec<u8>,
    pub tag: Vec<u8>,
}

/// JWE primitives for one (alg, enc) pair.
pub struct RawJwe {
    mgmt: KeyMgmt,
    cbc: bool,
}

fn random(n: usize) -> Vec<u8> {
    let mut v = vec![0; n];
    fill(&mut v).expect("rng");
    v
}

/// The Concat KDF of ECDH-ES with empty PartyUInfo and PartyVInfo.
fn concat_kdf(z: &[u8], alg: &str, len: usize) -> Vec<u8> {
    let mut info = Vec::with_capacity(16 + alg.len());
    info.extend_from_slice(&(alg.len() as u32).to_be_bytes());
    info.extend_from_slice(alg.as_bytes());
    info.extend_from_slice(&0u32.to_be_bytes());
    info.extend_from_slice(&0u32.to_be_bytes());
    info.extend_from_slice(&((len * 8) as u32).to_be_bytes());
    let mut out = vec![0; len];
    let kdf = get_sskdf_digest_algorithm(SskdfDigestAlgorithmId::Sha256).expect("sskdf");
    sskdf_digest(kdf, z, &info, &mut out).expect("kdf");
    out
}

fn ecdh_kek(private: &PrivateKey, peer: &[u8]) -> Vec<u8> {
    agreement::agree(private, UnparsedPublicKey::new(&ECDH_P256, peer), (), |z| {
        Ok(concat_kdf(z, "ECDH-ES+A256KW", 32))
    })
    .expect("agree")
}

fn cbc_tag(mac_key: &[u8], aad: &[u8], iv: &[u8], ct: &[u8]) -> Vec<u8> {
    let key = hmac::Key::new(hmac::HMAC_SHA512, mac_key);
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(aad);
    ctx.update(iv);
    ctx.update(ct);
    ctx.update(&((aad.len() as u64) * 8).to_be_bytes());
    ctx.sign().as_ref()[..32].to_vec()
}

impl RawJwe {
    /// `alg` is `dir`, `ECDH-ES+A256KW` or `RSA-OAEP-256`; `enc` is `A256GCM` or
    /// `A256CBC-HS512`. Keys are generated here.
    pub fn new(alg: &str, enc: &str) -> RawJwe {
        let mgmt = match alg {
            "dir" => KeyMgmt::Dir(random(32).try_into().expect("32")),
            "ECDH-ES+A256KW" => {
                let recipient = PrivateKey::generate(&ECDH_P256).expect("ecdh key");
                let public = recipient
                    .compute_public_key()
                    .expect("public")
                    .as_ref()
                    .to_vec();
                KeyMgmt::EcdhEsA256Kw { recipient, public }
            }
            "RSA-OAEP-256" => {
                let private = PrivateDecryptingKey::generate(KeySize::Rsa2048).expect("rsa");
                let enc = OaepPublicEncryptingKey::new(private.public_key()).expect("oaep");
                let dec = OaepPrivateDecryptingKey::new(private).expect("oaep");
                KeyMgmt::RsaOaep256 { enc, dec }
            }
            other => panic!("no raw JWE for {other}"),
        };
        RawJwe {
            mgmt,
            cbc: enc == "A256CBC-HS512",
        }
    }

    fn cek_len(&self) -> usize {
        if self.cbc {
            64
        } else {
            32
        }
    }

    /// Encrypts `pt` with additional data `aad` (the encoded protected header).
    pub fn encrypt(&self, pt: &[u8], aad: &[u8]) -> Sealed {
        let (cek, ek, epk) = match &self.mgmt {
            KeyMgmt::Dir(k) => (k.to_vec(), Vec::new(), Vec::new()),
            KeyMgmt::EcdhEsA256Kw { public, .. } => {
                let eph = PrivateKey::generate(&ECDH_P256).expect("ephemeral");
                let epk = eph.compute_public_key().expect("epk").as_ref().to_vec();
                let kek = ecdh_kek(&eph, public);
                let cek = random(self.cek_len());
                let mut ek = vec![0; cek.len() + 8];
                AesKek::new(&KW_AES_256, &kek)
                    .expect("kek")
                    .wrap(&cek, &mut ek)
                    .expect("wrap");
                (cek, ek, epk)
            }
            KeyMgmt::RsaOaep256 { enc, .. } => {
                let cek = random(self.cek_len());
                let mut ek = vec![0; enc.ciphertext_size()];
                enc.encrypt(&OAEP_SHA256_MGF1SHA256, &cek, &mut ek, None)
                    .expect("oaep");
                (cek, ek, Vec::new())
            }
        };
        if self.cbc {
            let iv: [u8; 16] = random(16).try_into().expect("16");
            let (mac_key, enc_key) = cek.split_at(32);
            let key = PaddedBlockEncryptingKey::cbc_pkcs7(
                UnboundCipherKey::new(&AES_256, enc_key).expect("aes"),
            )
            .expect("cbc");
            let mut ct = pt.to_vec();
            key.less_safe_encrypt(&mut ct, EncryptionContext::Iv128(FixedLength::from(iv)))
                .expect("cbc encrypt");
            let tag = cbc_tag(mac_key, aad, &iv, &ct);
            Sealed {
                ek,
                epk,
                iv: iv.to_vec(),
                ct,
                tag,
            }
        } else {
            let iv: [u8; 12] = random(12).try_into().expect("12");
            let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &cek).expect("gcm"));
            let mut ct = pt.to_vec();
            let tag = key
                .seal_in_place_separate_tag(
                    Nonce::assume_unique_for_key(iv),
                    Aad::from(aad),
                    &mut ct,
                )
                .expect("seal");
            Sealed {
                ek,
                epk,
                iv: iv.to_vec(),
                ct,
                tag: tag.as_ref().to_vec(),
            }
        }
    }

    /// Decrypts what [`encrypt`](Self::encrypt) produced.
    pub fn decrypt(&self, s: &Sealed, aad: &[u8]) -> Vec<u8> {
        let cek = match &self.mgmt {
            KeyMgmt::Dir(k) => k.to_vec(),
            KeyMgmt::EcdhEsA256Kw { recipient, .. } => {
                let kek = ecdh_kek(recipient, &s.epk);
                let mut cek = vec![0; s.ek.len()];
                let n = AesKek::new(&KW_AES_256, &kek)
                    .expect("kek")
                    .unwrap(&s.ek, &mut cek)
                    .expect("unwrap")
                    .len();
                cek.truncate(n);
                cek
            }
            KeyMgmt::RsaOaep256 { dec, .. } => {
                let mut cek = vec![0; dec.min_output_size()];
                let n = dec
                    .decrypt(&OAEP_SHA256_MGF1SHA256, &s.ek, &mut cek, None)
                    .expect("oaep")
                    .len();
                cek.truncate(n);
                cek
            }
        };
        if self.cbc {
            let (mac_key, enc_key) = cek.split_at(32);
            let expected = cbc_tag(mac_key, aad, &s.iv, &s.ct);
            aws_lc_rs::constant_time::verify_slices_are_equal(&expected, &s.tag).expect("tag");
            let key = PaddedBlockDecryptingKey::cbc_pkcs7(
                UnboundCipherKey::new(&AES_256, enc_key).expect("aes"),
            )
            .expect("cbc");
            let iv: [u8; 16] = s.iv.clone().try_into().expect("16");
            let mut buf = s.ct.clone();
            let n = key
                .decrypt(&mut buf, DecryptionContext::Iv128(FixedLength::from(iv)))
                .expect("cbc decrypt")
                .len();
            buf.truncate(n);
            buf
        } else {
            let iv: [u8; 12] = s.iv.clone().try_into().expect("12");
            let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &cek).expect("gcm"));
            let mut buf = s.ct.clone();
            buf.extend_from_slice(&s.tag);
            let n = key
                .open_in_place(Nonce::assume_unique_for_key(iv), Aad::from(aad), &mut buf)
                .expect("open")
                .len();
            buf.truncate(n);
            buf
        }
    }
}
