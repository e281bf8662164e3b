//! What signing and validation workers do (docs/signing.md): the authorizer that decides who may
//! use a worker ([`authorize`]), the single-use store ([`replay`]) and the signing itself
//! ([`sign`]). The worker types are in [`crate::runtime`]; no HTTP here: `http::workers` wraps
//! it.

pub mod authorize;
pub mod replay;
pub mod sign;
