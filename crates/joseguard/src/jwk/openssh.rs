//! OpenSSH public key lines (`ssh-rsa`, `ecdsa-sha2-nistp256/384/521`, `ssh-ed25519`), the form
//! gateway configurations such as Gravitee's JWS policy use for keys.

use ssh_key::public::{EcdsaPublicKey, KeyData};

use super::{Jwk, Material};
use crate::crypto::{EcPublicKey, Ed25519PublicKey, RsaPublicKey};
use crate::error::{Error, Result};
use crate::jwa::EcCurve;

impl Jwk {
    /// Reads an OpenSSH public key line (`TYPE BASE64 [COMMENT]`). The comment is not kept.
    pub fn from_openssh(line: &str) -> Result<Jwk> {
        let key = ssh_key::PublicKey::from_openssh(line.trim())
            .map_err(|e| Error::Encoding(format!("OpenSSH public key: {e}")))?;
        let material = match key.key_data() {
            KeyData::Rsa(k) => {
                let (Some(n), Some(e)) = (k.n.as_positive_bytes(), k.e.as_positive_bytes()) else {
                    return Err(Error::key("n", "negative RSA integer"));
                };
                Material::RsaPublic(RsaPublicKey::new(n, e)?)
            }
            KeyData::Ecdsa(k) => {
                let curve = match k {
                    EcdsaPublicKey::NistP256(_) => EcCurve::P256,
                    EcdsaPublicKey::NistP384(_) => EcCurve::P384,
                    EcdsaPublicKey::NistP521(_) => EcCurve::P521,
                };
                Material::EcPublic(EcPublicKey::from_sec1(curve, k.as_sec1_bytes())?)
            }
            KeyData::Ed25519(k) => Material::Ed25519Public(Ed25519PublicKey::new(&k.0)?),
            other => {
                return Err(Error::Encoding(format!(
                    "unsupported OpenSSH key type {}",
                    other.algorithm()
                )))
            }
        };
        Ok(Jwk::from_material(material))
    }
}
