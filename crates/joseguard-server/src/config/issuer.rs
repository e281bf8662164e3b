//! `[[issuer]]` tables into [`Issuer`]s: keys parsed once (every form: OpenSSH, PEM, base64
//! SPKI, JWK, JWK Set file or URL), `x5c` trust anchors loaded, the verification policy built.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use joseguard::jws::{Keys, VerifyPolicy};
use joseguard::Jwk;
use joseguard_keys::{x5c, JwksSource, LocalJwks, RemoteConfig, RemoteJwks};
use toml::Spanned;

use super::schema::{self, KeyEntry};
use super::{err, resolve_path, ConfigError, Source};
use crate::runtime::{Issuer, IssuerX5c, KidMap, Settings};

/// Every issuer, names unique.
pub(super) async fn build_all(
    raw: &[Spanned<schema::Issuer>],
    settings: &Settings,
    base: &Path,
    src: &Source<'_>,
) -> Result<Vec<Arc<Issuer>>, ConfigError> {
    let mut issuers: Vec<Arc<Issuer>> = Vec::with_capacity(raw.len());
    for (i, table) in raw.iter().enumerate() {
        let raw = table.get_ref();
        let key = format!("issuer[{i}] ({})", raw.name);
        let located = src.locate(table.span().start);
        if issuers.iter().any(|x| x.name == raw.name) {
            return Err(located(err(&key, "duplicate issuer name")));
        }
        let issuer = build(&key, raw, base).await.map_err(&located)?;
        if let Some(x) = &issuer.x5c {
            let o = x.policy.options();
            if o.check_revocation && o.crl_timeout >= settings.request_timeout {
                return Err(located(err(
                    &format!("{key}.x5c.crl_timeout"),
                    "must be shorter than server.request_timeout, so that an unreachable CRL is answered 503, not 504",
                )));
            }
        }
        issuers.push(Arc::new(issuer));
    }
    Ok(issuers)
}

async fn build(key: &str, raw: &schema::Issuer, base: &Path) -> Result<Issuer, ConfigError> {
    let policy = VerifyPolicy::new(raw.algorithms.iter().copied())
        .map_err(|_| {
            err(
                &format!("{key}.algorithms"),
                "must list at least one algorithm, e.g. [\"ES256\"]",
            )
        })?
        .allow_private_headers(raw.private_headers.iter().cloned());
    let mut by_kid = HashMap::new();
    for (kid, entry) in &raw.keys {
        by_kid.insert(
            kid.clone(),
            Arc::new(key_entry(&format!("{key}.keys.{kid}"), entry, base)?),
        );
    }
    let jwks = jwks(key, raw, base).await?;
    let x5c = raw
        .x5c
        .as_ref()
        .map(|x| trust(key, raw, x, base))
        .transpose()?;
    if by_kid.is_empty() && jwks.is_none() && x5c.is_none() {
        return Err(err(
            key,
            "no keys: add [issuer.keys] entries, jwks_file, jwks_url, discovery or [issuer.x5c]",
        ));
    }
    if raw.ignore_kid && (by_kid.len() != 1 || jwks.is_some() || x5c.is_some()) {
        return Err(err(
            &format!("{key}.ignore_kid"),
            "needs exactly one key in [issuer.keys], and no JWK Set or x5c",
        ));
    }
    let by_kid = Arc::new(by_kid);
    let static_keys = match by_kid.values().next() {
        Some(only) if raw.ignore_kid => Keys::Single(only.clone()),
        _ => Keys::Resolver(Arc::new(KidMap(by_kid.clone()))),
    };
    Ok(Issuer {
        name: raw.name.clone(),
        // With discovery the issuer is the one the provider's document confirmed.
        iss: raw.iss.clone().or_else(|| raw.discovery.clone()),
        policy,
        audiences: raw.audiences.clone(),
        leeway: raw.leeway.as_secs(),
        by_kid,
        static_keys,
        jwks,
        x5c,
    })
}

