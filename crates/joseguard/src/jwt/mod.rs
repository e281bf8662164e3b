//! JSON Web Tokens (RFC 7519) with the validation RFC 8725 asks for, and OAuth client assertions
//! (RFC 7523).
//!
//! - [`Verifier`]: `jwt::Verifier::new([ES256], keys)?.issuer(..).audience(..)`, then
//!   `verify::<MyClaims>(token)` gives a [`Token`] (claims, header, the key that verified).
//!   [`Verifier::decrypt_with`] makes it verify nested JWTs (a JWS inside a JWE, as encrypted
//!   OpenID Connect ID tokens are). The system clock by default; `verify_at` for tests.
//! - [`Signer`]: `jwt::Signer::new(key, ES256)?.sign(&claims)`, claims serialized straight from
//!   the caller's type; [`Builder`] builds one claim at a time.
//! - [`Validation`] checks the claims with defaults a reviewer can sign off: `exp` required,
//!   `nbf` and `iat` checked, 60 s leeway, `iss` exact, `aud` any-of (a token without `aud` fails
//!   when an audience is expected), strict claim types.
//! - [`client_assertion`] builds and verifies `private_key_jwt` assertions.

mod builder;
mod claims;
pub mod client_assertion;
mod signer;
mod validate;
mod verifier;

pub use builder::Builder;
pub use claims::{Audience, Claims, NumericDate};
pub use signer::Signer;
pub use validate::Validation;
pub use verifier::{Token, Verifier};

/// A random `jti`: 128 bits from the system CSPRNG, base64url (22 characters).
pub fn random_jti() -> crate::Result<String> {
    Ok(crate::b64::encode(crate::crypto::random(16)?))
}

/// Seconds since the Unix epoch from the system clock.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
