//! `--key FILE`: a JWK, a JWK Set, PEM (PKCS#8, SPKI, PKCS#1, SEC1, X.509) or an OpenSSH public
//! key line.

use std::path::Path;
use std::sync::Arc;

use joseguard::{Jwk, JwkSet};
use zeroize::Zeroizing;

use crate::cli::Hsm;
use crate::input;
use crate::Failure;

/// A signing key: a `pkcs11:` URI opens the key in its HSM (the private key stays there),
/// anything else is a key file (a JWK Set picks by `kid`).
pub fn signing_key(key: &Path, kid: Option<&str>, hsm: &Hsm) -> Result<Arc<Jwk>, Failure> {
    let Some(uri) = key.to_str().filter(|k| k.starts_with("pkcs11:")) else {
        if hsm.pkcs11_module.is_some() || hsm.pin_file.is_some() || hsm.pin_env.is_some() {
            return Err(Failure::Usage(
                "--pkcs11-module, --pin-file and --pin-env apply to --key pkcs11:... only".into(),
            ));
        }
        return KeyFile::load(key)?.single(kid);
    };
    let uri: joseguard_pkcs11::Pkcs11Uri = uri
        .parse()
        .map_err(|e| Failure::Usage(format!("--key: {e}")))?;
    let mut config = joseguard_pkcs11::Pkcs11Config::new(uri);
    config.module = hsm.pkcs11_module.clone();
    config.pin = joseguard_pkcs11::Pin::from_options(hsm.pin_file.clone(), hsm.pin_env.clone())
        .map_err(|e| Failure::Usage(format!("--pin-file/--pin-env: {e}")))?;
    config.sessions = 1;
    let jwk = joseguard_pkcs11::Pkcs11Key::open(config)
        .map_err(|e| Failure::Usage(format!("--key: {e}")))?
        .into_jwk()?;
    Ok(Arc::new(match kid {
        Some(kid) => jwk.with_kid(kid),
        None => jwk,
    }))
}

/// A key file's content: one key or a set.
pub enum KeyFile {
    /// One key.
    One(Arc<Jwk>),
    /// A JWK Set.
    Set(JwkSet),
}

impl KeyFile {
    /// Reads and parses `path`.
    pub fn load(path: &Path) -> Result<KeyFile, Failure> {
        KeyFile::parse(&input::read_file(path)?, &path.display().to_string())
    }

    /// Parses key text: a JWK Set when it is a JSON object with `keys`, else one key.
    pub fn parse(bytes: &[u8], what: &str) -> Result<KeyFile, Failure> {
        let text = Zeroizing::new(
            String::from_utf8(bytes.to_vec())
                .map_err(|_| Failure::Usage(format!("{what}: not text")))?,
        );
        let is_set = text.trim_start().starts_with('{')
            && serde_json::from_str::<serde_json::Value>(&text)
                .is_ok_and(|v| v.get("keys").is_some());
        if is_set {
            return Ok(KeyFile::Set(JwkSet::from_json(text.as_bytes())?));
        }
        Ok(KeyFile::One(Arc::new(Jwk::from_text(&text)?)))
    }

    /// One key for signing or encrypting: the key, or the set's key with `kid` (or its only key).
    pub fn single(self, kid: Option<&str>) -> Result<Arc<Jwk>, Failure> {
        match self {
            KeyFile::One(k) => Ok(k),
            KeyFile::Set(set) => {
                let mut matching: Vec<&Arc<Jwk>> = match kid {
                    Some(kid) => set.by_kid(kid).collect(),
                    None => set.keys().iter().collect(),
                };
                if matching.len() != 1 {
                    return Err(Failure::Usage(format!(
                        "the JWK Set has {} matching keys: name one with --kid",
                        matching.len()
                    )));
                }
                Ok(matching.remove(0).clone())
            }
        }
    }

    /// Every key (to derive default algorithm lists).
    pub fn all(&self) -> Vec<&Jwk> {
        match self {
            KeyFile::One(k) => vec![k.as_ref()],
            KeyFile::Set(s) => s.keys().iter().map(|k| k.as_ref()).collect(),
        }
    }

    /// The keys for a verifier: one key (its `kid` not consulted) or the set (chosen by `kid`).
    pub fn into_keys(self) -> joseguard::jws::Keys {
        match self {
            KeyFile::One(k) => k.into(),
            KeyFile::Set(s) => s.into(),
        }
    }

    /// The keys for a decrypter.
    pub fn into_decryption_keys(self) -> joseguard::jwe::DecryptionKeys {
        match self {
            KeyFile::One(k) => k.into(),
            KeyFile::Set(s) => s.into(),
        }
    }
}
