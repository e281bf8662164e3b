//! JSON Web Tokens (RFC 7519) with the validation RFC 8725 asks for, and OAuth client assertions
//! (RFC 7523).
//!
//! - [`JwtBuilder`] produces a signed JWT (`typ: "JWT"` unless overridden, e.g. `at+jwt`);
//!   [`JwtSigner`] signs many with one key, claims serialized straight from the caller's type.
//! - [`Validation`] checks the claims with defaults a reviewer can sign off: `exp` required,
//!   `nbf` and `iat` checked, 60 s leeway, `iss` exact, `aud` any-of (a token without `aud` fails
//!   when an audience is expected), strict claim types.
//! - [`JwtVerifier`] is a JWS [`Verifier`](crate::jws::Verifier) plus a [`Validation`].
//! - [`client_assertion`] builds and verifies `private_key_jwt` assertions.
//!
//! Time is passed in (seconds since the Unix epoch) so that expiry is testable; [`now`] reads the
//! system clock for callers that want it.

mod builder;
mod claims;
pub mod client_assertion;
mod validate;

pub use builder::{JwtBuilder, JwtSigner};
pub use claims::{Audience, Claims, NumericDate};
pub use validate::{JwtVerifier, Validation, VerifiedJwt};

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
