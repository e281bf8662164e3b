//! What a signing worker signs and how: the subject (a document, or a hash computed by the
//! caller), the algorithm, the context copied from the caller's claims, and the output.

use joseguard::b64;
use joseguard::jws::{self, Header};
use joseguard::{JwsAlgorithm, KeyOperation, Sha2};
use serde_json::{json, Map, Value};

use crate::denial::{Code, Denial};
use crate::runtime::{Authorizer, Output, Signer, SigningKey, Worker};

/// What the caller asks to have signed.
pub enum Subject {
    /// The document.
    Data(Vec<u8>),
    /// The document's hash, computed by the caller.
    Hash {
        /// The hash function.
        hash: Sha2,
        /// The digest.
        digest: Vec<u8>,
    },
}

impl Subject {
    /// The audit line's hash: `SHA-256:<base64url>` of the data, or the submitted hash.
    pub fn audit_hash(&self) -> String {
        match self {
            Subject::Data(d) => audit_hash(d),
            Subject::Hash { hash, digest } => format!("{hash}:{}", b64::encode(digest)),
        }
    }
}

/// `SHA-256:<base64url>` of some bytes, for the audit line.
pub fn audit_hash(data: &[u8]) -> String {
    format!("SHA-256:{}", b64::encode(Sha2::Sha256.digest(data)))
}

/// The algorithm: the one asked for if the worker offers it and `key` (the key that will sign)
/// fits it, else the worker's first that fits the key and the subject.
pub fn choose_alg(
    signer: &Signer,
    key: &SigningKey,
    subject: &Subject,
    asked: Option<&str>,
) -> Result<JwsAlgorithm, Denial> {
    let key_fits = |alg: &JwsAlgorithm| key.key.check_jws(*alg, KeyOperation::Sign).is_ok();
    let subject_fits = |alg: &JwsAlgorithm| match subject {
        Subject::Data(_) => true,
        Subject::Hash { hash, .. } => alg.digest_hash() == Some(*hash),
    };
    if let Some(name) = asked {
        let alg = signer
            .algorithms
            .iter()
            .find(|a| a.name() == name)
            .ok_or_else(|| {
                Denial::new(
                    Code::AlgNotOffered,
                    format!("this worker does not sign with {name:?}"),
                )
            })?;
        if !key_fits(alg) {
            return Err(Denial::new(
                Code::AlgNotOffered,
                format!(
                    "the key signing now ({}) does not sign with {name}",
                    key.kid
                ),
            ));
        }
        return if subject_fits(alg) {
            Ok(*alg)
        } else {
            Err(Denial::new(
                Code::HashAlgorithmUnsupported,
                format!("{name} does not sign this hash"),
            ))
        };
    }
    signer
        .algorithms
        .iter()
        .copied()
        .find(|a| key_fits(a) && subject_fits(a))
        .ok_or_else(|| {
            Denial::new(
                Code::HashAlgorithmUnsupported,
                "no algorithm of this worker's current key signs this hash (EdDSA and ML-DSA sign whole documents only)",
            )
        })
}

/// The claims the authorizer copies into the signature, rendered.
fn context(auth: &Authorizer, claims: &Value) -> Map<String, Value> {
    auth.context
        .iter()
        .filter_map(|(name, t)| t.render(claims).map(|v| (name.clone(), v)))
        .collect()
}

fn failed(e: impl std::fmt::Display) -> Denial {
    Denial::new(Code::SigningFailed, e.to_string())
}

/// A signing error: an HSM that is not answering is 503 `key_unavailable`, the rest 500.
fn signing(e: joseguard::Error) -> Denial {
    match e {
        joseguard::Error::KeyUnavailable(why) => Denial::new(Code::KeyUnavailable, why),
        other => failed(other),
    }
}

/// Signs the subject; the answer's JSON.
pub fn perform(
    worker: &Worker,
    signer: &Signer,
    auth: &Authorizer,
    claims: &Value,
    subject: &Subject,
    alg: JwsAlgorithm,
    now: i64,
) -> Result<Value, Denial> {
    let key = signer
        .current(now)
        .ok_or_else(|| Denial::new(Code::KeyUnavailable, "no key of this worker is valid now"))?;
    let ctx = context(auth, claims);
    let mut answer = json!({
        "worker": worker.name,
        "alg": alg.name(),
        "kid": key.kid,
        "context": ctx,
    });
    match subject {
        Subject::Data(data) => {
            answer["output"] = signer.output.name().into();
            answer["jws"] = sign_document(signer, key, auth, ctx, data, alg)?;
        }
        Subject::Hash { hash, digest } => {
            let sig = jws::sign_digest(&key.key, alg, digest).map_err(signing)?;
            answer["hashAlgorithm"] = hash.name().into();
            answer["signature"] = b64::encode(&sig).into();
        }
    }
    Ok(answer)
}

/// The JWS over a document, the context in its protected header or beside the document.
fn sign_document(
    signer: &Signer,
    key: &SigningKey,
    auth: &Authorizer,
    ctx: Map<String, Value>,
    data: &[u8],
    alg: JwsAlgorithm,
) -> Result<Value, Denial> {
    let wrapped;
    let mut protected = Header::new();
    let payload: &[u8] = if auth.context_in_payload {
        wrapped = serde_json::to_vec(&json!({
            "document": b64::encode(data),
            "attributes": ctx,
        }))
        .map_err(failed)?;
        &wrapped
    } else {
        for (name, value) in ctx {
            protected.insert(&name, value);
        }
        data
    };
    if let Some((name, value)) = &key.certificate {
        protected.insert(name, value.clone());
    }
    let mut builder = jws::Builder::new(payload);
    if signer.output == Output::Detached {
        builder = builder.b64(false).detached(true);
    }
    let builder = builder.signer(&key.key, alg, protected).map_err(signing)?;
    Ok(match signer.output {
        Output::Compact | Output::Detached => Value::String(builder.compact().map_err(signing)?),
        Output::Flattened => {
            serde_json::from_str(&builder.flattened().map_err(signing)?).map_err(failed)?
        }
    })
}
