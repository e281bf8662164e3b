//! Keys to and from DER and PEM: PKCS#8, SubjectPublicKeyInfo, PKCS#1 RSA, SEC1 EC, and the public
//! key of an X.509 certificate. ASN.1 structures come from the RustCrypto `der`/`spki`/`pkcs1`/
//! `pkcs8`/`sec1`/`x509-cert` crates; the key material itself goes to the crypto module.

use der::asn1::{AnyRef, BitStringRef, ObjectIdentifier, OctetStringRef, UintRef};
use der::pem::LineEnding;
use der::{Decode, Encode};
use serde_json::Value;
use spki::{AlgorithmIdentifierRef, SubjectPublicKeyInfoRef};
use zeroize::Zeroizing;

use super::{Jwk, Material};
use crate::b64;
use crate::crypto::{
    EcPrivateKey, EcPublicKey, Ed25519PrivateKey, Ed25519PublicKey, MlDsaPrivateKey,
    MlDsaPublicKey, RsaComponents, RsaPrivateKey, RsaPublicKey, X25519PrivateKey, X25519PublicKey,
};
use crate::error::{Error, Result};
use crate::jwa::{EcCurve, MlDsa, Sha2};

const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const X25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.110");
/// id-ml-dsa-44, -65, -87 (NIST CSOR; RFC 9881).
const ML_DSA: [(MlDsa, ObjectIdentifier); 3] = [
    (
        MlDsa::MlDsa44,
        ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.17"),
    ),
    (
        MlDsa::MlDsa65,
        ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.18"),
    ),
    (
        MlDsa::MlDsa87,
        ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.19"),
    ),
];

fn ml_dsa_of(oid: ObjectIdentifier) -> Option<MlDsa> {
    ML_DSA.iter().find(|(_, o)| *o == oid).map(|(m, _)| *m)
}

fn ml_dsa_oid(set: MlDsa) -> ObjectIdentifier {
    let index = match set {
        MlDsa::MlDsa44 => 0,
        MlDsa::MlDsa65 => 1,
        MlDsa::MlDsa87 => 2,
    };
    ML_DSA[index].1
}
const CURVES: [(EcCurve, ObjectIdentifier); 4] = [
    (
        EcCurve::P256,
        ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7"),
    ),
    (EcCurve::P384, ObjectIdentifier::new_unwrap("1.3.132.0.34")),
    (EcCurve::P521, ObjectIdentifier::new_unwrap("1.3.132.0.35")),
    (
        EcCurve::Secp256k1,
        ObjectIdentifier::new_unwrap("1.3.132.0.10"),
    ),
];

fn enc(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Encoding(format!("{what}: {e}"))
}

fn curve_of(oid: ObjectIdentifier) -> Result<EcCurve> {
    CURVES
        .iter()
        .find(|(_, o)| *o == oid)
        .map(|(c, _)| *c)
        .ok_or_else(|| Error::Encoding(format!("unsupported EC curve {oid}")))
}

fn curve_oid(curve: EcCurve) -> ObjectIdentifier {
    CURVES
        .iter()
        .find(|(c, _)| *c == curve)
        .expect("every curve has an OID")
        .1
}

fn curve_param(params: Option<AnyRef<'_>>) -> Result<EcCurve> {
    let oid = params
        .ok_or_else(|| Error::Encoding("EC key without named curve parameters".into()))?
        .decode_as::<ObjectIdentifier>()
        .map_err(|e| enc("EC curve parameters", e))?;
    curve_of(oid)
}

impl Jwk {
    /// Reads a key from PEM text: `PRIVATE KEY` (PKCS#8), `PUBLIC KEY` (SPKI), `RSA PRIVATE KEY`,
    /// `RSA PUBLIC KEY` (PKCS#1), `EC PRIVATE KEY` (SEC1) or `CERTIFICATE` (its public key). With
    /// several blocks (a chain), the first is used. Text before the block is ignored.
    pub fn from_pem(pem: &str) -> Result<Jwk> {
        let (label, der) = first_pem_block(pem)?;
        match label.as_str() {
            "PRIVATE KEY" => from_pkcs8(&der),
            "PUBLIC KEY" => from_spki(&der),
            "RSA PRIVATE KEY" => from_pkcs1_private(&der),
            "RSA PUBLIC KEY" => from_pkcs1_public(&der),
            "EC PRIVATE KEY" => from_sec1(&der),
            "CERTIFICATE" => Jwk::from_certificate_der(&der),
            other => Err(Error::Encoding(format!("unsupported PEM label {other:?}"))),
        }
    }

