//! JSON Web Keys (RFC 7517, RFC 7518 §6, RFC 8037, RFC 8812), thumbprints (RFC 7638, RFC 9278),
//! key generation, and import/export from PEM, DER and OpenSSH.
//!
//! A [`Jwk`] is parsed and validated once (member types and lengths, EC points on their curve,
//! private parts consistent with public parts) into typed key material that operations reuse.
//! Share one across threads with `Arc<Jwk>`.

mod der;
mod generate;
mod openssh;
mod parse;
mod set;
mod thumbprint;

pub use generate::KeySpec;
pub use set::JwkSet;

use serde_json::{Map, Value};
use std::fmt;
use std::sync::Arc;

use crate::crypto::{
    EcPrivateKey, EcPublicKey, Ed25519PrivateKey, Ed25519PublicKey, HmacKey, MlDsaPrivateKey,
    MlDsaPublicKey, RsaPrivateKey, RsaPublicKey, X25519PrivateKey, X25519PublicKey,
};
use crate::error::{Error, Result};
use crate::jwa::{EcCurve, JwsAlgorithm, KeyRequirement, MlDsa, OkpCurve};

/// The `kty` of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyType {
    /// Symmetric (`oct`).
    Oct,
    /// RSA.
    Rsa,
    /// Elliptic curve (`EC`).
    Ec,
    /// Octet key pair (`OKP`, RFC 8037).
    Okp,
    /// Algorithm key pair (`AKP`, RFC 9964): ML-DSA.
    Akp,
}

impl KeyType {
    /// The `kty` value.
    pub fn name(self) -> &'static str {
        match self {
            KeyType::Oct => "oct",
            KeyType::Rsa => "RSA",
            KeyType::Ec => "EC",
            KeyType::Okp => "OKP",
            KeyType::Akp => "AKP",
        }
    }
}

/// A key operation (`key_ops` values of RFC 7517 §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyOperation {
    /// Compute a signature or MAC.
    Sign,
    /// Verify a signature or MAC.
    Verify,
    /// Encrypt content.
    Encrypt,
    /// Decrypt content.
    Decrypt,
    /// Encrypt a key.
    WrapKey,
    /// Decrypt a key.
    UnwrapKey,
    /// Derive a key.
    DeriveKey,
    /// Derive bits.
    DeriveBits,
}

impl KeyOperation {
    /// The `key_ops` value.
    pub fn name(self) -> &'static str {
        match self {
            KeyOperation::Sign => "sign",
            KeyOperation::Verify => "verify",
            KeyOperation::Encrypt => "encrypt",
            KeyOperation::Decrypt => "decrypt",
            KeyOperation::WrapKey => "wrapKey",
            KeyOperation::UnwrapKey => "unwrapKey",
            KeyOperation::DeriveKey => "deriveKey",
            KeyOperation::DeriveBits => "deriveBits",
        }
    }

    /// The `use` value that permits this operation.
    pub fn key_use(self) -> &'static str {
        match self {
            KeyOperation::Sign | KeyOperation::Verify => "sig",
            _ => "enc",
        }
    }
}

/// The typed key material of a JWK.
// Always held behind one `Arc` in a `Jwk`: boxing the large RSA variant would add a second
// allocation and pointer chase for nothing.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Material {
    Oct(HmacKey),
    RsaPublic(RsaPublicKey),
    RsaPrivate(RsaPrivateKey),
    EcPublic(EcPublicKey),
    EcPrivate(EcPrivateKey),
    Ed25519Public(Ed25519PublicKey),
    Ed25519Private(Ed25519PrivateKey),
    X25519Public(X25519PublicKey),
    X25519Private(X25519PrivateKey),
    MlDsaPublic(MlDsaPublicKey),
    MlDsaPrivate(MlDsaPrivateKey),
    /// A private key held elsewhere (an HSM): it signs; its public key, checked once by
    /// [`Jwk::from_remote`] and kept, describes it.
    Remote(Arc<dyn RemoteKey>, Arc<Material>),
}

