//! The validated, typed configuration the server runs on: settings, issuers with their keys,
//! routes with a verifier and a claim validation per accepted issuer (built once per load),
//! workers; and what a request produces from it (an [`Accepted`] token, kept in its route's
//! [`VerifiedCache`]). Built by [`crate::config`]; requests only read it.

mod accepted;
mod cache;
mod issuer;
mod route;
mod worker;

use std::sync::Arc;
use std::time::Duration;

use joseguard_keys::JwksSource;

pub use accepted::Accepted;
pub use cache::VerifiedCache;
pub use issuer::{Issuer, IssuerX5c, KidMap};
pub use route::{
    ClaimHeaderRule, ForwardAuth, Keep, Mode, Original, Route, RouteIssuer, TokenSource,
};
pub use worker::{
    Authorizer, Binding, Encoding, Output, Role, Signer, SigningKey, SingleUse, Worker,
};

use crate::target::PathOptions;

/// Connection limits (`[server]` `max_connections`, `header_read_timeout`, `idle_timeout`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Open connections at most.
    pub max_connections: usize,
    /// A request head must arrive within this.
    pub header_read_timeout: Duration,
    /// A kept-alive connection without a request is closed after this.
    pub idle_timeout: Duration,
}

/// Server-wide settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address to listen on.
    pub listen: std::net::SocketAddr,
    /// Whole-request timeout, backend included.
    pub request_timeout: Duration,
    /// Largest request body.
    pub max_body_bytes: usize,
    /// `realm` of the Bearer challenge.
    pub realm: String,
    /// JSON (true) or text logs.
    pub json_logs: bool,
    /// How request paths are canonicalised.
    pub paths: PathOptions,
    /// Methods answered 405.
    pub refused_methods: Vec<axum::http::Method>,
    /// Connection limits.
    pub limits: Limits,
    /// The forward-auth endpoint, when configured.
    pub forward_auth: Option<ForwardAuth>,
    /// How often the configuration file is looked at (zero: never).
    pub watch_interval: Duration,
    /// Start the embedded echo backend.
    pub echo_backend: bool,
    /// Backend connections at most (`[backend] max_connections`).
    pub backend_connections: usize,
}

/// Everything a request needs.
pub struct Runtime {
    /// Server-wide settings.
    pub settings: Settings,
    /// The default backend.
    pub backend: Option<String>,
    /// Every issuer.
    pub issuers: Vec<Arc<Issuer>>,
    /// Routes, matched by longest path prefix.
    pub routes: Vec<Route>,
    /// Signing and validation workers.
    pub workers: Vec<Arc<Worker>>,
}

impl Runtime {
    /// The worker named `name`.
    pub fn worker(&self, name: &str) -> Option<&Arc<Worker>> {
        self.workers.iter().find(|w| w.name == name)
    }

    /// The route with the longest matching path prefix (on segment boundaries).
    pub fn route(&self, path: &str) -> Option<&Route> {
        self.routes
            .iter()
            .filter(|r| {
                path == r.path
                    || r.path == "/"
                    || path
                        .strip_prefix(r.path.trim_end_matches('/'))
                        .is_some_and(|rest| rest.starts_with('/'))
            })
            .max_by_key(|r| r.path.len())
    }

    /// Fetches every remote JWK Set once; errors are logged (readiness reports them).
    pub async fn warm_up(&self) {
        for issuer in &self.issuers {
            if let Some(JwksSource::Remote(r)) = &issuer.jwks {
                if let Err(e) = r.warm_up().await {
                    tracing::warn!(issuer = %issuer.name, error = %e, "JWK Set not available yet");
                }
            }
        }
    }

    /// Ready when every issuer has keys to verify with.
    pub fn ready(&self) -> Result<(), String> {
        for issuer in &self.issuers {
            if let Some(JwksSource::Remote(r)) = &issuer.jwks {
                if r.stats().keys == 0 && issuer.by_kid.is_empty() {
                    return Err(format!(
                        "issuer {}: no keys yet from {}",
                        issuer.name,
                        r.url()
                    ));
                }
            }
        }
        let now = joseguard::jwt::now();
        for worker in &self.workers {
            if let Role::Signing(s) = &worker.role {
                match s.current(now) {
                    None => return Err(format!("worker {}: no key valid now", worker.name)),
                    Some(k) if !k.available() => {
                        return Err(format!(
                            "worker {}: key {} unavailable (HSM)",
                            worker.name, k.kid
                        ))
                    }
                    Some(_) => {}
                }
            }
        }
        Ok(())
    }
}