    /// Reads a key from DER, trying PKCS#8, SPKI, an X.509 certificate, PKCS#1 and SEC1 in turn.
    pub fn from_der(der: &[u8]) -> Result<Jwk> {
        if pkcs8::PrivateKeyInfo::from_der(der).is_ok() {
            return from_pkcs8(der);
        }
        if SubjectPublicKeyInfoRef::from_der(der).is_ok() {
            return from_spki(der);
        }
        if x509_cert::Certificate::from_der(der).is_ok() {
            return Jwk::from_certificate_der(der);
        }
        if pkcs1::RsaPrivateKey::from_der(der).is_ok() {
            return from_pkcs1_private(der);
        }
        if pkcs1::RsaPublicKey::from_der(der).is_ok() {
            return from_pkcs1_public(der);
        }
        if sec1::EcPrivateKey::from_der(der).is_ok() {
            return from_sec1(der);
        }
        Err(Error::Encoding(
            "not a PKCS#8, SPKI, X.509, PKCS#1 or SEC1 DER document".into(),
        ))
    }

    /// The public key of a DER X.509 certificate.
    pub fn from_certificate_der(der: &[u8]) -> Result<Jwk> {
        let cert = x509_cert::Certificate::from_der(der).map_err(|e| enc("certificate", e))?;
        let spki = cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| enc("certificate", e))?;
        from_spki(&spki)
    }

    /// Reads a key from any text form joseguard accepts: a JWK (JSON), PEM, or an OpenSSH public
    /// key line.
    pub fn from_text(text: &str) -> Result<Jwk> {
        let t = text.trim_start();
        if t.starts_with('{') {
            Jwk::from_json(t)
        } else if t.contains("-----BEGIN ") {
            Jwk::from_pem(t)
        } else {
            Jwk::from_openssh(t)
        }
    }

    /// The public key as DER SubjectPublicKeyInfo. Fails for `oct` keys.
    pub fn to_spki_der(&self) -> Result<Vec<u8>> {
        let (oid, params, key): (ObjectIdentifier, Option<AnyRef<'_>>, Vec<u8>) =
            if let Some(k) = self.rsa_public() {
                (RSA_ENCRYPTION, Some(AnyRef::NULL), rsa_public_der(k)?)
            } else if let Some(k) = self.ec_public() {
                return spki_der_with_curve(k);
            } else if let Some(k) = self.ed25519_public() {
                (ED25519, None, k.x().to_vec())
            } else if let Some(k) = self.x25519_public() {
                (X25519, None, k.x().to_vec())
            } else if let Some(k) = self.ml_dsa_public() {
                (ml_dsa_oid(k.set()), None, k.encoded().to_vec())
            } else {
                return Err(Error::KeyMismatch(
                    "an oct key has no public key encoding".into(),
                ));
            };
        spki_der(oid, params, &key)
    }

    /// The private key as DER PKCS#8 (v1). Fails for public and `oct` keys.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>> {
        let inner: Zeroizing<Vec<u8>>;
        let curve_param_oid;
        let (oid, params): (ObjectIdentifier, Option<AnyRef<'_>>) = match &*self.material {
            Material::RsaPrivate(k) => {
                inner = rsa_private_der(k)?;
                (RSA_ENCRYPTION, Some(AnyRef::NULL))
            }
            Material::EcPrivate(k) => {
                let curve = k.public().curve();
                inner = Zeroizing::new(
                    sec1::EcPrivateKey {
                        private_key: k.d(),
                        parameters: None,
                        public_key: Some(k.public().sec1_uncompressed()),
                    }
                    .to_der()
                    .map_err(|e| enc("SEC1", e))?,
                );
                curve_param_oid = curve_oid(curve);
                (EC_PUBLIC_KEY, Some(AnyRef::from(&curve_param_oid)))
            }
            Material::Ed25519Private(k) => {
                inner = octet_string(k.d())?;
                (ED25519, None)
            }
            Material::X25519Private(k) => {
                inner = octet_string(k.d())?;
                (X25519, None)
            }
            // The backend's own encoding (the seed form of RFC 9881).
            Material::MlDsaPrivate(k) => return k.pkcs8_der(),
            Material::Oct(_) => {
                return Err(Error::KeyMismatch(
                    "an oct key has no PKCS#8 encoding".into(),
                ))
            }
            Material::Remote(..) => {
                return Err(Error::KeyMismatch(
                    "a key held elsewhere (an HSM) does not export its private part".into(),
                ))
            }
            _ => return Err(Error::PrivateKeyRequired),
        };
        let info = pkcs8::PrivateKeyInfo::new(
            AlgorithmIdentifierRef {
                oid,
                parameters: params,
            },
            &inner,
        );
        Ok(Zeroizing::new(info.to_der().map_err(|e| enc("PKCS#8", e))?))
    }

    /// PEM of the public key (`PUBLIC KEY`, SPKI).
    pub fn to_public_pem(&self) -> Result<String> {
        pem("PUBLIC KEY", &self.to_spki_der()?)
    }

    /// PEM of the private key (`PRIVATE KEY`, PKCS#8). Handle the result as a secret.
    pub fn to_private_pem(&self) -> Result<Zeroizing<String>> {
        Ok(Zeroizing::new(pem("PRIVATE KEY", &self.to_pkcs8_der()?)?))
    }
}

