//! JWK Sets (RFC 7517 §5) and key selection.

use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

use super::Jwk;
use crate::error::{Error, Result};

/// A parsed JWK Set.
///
/// # Unusable members
/// RFC 7517 §5 says to ignore keys that cannot be used (unknown `kty` or `crv`, missing members,
/// bad values). They are left out of the set and reported by [`JwkSet::skipped`], so a set that
/// gains a key of a new type keeps working.
///
/// # Duplicate `kid`s
/// Several keys may share a `kid` (RFC 7517 §4.5 allows it, e.g. one key per `kty`). All are kept
/// in document order; [`JwkSet::by_kid`] returns them in that order and a verifier tries each one
/// that fits the token's algorithm, in that order. The result therefore never depends on hashing
/// or on which duplicate came last.
#[derive(Debug, Default, Clone)]
pub struct JwkSet {
    keys: Vec<Arc<Jwk>>,
    by_kid: HashMap<String, Vec<usize>>,
    skipped: Vec<(usize, Error)>,
    /// How many `oct` keys the set holds.
    secret: usize,
}

impl JwkSet {
    /// Parses `{"keys": [...]}` text, refusing duplicate members in the document.
    pub fn from_json(json: impl AsRef<[u8]>) -> Result<JwkSet> {
        let mut map = crate::json::parse_object(json.as_ref(), "JWK Set")?;
        let Some(Value::Array(keys)) = map.remove("keys") else {
            return Err(Error::key("keys", "a JWK Set needs a \"keys\" array"));
        };
        let mut set = JwkSet::default();
        for (i, v) in keys.iter().enumerate() {
            match Jwk::from_value(v) {
                Ok(k) => set.push(Arc::new(k)),
                Err(e) => set.skipped.push((i, e)),
            }
        }
        Ok(set)
    }

    /// A set from keys already parsed.
    pub fn from_keys(keys: impl IntoIterator<Item = Arc<Jwk>>) -> JwkSet {
        let mut set = JwkSet::default();
        for k in keys {
            set.push(k);
        }
        set
    }

    /// Adds a key at the end.
    pub fn push(&mut self, key: Arc<Jwk>) {
        if key.key_type() == super::KeyType::Oct {
            self.secret += 1;
        }
        if let Some(kid) = key.kid() {
            self.by_kid
                .entry(kid.to_owned())
                .or_default()
                .push(self.keys.len());
        }
        self.keys.push(key);
    }

    /// All keys, in document order.
    pub fn keys(&self) -> &[Arc<Jwk>] {
        &self.keys
    }

    /// True when the set holds secret (`oct`) keys beside asymmetric ones. Verifiers refuse such
    /// a set unless told otherwise (Tink's rule): an HMAC key among public keys is the classic
    /// ground for algorithm confusion, and a set that is meant to be published must hold no
    /// secret.
    pub fn mixes_secret_and_public(&self) -> bool {
        self.secret > 0 && self.secret < self.keys.len()
    }

    /// The set without secret material: `oct` keys and keys carrying private members are left
    /// out (not reduced to their public part: a published private key is compromised). Returns
    /// the set and how many keys were left out. For sets fetched from a URL.
    pub fn without_secrets(&self) -> (JwkSet, usize) {
        let kept = JwkSet::from_keys(
            self.keys
                .iter()
                .filter(|k| k.key_type() != super::KeyType::Oct && !k.is_private())
                .cloned(),
        );
        let dropped = self.keys.len() - kept.len();
        (
            JwkSet {
                skipped: self.skipped.clone(),
                ..kept
            },
            dropped,
        )
    }

    /// The members that were left out, with their index in the document and the reason.
    pub fn skipped(&self) -> &[(usize, Error)] {
        &self.skipped
    }

    /// Number of usable keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when no key is usable.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The keys with this `kid`, in document order (O(1) lookup).
    pub fn by_kid<'a>(&'a self, kid: &str) -> impl Iterator<Item = &'a Arc<Jwk>> + 'a {
        self.by_kid
            .get(kid)
            .into_iter()
            .flatten()
            .map(move |&i| &self.keys[i])
    }

    /// Keys matching every given criterion (`None` matches anything): `kid`, the key's own `alg`
    /// (a key without `alg` matches any), `use` (a key without `use` matches any) and a `key_ops`
    /// value (a key without `key_ops` matches any).
    pub fn select<'a>(
        &'a self,
        kid: Option<&'a str>,
        alg: Option<&'a str>,
        key_use: Option<&'a str>,
        key_op: Option<&'a str>,
    ) -> Box<dyn Iterator<Item = &'a Arc<Jwk>> + 'a> {
        let base: Box<dyn Iterator<Item = &'a Arc<Jwk>>> = match kid {
            Some(kid) => Box::new(self.by_kid(kid)),
            None => Box::new(self.keys.iter()),
        };
        Box::new(base.filter(move |k| {
            alg.is_none_or(|a| k.alg().is_none_or(|own| own == a))
                && key_use.is_none_or(|u| k.key_use().is_none_or(|own| own == u))
                && key_op.is_none_or(|op| k.key_ops().is_none_or(|ops| ops.iter().any(|o| o == op)))
        }))
    }

    /// The public set as JSON (private members removed; `oct` keys left out).
    pub fn to_public_value(&self) -> Value {
        let keys: Vec<Value> = self
            .keys
            .iter()
            .filter(|k| k.key_type() != super::KeyType::Oct)
            .map(|k| k.to_public_value())
            .collect();
        serde_json::json!({ "keys": keys })
    }

    /// The set as JSON, private members included.
    pub fn to_value(&self) -> Value {
        let keys: Vec<Value> = self.keys.iter().map(|k| k.to_value()).collect();
        serde_json::json!({ "keys": keys })
    }
}
