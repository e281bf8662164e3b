//! A Corppass-style client assertion (`private_key_jwt`, RFC 7523): the client signs a short
//! JWT with its key (`kid` from its published JWK Set), `iss` = `sub` = its client id, `aud` =
//! the provider; the provider verifies it with the client's keys.
//!
//! Run: `cargo run -p joseguard --example client_assertion`

use joseguard::jws::{Verifier, VerifyPolicy};
use joseguard::jwt::{self, client_assertion};
use joseguard::{EcCurve, Jwk, JwkSet, JwsAlgorithm, KeySpec};

pub fn main() -> Result<(), joseguard::Error> {
    let client_key = Jwk::generate(KeySpec::Ec(EcCurve::P256))?.with_kid("client-sig-2026");
    let provider = "https://stg-id.corppass.gov.sg";

    // The client, when calling the token endpoint.
    let assertion = client_assertion::build(
        "my-client-id",
        provider,
        &client_key,
        JwsAlgorithm::ES256,
        jwt::now(),
        client_assertion::DEFAULT_LIFETIME,
    )?;
    println!("client_assertion={assertion}");

    // The provider, with the client's published JWK Set.
    let client_jwks = JwkSet::from_keys([client_key.to_public()?.into()]);
    let keys = Verifier::new(VerifyPolicy::new([JwsAlgorithm::ES256])?, client_jwks);
    let verified = client_assertion::verify(
        assertion.as_bytes(),
        keys,
        "my-client-id",
        provider,
        jwt::now(),
        Some(120),
    )?;
    println!(
        "client {:?} authenticated, jti {:?}",
        verified.claims.sub, verified.claims.jti
    );
    Ok(())
}
