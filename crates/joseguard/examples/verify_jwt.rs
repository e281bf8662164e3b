//! Verify a JWT against a JWK Set: the everyday relying-party check.
//!
//! Run: `cargo run -p joseguard --example verify_jwt` (a demo issuer is made up on the spot), or
//! `cargo run -p joseguard --example verify_jwt -- JWKS.json TOKEN ISSUER AUDIENCE`.

use joseguard::jwt::{self, Claims};
use joseguard::JwsAlgorithm::{EdDSA, ES256, PS256, RS256};
use joseguard::{EcCurve, Jwk, JwkSet, KeySpec};

pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (jwks, token, iss, aud) = match args.as_slice() {
        [jwks, token, iss, aud] if std::path::Path::new(jwks).is_file() => (
            std::fs::read_to_string(jwks)?,
            token.clone(),
            iss.clone(),
            aud.clone(),
        ),
        _ => demo()?,
    };

    // Once: the algorithms you accept, the issuer's keys, the issuer and audience you expect.
    let verifier = jwt::Verifier::new([ES256, RS256, PS256, EdDSA], JwkSet::from_json(&jwks)?)?
        .issuer(&iss)
        .audience(&aud);

    // Per token.
    match verifier.verify::<Claims>(&token) {
        Ok(t) => println!(
            "valid: sub {:?}, key {:?}, claims {}",
            t.claims.sub,
            t.key.kid(),
            serde_json::Value::Object(t.claims.all)
        ),
        Err(e) => println!("refused: {e} ({})", e.code()),
    }
    Ok(())
}

/// A demo issuer's JWK Set and a token it signed.
fn demo() -> Result<(String, String, String, String), joseguard::Error> {
    let key = Jwk::generate(KeySpec::Ec(EcCurve::P256))?.with_kid("demo-2026");
    let jwks = format!(r#"{{"keys":[{}]}}"#, key.to_public_value());
    let token = jwt::Builder::new()
        .issuer("https://op.example")
        .audience("my-client")
        .subject("alice")
        .issued_at(jwt::now())
        .expires_at(jwt::now() + 300)
        .sign(&key, ES256)?;
    Ok((jwks, token, "https://op.example".into(), "my-client".into()))
}
