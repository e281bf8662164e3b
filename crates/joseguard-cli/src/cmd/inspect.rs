//! `joseguard inspect`: decode without verifying, labelled as such.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use joseguard::dangerous::decode_unverified;
use joseguard::{b64, jwe, jwt};
use serde_json::Value;

use crate::input;
use crate::Outcome;

pub fn run(token: Option<&str>) -> Outcome {
    let token = input::token(token)?;
    let mut out = String::from("UNVERIFIED: nothing below has been checked; do not trust it.\n");
    if is_jwe(&token) {
        let h = jwe::peek_header(&token)?;
        out.push_str("JWE (content encrypted; not decrypted)\nprotected header:\n");
        out.push_str(&pretty(&Value::Object(h.members().clone())));
        return Ok(out.into_bytes());
    }
    let u = decode_unverified(&token)?;
    let _ = writeln!(
        out,
        "JWS, {} serialization, {} signature(s)",
        u.serialization.name(),
        u.headers.len()
    );
    for (i, (protected, unprotected)) in u.headers.iter().enumerate() {
        let _ = writeln!(out, "signature {i} protected header:");
        out.push_str(&pretty(&Value::Object(protected.members().clone())));
        if let Some(h) = unprotected {
            let _ = writeln!(out, "signature {i} unprotected header:");
            out.push_str(&pretty(&Value::Object(h.members().clone())));
        }
    }
    match &u.payload {
        None => out.push_str("payload: detached\n"),
        Some(p) => match joseguard::json::parse(p, "payload") {
            Ok(v) => {
                out.push_str("payload:\n");
                out.push_str(&pretty(&v));
                out.push_str(&dates(&v));
            }
            Err(_) => {
                let _ = writeln!(
                    out,
                    "payload ({} bytes, not JSON): {}",
                    p.len(),
                    b64::encode(p)
                );
            }
        },
    }
    Ok(out.into_bytes())
}

fn is_jwe(token: &[u8]) -> bool {
    if token.first() == Some(&b'{') {
        return serde_json::from_slice::<Value>(token).is_ok_and(|v| v.get("ciphertext").is_some());
    }
    token.iter().filter(|&&b| b == b'.').count() == 4
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default() + "\n"
}

/// `exp`, `nbf` and `iat` as dates, with the time remaining or elapsed.
fn dates(claims: &Value) -> String {
    let now = jwt::now();
    let mut out = String::new();
    for name in ["iat", "nbf", "exp"] {
        let Some(secs) = claims.get(name).and_then(Value::as_i64) else {
            continue;
        };
        let when = UNIX_EPOCH
            .checked_add(Duration::from_secs(secs.max(0) as u64))
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let delta = secs - now;
        let rel = Duration::from_secs(delta.unsigned_abs());
        let rel = humantime::format_duration(rel).to_string();
        let phrase = if delta >= 0 {
            format!("in {rel}")
        } else {
            format!("{rel} ago")
        };
        let _ = writeln!(
            out,
            "{name}: {} ({phrase})",
            humantime::format_rfc3339_seconds(when)
        );
    }
    if let Some(exp) = claims.get("exp").and_then(Value::as_i64) {
        out.push_str(if exp <= now {
            "status: EXPIRED\n"
        } else {
            "status: not expired\n"
        });
    }
    out
}