fn pem(label: &'static str, der: &[u8]) -> Result<String> {
    der::pem::encode_string(label, LineEnding::LF, der).map_err(|e| enc("PEM", e))
}

/// The PEM labels [`Jwk::from_pem`] reads.
const PEM_LABELS: [&str; 6] = [
    "PRIVATE KEY",
    "PUBLIC KEY",
    "RSA PRIVATE KEY",
    "RSA PUBLIC KEY",
    "EC PRIVATE KEY",
    "CERTIFICATE",
];

fn first_pem_block(text: &str) -> Result<(String, Zeroizing<Vec<u8>>)> {
    let start = text
        .find("-----BEGIN ")
        .ok_or_else(|| Error::Encoding("no PEM block".into()))?;
    let rest = &text[start..];
    let label_end = rest[11..]
        .find("-----")
        .ok_or_else(|| Error::Encoding("unterminated PEM header".into()))?;
    let label = &rest[11..11 + label_end];
    // Name an unsupported label before decoding: the strict RFC 7468 decoder would otherwise
    // report, say, an `OPENSSH PRIVATE KEY` (70-column lines) as a base64 error.
    if !PEM_LABELS.contains(&label) {
        return Err(Error::Encoding(format!("unsupported PEM label {label:?}")));
    }
    let footer = format!("-----END {label}-----");
    let end = rest
        .find(&footer)
        .ok_or_else(|| Error::Encoding(format!("no PEM footer for {label:?}")))?;
    let block = &rest[..end + footer.len()];
    let (label, der) = der::pem::decode_vec(block.as_bytes()).map_err(|e| enc("PEM", e))?;
    Ok((label.to_owned(), Zeroizing::new(der)))
}

fn octet_string(bytes: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let os = OctetStringRef::new(bytes).map_err(|e| enc("OCTET STRING", e))?;
    Ok(Zeroizing::new(
        os.to_der().map_err(|e| enc("OCTET STRING", e))?,
    ))
}

fn spki_der(oid: ObjectIdentifier, parameters: Option<AnyRef<'_>>, key: &[u8]) -> Result<Vec<u8>> {
    SubjectPublicKeyInfoRef {
        algorithm: AlgorithmIdentifierRef { oid, parameters },
        subject_public_key: BitStringRef::from_bytes(key).map_err(|e| enc("SPKI", e))?,
    }
    .to_der()
    .map_err(|e| enc("SPKI", e))
}

fn spki_der_with_curve(k: &EcPublicKey) -> Result<Vec<u8>> {
    let oid = curve_oid(k.curve());
    spki_der(
        EC_PUBLIC_KEY,
        Some(AnyRef::from(&oid)),
        k.sec1_uncompressed(),
    )
}

fn rsa_public_der(k: &RsaPublicKey) -> Result<Vec<u8>> {
    pkcs1::RsaPublicKey {
        modulus: UintRef::new(k.n()).map_err(|e| enc("PKCS#1", e))?,
        public_exponent: UintRef::new(k.e()).map_err(|e| enc("PKCS#1", e))?,
    }
    .to_der()
    .map_err(|e| enc("PKCS#1", e))
}

fn rsa_private_der(k: &RsaPrivateKey) -> Result<Zeroizing<Vec<u8>>> {
    let c = k.components();
    fn u(b: &[u8]) -> Result<UintRef<'_>> {
        UintRef::new(b).map_err(|e| enc("PKCS#1", e))
    }
    let doc = pkcs1::RsaPrivateKey {
        modulus: u(k.public().n())?,
        public_exponent: u(k.public().e())?,
        private_exponent: u(&c.d)?,
        prime1: u(&c.p)?,
        prime2: u(&c.q)?,
        exponent1: u(&c.dp)?,
        exponent2: u(&c.dq)?,
        coefficient: u(&c.qi)?,
        other_prime_infos: None,
    };
    Ok(Zeroizing::new(doc.to_der().map_err(|e| enc("PKCS#1", e))?))
}

