//! The JWS header rules of RFC 7515 §4 and RFC 7797 §3.

use serde_json::Value;

use crate::error::{Error, Result};
pub use crate::header::Header;
use crate::header::{check_crit, check_disjoint, check_names, check_registered_types};
use crate::jwa::JwsAlgorithm;

/// Header names registered for JWS (RFC 7515 §4.1, RFC 7797 §3, RFC 8555 §6.4, RFC 8225 §8.1,
/// RFC 9321 §5, and the JWT claims RFC 7519 §5.3 lets a header replicate). Any other name is a
/// private name and must be declared by the verifier.
pub const REGISTERED_HEADER_NAMES: [&str; 19] = [
    "alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit", "b64",
    "url", "nonce", "ppt", "svt", "iss", "sub", "aud",
];

/// Names defined by RFC 7515 itself, which `crit` must not list (RFC 7515 §4.1.11).
const RFC7515_NAMES: [&str; 11] = [
    "alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit",
];

/// The rules a verifier applies to one signature's headers, from its policy.
pub(crate) struct HeaderRules<'a> {
    pub allowed: &'a [JwsAlgorithm],
    pub crit: &'a [String],
    pub private_names: &'a [String],
    pub any_private_name: bool,
}

/// Checks one signature's protected and unprotected headers and returns its algorithm and `b64`.
pub(crate) fn check(
    protected: &Header,
    unprotected: Option<&Header>,
    rules: &HeaderRules<'_>,
) -> Result<(JwsAlgorithm, bool)> {
    if unprotected.is_none() && protected.is_plain() && !protected.contains("enc") {
        // alg, kid, typ, cty as strings and nothing else: every check below passes but `alg`'s.
        let alg = protected
            .alg()
            .ok_or_else(|| Error::header("alg", "missing"))?;
        return Ok((allowed_alg(alg, rules)?, true));
    }
    let others: Vec<&Header> = unprotected.into_iter().collect();
    check_disjoint(protected, &others)?;
    for u in &others {
        for name in ["crit", "b64"] {
            if u.contains(name) {
                return Err(Error::header(name, "must be in the protected header"));
            }
        }
    }
    let lookup = |name: &str| {
        protected
            .get(name)
            .or_else(|| unprotected.and_then(|u| u.get(name)))
    };
    check_registered_types(&lookup)?;

    let alg = match lookup("alg") {
        None => return Err(Error::header("alg", "missing")),
        Some(Value::String(s)) => allowed_alg(s, rules)?,
        Some(_) => return Err(Error::header("alg", "must be a string")),
    };

    let crit = check_crit(protected, &others, rules.crit, &RFC7515_NAMES, &["b64"])?;
    let b64 = match protected.get("b64") {
        None => true,
        Some(Value::Bool(b)) => {
            if !crit.contains(&"b64") {
                // RFC 7797 §6: b64 without crit would be silently ignored by older verifiers.
                return Err(Error::Crit("b64 must be listed in crit".into()));
            }
            *b
        }
        Some(_) => return Err(Error::header("b64", "must be a boolean")),
    };
    if !rules.any_private_name {
        check_names(
            protected,
            &others,
            &REGISTERED_HEADER_NAMES,
            rules.private_names,
            &crit,
        )?;
    }
    Ok((alg, b64))
}

/// `alg` as a known algorithm the policy allows.
fn allowed_alg(alg: &str, rules: &HeaderRules<'_>) -> Result<JwsAlgorithm> {
    let alg: JwsAlgorithm = alg.parse()?;
    if !rules.allowed.contains(&alg) {
        return Err(Error::AlgNotAllowed {
            alg: alg.name().to_owned(),
        });
    }
    Ok(alg)
}
