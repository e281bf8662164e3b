//! # joseguard
//!
//! JOSE — JWS, JWE, JWK, JWA and JWT — with safe defaults, on the aws-lc-rs crypto backend.
//!
//! ## Features
//! - JWK (RFC 7517, 7518 §6, 8037, 8812): `oct`, `RSA`, `EC` (P-256, P-384, P-521, secp256k1) and
//!   `OKP` (Ed25519, X25519) keys, parsed strictly once into typed values; JWK Sets with selection
//!   by `kid`, `alg`, `use` and `key_ops`; thumbprints (RFC 7638) and thumbprint URIs (RFC 9278);
//!   generation; import from PEM/DER (PKCS#8, SPKI, PKCS#1, SEC1, X.509) and OpenSSH public key
//!   lines; export to JWK and PEM.
//! - JWS (RFC 7515, 7518 §3, 7797, 8037, 8812, 9864): HS256/384/512, RS256/384/512,
//!   PS256/384/512, ES256/384/512, ES256K, EdDSA and Ed25519, in the compact, flattened JSON and
//!   general JSON serializations, with detached and unencoded (`b64: false`) payloads.
//!
//! ## Safe by default
//! - A verifier is built from a [`jws::VerifyPolicy`] that names the allowed algorithms (a
//!   non-empty list is required) and holds its keys. `none` cannot be expressed.
//! - A key is only used with algorithms that fit its type, curve and size, and only for what its
//!   own `alg`, `use` and `key_ops` allow; an `oct` key never verifies an asymmetric algorithm.
//! - `crit` is enforced (RFC 7515 §4.1.11); unregistered header names must be declared; duplicate
//!   JSON member names are rejected; base64url must be canonical; every input has a size limit.
//! - RSA keys below 2048 bits are refused; ECDSA signatures must be fixed-size R‖S with r, s in
//!   range.
//! - Keys embedded in a token (`jwk`, `jku`, `x5u`, `x5c`) are never trusted by this crate: keys
//!   come from the caller.
//!
//! ## Non-features
//! - No I/O, no async, no global state: fetching JWK Sets, CRLs and serving HTTP live in the crates
//!   above this one.
//! - No `none` algorithm, no RSA keys below 2048 bits, no multi-prime RSA, no Ed448/X448 (the
//!   backend offers neither).
//!
//! ## Design
//! `crypto` is the only module that calls aws-lc-rs. `b64` and `json` hold the strict encodings.
//! `jwa` names algorithms and curves. `jwk` owns keys. `jws` is split as the RFC is: `header`
//! (parsing and the `crit`/private-name rules), `sign`, `verify` (policy and key resolution) and
//! one module per serialization.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod b64;
mod crypto;
pub mod error;
pub mod header;
pub mod json;
pub mod jwa;
pub mod jwe;
pub mod jwk;
pub mod jws;
pub mod jwt;

pub use error::{Error, Result};
pub use jwa::{EcCurve, JwsAlgorithm, OkpCurve, Sha2};
pub use jwk::{Jwk, JwkSet, KeyOperation, KeySpec, KeyType};
