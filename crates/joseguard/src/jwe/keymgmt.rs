//! Key management (`alg`, RFC 7518 §4): how each algorithm fits a key, produces or recovers the
//! content-encryption key (CEK), and which header parameters it adds (`epk`, `iv`, `tag`, `p2s`,
//! `p2c`).

use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::b64;
use crate::crypto::ecdh::{AgreementKey, EcdhCurve};
use crate::crypto::{self, aes, kdf, RsaEncryption};
use crate::error::{Error, Result};
use crate::jwa::{ContentEncryption, EcCurve, KeyManagementAlgorithm as Alg, OkpCurve, Sha2};
use crate::jwk::{Jwk, KeyOperation, KeyType, Material};

/// Default and cap of the PBES2 iteration count. One number for both so that what joseguard
/// encrypts by default it also decrypts by default; raise both together.
pub const PBES2_DEFAULT_ITERATIONS: u32 = 10_000;

/// Options of the encrypting side.
#[derive(Default)]
pub(crate) struct WrapOptions {
    pub apu: Option<Vec<u8>>,
    pub apv: Option<Vec<u8>>,
    pub p2c: Option<u32>,
    pub p2s: Option<Vec<u8>>,
    /// A fixed ephemeral private key (ECDH-ES test vectors only).
    pub ephemeral: Option<Jwk>,
    /// A fixed IV for AES-GCM key wrap (test vectors only).
    pub gcmkw_iv: Option<Vec<u8>>,
}

/// True when the algorithm decides the CEK itself (no encrypted key travels).
pub(crate) fn determines_cek(alg: Alg) -> bool {
    matches!(alg, Alg::Dir | Alg::EcdhEs)
}

fn rsa_scheme(alg: Alg) -> Option<RsaEncryption> {
    Some(match alg {
        Alg::Rsa1_5 => RsaEncryption::Pkcs1v15,
        Alg::RsaOaep => RsaEncryption::OaepSha1,
        Alg::RsaOaep256 => RsaEncryption::OaepSha256,
        Alg::RsaOaep384 => RsaEncryption::OaepSha384,
        Alg::RsaOaep512 => RsaEncryption::OaepSha512,
        _ => return None,
    })
}

fn is_ecdh(alg: Alg) -> bool {
    matches!(
        alg,
        Alg::EcdhEs | Alg::EcdhEsA128KW | Alg::EcdhEsA192KW | Alg::EcdhEsA256KW
    )
}

fn is_pbes2(alg: Alg) -> bool {
    matches!(
        alg,
        Alg::Pbes2Hs256A128KW | Alg::Pbes2Hs384A192KW | Alg::Pbes2Hs512A256KW
    )
}

fn is_gcmkw(alg: Alg) -> bool {
    matches!(alg, Alg::A128GCMKW | Alg::A192GCMKW | Alg::A256GCMKW)
}

fn ecdh_curve(key: &Jwk) -> Option<EcdhCurve> {
    match (key.ec_curve(), key.okp_curve()) {
        (Some(curve), _) => EcdhCurve::from_ec(curve),
        (_, Some(OkpCurve::X25519)) => Some(EcdhCurve::X25519),
        _ => None,
    }
}

fn oct_bytes(key: &Jwk) -> Option<&[u8]> {
    match &*key.material {
        Material::Oct(k) => Some(k.bytes()),
        _ => None,
    }
}

