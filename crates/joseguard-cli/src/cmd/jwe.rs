//! `joseguard jwe ...`

use std::sync::Arc;

use joseguard::jwa::{ContentEncryption, KeyManagementAlgorithm, ALL_CONTENT_ENCRYPTIONS};
use joseguard::jwe::{self, DecryptPolicy, Decrypter, Header};
use joseguard::{b64, Jwk};
use zeroize::Zeroizing;

use super::parse_all;
use crate::cli::{Format, JweCommand, JweDecrypt, JweEncrypt, Password};
use crate::input;
use crate::keys::KeyFile;
use crate::{Failure, Outcome};

pub fn run(c: JweCommand) -> Outcome {
    match c {
        JweCommand::Encrypt(e) => encrypt(e),
        JweCommand::Decrypt(d) => {
            let token = input::token(d.token.as_deref())?;
            Ok(decrypter(&d)?.decrypt(&token)?.plaintext)
        }
    }
}

/// A PBES2 password as an `oct` key (how JOSE libraries carry passwords).
fn password_key(p: &Password) -> Result<Option<Jwk>, Failure> {
    let bytes = match (&p.password, &p.password_file) {
        (Some(pw), _) => Zeroizing::new(pw.as_bytes().to_vec()),
        (None, Some(path)) => {
            let mut b = Zeroizing::new(input::read_file(path)?);
            while b.last().is_some_and(|c| *c == b'\n' || *c == b'\r') {
                b.pop();
            }
            b
        }
        (None, None) => return Ok(None),
    };
    if bytes.is_empty() {
        return Err(Failure::Usage("the password is empty".into()));
    }
    let jwk = Zeroizing::new(format!(
        r#"{{"kty":"oct","k":"{}"}}"#,
        b64::encode(&bytes[..])
    ));
    Ok(Some(Jwk::from_json(jwk.as_bytes())?))
}

fn key_file(key: &Option<std::path::PathBuf>, password: &Password) -> Result<KeyFile, Failure> {
    match (key, password_key(password)?) {
        (_, Some(pw)) => Ok(KeyFile::One(Arc::new(pw))),
        (Some(path), None) => KeyFile::load(path),
        (None, None) => Err(Failure::Usage(
            "give --key, --password or --password-file".into(),
        )),
    }
}

fn encrypt(e: JweEncrypt) -> Outcome {
    let alg: KeyManagementAlgorithm = e
        .alg
        .parse()
        .map_err(|err: joseguard::Error| Failure::Usage(err.to_string()))?;
    let enc: ContentEncryption = e
        .enc
        .parse()
        .map_err(|err: joseguard::Error| Failure::Usage(err.to_string()))?;
    let key: Arc<Jwk> = key_file(&e.key, &e.password)?.single(e.kid.as_deref())?;
    let plaintext = input::read(e.plaintext.as_deref())?;
    let mut protected = Header::new();
    if let Some(kid) = &e.kid {
        protected.insert("kid", kid.as_str());
    }
    if let Some(cty) = &e.cty {
        protected.insert("cty", cty.as_str());
    }
    let mut builder = jwe::Builder::new(&plaintext, enc)
        .protected(protected)
        .zip(e.zip.is_some());
    if let Some(n) = e.iterations {
        builder = builder.pbes2_iterations(n);
    }
    let builder = builder.recipient(&key, alg)?;
    let out = match e.format {
        Format::Compact => builder.compact(),
        Format::Flattened => builder.flattened(),
        Format::General => builder.general(),
    };
    out.map(String::into_bytes).map_err(Failure::from)
}

/// A decrypter from `--key`/`--password`, `--alg` and `--enc`.
pub fn decrypter(d: &JweDecrypt) -> Result<Decrypter, Failure> {
    let file = key_file(&d.key, &d.password)?;
    let encs: Vec<ContentEncryption> = if d.enc.is_empty() {
        ALL_CONTENT_ENCRYPTIONS.to_vec()
    } else {
        parse_all(&d.enc)?
    };
    let algs: Vec<KeyManagementAlgorithm> = if d.alg.is_empty() {
        // Everything that fits some key, except what must be named explicitly; a key that fits
        // nothing is a rejected key, and the message says why (or which --alg enables it).
        let mut algs = Vec::new();
        let mut defect = None;
        for key in file.all() {
            match jwe::usable_algorithms(key, &encs) {
                Ok(a) => algs.extend(a),
                Err(e) => {
                    defect.get_or_insert(e);
                }
            }
        }
        algs.sort();
        algs.dedup();
        if algs.is_empty() {
            return Err(match defect {
                Some(joseguard::Error::KeyMismatch(m)) if m.contains("enabled explicitly") => {
                    Failure::Rejected(joseguard::Error::KeyMismatch(format!(
                        "{m}; to decrypt anyway, name it with --alg"
                    )))
                }
                Some(e) => Failure::Rejected(e),
                None => Failure::Usage("the JWK Set holds no key".into()),
            });
        }
        algs
    } else {
        parse_all(&d.alg)?
    };
    let policy = DecryptPolicy::new_explicit(algs, encs, d.max_iterations)
        .map_err(|e| Failure::Usage(e.to_string()))?;
    Ok(Decrypter::new(policy, file.into_decryption_keys()))
}
