//! HMAC-SHA-2 (RFC 7518 §3.2).

use std::sync::OnceLock;

use aws_lc_rs::hmac;
use zeroize::Zeroizing;

use crate::jwa::Sha2;

/// A symmetric key with its backend HMAC keys built on first use for each hash and then reused.
pub(crate) struct HmacKey {
    bytes: Zeroizing<Vec<u8>>,
    // Boxed: an HMAC key holds precomputed inner/outer states, several hundred bytes each.
    keys: [OnceLock<Box<hmac::Key>>; 3],
}

impl HmacKey {
    pub(crate) fn new(bytes: Vec<u8>) -> Self {
        HmacKey {
            bytes: Zeroizing::new(bytes),
            keys: Default::default(),
        }
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    fn key(&self, hash: Sha2) -> &hmac::Key {
        let (slot, alg) = match hash {
            Sha2::Sha256 => (0, hmac::HMAC_SHA256),
            Sha2::Sha384 => (1, hmac::HMAC_SHA384),
            Sha2::Sha512 => (2, hmac::HMAC_SHA512),
        };
        self.keys[slot].get_or_init(|| Box::new(hmac::Key::new(alg, &self.bytes)))
    }

    pub(crate) fn sign(&self, hash: Sha2, msg: &[u8]) -> Vec<u8> {
        hmac::sign(self.key(hash), msg).as_ref().to_vec()
    }

    /// Constant-time check of a full-length tag.
    pub(crate) fn verify(&self, hash: Sha2, msg: &[u8], tag: &[u8]) -> bool {
        hmac::verify(self.key(hash), msg, tag).is_ok()
    }
}

impl Clone for HmacKey {
    fn clone(&self) -> Self {
        HmacKey::new(self.bytes.to_vec())
    }
}
