//! RSASSA-PKCS1-v1_5 and RSASSA-PSS with SHA-2 (RFC 7518 §3.3, §3.5).

use std::sync::OnceLock;

use aws_lc_rs::encoding::PublicKeyX509Der;
use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{
    KeyPair, KeyPairComponents, KeySize, OaepAlgorithm, OaepPrivateDecryptingKey,
    OaepPublicEncryptingKey, Pkcs1PrivateDecryptingKey, Pkcs1PublicEncryptingKey,
    PrivateDecryptingKey, PublicEncryptingKey, PublicKeyComponents, OAEP_SHA1_MGF1SHA1,
    OAEP_SHA256_MGF1SHA256, OAEP_SHA384_MGF1SHA384, OAEP_SHA512_MGF1SHA512,
};
use aws_lc_rs::signature::{self, ParsedPublicKey, RsaEncoding, RsaParameters};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::jwa::{RsaPadding, Sha2};

/// The backend's modulus floor for signatures: smaller keys cannot be used at all.
const BACKEND_MIN_BITS: usize = 2048;

fn slot(padding: RsaPadding, hash: Sha2) -> usize {
    let h = match hash {
        Sha2::Sha256 => 0,
        Sha2::Sha384 => 1,
        Sha2::Sha512 => 2,
    };
    match padding {
        RsaPadding::Pkcs1 => h,
        RsaPadding::Pss => 3 + h,
    }
}

fn verify_params(padding: RsaPadding, hash: Sha2) -> &'static RsaParameters {
    match (padding, hash) {
        (RsaPadding::Pkcs1, Sha2::Sha256) => &signature::RSA_PKCS1_2048_8192_SHA256,
        (RsaPadding::Pkcs1, Sha2::Sha384) => &signature::RSA_PKCS1_2048_8192_SHA384,
        (RsaPadding::Pkcs1, Sha2::Sha512) => &signature::RSA_PKCS1_2048_8192_SHA512,
        (RsaPadding::Pss, Sha2::Sha256) => &signature::RSA_PSS_2048_8192_SHA256,
        (RsaPadding::Pss, Sha2::Sha384) => &signature::RSA_PSS_2048_8192_SHA384,
        (RsaPadding::Pss, Sha2::Sha512) => &signature::RSA_PSS_2048_8192_SHA512,
    }
}

fn sign_encoding(padding: RsaPadding, hash: Sha2) -> &'static dyn RsaEncoding {
    match (padding, hash) {
        (RsaPadding::Pkcs1, Sha2::Sha256) => &signature::RSA_PKCS1_SHA256,
        (RsaPadding::Pkcs1, Sha2::Sha384) => &signature::RSA_PKCS1_SHA384,
        (RsaPadding::Pkcs1, Sha2::Sha512) => &signature::RSA_PKCS1_SHA512,
        (RsaPadding::Pss, Sha2::Sha256) => &signature::RSA_PSS_SHA256,
        (RsaPadding::Pss, Sha2::Sha384) => &signature::RSA_PSS_SHA384,
        (RsaPadding::Pss, Sha2::Sha512) => &signature::RSA_PSS_SHA512,
    }
}

/// Strips leading zero octets (some encoders prefix one to keep the integer positive).
fn unsigned(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

/// RSA encryption schemes of JWE (RFC 7518 §4.2, §4.3; RSA-OAEP-384/512 from the registry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RsaEncryption {
    Pkcs1v15,
    OaepSha1,
    OaepSha256,
    OaepSha384,
    OaepSha512,
}

impl RsaEncryption {
    fn oaep(self) -> Option<&'static OaepAlgorithm> {
        match self {
            RsaEncryption::Pkcs1v15 => None,
            RsaEncryption::OaepSha1 => Some(&OAEP_SHA1_MGF1SHA1),
            RsaEncryption::OaepSha256 => Some(&OAEP_SHA256_MGF1SHA256),
            RsaEncryption::OaepSha384 => Some(&OAEP_SHA384_MGF1SHA384),
            RsaEncryption::OaepSha512 => Some(&OAEP_SHA512_MGF1SHA512),
        }
    }
}

/// An RSA public key; the backend's parsed keys (per padding × hash, and for encryption) are
/// built on first use.
pub(crate) struct RsaPublicKey {
    n: Vec<u8>,
    e: Vec<u8>,
    parsed: [OnceLock<std::result::Result<ParsedPublicKey, ()>>; 6],
    encrypting: OnceLock<std::result::Result<PublicEncryptingKey, ()>>,
}