pub(super) fn from_spki(der: &[u8]) -> Result<Jwk> {
    let spki = SubjectPublicKeyInfoRef::from_der(der).map_err(|e| enc("SPKI", e))?;
    let key = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| Error::Encoding("SPKI key is not whole bytes".into()))?;
    let material = match spki.algorithm.oid {
        RSA_ENCRYPTION => return from_pkcs1_public(key),
        EC_PUBLIC_KEY => {
            let curve = curve_param(spki.algorithm.parameters)?;
            Material::EcPublic(EcPublicKey::from_sec1(curve, key)?)
        }
        ED25519 => Material::Ed25519Public(Ed25519PublicKey::new(key)?),
        X25519 => Material::X25519Public(X25519PublicKey::new(key)?),
        oid => match ml_dsa_of(oid) {
            // RFC 9881 §2: the parameters MUST be absent.
            Some(_) if spki.algorithm.parameters.is_some() => {
                return Err(Error::Encoding("ML-DSA SPKI with parameters".into()))
            }
            Some(set) => Material::MlDsaPublic(MlDsaPublicKey::new(set, key)?),
            None => return Err(Error::Encoding(format!("unsupported key algorithm {oid}"))),
        },
    };
    Ok(Jwk::from_material(material))
}

fn from_pkcs1_public(der: &[u8]) -> Result<Jwk> {
    let k = pkcs1::RsaPublicKey::from_der(der).map_err(|e| enc("PKCS#1", e))?;
    Ok(Jwk::from_material(Material::RsaPublic(RsaPublicKey::new(
        k.modulus.as_bytes(),
        k.public_exponent.as_bytes(),
    )?)))
}

fn from_pkcs1_private(der: &[u8]) -> Result<Jwk> {
    let k = pkcs1::RsaPrivateKey::from_der(der).map_err(|e| enc("PKCS#1", e))?;
    if k.other_prime_infos.is_some() {
        return Err(Error::Encoding(
            "multi-prime RSA keys are not supported".into(),
        ));
    }
    let public = RsaPublicKey::new(k.modulus.as_bytes(), k.public_exponent.as_bytes())?;
    let z = |u: UintRef<'_>| Zeroizing::new(u.as_bytes().to_vec());
    let components = RsaComponents {
        d: z(k.private_exponent),
        p: z(k.prime1),
        q: z(k.prime2),
        dp: z(k.exponent1),
        dq: z(k.exponent2),
        qi: z(k.coefficient),
    };
    Ok(Jwk::from_material(Material::RsaPrivate(
        RsaPrivateKey::from_components(public, components)?,
    )))
}

fn from_sec1(der: &[u8]) -> Result<Jwk> {
    let k = sec1::EcPrivateKey::from_der(der).map_err(|e| enc("SEC1", e))?;
    let oid = k
        .parameters
        .and_then(|p| p.named_curve())
        .ok_or_else(|| Error::Encoding("SEC1 key without named curve".into()))?;
    let curve = curve_of(oid)?;
    Ok(Jwk::from_material(Material::EcPrivate(
        EcPrivateKey::from_der(curve, der)?,
    )))
}

fn from_pkcs8(der: &[u8]) -> Result<Jwk> {
    let info = pkcs8::PrivateKeyInfo::from_der(der).map_err(|e| enc("PKCS#8", e))?;
    let material = match info.algorithm.oid {
        RSA_ENCRYPTION => return from_pkcs1_private(info.private_key),
        EC_PUBLIC_KEY => {
            let curve = curve_param(info.algorithm.parameters)?;
            Material::EcPrivate(EcPrivateKey::from_der(curve, der)?)
        }
        ED25519 | X25519 => {
            let seed = OctetStringRef::from_der(info.private_key)
                .map_err(|e| enc("PKCS#8 curve private key", e))?;
            if info.algorithm.oid == ED25519 {
                Material::Ed25519Private(Ed25519PrivateKey::from_seed_only(seed.as_bytes())?)
            } else {
                Material::X25519Private(X25519PrivateKey::from_scalar_only(seed.as_bytes())?)
            }
        }
        oid => match ml_dsa_of(oid) {
            Some(set) => Material::MlDsaPrivate(MlDsaPrivateKey::from_pkcs8(set, der)?),
            None => return Err(Error::Encoding(format!("unsupported key algorithm {oid}"))),
        },
    };
    Ok(Jwk::from_material(material))
}

/// RFC 7517 §4.7: the key in the first `x5c` certificate MUST match the JWK.
pub(super) fn check_x5c_matches(jwk: &Jwk, chain: &[Value]) -> Result<()> {
    let first = chain[0].as_str().unwrap_or_default();
    let der = b64::decode_std(first, "x5c").map_err(|_| Error::key("x5c", "not base64 DER"))?;
    let cert_key = Jwk::from_certificate_der(&der).map_err(|e| Error::key("x5c", e.to_string()))?;
    if cert_key.key_type() == super::KeyType::Oct
        || jwk.key_type() == super::KeyType::Oct
        || cert_key.thumbprint(Sha2::Sha256) != jwk.thumbprint(Sha2::Sha256)
    {
        return Err(Error::key(
            "x5c",
            "first certificate's key differs from the JWK",
        ));
    }
    Ok(())
}
