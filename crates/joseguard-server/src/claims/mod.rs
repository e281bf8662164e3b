//! Claims as rules and templates read them: rules over a token's claims (what a route or a
//! worker requires) and templates that copy claims into a signature. Plain JSON logic.

pub mod rules;
pub mod template;

use serde_json::Value;

/// A claim by dotted path.
pub fn lookup<'a>(claims: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(v) = claims.get(path) {
        return Some(v);
    }
    path.split('.').try_fold(claims, |v, part| v.get(part))
}
