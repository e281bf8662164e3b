//! The JWE header rules (RFC 7516 §4, §7.2.1): disjoint layers, `crit`, `zip` only protected,
//! `alg` and `enc` in the caller's allowlists.

use serde_json::Value;

use crate::error::{Error, Result};
use crate::header::{check_crit, check_disjoint, check_names, check_registered_types, Header};
use crate::jwa::{ContentEncryption, KeyManagementAlgorithm};

/// Header names registered for JWE (RFC 7516 §4.1, RFC 7518 §4.6-4.8, and the JWT claims that
/// RFC 7519 §5.3 lets a JWE header replicate).
pub const REGISTERED_JWE_HEADER_NAMES: [&str; 23] = [
    "alg", "enc", "zip", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty",
    "crit", "epk", "apu", "apv", "iv", "tag", "p2s", "p2c", "iss", "sub", "aud",
];

/// Names `crit` must not list: those RFC 7516 and RFC 7518 define.
const SPEC_NAMES: [&str; 20] = [
    "alg", "enc", "zip", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty",
    "crit", "epk", "apu", "apv", "iv", "tag", "p2s", "p2c",
];

pub(crate) struct JweRules<'a> {
    pub algorithms: &'a [KeyManagementAlgorithm],
    pub encryptions: &'a [ContentEncryption],
    pub crit: &'a [String],
    pub private_names: &'a [String],
}

/// What the headers of one recipient decide.
pub(crate) struct Checked {
    pub alg: KeyManagementAlgorithm,
    pub enc: ContentEncryption,
    pub zip: bool,
}

pub(crate) fn check(
    protected: &Header,
    others: &[&Header],
    rules: &JweRules<'_>,
) -> Result<Checked> {
    check_disjoint(protected, others)?;
    let lookup = |name: &str| {
        protected
            .get(name)
            .or_else(|| others.iter().find_map(|h| h.get(name)))
    };
    check_registered_types(&lookup)?;
    let alg = match lookup("alg") {
        None => return Err(Error::header("alg", "missing")),
        Some(Value::String(s)) => s.parse::<KeyManagementAlgorithm>()?,
        Some(_) => return Err(Error::header("alg", "must be a string")),
    };
    if !rules.algorithms.contains(&alg) {
        return Err(Error::AlgNotAllowed {
            alg: alg.name().to_owned(),
        });
    }
    let enc = match lookup("enc") {
        None => return Err(Error::header("enc", "missing")),
        Some(Value::String(s)) => s.parse::<ContentEncryption>()?,
        Some(_) => return Err(Error::header("enc", "must be a string")),
    };
    if !rules.encryptions.contains(&enc) {
        return Err(Error::EncNotAllowed {
            enc: enc.name().to_owned(),
        });
    }
    if others.iter().any(|h| h.contains("zip")) {
        return Err(Error::header("zip", "must be in the protected header"));
    }
    let zip = match protected.get("zip") {
        None => false,
        Some(Value::String(s)) if s == "DEF" => true,
        Some(_) => return Err(Error::header("zip", "only \"DEF\" is supported")),
    };
    let crit = check_crit(protected, others, rules.crit, &SPEC_NAMES, &[])?;
    check_names(
        protected,
        others,
        &REGISTERED_JWE_HEADER_NAMES,
        rules.private_names,
        &crit,
    )?;
    Ok(Checked { alg, enc, zip })
}
