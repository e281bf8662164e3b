//! Demo support: with a `[quickstart]` section, mint example tokens and print curl lines that show
//! each answer (allowed, missing token, expired, wrong audience, tampered, JOSE body).

use std::net::SocketAddr;
use std::path::Path;

use joseguard::jwt;
use joseguard::{b64, Jwk};

use crate::config;

/// Prints the demo's curl lines, when the configuration has a `[quickstart]` table.
pub async fn print_examples(config_path: &Path, addr: SocketAddr) {
    let Ok(text) = std::fs::read_to_string(config_path) else {
        return;
    };
    let Ok(file) = config::parse(&text, &config_path.display().to_string()) else {
        return;
    };
    let Some(q) = file.quickstart else { return };
    let alg = q.alg;
    let base = config_path.parent().unwrap_or(Path::new("."));
    let key_path = base.join(&q.signing_key);
    let Ok(key_text) = std::fs::read_to_string(&key_path) else {
        eprintln!("quickstart: cannot read {}", key_path.display());
        return;
    };
    let Ok(key) = Jwk::from_text(&key_text) else {
        return;
    };
    let now = jwt::now();
    let token = |exp: i64, aud: Option<&str>| {
        let mut b = jwt::Builder::new()
            .subject("alice")
            .issued_at(now)
            .expires_at(exp)
            .claim("scope", "read write");
        if let Some(iss) = &q.iss {
            b = b.issuer(iss);
        }
        if let Some(aud) = aud {
            b = b.audience(aud);
        }
        b.sign(&key, alg).unwrap_or_default()
    };
    let good = token(now + 3600, q.aud.as_deref());
    let expired = token(now - 3600, q.aud.as_deref());
    let wrong_aud = token(now + 3600, Some("someone-else"));
    let tampered = {
        let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
        if parts.len() == 3 {
            parts[1] = b64::encode(br#"{"sub":"admin","scope":"read write"}"#);
        }
        parts.join(".")
    };
    let url = format!("http://{addr}{}", q.path);
    println!("joseguard is listening on http://{addr}. Try:\n");
    println!("# 200: a valid token (the echo backend shows the X-User header it received)");
    println!("curl -i {url} -H 'Authorization: Bearer {good}'\n");
    println!("# 401 token_missing (no error parameter in the challenge)");
    println!("curl -i {url}\n");
    println!("# 401 token_expired");
    println!("curl -i {url} -H 'Authorization: Bearer {expired}'\n");
    println!("# 401 audience_invalid");
    println!("curl -i {url} -H 'Authorization: Bearer {wrong_aud}'\n");
    println!("# 401 signature_invalid (payload swapped)");
    println!("curl -i {url} -H 'Authorization: Bearer {tampered}'\n");
    println!("# 403 rule_denied (the admin route requires scope \"admin\")");
    println!("curl -i http://{addr}/admin -H 'Authorization: Bearer {good}'\n");
    println!("# JOSE body: the verified payload is forwarded with Content-Type from cty");
    println!(
        "curl -i http://{addr}/documents -H 'Content-Type: application/jose' --data '{good}'\n"
    );
    println!("# metrics and readiness");
    println!("curl http://{addr}/metrics; curl http://{addr}/readyz");
}