/// A private key whose signatures are made outside this process: an HSM through PKCS#11, a
/// cloud KMS. [`Jwk::from_remote`] makes it a [`Jwk`] that signs like any other (its public key
/// decides which algorithms fit, its `kid` goes into headers), while the private part never
/// enters this process. Implementations may block (the caller runs them where blocking is
/// fine).
pub trait RemoteKey: Send + Sync {
    /// The public key: a public JWK of the same key (type, curve, size, `kid`).
    fn public_key(&self) -> &Jwk;
    /// A signature over the JWS signing input under `alg`, which joseguard has checked fits the
    /// public key; in the encoding JWS uses (ECDSA: fixed-size R‖S).
    fn sign(&self, alg: JwsAlgorithm, input: &[u8]) -> Result<Vec<u8>>;
    /// A signature over a digest of `alg`'s hash computed elsewhere (RSA and ECDSA).
    fn sign_digest(&self, alg: JwsAlgorithm, digest: &[u8]) -> Result<Vec<u8>>;
}

impl Material {
    /// Secret key material; never empty.
    pub(crate) fn oct(secret: Vec<u8>) -> Result<Material> {
        if secret.is_empty() {
            return Err(Error::key("k", "must not be empty"));
        }
        Ok(Material::Oct(crate::crypto::HmacKey::new(secret)))
    }
}

/// A parsed, validated JSON Web Key.
///
/// Members other than the key material are kept: `kid`, `alg`, `use`, `key_ops`, the `x5*`
/// members, and any others (returned unchanged by [`Jwk::to_value`]). `Debug` never prints key
/// material. Cloning shares the parsed key material (and whatever the backend built from it).
#[derive(Clone)]
pub struct Jwk {
    pub(crate) material: Arc<Material>,
    pub(crate) kid: Option<String>,
    pub(crate) alg: Option<String>,
    pub(crate) key_use: Option<String>,
    pub(crate) key_ops: Option<Vec<String>>,
    /// `x5c`, `x5t`, `x5t#S256`, `x5u` and unregistered members, in input order.
    pub(crate) other: Map<String, Value>,
}

impl fmt::Debug for Jwk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Jwk")
            .field("kty", &self.key_type().name())
            .field("crv", &self.curve_name())
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("private", &self.is_private())
            .finish_non_exhaustive()
    }
}

impl Jwk {
    /// Parses a JWK from JSON text, refusing duplicate members and malformed values.
    pub fn from_json(json: impl AsRef<[u8]>) -> Result<Jwk> {
        let map = crate::json::parse_object(json.as_ref(), "JWK")?;
        parse::from_map(map)
    }

    /// A key whose private part is held elsewhere ([`RemoteKey`]); its `kid`, `alg`, `use` and
    /// `key_ops` are those of the remote's public key.
    pub fn from_remote(remote: Arc<dyn RemoteKey>) -> Result<Jwk> {
        let public = remote.public_key();
        if public.is_private() || public.key_type() == KeyType::Oct {
            return Err(Error::Config(
                "a remote key's public_key must be a public asymmetric JWK".into(),
            ));
        }
        Ok(Jwk {
            kid: public.kid.clone(),
            alg: public.alg.clone(),
            key_use: public.key_use.clone(),
            key_ops: public.key_ops.clone(),
            other: public.other.clone(),
            material: Arc::new(Material::Remote(remote.clone(), public.material.clone())),
        })
    }

    /// True for a key made with [`Jwk::from_remote`].
    pub fn is_remote(&self) -> bool {
        matches!(*self.material, Material::Remote(..))
    }

    /// The material that describes the key: a remote key's public key, else this key's own.
    pub(crate) fn described(&self) -> &Material {
        match &*self.material {
            Material::Remote(_, public) => public,
            own => own,
        }
    }

    /// A secret (`oct`) key from its bytes: for HMAC (HS256 wants at least 32), AES key wrap,
    /// `dir`. An empty secret is refused.
    pub fn oct(secret: impl AsRef<[u8]>) -> Result<Jwk> {
        Material::oct(secret.as_ref().to_vec()).map(Jwk::from_material)
    }