/// Checks that `key` fits `alg` (and `enc`, for `dir`) and that its own `alg`/`use`/`key_ops`
/// allow the operation; for decryption the private part is needed.
pub(crate) fn check_key(
    key: &Jwk,
    alg: Alg,
    enc: ContentEncryption,
    decrypting: bool,
    min_rsa_bits: usize,
) -> Result<()> {
    let mismatch = || {
        Error::KeyMismatch(format!(
            "{alg} cannot use a {} key{}",
            key.key_type().name(),
            key.curve_name()
                .map(|c| format!(" on {c}"))
                .unwrap_or_default()
        ))
    };
    let op = match alg {
        Alg::Dir => {
            let k = oct_bytes(key).ok_or_else(mismatch)?;
            if k.len() != enc.key_len() {
                return Err(Error::KeyMismatch(format!(
                    "dir with {enc} needs a {}-byte key, this one has {}",
                    enc.key_len(),
                    k.len()
                )));
            }
            if decrypting {
                KeyOperation::Decrypt
            } else {
                KeyOperation::Encrypt
            }
        }
        _ if rsa_scheme(alg).is_some() => {
            let bits = key.rsa_bits().ok_or_else(mismatch)?;
            if bits < min_rsa_bits {
                return Err(Error::KeyTooSmall {
                    bits,
                    min: min_rsa_bits,
                });
            }
            if decrypting {
                KeyOperation::UnwrapKey
            } else {
                KeyOperation::WrapKey
            }
        }
        _ if is_ecdh(alg) => {
            ecdh_curve(key).ok_or_else(mismatch)?;
            KeyOperation::DeriveKey
        }
        _ if is_pbes2(alg) => {
            let k = oct_bytes(key).ok_or_else(mismatch)?;
            if k.is_empty() {
                return Err(mismatch());
            }
            if decrypting {
                KeyOperation::UnwrapKey
            } else {
                KeyOperation::WrapKey
            }
        }
        _ => {
            let want = alg
                .wrap_key_len()
                .expect("AES key wrap algorithms have a key length");
            let k = oct_bytes(key).ok_or_else(mismatch)?;
            if k.len() != want {
                return Err(Error::KeyMismatch(format!(
                    "{alg} needs a {want}-byte key, this one has {}",
                    k.len()
                )));
            }
            if decrypting {
                KeyOperation::UnwrapKey
            } else {
                KeyOperation::WrapKey
            }
        }
    };
    if decrypting && key.key_type() != KeyType::Oct && !key.is_private() {
        return Err(Error::PrivateKeyRequired);
    }
    // A `dir` key is the CEK itself, so its own `alg` may name the content encryption it serves
    // (the algorithm registry holds `enc` values too; RFC 7520 §5.6's key has `alg: A128GCM`).
    if alg == Alg::Dir && key.alg() == Some(enc.name()) {
        return key.check_usage(enc.name(), op);
    }
    key.check_usage(alg.name(), op)
}

/// The result of key management on the encrypting side.
pub(crate) struct Managed {
    pub cek: Zeroizing<Vec<u8>>,
    pub encrypted_key: Vec<u8>,
    /// Header parameters the algorithm adds (`epk`, `apu`, `apv`, `iv`, `tag`, `p2s`, `p2c`).
    pub params: Map<String, Value>,
}

/// Produces the encrypted key for `cek`, or (for `dir` and `ECDH-ES`, when `cek` is `None`) the CEK.
pub(crate) fn encrypt_key(
    alg: Alg,
    enc: ContentEncryption,
    key: &Jwk,
    cek: Option<&[u8]>,
    opts: &WrapOptions,
) -> Result<Managed> {
    let mut params = Map::new();
    let fresh_cek = || -> Result<Zeroizing<Vec<u8>>> {
        Ok(Zeroizing::new(match cek {
            Some(c) => c.to_vec(),
            None => crypto::random(enc.key_len())?,
        }))
    };
    if alg == Alg::Dir {
        let k = oct_bytes(key).ok_or_else(|| Error::KeyMismatch("dir needs an oct key".into()))?;
        return Ok(Managed {
            cek: Zeroizing::new(k.to_vec()),
            encrypted_key: Vec::new(),
            params,
        });
    }
    if let Some(scheme) = rsa_scheme(alg) {
        let cek = fresh_cek()?;
        let public = key
            .rsa_public()
            .ok_or_else(|| Error::KeyMismatch(format!("{alg} needs an RSA key")))?;
        let encrypted_key = public.encrypt(scheme, &cek)?;
        return Ok(Managed {
            cek,
            encrypted_key,
            params,
        });
    }
    if is_ecdh(alg) {
        let curve = ecdh_curve(key)
            .ok_or_else(|| Error::KeyMismatch(format!("{alg} needs an EC or X25519 key")))?;
        let generated;
        let ephemeral = match &opts.ephemeral {
            Some(jwk) => agreement_key(jwk)?,
            None => {
                generated = AgreementKey::generate(curve)?;
                &generated
            }
        };
        let z = ephemeral.agree(&recipient_point(key)?)?;
        params.insert("epk".into(), epk_value(curve, &ephemeral.public()?)?);
        let apu = opts.apu.as_deref().unwrap_or_default();
        let apv = opts.apv.as_deref().unwrap_or_default();
        if !apu.is_empty() {
            params.insert("apu".into(), b64::encode(apu).into());
        }
        if !apv.is_empty() {
            params.insert("apv".into(), b64::encode(apv).into());
        }
        if alg == Alg::EcdhEs {
            let cek = kdf::concat_kdf(&z, enc.name(), apu, apv, enc.key_len())?;
            return Ok(Managed {
                cek,
                encrypted_key: Vec::new(),
                params,
            });
        }
        let kek = kdf::concat_kdf(
            &z,
            alg.name(),
            apu,
            apv,
            alg.wrap_key_len().unwrap_or_default(),
        )?;
        let cek = fresh_cek()?;
        let encrypted_key = aes::key_wrap(&kek, &cek)?;
        return Ok(Managed {
            cek,
            encrypted_key,
            params,
        });
    }
    let kek_source =
        oct_bytes(key).ok_or_else(|| Error::KeyMismatch(format!("{alg} needs an oct key")))?;
    let cek = fresh_cek()?;
    if is_pbes2(alg) {
        let p2s = match &opts.p2s {
            Some(s) => s.clone(),
            None => crypto::random(16)?,
        };
        let p2c = opts.p2c.unwrap_or(PBES2_DEFAULT_ITERATIONS);
        let kek = pbes2_kek(alg, kek_source, &p2s, p2c)?;
        params.insert("p2s".into(), b64::encode(&p2s).into());
        params.insert("p2c".into(), p2c.into());
        let encrypted_key = aes::key_wrap(&kek, &cek)?;
        return Ok(Managed {
            cek,
            encrypted_key,
            params,
        });
    }
    if is_gcmkw(alg) {
        let iv = match &opts.gcmkw_iv {
            Some(iv) => iv.clone(),
            None => crypto::random(12)?,
        };
        let (encrypted_key, tag) = aes::gcm_seal(kek_source, &iv, &[], &cek)?;
        params.insert("iv".into(), b64::encode(&iv).into());
        params.insert("tag".into(), b64::encode(&tag).into());
        return Ok(Managed {
            cek,
            encrypted_key,
            params,
        });
    }
    let encrypted_key = aes::key_wrap(kek_source, &cek)?;
    Ok(Managed {
        cek,
        encrypted_key,
        params,
    })
}

