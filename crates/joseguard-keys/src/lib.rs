//! # joseguard-keys
//!
//! Key material from the outside world for [`joseguard`]: JWK Sets read from files (reloaded when
//! the file changes) and fetched from URLs (cached, refreshed on rotation, kept through outages
//! for a bounded time). Async, on tokio and reqwest with rustls.
//!
//! - [`LocalJwks`]: a JWK Set file, re-read when its modification time or size changes.
//! - [`RemoteJwks`]: a JWK Set URL with a maximum age (`Cache-Control: max-age` honoured within
//!   bounds), a refetch on an unknown `kid` at most once per cooldown, single-flight fetching, a
//!   timeout, a body size limit, and stale-if-error then fail-closed.
//! - [`JwksSource`]: either, or a fixed set, behind one `keys_for(kid)` call.
//! - [`discovery`]: an OpenID issuer's `jwks_uri` from its discovery document, the `issuer` in it
//!   checked ([`RemoteJwks::from_issuer`]).
//!
//! Keys are parsed once per fetch or reload into a [`joseguard::JwkSet`] shared by `Arc`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod discovery;
mod error;
pub mod fetch;
mod local;
mod remote;
pub mod x5c;

pub use error::KeySourceError;
pub use local::LocalJwks;
pub use remote::{RemoteConfig, RemoteJwks, Stats};

use std::sync::Arc;

use joseguard::jws::{self, Verifier, VerifyPolicy};
use joseguard::JwkSet;

/// Where a verifier's JWK Set comes from.
#[derive(Debug, Clone)]
pub enum JwksSource {
    /// A fixed set (inline configuration).
    Static(Arc<JwkSet>),
    /// A file, reloaded when it changes.
    Local(Arc<LocalJwks>),
    /// A URL.
    Remote(Arc<RemoteJwks>),
}

impl JwksSource {
    /// The current set, for a token naming `kid` (a remote source may refetch for an unknown one).
    pub async fn keys_for(&self, kid: Option<&str>) -> Result<Arc<JwkSet>, KeySourceError> {
        match self {
            JwksSource::Static(s) => Ok(s.clone()),
            JwksSource::Local(l) => l.keys().await,
            JwksSource::Remote(r) => r.keys_for(kid).await,
        }
    }

    /// A verifier for `token` under `policy`, with the keys its `kid` calls for.
    pub async fn verifier_for(
        &self,
        token: &[u8],
        policy: &VerifyPolicy,
    ) -> Result<Verifier, KeySourceError> {
        let header = jws::peek_header(token)?;
        let keys = self.keys_for(header.kid()).await?;
        Ok(Verifier::new(policy.clone(), keys))
    }
}
