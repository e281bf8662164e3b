//! Decrypt and verify a nested ID token (OpenID Connect: a signed JWT inside a JWE), as a
//! relying party with its own decryption keys and the provider's signing keys.
//!
//! Run: `cargo run -p joseguard --example nested_id_token`

use joseguard::jwe::{nested, DecryptPolicy, Decrypter};
use joseguard::jwt::{self, Claims};
use joseguard::{
    ContentEncryption, EcCurve, Jwk, JwkSet, JwsAlgorithm, KeyManagementAlgorithm, KeySpec,
};

pub fn main() -> Result<(), joseguard::Error> {
    let provider_key = Jwk::generate(KeySpec::Ec(EcCurve::P256))?.with_kid("op-sig-1");
    let rp_key = Jwk::generate(KeySpec::Ec(EcCurve::P256))?.with_kid("rp-enc-1");

    // The provider signs with its key and encrypts to the relying party's public key.
    let claims = format!(
        r#"{{"iss":"https://op.example","aud":"rp-client","sub":"alice","nonce":"n-0S6","exp":{}}}"#,
        jwt::now() + 300
    );
    let id_token = nested::sign_then_encrypt(
        claims.as_bytes(),
        &provider_key,
        JwsAlgorithm::ES256,
        &rp_key.to_public()?,
        KeyManagementAlgorithm::EcdhEsA256KW,
        ContentEncryption::A256Gcm,
    )?;

    // The relying party: once, its decrypter and the provider's verifier; then per token.
    let decrypter = Decrypter::new(
        DecryptPolicy::new(
            [KeyManagementAlgorithm::EcdhEsA256KW],
            [ContentEncryption::A256Gcm],
        )?,
        JwkSet::from_keys([rp_key.into()]),
    );
    let verifier = jwt::Verifier::new([JwsAlgorithm::ES256], provider_key.to_public()?)?
        .issuer("https://op.example")
        .audience("rp-client")
        .require(["nonce"])
        .decrypt_with(decrypter);
    let token = verifier.verify::<Claims>(&id_token)?;
    println!(
        "sub {:?}, nonce {}, signed by {:?}, encrypted with {:?}",
        token.claims.sub,
        token.claims.all["nonce"],
        token.key.kid(),
        token.encryption.as_ref().and_then(|h| h.str("enc")),
    );
    Ok(())
}