impl Clone for RsaPublicKey {
    fn clone(&self) -> Self {
        RsaPublicKey {
            n: self.n.clone(),
            e: self.e.clone(),
            parsed: Default::default(),
            encrypting: OnceLock::new(),
        }
    }
}

impl RsaPublicKey {
    pub(crate) fn new(n: &[u8], e: &[u8]) -> Result<Self> {
        let n = unsigned(n);
        let e = unsigned(e);
        if n.is_empty() {
            return Err(Error::key("n", "must not be zero"));
        }
        if n[n.len() - 1] & 1 == 0 {
            return Err(Error::key("n", "an RSA modulus is odd"));
        }
        if e.is_empty() || e.len() > 8 || e[e.len() - 1] & 1 == 0 || e == [1] {
            return Err(Error::key(
                "e",
                "must be an odd exponent of at most 64 bits, not 1",
            ));
        }
        if super::roca::has_roca_fingerprint(n) {
            return Err(Error::key(
                "n",
                "ROCA-vulnerable modulus (CVE-2017-15361: made by Infineon RSALib, its private key \
                 can be computed from it); replace the key",
            ));
        }
        Ok(RsaPublicKey {
            n: n.to_vec(),
            e: e.to_vec(),
            parsed: Default::default(),
            encrypting: OnceLock::new(),
        })
    }

    /// Encrypts a content-encryption key.
    pub(crate) fn encrypt(&self, scheme: RsaEncryption, plaintext: &[u8]) -> Result<Vec<u8>> {
        let key = self
            .encrypting
            .get_or_init(|| {
                let parsed = PublicKeyComponents {
                    n: &self.n[..],
                    e: &self.e[..],
                }
                .to_parsed_public_key(&signature::RSA_PKCS1_2048_8192_SHA256)
                .map_err(|_| ())?;
                let spki: PublicKeyX509Der = parsed.as_der().map_err(|_| ())?;
                PublicEncryptingKey::from_der(spki.as_ref()).map_err(|_| ())
            })
            .as_ref()
            .map_err(|()| {
                Error::KeyMismatch("RSA key unusable for encryption (below 2048 bits?)".into())
            })?;
        let fail = |_| Error::Crypto("RSA encryption failed");
        let mut out = vec![0u8; key.key_size_bytes()];
        let len = match scheme.oaep() {
            Some(alg) => OaepPublicEncryptingKey::new(key.clone())
                .map_err(fail)?
                .encrypt(alg, plaintext, &mut out, None)
                .map_err(fail)?
                .len(),
            None => Pkcs1PublicEncryptingKey::new(key.clone())
                .map_err(fail)?
                .encrypt(plaintext, &mut out)
                .map_err(fail)?
                .len(),
        };
        out.truncate(len);
        Ok(out)
    }

    pub(crate) fn n(&self) -> &[u8] {
        &self.n
    }

    pub(crate) fn e(&self) -> &[u8] {
        &self.e
    }

    /// Modulus size in bits.
    pub(crate) fn bits(&self) -> usize {
        self.n.len() * 8 - self.n[0].leading_zeros() as usize
    }

    pub(crate) fn verify(&self, padding: RsaPadding, hash: Sha2, msg: &[u8], sig: &[u8]) -> bool {
        if self.bits() < BACKEND_MIN_BITS || sig.len() != self.n.len() {
            return false;
        }
        let parsed = self.parsed[slot(padding, hash)].get_or_init(|| {
            PublicKeyComponents {
                n: &self.n[..],
                e: &self.e[..],
            }
            .to_parsed_public_key(verify_params(padding, hash))
            .map_err(|_| ())
        });
        match parsed {
            Ok(key) => key.verify_sig(msg, sig).is_ok(),
            Err(()) => false,
        }
    }
}

/// The private components of RFC 7518 §6.3.2, big-endian without leading zeros.
#[allow(missing_docs)]
pub(crate) struct RsaComponents {
    pub d: Zeroizing<Vec<u8>>,
    pub p: Zeroizing<Vec<u8>>,
    pub q: Zeroizing<Vec<u8>>,
    pub dp: Zeroizing<Vec<u8>>,
    pub dq: Zeroizing<Vec<u8>>,
    pub qi: Zeroizing<Vec<u8>>,
}

/// An RSA private key with its public half.
pub(crate) struct RsaPrivateKey {
    components: RsaComponents,
    key_pair: KeyPair,
    public: RsaPublicKey,
    decrypting: OnceLock<std::result::Result<PrivateDecryptingKey, ()>>,
}

