//! # joseguard-server
//!
//! `joseguard serve`: a gateway that validates JWS before a request reaches a backend, a
//! forward-auth decision service for nginx, Traefik and Envoy, and a signing service whose
//! workers sign and validate for callers authorized by a JWS (`docs/signing.md`).
//!
//! - **Modes**: a compact JWS posted as the body (`application/jose`, `application/jose+json`;
//!   JSON serializations when the route allows), forwarded as the original request or as the
//!   verified payload with `Content-Type` from `cty`; or a bearer token from `Authorization`, a
//!   header, a query parameter or a cookie.
//! - **Keys** by `kid` (`default` for tokens without one) from OpenSSH lines, PEM certificates,
//!   SPKI/PKCS#8 PEM, base64 SPKI, JWK, JWK Set files and URLs, and `x5c` chains to trust
//!   anchors with CRLs; several issuers, each with its own keys, algorithms, audiences, leeway.
//! - **Checks**: `typ` and `cty` allowlists, `crit`, `exp`/`nbf`/`iat`, `iss`, `aud`, and rules
//!   over claims; claims copied into upstream headers (every spelling of them stripped inbound).
//! - **Answers**: 401 with a Bearer challenge and `application/problem+json` with a stable `code`,
//!   403 `insufficient_scope`, 400, 405, 413, 503 with `Retry-After` when keys are unavailable,
//!   502/504 for backend failures; never a 500 from a bad token.
//! - **Operations**: validated TOML config with file:line errors, hot reload on SIGHUP and on
//!   file change (a bad config is refused and the old one kept), `/healthz`, `/readyz`,
//!   Prometheus `/metrics`, JSON access logs without tokens, connection limits, graceful
//!   shutdown, request timeouts and body limits.
//!
//! See `docs/gateway.md` for the configuration reference.
//!
//! ## Module map
//!
//! Each layer uses only the ones above it:
//!
//! - [`denial`]: why a request is refused, as a stable code, without HTTP; [`target`]: the
//!   canonical request target; [`claims`]: rules and templates over claims; `headers` and
//!   `encoding`: header names as backends read them, base64 and hex.
//! - [`runtime`]: the typed configuration a request reads (routes, issuers, workers, settings),
//!   with a verifier and a claim validation built once per route and issuer.
//! - [`verify`]: token + route → accepted or denied; key lookup (static, JWK Set, `x5c`), rules,
//!   the verified-token cache of each route. No axum, no reqwest.
//! - [`workers`]: signing and validation workers: authorizer, binding, templates, single-use
//!   store, signing.
//! - [`config`]: the only module that knows TOML; builds the runtime.
//! - [`http`]: axum only: the front door (canonical request target, one audit and metrics record
//!   per request), the gateway and forward-auth, the worker endpoints, the proxy, answers.
//! - `reload` (configuration watching) and `quickstart` (the demo's curl lines) serve
//!   [`serve`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod claims;
pub mod config;
pub mod denial;
mod encoding;
mod headers;
pub mod http;
mod quickstart;
mod reload;
pub mod runtime;
pub mod target;
pub mod verify;
pub mod workers;

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

pub use config::ConfigError;
use runtime::Runtime;

/// Reads, parses and validates a configuration file.
pub async fn load(path: &Path) -> Result<Runtime, ConfigError> {
    build_file(path, true).await
}

/// Reads and builds `path`, relative paths from its folder. With `persist_keys` false, a signing
/// key that `generate` would create is made in memory only.
async fn build_file(path: &Path, persist_keys: bool) -> Result<Runtime, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let name = path.display().to_string();
    let file = config::parse(&text, &name)?;
    config::build(file, &text, &name, base, persist_keys).await
}

/// Loads a configuration from its text, paths relative to `base`: what [`load`] does after
/// reading the file (the config fuzz target drives it).
pub async fn load_str(text: &str, base: &Path) -> Result<Runtime, ConfigError> {
    let file = config::parse(text, "configuration")?;
    config::build(file, text, "configuration", base, true).await
}

