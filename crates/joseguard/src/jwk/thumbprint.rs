//! JWK thumbprints (RFC 7638) and their URI form (RFC 9278).

use super::{Jwk, Material};
use crate::b64;
use crate::crypto;
use crate::jwa::Sha2;

impl Jwk {
    /// The RFC 7638 thumbprint: the hash of the required public members in lexicographic order,
    /// without whitespace. Use [`Sha2::Sha256`] unless a protocol says otherwise.
    pub fn thumbprint(&self, hash: Sha2) -> Vec<u8> {
        crypto::sha2(hash, self.thumbprint_input().as_bytes())
    }

    /// The base64url thumbprint, as commonly used for `kid`.
    pub fn thumbprint_b64(&self, hash: Sha2) -> String {
        b64::encode(self.thumbprint(hash))
    }

    /// The RFC 9278 thumbprint URI, e.g.
    /// `urn:ietf:params:oauth:jwk-thumbprint:sha-256:NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs`.
    pub fn thumbprint_uri(&self, hash: Sha2) -> String {
        let name = match hash {
            Sha2::Sha256 => "sha-256",
            Sha2::Sha384 => "sha-384",
            Sha2::Sha512 => "sha-512",
        };
        format!(
            "urn:ietf:params:oauth:jwk-thumbprint:{name}:{}",
            self.thumbprint_b64(hash)
        )
    }

    /// The canonical JSON of RFC 7638 §3.2. Every value is a fixed name or base64url, so no JSON
    /// escaping can arise.
    fn thumbprint_input(&self) -> String {
        let crv = self.curve_name().unwrap_or_default();
        match self.described() {
            Material::Oct(k) => format!(r#"{{"k":"{}","kty":"oct"}}"#, b64::encode(k.bytes())),
            Material::RsaPublic(_) | Material::RsaPrivate(_) => {
                let k = self.rsa_public().expect("RSA material");
                format!(
                    r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
                    b64::encode(k.e()),
                    b64::encode(k.n())
                )
            }
            Material::EcPublic(_) | Material::EcPrivate(_) => {
                let k = self.ec_public().expect("EC material");
                format!(
                    r#"{{"crv":"{crv}","kty":"EC","x":"{}","y":"{}"}}"#,
                    b64::encode(k.x()),
                    b64::encode(k.y())
                )
            }
            Material::Ed25519Public(_) | Material::Ed25519Private(_) => {
                let x = self.ed25519_public().expect("Ed25519 material").x();
                format!(r#"{{"crv":"{crv}","kty":"OKP","x":"{}"}}"#, b64::encode(x))
            }
            Material::X25519Public(_) | Material::X25519Private(_) => {
                let x = self.x25519_public().expect("X25519 material").x();
                format!(r#"{{"crv":"{crv}","kty":"OKP","x":"{}"}}"#, b64::encode(x))
            }
            // `described()` is a remote key's public key, which `Jwk::from_remote` made sure is
            // not remote itself.
            Material::Remote(..) => unreachable!("a remote key is described by its public key"),
            // RFC 9964 §4: alg, kty and pub.
            Material::MlDsaPublic(_) | Material::MlDsaPrivate(_) => {
                let k = self.ml_dsa_public().expect("ML-DSA material");
                format!(
                    r#"{{"alg":"{}","kty":"AKP","pub":"{}"}}"#,
                    k.set().name(),
                    b64::encode(k.encoded())
                )
            }
        }
    }
}
