//! `joseguard key ...`

use std::sync::Arc;

use joseguard::{Jwk, KeySpec, Sha2};
use zeroize::Zeroizing;

use super::json;
use crate::cli::{Hash, KeyCommand, KeyFormat, KeyUse};
use crate::input;
use crate::keys::KeyFile;
use crate::{Failure, Outcome};

pub fn run(c: KeyCommand) -> Outcome {
    match c {
        KeyCommand::Generate {
            spec,
            alg,
            kid,
            key_use,
        } => {
            let spec: KeySpec = spec
                .parse()
                .map_err(|e: joseguard::Error| Failure::Usage(e.to_string()))?;
            let mut key = Jwk::generate(spec)?;
            if let Some(alg) = &alg {
                fits_alg(&key, alg).map_err(|e| Failure::Usage(format!("--alg {alg}: {e}")))?;
            }
            key.set_alg(alg);
            key.set_key_use(key_use.map(|u| match u {
                KeyUse::Sig => "sig".to_owned(),
                KeyUse::Enc => "enc".to_owned(),
            }));
            key.set_kid(match kid.as_deref() {
                Some("thumbprint") => Some(key.thumbprint_b64(Sha2::Sha256)),
                other => other.map(str::to_owned),
            });
            Ok(Zeroizing::new(key.to_json()).as_bytes().to_vec())
        }
        KeyCommand::Public { file } => match parse_any(file.as_deref())? {
            KeyFile::One(k) => Ok(json(&k.to_public()?.to_value())),
            KeyFile::Set(s) => Ok(json(&s.to_public_value())),
        },
        KeyCommand::Thumbprint { file, hash, uri } => {
            let key = one(file.as_deref())?;
            let hash = match hash {
                Hash::Sha256 => Sha2::Sha256,
                Hash::Sha384 => Sha2::Sha384,
                Hash::Sha512 => Sha2::Sha512,
            };
            let out = if uri {
                key.thumbprint_uri(hash)
            } else {
                key.thumbprint_b64(hash)
            };
            Ok(out.into_bytes())
        }
        KeyCommand::Convert { file, to } => {
            let key = one(file.as_deref())?;
            match to {
                KeyFormat::Jwk => Ok(Zeroizing::new(key.to_json()).as_bytes().to_vec()),
                KeyFormat::Pem if key.is_private() => Ok(key.to_private_pem()?.as_bytes().to_vec()),
                KeyFormat::Pem => Ok(key.to_public_pem()?.into_bytes()),
            }
        }
    }
}

/// Whether `alg` is a registered JWS or JWE key-management algorithm `key` can serve: a key is
/// not generated with an `alg` member it could never be used with.
fn fits_alg(key: &Jwk, alg: &str) -> Result<(), joseguard::Error> {
    if let Ok(jws) = alg.parse::<joseguard::JwsAlgorithm>() {
        return key.check_jws(jws, joseguard::KeyOperation::Verify);
    }
    let kma: joseguard::jwa::KeyManagementAlgorithm =
        alg.parse().map_err(|_| joseguard::Error::AlgUnsupported {
            alg: format!("{alg} (not a registered JWS or JWE key-management algorithm)"),
        })?;
    let mut outcomes = joseguard::jwa::ALL_CONTENT_ENCRYPTIONS
        .iter()
        .map(|enc| joseguard::jwe::check_key(key, kma, *enc, false));
    let first = outcomes.next().unwrap_or(Ok(()));
    if first.is_ok() || outcomes.any(|r| r.is_ok()) {
        return Ok(());
    }
    first
}

fn parse_any(file: Option<&str>) -> Result<KeyFile, Failure> {
    KeyFile::parse(
        &Zeroizing::new(input::read(file)?),
        file.unwrap_or("standard input"),
    )
}

fn one(file: Option<&str>) -> Result<Arc<Jwk>, Failure> {
    match parse_any(file)? {
        KeyFile::One(k) => Ok(k),
        KeyFile::Set(s) if s.len() == 1 => Ok(s.keys()[0].clone()),
        KeyFile::Set(s) => Err(Failure::Usage(format!(
            "expected one key, the JWK Set has {}",
            s.len()
        ))),
    }
}
