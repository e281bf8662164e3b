//! `joseguard jws ...`

use std::sync::Arc;

use joseguard::jws::{self, Header, Verifier, VerifyPolicy};
use joseguard::{Jwk, JwsAlgorithm};

use super::parse_all;
use crate::cli::{Format, JwsCommand, JwsSign, VerifyKey};
use crate::input;
use crate::keys::KeyFile;
use crate::{Failure, Outcome};

pub fn run(c: JwsCommand) -> Outcome {
    match c {
        JwsCommand::Sign(s) => sign(s),
        JwsCommand::Verify {
            key,
            payload,
            token,
        } => {
            let token = input::token(token.as_deref())?;
            let verifier = verifier(&key)?;
            let verified = match payload {
                Some(p) => verifier.verify_detached(&token, &input::read_file(&p)?)?,
                None => verifier.verify(&token)?,
            };
            Ok(verified.payload)
        }
    }
}

/// A verifier from `--key` and `--alg` (default: the key's algorithms).
pub fn verifier(k: &VerifyKey) -> Result<Verifier, Failure> {
    let file = KeyFile::load(&k.key)?;
    let algs = algorithms(&k.alg, &file)?;
    let policy = VerifyPolicy::new(algs)
        .map_err(|e| Failure::Usage(e.to_string()))?
        .allow_private_headers(k.allow_header.iter().cloned());
    Ok(Verifier::new(policy, file.into_keys()))
}

/// `--alg` values, or every algorithm some key of the file fits (its own `alg` when set). A key
/// that fits none is a rejected key (exit 1), and the message says what is wrong with it.
pub fn algorithms(names: &[String], file: &KeyFile) -> Result<Vec<JwsAlgorithm>, Failure> {
    if !names.is_empty() {
        return parse_all(names);
    }
    let mut algs = Vec::new();
    let mut defect = None;
    for key in file.all() {
        match key.usable_jws_algorithms() {
            Ok(a) => algs.extend(a),
            Err(e) => {
                defect.get_or_insert(e);
            }
        }
    }
    algs.sort();
    algs.dedup();
    match (algs.is_empty(), defect) {
        (false, _) => Ok(algs),
        (true, Some(e)) => Err(Failure::Rejected(e)),
        (true, None) => Err(Failure::Usage("the JWK Set holds no key".into())),
    }
}

fn sign(s: JwsSign) -> Outcome {
    if s.key.len() != s.alg.len() {
        return Err(Failure::Usage("give one --alg per --key".into()));
    }
    if s.key.len() > 1 && s.format != Format::General {
        return Err(Failure::Usage(
            "several signatures need --format general".into(),
        ));
    }
    let payload = input::read(s.payload.as_deref())?;
    let algs: Vec<JwsAlgorithm> = parse_all(&s.alg)?;
    let keys: Vec<Arc<Jwk>> = s
        .key
        .iter()
        .map(|p| crate::keys::signing_key(p, s.kid.as_deref(), &s.hsm))
        .collect::<Result<_, _>>()?;
    let mut protected = match &s.protected {
        Some(p) => Header::from_map(input::json_object(p, "--protected")?),
        None => Header::new(),
    };
    if let Some(kid) = &s.kid {
        protected.insert("kid", kid.as_str());
    }
    let unprotected = match &s.header {
        Some(h) => Some(Header::from_map(input::json_object(h, "--header")?)),
        None => None,
    };
    let mut builder = jws::Builder::new(&payload).b64(s.b64).detached(s.detached);
    for (key, alg) in keys.iter().zip(algs) {
        builder =
            builder.signer_with_unprotected(key, alg, protected.clone(), unprotected.clone())?;
    }
    let out = match s.format {
        Format::Compact => builder.compact(),
        Format::Flattened => builder.flattened(),
        Format::General => builder.general(),
    };
    out.map(String::into_bytes).map_err(|e| match e {
        joseguard::Error::Config(m) => Failure::Usage(m),
        other => Failure::Rejected(other),
    })
}
