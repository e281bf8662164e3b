//! Generates keys, signs one payload in all three JWS serializations, verifies each with a JWK
//! Set and shows what a rejected token looks like.
//!
//! Run: `cargo run -p joseguard --example quickstart`

use std::sync::Arc;

use joseguard::jws::{self, Header, Verifier, VerifyPolicy};
use joseguard::{EcCurve, Jwk, JwkSet, JwsAlgorithm, KeySpec, OkpCurve, Sha2};

pub fn main() -> Result<(), joseguard::Error> {
    let mut es = Jwk::generate(KeySpec::Ec(EcCurve::P256))?;
    es.set_kid(Some(es.thumbprint_b64(Sha2::Sha256)));
    let mut ed = Jwk::generate(KeySpec::Okp(OkpCurve::Ed25519))?;
    ed.set_kid(Some(ed.thumbprint_b64(Sha2::Sha256)));

    let jwks = JwkSet::from_keys([Arc::new(es.to_public()?), Arc::new(ed.to_public()?)]);
    println!("public JWK Set:\n{}\n", jwks.to_public_value());

    let payload = br#"{"iss":"https://issuer.example","sub":"alice"}"#;
    let builder = jws::Builder::new(payload).signer(
        &es,
        JwsAlgorithm::ES256,
        Header::new().with("typ", "JOSE"),
    )?;
    let compact = builder.compact()?;
    let flattened = builder.flattened()?;
    let general = jws::Builder::new(payload)
        .signer(&es, JwsAlgorithm::ES256, Header::new())?
        .signer(&ed, JwsAlgorithm::EdDSA, Header::new())?
        .general()?;

    let verifier = Verifier::new(
        VerifyPolicy::new([JwsAlgorithm::ES256, JwsAlgorithm::EdDSA])?,
        jwks,
    );
    for (name, token) in [
        ("compact", &compact),
        ("flattened", &flattened),
        ("general", &general),
    ] {
        let verified = verifier.verify(token.as_bytes())?;
        println!(
            "{name}: {token}\n  -> verified, payload {}\n",
            String::from_utf8_lossy(&verified.payload)
        );
    }

    let mut tampered = compact.clone();
    tampered.insert(compact.find('.').unwrap() + 2, 'A');
    match verifier.verify(tampered.as_bytes()) {
        Ok(_) => unreachable!("a tampered token verified"),
        Err(e) => println!("tampered token rejected: {e}"),
    }
    Ok(())
}