fn pbes2_kek(alg: Alg, password: &[u8], p2s: &[u8], p2c: u32) -> Result<Zeroizing<Vec<u8>>> {
    // RFC 7518 §4.8.1.1: salt = UTF8(alg) ‖ 0x00 ‖ p2s.
    let mut salt = Vec::with_capacity(alg.name().len() + 1 + p2s.len());
    salt.extend_from_slice(alg.name().as_bytes());
    salt.push(0);
    salt.extend_from_slice(p2s);
    let hash = match alg {
        Alg::Pbes2Hs256A128KW => Sha2::Sha256,
        Alg::Pbes2Hs384A192KW => Sha2::Sha384,
        _ => Sha2::Sha512,
    };
    kdf::pbkdf2(
        hash,
        password,
        &salt,
        p2c,
        alg.wrap_key_len().unwrap_or_default(),
    )
}

/// The private key of `jwk` as an agreement key (built once per key and kept with it).
fn agreement_key(jwk: &Jwk) -> Result<&AgreementKey> {
    match &*jwk.material {
        Material::EcPrivate(k) => k.agreement(),
        Material::X25519Private(k) => k.agreement(),
        _ => Err(Error::PrivateKeyRequired),
    }
}

fn recipient_point(key: &Jwk) -> Result<Vec<u8>> {
    if let Some(k) = key.ec_public() {
        return Ok(k.sec1_uncompressed().to_vec());
    }
    key.x25519_public()
        .map(|k| k.x().to_vec())
        .ok_or_else(|| Error::KeyMismatch("ECDH-ES needs an EC or X25519 key".into()))
}

fn epk_value(curve: EcdhCurve, public: &[u8]) -> Result<Value> {
    let jwk = match curve {
        EcdhCurve::X25519 => Jwk::from_json(format!(
            r#"{{"kty":"OKP","crv":"X25519","x":"{}"}}"#,
            b64::encode(public)
        ))?,
        _ => Jwk::from_sec1_point(
            match curve {
                EcdhCurve::P256 => EcCurve::P256,
                EcdhCurve::P384 => EcCurve::P384,
                _ => EcCurve::P521,
            },
            public,
        )?,
    };
    Ok(jwk.to_public_value())
}

/// A header parameter that holds base64url bytes.
fn b64_param<'a>(
    lookup: &impl Fn(&str) -> Option<&'a Value>,
    name: &str,
) -> Result<Option<Vec<u8>>> {
    match lookup(name) {
        None => Ok(None),
        Some(Value::String(s)) => b64::decode(s, name).map(Some),
        Some(_) => Err(Error::header(name, "must be a base64url string")),
    }
}

fn required_b64_param<'a>(
    lookup: &impl Fn(&str) -> Option<&'a Value>,
    name: &str,
) -> Result<Vec<u8>> {
    b64_param(lookup, name)?.ok_or_else(|| Error::header(name, "missing"))
}