    /// A password for PBES2 key management (RFC 7518 §4.8): an `oct` key whose bytes are the
    /// UTF-8 password. The decrypter caps the iteration count it will run.
    pub fn password(password: &str) -> Result<Jwk> {
        Jwk::oct(password.as_bytes())
    }

    /// Parses a JWK from an already parsed JSON value.
    pub fn from_value(value: &Value) -> Result<Jwk> {
        match value {
            Value::Object(map) => parse::from_map(map.clone()),
            _ => Err(Error::key("JWK", "not a JSON object")),
        }
    }

    /// The JWK as JSON, including private members when the key has them.
    pub fn to_value(&self) -> Value {
        parse::to_map(self, true).into()
    }

    /// The JWK as JSON text, including private members when the key has them.
    pub fn to_json(&self) -> String {
        self.to_value().to_string()
    }

    /// The public JWK (private members removed) as JSON.
    pub fn to_public_value(&self) -> Value {
        parse::to_map(self, false).into()
    }

    /// The public key of this key, with the same `kid`, `alg`, `use`, `key_ops` and other members;
    /// `key_ops` loses the operations only a private key can do. For `oct` keys there is no public
    /// part: this fails with [`Error::PrivateKeyRequired`]'s opposite, a [`Error::KeyMismatch`].
    pub fn to_public(&self) -> Result<Jwk> {
        if self.key_type() == KeyType::Oct {
            return Err(Error::KeyMismatch("an oct key has no public part".into()));
        }
        let mut map = parse::to_map(self, false);
        if let Some(Value::Array(ops)) = map.get_mut("key_ops") {
            ops.retain(|o| matches!(o.as_str(), Some("verify" | "encrypt" | "wrapKey")));
        }
        parse::from_map(map)
    }

    /// The key type.
    pub fn key_type(&self) -> KeyType {
        match self.described() {
            Material::Oct(_) => KeyType::Oct,
            Material::RsaPublic(_) | Material::RsaPrivate(_) => KeyType::Rsa,
            Material::EcPublic(_) | Material::EcPrivate(_) => KeyType::Ec,
            Material::MlDsaPublic(_) | Material::MlDsaPrivate(_) => KeyType::Akp,
            _ => KeyType::Okp,
        }
    }

