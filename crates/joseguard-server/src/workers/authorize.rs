//! Who may use a worker: the caller's token against the worker's authorizer (issuers, rules,
//! audiences, clock skew, `typ`, lifetime), the binding of the token to the submitted data, and
//! single use.

use std::sync::Arc;

use joseguard::{b64, Sha2};
use serde_json::Value;

use super::replay::{StoreDown, Stores};
use super::sign::Subject;
use crate::denial::{Code, Denial};
use crate::runtime::{Authorizer, Binding, Encoding, Worker};
use crate::verify::{decide, Accepted};

/// An authorized caller, and whether the replay store was down and the worker let it pass.
pub struct Authorized {
    /// The caller's verified token.
    pub accepted: Arc<Accepted>,
    /// `true` when the replay store could not be asked and the worker's policy allowed it.
    pub store_down: bool,
}

/// Checks the caller's `token` against the worker's authorizer; on success, the token is spent
/// when the worker is single-use (and only then: a refused request does not burn it). `subject`
/// is what a binding must name.
pub async fn authorize(
    worker: &Worker,
    auth: &Authorizer,
    token: &[u8],
    subject: Option<&Subject>,
    stores: &Stores,
    now: i64,
) -> Result<Authorized, Denial> {
    let accepted = decide(&auth.route, token, None, now).await?;
    let about = |d: Denial| d.about(accepted.audit());
    if let (Some(binding), Some(subject)) = (&auth.binding, subject) {
        bound(binding, &accepted.claims, subject).map_err(about)?;
    }
    let mut store_down = false;
    if let Some(single) = &auth.single_use {
        let key = replay_key(&accepted.claims).map_err(about)?;
        // Remembered as long as the authorizer would accept the token: its validity as the
        // validation computed it (exp with the clock skew).
        let until = accepted
            .valid_until
            .unwrap_or_else(|| now.saturating_add(auth.skew as i64));
        let first_use = match stores.get(&single.store) {
            Ok(store) => store.first_use(&key, until, now).await,
            Err(down) => Err(down),
        };
        match first_use {
            Ok(true) => {}
            Ok(false) => {
                return Err(about(Denial::new(
                    Code::TokenReplayed,
                    "this token was already used (jti seen before)",
                )))
            }
            Err(StoreDown(why)) if single.allow_when_down => {
                tracing::warn!(worker = %worker.name, error = %why, "replay store unavailable; accepting as configured");
                store_down = true;
            }
            Err(StoreDown(why)) => {
                tracing::error!(worker = %worker.name, error = %why, "replay store unavailable; refusing");
                return Err(about(Denial::new(
                    Code::ReplayStoreUnavailable,
                    "the replay store cannot be reached",
                )));
            }
        }
    }
    Ok(Authorized {
        accepted,
        store_down,
    })
}

/// The token must name the hash of the submitted data.
fn bound(binding: &Binding, claims: &Value, subject: &Subject) -> Result<(), Denial> {
    let digest = match subject {
        Subject::Data(d) => binding.hash.digest(d),
        Subject::Hash { hash, digest } if *hash == binding.hash => digest.clone(),
        Subject::Hash { hash, .. } => {
            return Err(Denial::new(
                Code::BindingFailed,
                format!(
                    "tokens for this worker bind {} hashes; the request submits a {hash} hash",
                    binding.hash
                ),
            ))
        }
    };
    if matches(binding, claims, &digest) {
        return Ok(());
    }
    Err(Denial::new(
        Code::BindingFailed,
        format!(
            "claim {:?} does not name the {} hash of the submitted data",
            binding.claim, binding.hash
        ),
    ))
}

/// The single-use key of a token: SHA-256 of `iss` and `jti` (bounded length whatever the claims
/// hold, and no claim text in Redis).
fn replay_key(claims: &Value) -> Result<String, Denial> {
    let Some(jti) = claims
        .get("jti")
        .and_then(Value::as_str)
        .filter(|j| !j.is_empty())
    else {
        return Err(Denial::new(
            Code::JtiMissing,
            "this worker accepts each token once and needs its jti",
        ));
    };
    let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
    Ok(format!(
        "joseguard:jti:{}",
        b64::encode(Sha2::Sha256.digest(format!("{iss}\0{jti}").as_bytes()))
    ))
}

/// Whether the claim names `digest` (a string claim, or any member of an array claim).
fn matches(binding: &Binding, claims: &Value, digest: &[u8]) -> bool {
    let decode = |s: &str| -> Option<Vec<u8>> {
        match binding.encoding {
            Encoding::Hex => crate::encoding::hex(s),
            Encoding::Base64 | Encoding::Base64url => crate::encoding::base64_any(s).ok(),
        }
    };
    let named = |v: &Value| v.as_str().and_then(decode).is_some_and(|d| d == digest);
    match crate::claims::lookup(claims, &binding.claim) {
        Some(Value::Array(items)) => items.iter().any(named),
        Some(v) => named(v),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use joseguard::Sha2;

    #[test]
    fn binding_decodes_each_encoding() {
        use base64::Engine;
        let digest = Sha2::Sha256.digest(b"doc");
        for (encoding, text) in [
            (
                Encoding::Base64url,
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest),
            ),
            (
                Encoding::Base64,
                base64::engine::general_purpose::STANDARD.encode(&digest),
            ),
            (
                Encoding::Hex,
                digest.iter().map(|b| format!("{b:02x}")).collect(),
            ),
        ] {
            let b = Binding {
                claim: "doc".into(),
                hash: Sha2::Sha256,
                encoding,
            };
            assert!(matches(&b, &serde_json::json!({ "doc": text }), &digest));
            assert!(matches(
                &b,
                &serde_json::json!({ "doc": ["x", text] }),
                &digest
            ));
            assert!(!matches(&b, &serde_json::json!({ "doc": "AAAA" }), &digest));
            assert!(!matches(&b, &serde_json::json!({}), &digest));
        }
    }
}
