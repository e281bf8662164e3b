//! A signing worker's keys: a key file (generated on first start when asked), or a key in an
//! HSM by PKCS#11 URI; each with an optional certificate chain and validity window
//! (`[[worker.keys]]` for rotation).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use joseguard::{Jwk, JwsAlgorithm, KeySpec, Sha2};
use joseguard_pkcs11::{Pin, Pkcs11Config, Pkcs11Key, Pkcs11Uri};
use serde_json::Value;

use super::schema::{self, CertificateHeader};
use super::{err, resolve_path, ConfigError};
use crate::runtime::SigningKey;

/// Where one key comes from: the worker's own settings or a `[[worker.keys]]` entry.
struct KeySource<'a> {
    key: String,
    kid: Option<&'a String>,
    key_file: Option<&'a String>,
    generate: Option<&'a String>,
    uri: Option<&'a String>,
    certificate_chain: Option<&'a String>,
    not_before: Option<&'a String>,
    not_after: Option<&'a String>,
}

/// Every key of a signing worker, checked against its algorithms (default: the first that fits
/// its first key); `alg` is published when there is one.
pub(super) fn build_all(
    key: &str,
    w: &schema::Worker,
    base: &Path,
    persist: bool,
) -> Result<(Vec<SigningKey>, Vec<JwsAlgorithm>), ConfigError> {
    // With [[worker.keys]], each entry says these for itself; a worker-level one would be
    // silently ignored.
    let single = w.key_file.is_some()
        || w.generate.is_some()
        || w.key.is_some()
        || w.kid.is_some()
        || w.certificate_chain.is_some();
    let sources: Vec<KeySource<'_>> = match (single, w.keys.is_empty()) {
        (true, false) => return Err(err(key, "set key_file/key/generate/kid/certificate_chain on the worker or in each [[worker.keys]] entry, not both")),
        (_, true) => vec![KeySource {
            key: key.to_owned(),
            kid: w.kid.as_ref(),
            key_file: w.key_file.as_ref(),
            generate: w.generate.as_ref(),
            uri: w.key.as_ref(),
            certificate_chain: w.certificate_chain.as_ref(),
            not_before: None,
            not_after: None,
        }],
        (false, false) => w
            .keys
            .iter()
            .enumerate()
            .map(|(i, k)| KeySource {
                key: format!("{key}.keys[{i}]"),
                kid: k.kid.as_ref(),
                key_file: k.key_file.as_ref(),
                generate: k.generate.as_ref(),
                uri: k.key.as_ref(),
                certificate_chain: k.certificate_chain.as_ref(),
                not_before: k.not_before.as_ref(),
                not_after: k.not_after.as_ref(),
            })
            .collect(),
    };
    let hsm_settings = w.pkcs11_module.is_some() || w.pin_file.is_some() || w.pin_env.is_some();
    if hsm_settings && sources.iter().all(|s| s.uri.is_none()) {
        // Settings that would do nothing: say so rather than let the operator believe the key
        // is in the HSM.
        return Err(err(
            key,
            "pkcs11_module, pin_file and pin_env apply to keys named key = \"pkcs11:...\"; this worker has none",
        ));
    }
    if let Some(bare) = sources.iter().find(|s| s.certificate_chain.is_none()) {
        if w.certificate_header.is_some() {
            // Naming a certificate that is not there would sign without it, silently.
            return Err(err(
                &format!("{key}.certificate_header"),
                format!("needs a certificate_chain to name ({} has none)", bare.key),
            ));
        }
    }
    let mut keys: Vec<SigningKey> = Vec::with_capacity(sources.len());
    for source in &sources {
        let k = build(source, w, base, persist)?;
        if keys.iter().any(|other| other.kid == k.kid) {
            return Err(err(&source.key, format!("kid {:?} is used twice", k.kid)));
        }
        keys.push(k);
    }
    // Default: each key's first algorithm (one per key type, so a rotation from EC:P-256 to
    // ML-DSA-65 offers ES256 then ML-DSA-65).
    let mut algorithms = w.algorithms.clone();
    if algorithms.is_empty() {
        for k in &keys {
            if let Some(alg) = k.key.jws_algorithms().first() {
                if !algorithms.contains(alg) {
                    algorithms.push(*alg);
                }
            }
        }
    }
    if algorithms.is_empty() {
        return Err(err(&format!("{key}.algorithms"), "name an algorithm"));
    }
    // Every key signs with at least one offered algorithm (a request gets one that fits the
    // key current when it signs); a key that fits exactly one publishes it as `alg`.
    for (k, source) in keys.iter_mut().zip(&sources) {
        let fits: Vec<JwsAlgorithm> = algorithms
            .iter()
            .copied()
            .filter(|a| k.key.check_jws(*a, joseguard::KeyOperation::Sign).is_ok())
            .collect();
        match fits.as_slice() {
            [] => {
                let first = algorithms[0];
                let why = k
                    .key
                    .check_jws(first, joseguard::KeyOperation::Sign)
                    .err()
                    .map_or_else(String::new, |e| e.to_string());
                return Err(err(
                    &format!("{}: algorithms", source.key),
                    format!("no offered algorithm fits this key ({why})"),
                ));
            }
            [only] => {
                if let Value::Object(m) = &mut k.public {
                    m.insert("alg".into(), only.name().into());
                }
            }
            _ => {}
        }
    }
    Ok((keys, algorithms))
}

