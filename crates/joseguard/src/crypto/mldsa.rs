//! ML-DSA (FIPS 204) signatures as RFC 9964 uses them: the pure mode with an empty context, keys
//! kept as their 32-byte seed (the `priv` of an `AKP` JWK) and the encoded public key.

use aws_lc_rs::signature::{
    self, KeyPair, ParsedPublicKey, PqdsaKeyPair, PqdsaSigningAlgorithm, VerificationAlgorithm,
};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::jwa::MlDsa;

/// Seed length of every parameter set (FIPS 204 `ξ`).
pub(crate) const SEED_LEN: usize = 32;

fn verify_alg(set: MlDsa) -> &'static dyn VerificationAlgorithm {
    match set {
        MlDsa::MlDsa44 => &signature::ML_DSA_44,
        MlDsa::MlDsa65 => &signature::ML_DSA_65,
        MlDsa::MlDsa87 => &signature::ML_DSA_87,
    }
}

fn signing_alg(set: MlDsa) -> &'static PqdsaSigningAlgorithm {
    match set {
        MlDsa::MlDsa44 => &signature::ML_DSA_44_SIGNING,
        MlDsa::MlDsa65 => &signature::ML_DSA_65_SIGNING,
        MlDsa::MlDsa87 => &signature::ML_DSA_87_SIGNING,
    }
}

/// An ML-DSA public key of one parameter set.
#[derive(Clone)]
pub(crate) struct MlDsaPublicKey {
    set: MlDsa,
    encoded: Vec<u8>,
    parsed: ParsedPublicKey,
}

impl MlDsaPublicKey {
    /// From the encoded public key (the `pub` of an `AKP` JWK), of exactly the set's length.
    pub(crate) fn new(set: MlDsa, encoded: &[u8]) -> Result<Self> {
        if encoded.len() != set.public_key_len() {
            return Err(Error::key(
                "pub",
                format!("must be {} bytes for {}", set.public_key_len(), set.name()),
            ));
        }
        let parsed = ParsedPublicKey::new(verify_alg(set), encoded)
            .map_err(|_| Error::key("pub", format!("not an {} public key", set.name())))?;
        Ok(MlDsaPublicKey {
            set,
            encoded: encoded.to_vec(),
            parsed,
        })
    }

    pub(crate) fn set(&self) -> MlDsa {
        self.set
    }

    pub(crate) fn encoded(&self) -> &[u8] {
        &self.encoded
    }

    /// Verifies a signature of exactly the set's length over `msg` (pure ML-DSA, empty
    /// context).
    pub(crate) fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        sig.len() == self.set.signature_len() && self.parsed.verify_sig(msg, sig).is_ok()
    }
}

/// An ML-DSA private key: its seed, the expanded key pair, and the public key.
pub(crate) struct MlDsaPrivateKey {
    seed: Zeroizing<Vec<u8>>,
    pair: PqdsaKeyPair,
    public: MlDsaPublicKey,
}

impl MlDsaPrivateKey {
    /// Expands `seed` (the `priv` of an `AKP` JWK).
    pub(crate) fn from_seed(set: MlDsa, seed: &[u8]) -> Result<Self> {
        if seed.len() != SEED_LEN {
            return Err(Error::key(
                "priv",
                format!("must be a {SEED_LEN}-byte seed"),
            ));
        }
        let pair = PqdsaKeyPair::from_seed(signing_alg(set), seed)
            .map_err(|_| Error::key("priv", format!("not an {} seed", set.name())))?;
        let public = MlDsaPublicKey::new(set, pair.public_key().as_ref())?;
        Ok(MlDsaPrivateKey {
            seed: Zeroizing::new(seed.to_vec()),
            pair,
            public,
        })
    }

    /// A new key from a fresh seed.
    pub(crate) fn generate(set: MlDsa) -> Result<Self> {
        let seed = Zeroizing::new(super::random(SEED_LEN)?);
        MlDsaPrivateKey::from_seed(set, &seed)
    }

    /// From a PKCS#8 document whose algorithm the caller has read; the seed form is required
    /// (an `AKP` JWK carries the seed).
    pub(crate) fn from_pkcs8(set: MlDsa, der: &[u8]) -> Result<Self> {
        let pair = PqdsaKeyPair::from_pkcs8(signing_alg(set), der)
            .map_err(|_| Error::key("private key", format!("not an {} key", set.name())))?;
        // Re-encoding gives the seed form (this fails for a key known only expanded).
        let doc = pair.to_pkcs8v1().map_err(|_| {
            Error::key(
                "private key",
                "only the seed form of an ML-DSA private key can be used (RFC 9964 keys are seeds)",
            )
        })?;
        // The seed form ends with the 32-byte seed as [0] IMPLICIT OCTET STRING: 80 20 <seed>.
        let doc = doc.as_ref();
        let seed = doc
            .len()
            .checked_sub(SEED_LEN + 2)
            .and_then(|at| doc.get(at..))
            .and_then(|tail| tail.strip_prefix(&[0x80, SEED_LEN as u8][..]))
            .ok_or(Error::Crypto("ML-DSA private key encoding failed"))?;
        let key = MlDsaPrivateKey::from_seed(set, seed)?;
        // Should a later backend re-encode differently, a misread seed is a different key.
        if key.public.encoded() != pair.public_key().as_ref() {
            return Err(Error::Crypto("ML-DSA private key encoding failed"));
        }
        Ok(key)
    }

    pub(crate) fn seed(&self) -> &[u8] {
        &self.seed
    }

    pub(crate) fn public(&self) -> &MlDsaPublicKey {
        &self.public
    }

    /// PKCS#8 DER, seed form.
    pub(crate) fn pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>> {
        let doc = self
            .pair
            .to_pkcs8v1()
            .map_err(|_| Error::Crypto("ML-DSA private key encoding failed"))?;
        Ok(Zeroizing::new(doc.as_ref().to_vec()))
    }

    /// Signs `msg` (pure ML-DSA, empty context, hedged with fresh randomness).
    pub(crate) fn sign(&self, msg: &[u8]) -> Result<Vec<u8>> {
        let mut sig = vec![0u8; self.public.set.signature_len()];
        let len = self
            .pair
            .sign(msg, &mut sig)
            .map_err(|_| Error::Crypto("ML-DSA signing failed"))?;
        sig.truncate(len);
        Ok(sig)
    }
}
