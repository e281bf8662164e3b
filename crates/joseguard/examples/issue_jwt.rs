//! Issue a JWT: an access token (RFC 9068 `at+jwt`) signed with a key loaded once.
//!
//! Run: `cargo run -p joseguard --example issue_jwt`

use joseguard::jwt;
use joseguard::{EcCurve, Jwk, JwsAlgorithm, KeySpec};
use serde::Serialize;

#[derive(Serialize)]
struct AccessToken<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    client_id: &'a str,
    iat: i64,
    exp: i64,
    jti: String,
    scope: &'a str,
}

pub fn main() -> Result<(), joseguard::Error> {
    // In a service the key comes from a file or an HSM; its kid lands in the header.
    let key = Jwk::generate(KeySpec::Ec(EcCurve::P256))?.with_kid("as-2026-12");
    let signer = jwt::Signer::new(key.clone(), JwsAlgorithm::ES256)?.typ("at+jwt");

    let now = jwt::now();
    let token = signer.sign(&AccessToken {
        iss: "https://as.example",
        sub: "alice",
        aud: "https://api.example",
        client_id: "web-app",
        iat: now,
        exp: now + 300,
        jti: jwt::random_jti()?,
        scope: "orders:read",
    })?;
    println!("{token}");

    // What a resource server does with it.
    let verified = jwt::Verifier::new([JwsAlgorithm::ES256], key.to_public()?)?
        .issuer("https://as.example")
        .audience("https://api.example")
        .typ(["at+jwt"])
        .verify::<jwt::Claims>(&token)?;
    println!("verified for {:?}", verified.claims.sub);
    Ok(())
}