async fn jwks(
    key: &str,
    raw: &schema::Issuer,
    base: &Path,
) -> Result<Option<JwksSource>, ConfigError> {
    Ok(match (&raw.jwks_file, &raw.jwks_url, &raw.discovery) {
        (Some(f), None, None) => Some(JwksSource::Local(Arc::new(
            LocalJwks::open(&resolve_path(base, f))
                .await
                .map_err(|e| err(&format!("{key}.jwks_file"), e))?,
        ))),
        (None, Some(u), None) => Some(JwksSource::Remote(Arc::new(
            RemoteJwks::new(u, RemoteConfig::default())
                .map_err(|e| err(&format!("{key}.jwks_url"), e))?,
        ))),
        (None, None, Some(issuer)) => {
            let k = format!("{key}.discovery");
            if raw.iss.as_ref().is_some_and(|iss| iss != issuer) {
                return Err(err(
                    &k,
                    "must equal iss (or leave iss out: it is then this)",
                ));
            }
            Some(JwksSource::Remote(Arc::new(
                RemoteJwks::from_issuer(issuer, RemoteConfig::default())
                    .await
                    .map_err(|e| err(&k, e))?,
            )))
        }
        (None, None, None) => None,
        _ => {
            return Err(err(
                key,
                "set one of jwks_file, jwks_url and discovery, not several",
            ))
        }
    })
}

/// `[issuer.x5c]`: the trust anchors and how chains are judged.
fn trust(
    key: &str,
    raw: &schema::Issuer,
    x: &schema::X5c,
    base: &Path,
) -> Result<IssuerX5c, ConfigError> {
    let k = format!("{key}.x5c.trust_anchors");
    if x.trust_anchors.is_empty() {
        return Err(err(
            &k,
            "list at least one PEM file of trusted certificates",
        ));
    }
    let has_set = raw.jwks_file.is_some() || raw.jwks_url.is_some() || raw.discovery.is_some();
    if !x.trust_any_leaf && raw.keys.is_empty() && !has_set {
        return Err(err(
            &format!("{key}.x5c"),
            "x5c leaves are pinned to the issuer's keys by kid: add [issuer.keys] (or a JWK Set), or set trust_any_leaf = true to accept any leaf that chains to an anchor",
        ));
    }
    let mut ders = Vec::new();
    for f in &x.trust_anchors {
        let path = resolve_path(base, f);
        let bytes =
            std::fs::read(&path).map_err(|e| err(&k, format!("{}: {e}", path.display())))?;
        ders.extend(
            x5c::load_pem_certs(&bytes).map_err(|e| err(&k, format!("{}: {e}", path.display())))?,
        );
    }
    if x.crl_timeout.is_zero() {
        return Err(err(
            &format!("{key}.x5c.crl_timeout"),
            "must be more than 0s",
        ));
    }
    let options = x5c::X5cOptions {
        check_validity: x.check_certificate_validity,
        check_revocation: x.check_certificate_revocation,
        revocation_fail_open: x.revocation_fail_open,
        crl_timeout: x.crl_timeout,
        crl_redirects: x.crl_redirects,
    };
    Ok(IssuerX5c {
        policy: x5c::X5cPolicy::new(&ders, options).map_err(|e| err(&k, e))?,
        require: x.require,
        trust_any_leaf: x.trust_any_leaf,
    })
}

/// A key from its configuration entry. Private keys (PKCS#8, JWK with `d`) are reduced to their
/// public part: the gateway only verifies.
fn key_entry(key: &str, entry: &KeyEntry, base: &Path) -> Result<Jwk, ConfigError> {
    let parsed = match entry {
        KeyEntry::Text(text) => Jwk::from_text(text).map_err(|e| err(key, e))?,
        KeyEntry::Table(t) => match (&t.file, &t.spki, &t.jwk) {
            (Some(f), None, None) => {
                let path = resolve_path(base, f);
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| err(&format!("{key}.file"), format!("{}: {e}", path.display())))?;
                Jwk::from_text(&text).map_err(|e| err(&format!("{key}.file"), e))?
            }
            (None, Some(b64), None) => {
                // CZERTAINLY-style base64 SubjectPublicKeyInfo.
                let der =
                    crate::encoding::base64_any(b64).map_err(|e| err(&format!("{key}.spki"), e))?;
                Jwk::from_der(&der).map_err(|e| err(&format!("{key}.spki"), e))?
            }
            (None, None, Some(v)) => {
                let json = serde_json::to_value(v).map_err(|e| err(&format!("{key}.jwk"), e))?;
                Jwk::from_value(&json).map_err(|e| err(&format!("{key}.jwk"), e))?
            }
            _ => return Err(err(key, "give exactly one of file, spki, jwk")),
        },
    };
    if parsed.key_type() == joseguard::KeyType::Oct {
        return Ok(parsed);
    }
    parsed.to_public().map_err(|e| err(key, e))
}
