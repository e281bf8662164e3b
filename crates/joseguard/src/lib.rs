//! # joseguard
//!
//! JOSE (JWS, JWE, JWK, JWA and JWT) with safe defaults, on the aws-lc-rs crypto backend.
//!
//! ```
//! use joseguard::jwt::{self, Claims};
//! use joseguard::{JwkSet, JwsAlgorithm::{ES256, RS256}};
//! # let key = joseguard::Jwk::generate(joseguard::KeySpec::Ec(joseguard::EcCurve::P256))?.with_kid("k1");
//! # let jwks = format!(r#"{{"keys":[{}]}}"#, key.to_public_value());
//! # let token = jwt::Signer::new(key, ES256)?.sign(&serde_json::json!(
//! #     {"iss": "https://op.example", "aud": "my-client", "sub": "alice", "exp": jwt::now() + 60}))?;
//!
//! let verifier = jwt::Verifier::new([ES256, RS256], JwkSet::from_json(&jwks)?)?
//!     .issuer("https://op.example")
//!     .audience("my-client");
//! let token = verifier.verify::<Claims>(&token)?;
//! assert_eq!(token.claims.sub.as_deref(), Some("alice"));
//! # Ok::<(), joseguard::Error>(())
//! ```
//!
//! ## Where things are
//! - Verify or issue a JWT: [`jwt::Verifier`], [`jwt::Signer`] (one claim at a time:
//!   [`jwt::Builder`]); nested (signed, then encrypted) tokens: [`jwt::Verifier::decrypt_with`];
//!   OAuth client assertions: [`jwt::client_assertion`].
//! - JOSE that is not a JWT: [`jws::Builder`] and [`jws::Verifier`] (any serialization,
//!   detached and unencoded payloads, several signatures); [`jwe::Builder`] and
//!   [`jwe::Decrypter`].
//! - Keys: [`Jwk`] (parse, generate, PEM/DER/OpenSSH, thumbprints), [`JwkSet`].
//! - Every option that weakens a default: [`dangerous`].
//! - Runnable programs: `examples/` (`verify_jwt`, `issue_jwt`, `nested_id_token`,
//!   `client_assertion`, `quickstart`). JWK Sets from URLs with caching and rotation live in the
//!   `joseguard-keys` crate; an axum/tower layer with OIDC discovery in `joseguard-axum`.
//!
//! ## Features
//! - JWK (RFC 7517, 7518 §6, 8037, 8812): `oct`, `RSA`, `EC` (P-256, P-384, P-521, secp256k1) and
//!   `OKP` (Ed25519, X25519) keys, and `AKP` ML-DSA keys (RFC 9964, the seed as `priv`), parsed
//!   strictly once into typed values; keys held elsewhere (an HSM) through [`RemoteKey`]; JWK
//!   Sets with selection
//!   by `kid`, `alg`, `use` and `key_ops`; thumbprints (RFC 7638) and thumbprint URIs (RFC 9278);
//!   generation; import from PEM/DER (PKCS#8, SPKI, PKCS#1, SEC1, X.509) and OpenSSH public key
//!   lines; export to JWK and PEM.
//! - JWS (RFC 7515, 7518 §3, 7797, 8037, 8812, 9864): HS256/384/512, RS256/384/512,
//!   PS256/384/512, ES256/384/512, ES256K, EdDSA and Ed25519, and the post-quantum ML-DSA-44/65/87
//!   (RFC 9964, FIPS 204, pure mode, empty context), in the compact, flattened JSON and
//!   general JSON serializations, with detached and unencoded (`b64: false`) payloads.
//! - JWE (RFC 7516, 7518 §4-5, 8037): `dir`, A128/192/256KW, A128/192/256GCMKW, ECDH-ES (with
//!   A128/192/256KW) on P-256/384/521 and X25519, RSA-OAEP, RSA-OAEP-256/384/512, and behind
//!   [`dangerous`] RSA1_5 and PBES2; A128/192/256GCM and A128/192/256CBC-HS256/384/512 content
//!   encryption; `zip: DEF` with a decompression limit; compact, flattened and general JSON.
//! - JWT (RFC 7519, 8725): claim validation with strict types (`exp`, `nbf`, `iat` as
//!   NumericDates, integer or fractional), issuer, audience, subject, required claims, `typ`,
//!   maximum age and lifetime; nested JWTs; RFC 7523 client assertions.
//!
//! ## Safe by default
//! - A verifier names the allowed algorithms (a non-empty list is required) and holds its keys.
//!   `none` cannot be expressed.
//! - A key is only used with algorithms that fit its type, curve and size, and only for what its
//!   own `alg`, `use` and `key_ops` allow; an `oct` key never verifies an asymmetric algorithm; a
//!   JWK Set mixing secret and public keys is refused.
//! - `crit` is enforced (RFC 7515 §4.1.11); unregistered header names must be declared; duplicate
//!   JSON member names are rejected; base64url must be canonical; every input has a size limit.
//! - RSA keys below 2048 bits and ROCA-weak moduli are refused; ECDSA signatures must be
//!   fixed-size R‖S with r, s in range; small-order Ed25519 keys and ECDH points off the curve
//!   are refused.
//! - Keys embedded in a token (`jwk`, `jku`, `x5u`, `x5c`) are never trusted by this crate: keys
//!   come from the caller.
//! - Errors say what failed and carry a stable [`Error::code`]; none contains key material or a
//!   whole token.
//!
//! ## Non-features
//! - No I/O, no async, no global state: fetching JWK Sets, CRLs and serving HTTP live in the crates
//!   above this one.
//! - No `none` algorithm, no RSA keys below 2048 bits, no multi-prime RSA, no Ed448/X448 (the
//!   backend offers neither), no unencrypted "JWE".
//!
//! ## Design
//! `crypto` is the only module that calls aws-lc-rs. `b64` and `json` hold the strict encodings.
//! `jwa` names algorithms and curves. `jwk` owns keys. `jws` and `jwe` are split as their RFCs
//! are (`header` rules, building, verifying or decrypting, one module per serialization); `jwt`
//! sits on top of `jws` and `jwe`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod b64;
mod crypto;
pub mod dangerous;
pub mod error;
pub mod header;
pub mod json;
pub mod jwa;
pub mod jwe;
pub mod jwk;
pub mod jws;
pub mod jwt;

pub use error::{Error, Result};
pub use jwa::{ContentEncryption, EcCurve, JwsAlgorithm, KeyManagementAlgorithm, OkpCurve, Sha2};
pub use jwk::{Jwk, JwkSet, KeyOperation, KeySpec, KeyType, RemoteKey};