fn instant(key: &str, text: Option<&String>) -> Result<Option<i64>, ConfigError> {
    text.map(|t| {
        humantime::parse_rfc3339_weak(t)
            .map_err(|e| err(key, format!("{t:?}: {e} (write e.g. 2026-12-01T00:00:00Z)")))
            .map(|at| {
                at.duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64)
            })
    })
    .transpose()
}

fn build(
    source: &KeySource<'_>,
    w: &schema::Worker,
    base: &Path,
    persist: bool,
) -> Result<SigningKey, ConfigError> {
    let key = source.key.as_str();
    let (jwk, hsm) = match (source.uri, source.key_file) {
        (Some(_), Some(_)) => return Err(err(key, "set key or key_file, not both")),
        (Some(uri), None) => {
            let hsm = hsm_key(key, uri, w, base)?;
            let jwk = hsm
                .clone()
                .into_jwk()
                .map_err(|e| err(&format!("{key}.key"), e))?;
            (jwk, Some(hsm))
        }
        (None, _) => (file_key(key, source, w, base, persist)?, None),
    };
    let kid = match source.kid {
        Some(k) => k.clone(),
        None => jwk.thumbprint_b64(Sha2::Sha256),
    };
    let jwk = jwk.with_kid(kid.clone());
    let mut public = jwk.to_public_value();
    if let Value::Object(m) = &mut public {
        m.insert("use".into(), "sig".into());
    }
    let (certificate, certificate_expires) = match source.certificate_chain {
        None => (None, None),
        Some(file) => {
            let chain = certificate_chain(
                &format!("{key}.certificate_chain"),
                &resolve_path(base, file),
                &jwk,
            )?;
            if let Value::Object(m) = &mut public {
                m.insert("x5c".into(), chain.x5c.clone());
            }
            warn_expiry(&w.name, &kid, chain.not_after, w.certificate_warn);
            let named = match w.certificate_header.unwrap_or(CertificateHeader::X5c) {
                CertificateHeader::X5c => ("x5c", chain.x5c),
                CertificateHeader::X5tS256 => ("x5t#S256", Value::String(chain.x5t_s256)),
            };
            (Some(named), Some((chain.not_before, chain.not_after)))
        }
    };
    // A key signs only while its certificate is valid too: rotation moves on when the leaf
    // expires, and /readyz says so when no key is left.
    let not_before = instant(&format!("{key}.not_before"), source.not_before)?
        .max(certificate_expires.map(|(nb, _)| nb));
    let not_after = match (
        instant(&format!("{key}.not_after"), source.not_after)?,
        certificate_expires.map(|(_, na)| na),
    ) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let certificate_expires = certificate_expires.map(|(_, na)| na);
    if let (Some(nb), Some(na)) = (not_before, not_after) {
        if nb >= na {
            return Err(err(&format!("{key}.not_after"), "must be after not_before"));
        }
    }
    Ok(SigningKey {
        key: Arc::new(jwk),
        kid,
        public,
        not_before,
        not_after,
        certificate,
        certificate_expires,
        slots: hsm
            .as_ref()
            .map(|_| Arc::new(tokio::sync::Semaphore::new(w.sessions.max(1)))),
        hsm,
    })
}

/// A PKCS#11 key: the module and PIN from the worker (or the URI), opened now, so that a
/// wrong PIN or a missing key stops the start.
fn hsm_key(
    key: &str,
    uri: &str,
    w: &schema::Worker,
    base: &Path,
) -> Result<Pkcs11Key, ConfigError> {
    let k = format!("{key}.key");
    let uri: Pkcs11Uri = uri.parse().map_err(|e| err(&k, e))?;
    let mut config = Pkcs11Config::new(uri);
    config.module = w.pkcs11_module.as_ref().map(|m| resolve_path(base, m));
    config.pin = Pin::from_options(
        w.pin_file.as_ref().map(|f| resolve_path(base, f)),
        w.pin_env.clone(),
    )
    .map_err(|e| err(key, e))?;
    config.sessions = w.sessions;
    Pkcs11Key::open(config).map_err(|e| err(&k, e))
}