/// Validates a configuration file as [`load`] does, without side effects: a signing key that
/// `generate` would create is not written (what `joseguard serve --check` runs).
pub async fn check(path: &Path) -> Result<(), ConfigError> {
    build_file(path, false).await.map(drop)
}

/// The decision the gateway would take on a request, without forwarding it: the canonical
/// target, the route serving it, the token extracted from it, and [`verify::decide`]. The code
/// it would refuse with. For fuzzing and tests; the gateway itself goes through HTTP.
#[doc(hidden)]
pub async fn judge(
    rt: &Runtime,
    parts: &axum::http::request::Parts,
    body: &[u8],
) -> Result<(), denial::Code> {
    use denial::Code;
    let raw = parts.uri.path_and_query().map_or("", |p| p.as_str());
    let target = target::Target::parse(raw, rt.settings.paths).map_err(|_| Code::RequestInvalid)?;
    let route = rt.route(target.path()).ok_or(Code::NoRoute)?;
    let token = http::extract_token(route, parts, &target, body)
        .map_err(|d| d.code)?
        .ok_or(Code::TokenMissing)?;
    verify::decide(route, &token, None, joseguard::jwt::now())
        .await
        .map(drop)
        .map_err(|d| d.code)
}

/// A running server.
pub struct Running {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// Resolves when the server has stopped.
    pub task: tokio::task::JoinHandle<()>,
    /// Reloads the configuration now (as SIGHUP does).
    pub reload: Arc<tokio::sync::Notify>,
}

/// Starts serving `config_path` until `shutdown` resolves; returns once listening.
pub async fn start(
    config_path: PathBuf,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Running, ConfigError> {
    let runtime = load(&config_path).await?;
    let echo_url = if runtime.settings.echo_backend {
        Some(
            http::echo::start()
                .await
                .map_err(|e| ConfigError(format!("echo backend: {e}")))?,
        )
    } else {
        None
    };
    runtime.warm_up().await;
    let listener = tokio::net::TcpListener::bind(runtime.settings.listen)
        .await
        .map_err(|e| ConfigError(format!("server.listen: {}: {e}", runtime.settings.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| ConfigError(e.to_string()))?;
    let upstream = http::proxy::Upstream::new(
        runtime.settings.backend_connections,
        std::time::Duration::from_secs(90),
    )
    .map_err(|e| ConfigError(format!("backend client: {e}")))?;
    let runtime = Arc::new(RwLock::new(Arc::new(runtime)));
    let app = http::App {
        runtime: runtime.clone(),
        upstream,
        metrics: Arc::new(http::Metrics::new(runtime)),
        echo_url,
        stores: Default::default(),
    };
    let reload = Arc::new(tokio::sync::Notify::new());
    tokio::spawn(reload::watch(config_path, app.clone(), reload.clone()));
    let front = http::front::Front {
        router: http::router(app.clone()),
        app: app.clone(),
    };
    let limits = move || app.runtime().settings.limits;
    let drain = front.app.runtime().settings.request_timeout;
    let task = tokio::spawn(http::listener::serve(
        listener, front, limits, shutdown, drain,
    ));
    tracing::info!(%addr, "joseguard serving");
    Ok(Running { addr, task, reload })
}

/// Installs the log subscriber (JSON or text; `RUST_LOG` filters, default `info`).
pub fn init_logging(json: bool) {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Runs until Ctrl-C or SIGTERM: what `joseguard serve` does.
pub async fn serve(config_path: PathBuf) -> Result<(), ConfigError> {
    let preview = load(&config_path).await?;
    init_logging(preview.settings.json_logs);
    drop(preview);
    let running = start(config_path.clone(), reload::shutdown_signal()).await?;
    quickstart::print_examples(&config_path, running.addr).await;
    let _ = running.task.await;
    Ok(())
}
