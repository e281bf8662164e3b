//! # joseguard-axum
//!
//! JWT bearer authentication for axum (and any tower stack): a [`JwtAuth`] layer that verifies
//! the `Authorization: Bearer` token of every request with joseguard, and a [`Claims`]
//! extractor that hands the verified claims to handlers as the caller's type.
//!
//! ```no_run
//! use axum::{routing::get, Router};
//! use joseguard::JwsAlgorithm::{ES256, RS256};
//! use joseguard_axum::{Claims, JwtAuth};
//!
//! #[derive(serde::Deserialize)]
//! struct User { sub: String }
//!
//! async fn me(Claims(user): Claims<User>) -> String {
//!     user.sub
//! }
//!
//! # async fn app() -> Result<(), Box<dyn std::error::Error>> {
//! let auth = JwtAuth::from_issuer("https://op.example").await?
//!     .algorithms([ES256, RS256])?
//!     .audience("api");
//! let app: Router = Router::new().route("/me", get(me)).layer(auth);
//! # Ok(()) }
//! ```
//!
//! ## Features
//! - Keys from a JWK Set file (re-read when it changes), a JWK Set URL, or OpenID Connect
//!   discovery ([`JwtAuth::from_issuer`]: the issuer's `/.well-known/openid-configuration`, its
//!   `issuer` checked, its `jwks_uri` used), cached and refreshed on rotation by
//!   `joseguard-keys`.
//! - Per route: its own layer, with an audience and claim rules as closures
//!   ([`JwtAuth::rule`]); layers share their keys.
//! - Answers as RFC 6750 and RFC 9457 want them: 401 with `WWW-Authenticate: Bearer` (with
//!   `error="invalid_token"` and a description when a token was refused) and an
//!   `application/problem+json` body with a stable `code`; 403 `insufficient_scope` when a rule
//!   refuses; 400 `invalid_request` for two tokens; 503 with `Retry-After` when the keys cannot
//!   be had. Never the token in a log line or an answer.
//! - A `tracing` span per request (`jwt_auth`) with the decision, the code, and `kid`, `iss`,
//!   `sub` of an accepted token.
//!
//! ## Non-features
//! - No token in query parameters or cookies (RFC 6750 §2.3 discourages the query; a gateway
//!   that must read them is `joseguard serve`).
//! - No session, login redirect or token issuance: this is a resource server's check.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod answer;
mod auth;
mod claims;

pub use answer::Refusal;
pub use auth::{JwtAuth, JwtAuthService, Verified};
pub use claims::Claims;

/// The README's examples, compiled and run as doc tests (here, where every crate they use is a
/// dependency).
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
