//! # joseguard-pkcs11
//!
//! Signing keys in hardware for joseguard: a key named by a PKCS#11 URI (RFC 7512) in an HSM
//! (or SoftHSM2) becomes a [`joseguard::Jwk`] that signs like any other
//! ([`Pkcs11Key::into_jwk`], through [`joseguard::RemoteKey`]); the private key never leaves
//! the device.
//!
//! - Algorithms: RS256/384/512 (`CKM_SHAx_RSA_PKCS`), PS256/384/512 (`CKM_SHAx_RSA_PKCS_PSS`,
//!   MGF1 with the same hash, salt as long as the hash), ES256/384/512 (`CKM_ECDSA` over a
//!   digest computed in software; the token's `r‖s` is what JWS wants), EdDSA (`CKM_EDDSA`)
//!   where the module offers it; and signatures over a digest computed elsewhere
//!   (`jws::sign_digest`) for RSA (`CKM_RSA_PKCS` over the DigestInfo, `CKM_RSA_PKCS_PSS`) and
//!   ECDSA.
//! - The public key and its `kid` (RFC 7638 thumbprint) come from the token's public key
//!   object (or its certificate with the same `CKA_ID`/label).
//! - Sessions: a pool of logged-in sessions, as many as the caller's concurrency; a request
//!   beyond waits for one. A session or token that fails (device removed, HSM restarted) marks
//!   the key unavailable ([`joseguard::Error::KeyUnavailable`]); the next use, at most once a
//!   second, logs in again and finds the key, so the key recovers by itself.
//! - The PIN comes from a file or an environment variable (read again at every login), is held
//!   as a secret, and never appears in a log line or an error.
//!
//! Non-features: key generation and management (use the HSM's tools, `pkcs11-tool` or
//! `softhsm2-util`), decryption, and PKCS#11 modules that are not thread-safe.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod key;
mod uri;

pub use key::{Pin, Pkcs11Config, Pkcs11Key};
pub use uri::Pkcs11Uri;

use std::fmt;

/// Why a PKCS#11 key could not be opened or used. No variant carries a PIN.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Pkcs11Error {
    /// The URI is not one this crate can use.
    Uri(String),
    /// The module could not be loaded or initialised.
    Module(String),
    /// No token with that label or serial, or it refused the login.
    Token(String),
    /// The PIN could not be read.
    Pin(String),
    /// The token refused the PIN or has locked it: trying the same PIN again only brings a
    /// lock-out closer.
    PinRefused(String),
    /// No such key, several, or one of a type joseguard does not sign with.
    Key(String),
}

impl fmt::Display for Pkcs11Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pkcs11Error::Uri(m) => write!(f, "PKCS#11 URI: {m}"),
            Pkcs11Error::Module(m) => write!(f, "PKCS#11 module: {m}"),
            Pkcs11Error::Token(m) => write!(f, "PKCS#11 token: {m}"),
            Pkcs11Error::Pin(m) | Pkcs11Error::PinRefused(m) => write!(f, "PKCS#11 PIN: {m}"),
            Pkcs11Error::Key(m) => write!(f, "PKCS#11 key: {m}"),
        }
    }
}

impl std::error::Error for Pkcs11Error {}