/// Recovers the CEK on the decrypting side. `pbes2_max` caps the PBES2 iteration count.
///
/// For RSA1_5, a failed unwrap yields a random CEK of the right length instead of an error, so
/// that the failure shows up as the same content-decryption failure as any other
/// (RFC 7516 §11.5, Bleichenbacher).
pub(crate) fn decrypt_key<'a>(
    alg: Alg,
    enc: ContentEncryption,
    key: &Jwk,
    encrypted_key: &[u8],
    lookup: &impl Fn(&str) -> Option<&'a Value>,
    pbes2_max: u32,
) -> Result<Zeroizing<Vec<u8>>> {
    let no_encrypted_key = || {
        if encrypted_key.is_empty() {
            Ok(())
        } else {
            Err(Error::Malformed(format!("{alg} carries no encrypted key")))
        }
    };
    if alg == Alg::Dir {
        no_encrypted_key()?;
        let k = oct_bytes(key).ok_or(Error::DecryptionFailed)?;
        return Ok(Zeroizing::new(k.to_vec()));
    }
    if let Some(scheme) = rsa_scheme(alg) {
        let Material::RsaPrivate(private) = &*key.material else {
            return Err(Error::PrivateKeyRequired);
        };
        return match private.decrypt(scheme, encrypted_key) {
            Ok(cek) if alg != Alg::Rsa1_5 || cek.len() == enc.key_len() => Ok(cek),
            Ok(_) | Err(_) if alg == Alg::Rsa1_5 => {
                Ok(Zeroizing::new(crypto::random(enc.key_len())?))
            }
            Ok(_) => Err(Error::DecryptionFailed),
            Err(e) => Err(e),
        };
    }
    if is_ecdh(alg) {
        let curve = ecdh_curve(key)
            .ok_or_else(|| Error::KeyMismatch(format!("{alg} needs an EC or X25519 key")))?;
        let epk_value = lookup("epk").ok_or_else(|| Error::header("epk", "missing"))?;
        let epk = Jwk::from_value(epk_value).map_err(|e| Error::header("epk", e.to_string()))?;
        if ecdh_curve(&epk) != Some(curve) || epk.key_type() != key.key_type() {
            // Invalid-curve attacks start with an epk on another curve (CVE-2017-16007).
            return Err(Error::header(
                "epk",
                format!(
                    "not on the recipient key's curve {}",
                    key.curve_name().unwrap_or("?")
                ),
            ));
        }
        let recipient = agreement_key(key)?;
        let z = recipient.agree(&recipient_point(&epk)?)?;
        let apu = b64_param(lookup, "apu")?.unwrap_or_default();
        let apv = b64_param(lookup, "apv")?.unwrap_or_default();
        if alg == Alg::EcdhEs {
            no_encrypted_key()?;
            return kdf::concat_kdf(&z, enc.name(), &apu, &apv, enc.key_len());
        }
        let kek = kdf::concat_kdf(
            &z,
            alg.name(),
            &apu,
            &apv,
            alg.wrap_key_len().unwrap_or_default(),
        )?;
        return aes::key_unwrap(&kek, encrypted_key);
    }
    let secret =
        oct_bytes(key).ok_or_else(|| Error::KeyMismatch(format!("{alg} needs an oct key")))?;
    if is_pbes2(alg) {
        let p2c = match lookup("p2c") {
            Some(Value::Number(n)) => n
                .as_u64()
                .ok_or_else(|| Error::header("p2c", "must be a positive integer"))?,
            Some(_) => return Err(Error::header("p2c", "must be a positive integer")),
            None => return Err(Error::header("p2c", "missing")),
        };
        // Checked before any PBKDF2 work: CVE-2022-36083, CVE-2023-50967.
        if p2c == 0 || p2c > u64::from(pbes2_max) {
            return Err(Error::TooLarge {
                what: "p2c (PBES2 iterations)",
                limit: pbes2_max as usize,
            });
        }
        let p2s = required_b64_param(lookup, "p2s")?;
        if p2s.len() < 8 {
            return Err(Error::header("p2s", "must be at least 8 bytes"));
        }
        let kek = pbes2_kek(alg, secret, &p2s, p2c as u32)?;
        return aes::key_unwrap(&kek, encrypted_key);
    }
    if is_gcmkw(alg) {
        let iv = required_b64_param(lookup, "iv")?;
        let tag = required_b64_param(lookup, "tag")?;
        if iv.len() != 12 {
            return Err(Error::header("iv", "must be 12 bytes"));
        }
        if tag.len() != 16 {
            return Err(Error::header("tag", "must be 16 bytes"));
        }
        if encrypted_key.len() != enc.key_len() {
            return Err(Error::DecryptionFailed);
        }
        return aes::gcm_open(secret, &iv, &[], encrypted_key, &tag);
    }
    aes::key_unwrap(secret, encrypted_key)
}
