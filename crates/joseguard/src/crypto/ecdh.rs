//! ECDH key agreement for ECDH-ES (RFC 7518 §4.6, RFC 8037 §3.2) on P-256, P-384, P-521 and X25519.

use aws_lc_rs::agreement::{self, PrivateKey, UnparsedPublicKey};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// A curve usable for ECDH-ES.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EcdhCurve {
    P256,
    P384,
    P521,
    X25519,
}

impl EcdhCurve {
    /// The ECDH curve of an EC key (secp256k1 has none in JOSE).
    pub(crate) fn from_ec(curve: crate::jwa::EcCurve) -> Option<EcdhCurve> {
        use crate::jwa::EcCurve;
        match curve {
            EcCurve::P256 => Some(EcdhCurve::P256),
            EcCurve::P384 => Some(EcdhCurve::P384),
            EcCurve::P521 => Some(EcdhCurve::P521),
            EcCurve::Secp256k1 => None,
        }
    }

    fn alg(self) -> &'static agreement::Algorithm {
        match self {
            EcdhCurve::P256 => &agreement::ECDH_P256,
            EcdhCurve::P384 => &agreement::ECDH_P384,
            EcdhCurve::P521 => &agreement::ECDH_P521,
            EcdhCurve::X25519 => &agreement::X25519,
        }
    }
}

/// A private key for agreement (the recipient's static key, or an ephemeral one).
pub(crate) struct AgreementKey {
    curve: EcdhCurve,
    key: PrivateKey,
}

impl AgreementKey {
    /// From a private scalar (EC `d`, or the X25519 `d`).
    pub(crate) fn from_scalar(curve: EcdhCurve, d: &[u8]) -> Result<Self> {
        let key = PrivateKey::from_private_key(curve.alg(), d)
            .map_err(|_| Error::key("d", "not a private key for ECDH"))?;
        Ok(AgreementKey { curve, key })
    }

    /// A fresh ephemeral key.
    pub(crate) fn generate(curve: EcdhCurve) -> Result<Self> {
        let key = PrivateKey::generate(curve.alg())
            .map_err(|_| Error::Crypto("ECDH key generation failed"))?;
        Ok(AgreementKey { curve, key })
    }

    /// The public key: an uncompressed SEC1 point, or 32 bytes for X25519.
    pub(crate) fn public(&self) -> Result<Vec<u8>> {
        Ok(self
            .key
            .compute_public_key()
            .map_err(|_| Error::Crypto("ECDH public key"))?
            .as_ref()
            .to_vec())
    }

    /// The shared secret Z with `peer` (a SEC1 point on this key's curve, or 32 X25519 bytes).
    /// The backend refuses points not on the curve (invalid-curve attacks: CVE-2016-9121,
    /// CVE-2017-16007); an all-zero X25519 secret (a small-order peer point) is refused here.
    pub(crate) fn agree(&self, peer: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let z = agreement::agree(
            &self.key,
            UnparsedPublicKey::new(self.curve.alg(), peer),
            Error::header("epk", "not a valid public key on the recipient's curve"),
            |z| Ok(Zeroizing::new(z.to_vec())),
        )?;
        if z.iter().all(|&b| b == 0) {
            return Err(Error::header("epk", "gives an all-zero shared secret"));
        }
        Ok(z)
    }
}