    /// The `crv`, for EC and OKP keys.
    pub fn curve_name(&self) -> Option<&'static str> {
        self.ec_curve()
            .map(EcCurve::name)
            .or_else(|| self.okp_curve().map(OkpCurve::name))
    }

    /// The curve of an EC key.
    pub fn ec_curve(&self) -> Option<EcCurve> {
        self.ec_public().map(EcPublicKey::curve)
    }

    /// The curve of an OKP key.
    pub fn okp_curve(&self) -> Option<OkpCurve> {
        match self.described() {
            Material::Ed25519Public(_) | Material::Ed25519Private(_) => Some(OkpCurve::Ed25519),
            Material::X25519Public(_) | Material::X25519Private(_) => Some(OkpCurve::X25519),
            _ => None,
        }
    }

    /// True when the key holds private (or, for `oct`, secret) material.
    pub fn is_private(&self) -> bool {
        !matches!(
            *self.material,
            Material::RsaPublic(_)
                | Material::EcPublic(_)
                | Material::Ed25519Public(_)
                | Material::X25519Public(_)
                | Material::MlDsaPublic(_)
        )
    }

    /// The `kid`.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Sets the `kid`.
    pub fn set_kid(&mut self, kid: Option<String>) {
        self.kid = kid;
    }

    /// The same key with this `kid`.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Jwk {
        self.kid = Some(kid.into());
        self
    }

    /// The same key with this `alg` (an `AKP` key keeps its parameter set: see [`Jwk::alg`]).
    pub fn with_alg(mut self, alg: impl Into<String>) -> Jwk {
        self.set_alg(Some(alg.into()));
        self
    }

    /// The key's own `alg`, if it names one. An `AKP` key always names its parameter set
    /// (`ML-DSA-65`): RFC 9964 makes it part of the key, so it cannot be changed or removed.
    pub fn alg(&self) -> Option<&str> {
        match self.ml_dsa() {
            Some(set) => Some(set.name()),
            None => self.alg.as_deref(),
        }
    }

    /// Sets the key's `alg` (ignored for an `AKP` key, whose `alg` is its parameter set).
    pub fn set_alg(&mut self, alg: Option<String>) {
        if self.ml_dsa().is_none() {
            self.alg = alg;
        }
    }

    /// The `use` (`sig` or `enc`, or another value).
    pub fn key_use(&self) -> Option<&str> {
        self.key_use.as_deref()
    }

    /// Sets the `use`.
    pub fn set_key_use(&mut self, key_use: Option<String>) {
        self.key_use = key_use;
    }

    /// The `key_ops`.
    pub fn key_ops(&self) -> Option<&[String]> {
        self.key_ops.as_deref()
    }

    /// A member that is not key material and not `kid`/`alg`/`use`/`key_ops` (`x5c`, ...).
    pub fn member(&self, name: &str) -> Option<&Value> {
        self.other.get(name)
    }

    /// The RSA modulus size in bits, for RSA keys.
    pub fn rsa_bits(&self) -> Option<usize> {
        self.rsa_public().map(RsaPublicKey::bits)
    }

    /// The `oct` key length in bytes.
    pub fn oct_len(&self) -> Option<usize> {
        match self.described() {
            Material::Oct(k) => Some(k.bytes().len()),
            _ => None,
        }
    }

    /// Checks the key's own `alg`, `use` and `key_ops` allow `alg` for `op`
    /// (RFC 7517 §4.2-4.4). Members that are absent allow everything.
    pub fn check_usage(&self, alg: &str, op: KeyOperation) -> Result<()> {
        if let Some(own) = self.alg() {
            if own != alg {
                return Err(Error::KeyMismatch(format!(
                    "key is for alg {own}, token uses {alg}"
                )));
            }
        }
        if let Some(u) = &self.key_use {
            if u != op.key_use() {
                return Err(Error::KeyMismatch(format!(
                    "key use is {u:?}, {} needs {:?}",
                    op.name(),
                    op.key_use()
                )));
            }
        }
        if let Some(ops) = &self.key_ops {
            if !ops.iter().any(|o| o == op.name()) {
                return Err(Error::KeyMismatch(format!(
                    "key_ops does not include {:?}",
                    op.name()
                )));
            }
        }
        Ok(())
    }

    /// Checks that the key's type, curve and size fit a JWS algorithm, and its own
    /// `alg`/`use`/`key_ops` allow `op`. A symmetric key never fits an asymmetric algorithm and
    /// the other way round (CVE-2016-10555).
    pub fn check_jws(&self, alg: JwsAlgorithm, op: KeyOperation) -> Result<()> {
        let fits = match (alg.key_requirement(), self.described()) {
            (KeyRequirement::Oct { min_len }, Material::Oct(k)) => {
                if k.bytes().len() < min_len {
                    return Err(Error::KeyMismatch(format!(
                        "{alg} needs a key of at least {min_len} bytes, this one has {}",
                        k.bytes().len()
                    )));
                }
                true
            }
            (KeyRequirement::Rsa, Material::RsaPublic(_) | Material::RsaPrivate(_)) => true,
            (KeyRequirement::Ec(c), _) => self.ec_curve() == Some(c),
            (KeyRequirement::Okp(c), _) => self.okp_curve() == Some(c),
            (KeyRequirement::Akp(set), _) => self.ml_dsa() == Some(set),
            _ => false,
        };
        if !fits {
            return Err(Error::KeyMismatch(format!(
                "{alg} cannot use a {} key{}",
                self.key_type().name(),
                self.curve_name()
                    .map(|c| format!(" on {c}"))
                    .unwrap_or_default()
            )));
        }
        if op == KeyOperation::Sign && !self.is_private() {
            return Err(Error::PrivateKeyRequired);
        }
        self.check_usage(alg.name(), op)
    }

    /// The JWS algorithms this key can verify with (its own `alg` when it names one), in registry
    /// order: the default allowlist of tools that are given only a key.
    pub fn jws_algorithms(&self) -> Vec<JwsAlgorithm> {
        crate::jwa::ALL_JWS_ALGORITHMS
            .into_iter()
            .filter(|a| self.check_jws(*a, KeyOperation::Verify).is_ok())
            .collect()
    }

    /// The JWS algorithms this key can verify with, or, when there is none, what is wrong with
    /// the key: its own `alg` is not a JWS algorithm or does not fit it ("ES521 ..."), it is too
    /// short ("HS256 needs a key of at least 32 bytes, this one has 31"), or its `use`/`key_ops`
    /// forbid verifying.
    pub fn usable_jws_algorithms(&self) -> Result<Vec<JwsAlgorithm>> {
        if let Some(own) = self.alg() {
            let alg: JwsAlgorithm = own.parse().map_err(|_| {
                Error::KeyMismatch(format!("the key's alg {own:?} is not a JWS algorithm"))
            })?;
            self.check_jws(alg, KeyOperation::Verify)?;
            return Ok(vec![alg]);
        }
        let mut first_error = None;
        let mut fitting = Vec::new();
        for alg in crate::jwa::ALL_JWS_ALGORITHMS {
            match self.check_jws(alg, KeyOperation::Verify) {
                Ok(()) => fitting.push(alg),
                // An algorithm of the key's own type says why better than one of another type.
                Err(e) if alg.key_requirement().fits_type_of(self) => {
                    first_error.get_or_insert(e);
                }
                Err(_) => {}
            }
        }
        if fitting.is_empty() {
            return Err(first_error.unwrap_or_else(|| {
                Error::KeyMismatch(format!(
                    "no JWS algorithm uses a {} key{}",
                    self.key_type().name(),
                    self.curve_name()
                        .map(|c| format!(" on {c}"))
                        .unwrap_or_default()
                ))
            }));
        }
        Ok(fitting)
    }

    pub(crate) fn rsa_public(&self) -> Option<&RsaPublicKey> {
        match self.described() {
            Material::RsaPublic(k) => Some(k),
            Material::RsaPrivate(k) => Some(k.public()),
            _ => None,
        }
    }

    pub(crate) fn ec_public(&self) -> Option<&EcPublicKey> {
        match self.described() {
            Material::EcPublic(k) => Some(k),
            Material::EcPrivate(k) => Some(k.public()),
            _ => None,
        }
    }

    pub(crate) fn ed25519_public(&self) -> Option<&Ed25519PublicKey> {
        match self.described() {
            Material::Ed25519Public(k) => Some(k),
            Material::Ed25519Private(k) => Some(k.public()),
            _ => None,
        }
    }

    /// The ML-DSA parameter set of an `AKP` key.
    pub fn ml_dsa(&self) -> Option<MlDsa> {
        self.ml_dsa_public().map(MlDsaPublicKey::set)
    }

    pub(crate) fn ml_dsa_public(&self) -> Option<&MlDsaPublicKey> {
        match self.described() {
            Material::MlDsaPublic(k) => Some(k),
            Material::MlDsaPrivate(k) => Some(k.public()),
            _ => None,
        }
    }

    pub(crate) fn x25519_public(&self) -> Option<&X25519PublicKey> {
        match self.described() {
            Material::X25519Public(k) => Some(k),
            Material::X25519Private(k) => Some(k.public()),
            _ => None,
        }
    }

    /// A public EC key from a SEC1 point, uncompressed or compressed (validated to be on the
    /// curve).
    pub fn from_sec1_point(curve: EcCurve, point: &[u8]) -> Result<Jwk> {
        Ok(Jwk::from_material(Material::EcPublic(
            EcPublicKey::from_sec1(curve, point)?,
        )))
    }

    pub(crate) fn from_material(material: Material) -> Jwk {
        Jwk {
            material: Arc::new(material),
            kid: None,
            alg: None,
            key_use: None,
            key_ops: None,
            other: Map::new(),
        }
    }
}