fn file_key(
    key: &str,
    source: &KeySource<'_>,
    w: &schema::Worker,
    base: &Path,
    persist: bool,
) -> Result<Jwk, ConfigError> {
    let fkey = format!("{key}.key_file");
    let file = source.key_file.ok_or_else(|| {
        err(
            &fkey,
            "a signing key needs key_file (with generate = \"EC:P-256\" to create it) or key = \"pkcs11:...\"",
        )
    })?;
    let path = resolve_path(base, file);
    let jwk = if path.exists() {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| err(&fkey, format!("{}: {e}", path.display())))?;
        Jwk::from_text(&text).map_err(|e| err(&fkey, e))?
    } else if let Some(spec) = source.generate {
        let spec: KeySpec = spec
            .parse()
            .map_err(|e| err(&format!("{key}.generate"), e))?;
        let jwk = Jwk::generate(spec).map_err(|e| err(&format!("{key}.generate"), e))?;
        if persist {
            save_new_key(&path, &jwk.to_json()).map_err(|e| err(&fkey, e))?;
            tracing::info!(worker = %w.name, path = %path.display(), "generated a signing key");
        }
        jwk
    } else {
        return Err(err(
            &fkey,
            format!(
                "{} does not exist (add generate = \"EC:P-256\" to create it)",
                path.display()
            ),
        ));
    };
    if !jwk.is_private() || jwk.key_type() == joseguard::KeyType::Oct {
        return Err(err(
            &fkey,
            "a signing worker needs a private asymmetric key (its public key is published)",
        ));
    }
    Ok(jwk)
}

/// Writes a new private key readable by its owner only; never overwrites.
fn save_new_key(path: &Path, json: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(path)?;
    f.write_all(json.as_bytes())?;
    f.sync_all()
}

/// A signer's certificate chain: its `x5c` value, the leaf's `x5t#S256`, and the leaf's
/// validity (seconds since the epoch).
struct Chain {
    x5c: Value,
    x5t_s256: String,
    not_before: i64,
    not_after: i64,
}

/// Reads a PEM chain, leaf first, each certificate issued by the next (by name), whose leaf
/// certifies exactly `key`'s public key and has not expired.
fn certificate_chain(key: &str, path: &Path, jwk: &Jwk) -> Result<Chain, ConfigError> {
    use base64::Engine;
    use der::Decode;
    use x509_cert::Certificate;
    let at = |why: String| err(key, format!("{}: {why}", path.display()));
    let text = std::fs::read(path).map_err(|e| at(e.to_string()))?;
    let ders = joseguard_keys::x5c::load_pem_certs(&text).map_err(at)?;
    let certs: Vec<Certificate> = ders
        .iter()
        .map(|d| Certificate::from_der(d))
        .collect::<Result<_, _>>()
        .map_err(|e| at(e.to_string()))?;
    let leaf_key = Jwk::from_certificate_der(&ders[0]).map_err(|e| err(key, e))?;
    if leaf_key.thumbprint(Sha2::Sha256) != jwk.thumbprint(Sha2::Sha256) {
        return Err(err(key, "the first certificate is not for this key"));
    }
    for (n, pair) in certs.windows(2).enumerate() {
        if pair[0].tbs_certificate.issuer != pair[1].tbs_certificate.subject {
            return Err(at(format!(
                "certificate {} was not issued by certificate {} (leaf first, then each issuer)",
                n + 1,
                n + 2
            )));
        }
    }
    let validity = &certs[0].tbs_certificate.validity;
    let seconds = |t: &x509_cert::time::Time| t.to_unix_duration().as_secs() as i64;
    let (not_before, not_after) = (seconds(&validity.not_before), seconds(&validity.not_after));
    if not_after <= joseguard::jwt::now() {
        return Err(at(format!(
            "the signer's certificate expired {} s ago",
            joseguard::jwt::now() - not_after
        )));
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    Ok(Chain {
        x5c: Value::Array(ders.iter().map(|d| b64.encode(d).into()).collect()),
        x5t_s256: joseguard::b64::encode(Sha2::Sha256.digest(&ders[0])),
        not_before,
        not_after,
    })
}

/// Logs when the certificate expires within `window` (the metric gives the time left on every
/// scrape; an expired one was refused already).
fn warn_expiry(worker: &str, kid: &str, not_after: i64, window: Duration) {
    let left = not_after - joseguard::jwt::now();
    if left < window.as_secs() as i64 {
        tracing::warn!(
            worker,
            kid,
            days = left / 86_400,
            "the signer's certificate expires soon"
        );
    }
}