impl RsaPrivateKey {
    /// From JWK components; the backend checks that they form one consistent key with `public`.
    pub(crate) fn from_components(public: RsaPublicKey, c: RsaComponents) -> Result<Self> {
        let key_pair = KeyPair::from_components(&KeyPairComponents {
            public_key: PublicKeyComponents {
                n: public.n(),
                e: public.e(),
            },
            d: unsigned(&c.d),
            p: unsigned(&c.p),
            q: unsigned(&c.q),
            dP: unsigned(&c.dp),
            dQ: unsigned(&c.dq),
            qInv: unsigned(&c.qi),
        })
        .map_err(|e| {
            Error::key(
                "d",
                format!("private components do not form a usable key with n/e ({e})"),
            )
        })?;
        Ok(RsaPrivateKey {
            components: c,
            key_pair,
            public,
            decrypting: OnceLock::new(),
        })
    }

    /// A new key as a PKCS#8 document (the backend does not hand out components directly; the
    /// JWK layer reads them back from the document). `bits`: 2048, 3072, 4096 or 8192.
    pub(crate) fn generate_pkcs8(bits: usize) -> Result<Zeroizing<Vec<u8>>> {
        let size = match bits {
            2048 => KeySize::Rsa2048,
            3072 => KeySize::Rsa3072,
            4096 => KeySize::Rsa4096,
            8192 => KeySize::Rsa8192,
            _ => {
                return Err(Error::Config(format!(
                    "RSA key size {bits} unsupported (2048, 3072, 4096 or 8192)"
                )))
            }
        };
        let key_pair =
            KeyPair::generate(size).map_err(|_| Error::Crypto("RSA generation failed"))?;
        let der: Pkcs8V1Der = key_pair
            .as_der()
            .map_err(|_| Error::Crypto("RSA key export failed"))?;
        Ok(Zeroizing::new(der.as_ref().to_vec()))
    }

    pub(crate) fn public(&self) -> &RsaPublicKey {
        &self.public
    }

    pub(crate) fn components(&self) -> &RsaComponents {
        &self.components
    }

    pub(crate) fn sign(&self, padding: RsaPadding, hash: Sha2, msg: &[u8]) -> Result<Vec<u8>> {
        let mut sig = vec![0u8; self.key_pair.public_modulus_len()];
        self.key_pair
            .sign(
                sign_encoding(padding, hash),
                &SystemRandom::new(),
                msg,
                &mut sig,
            )
            .map_err(|_| Error::Crypto("RSA signing failed"))?;
        Ok(sig)
    }

    /// Signs a digest computed elsewhere.
    pub(crate) fn sign_digest(
        &self,
        padding: RsaPadding,
        hash: Sha2,
        digest: &aws_lc_rs::digest::Digest,
    ) -> Result<Vec<u8>> {
        let mut sig = vec![0u8; self.key_pair.public_modulus_len()];
        self.key_pair
            .sign_digest(sign_encoding(padding, hash), digest, &mut sig)
            .map_err(|_| Error::Crypto("RSA digest signing failed"))?;
        Ok(sig)
    }

    /// Decrypts an encrypted key. Every failure is the same [`Error::DecryptionFailed`].
    pub(crate) fn decrypt(
        &self,
        scheme: RsaEncryption,
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>> {
        let key = self
            .decrypting
            .get_or_init(|| {
                let der: Pkcs8V1Der = self.key_pair.as_der().map_err(|_| ())?;
                PrivateDecryptingKey::from_pkcs8(der.as_ref()).map_err(|_| ())
            })
            .as_ref()
            .map_err(|()| Error::Crypto("RSA key unusable for decryption"))?;
        let fail = |_| Error::DecryptionFailed;
        if ciphertext.len() != key.key_size_bytes() {
            return Err(Error::DecryptionFailed);
        }
        let mut out = Zeroizing::new(vec![0u8; key.key_size_bytes()]);
        let len = match scheme.oaep() {
            Some(alg) => OaepPrivateDecryptingKey::new(key.clone())
                .map_err(fail)?
                .decrypt(alg, ciphertext, &mut out, None)
                .map_err(fail)?
                .len(),
            None => Pkcs1PrivateDecryptingKey::new(key.clone())
                .map_err(fail)?
                .decrypt(ciphertext, &mut out)
                .map_err(fail)?
                .len(),
        };
        out.truncate(len);
        Ok(out)
    }
}
