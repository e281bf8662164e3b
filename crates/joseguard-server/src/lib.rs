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
//!   SPKI/PKCS#8 PEM, base64 SPKI, JWK, JWK Set files and JWK Set URLs; several issuers, each with
//!   its own keys, algorithms, audiences and leeway.
//! - **Checks**: `typ` and `cty` allowlists, `crit`, `exp`/`nbf`/`iat`, `iss`, `aud`, and rules
//!   over claims; claims copied into upstream headers (inbound copies stripped).
//! - **Answers**: 401 with a Bearer challenge and `application/problem+json` with a stable `code`,
//!   403 `insufficient_scope`, 400, 413, 503 with `Retry-After` when keys are unavailable,
//!   502/504 for backend failures; never a 500 from a bad token.
//! - **Operations**: validated TOML config, hot reload on SIGHUP and on file change (a bad config
//!   is refused and the old one kept), `/healthz`, `/readyz`, Prometheus `/metrics`, JSON access
//!   logs without tokens, graceful shutdown, request timeouts and body limits.
//!
//! See `docs/gateway.md` for the configuration reference.
#![forbid(unsafe_code)]

mod answer;
pub mod config;
mod decide;
mod echo;
mod extract;
mod gateway;
mod listener;
mod metrics;
mod proxy;
mod quickstart;
mod replay;
pub mod rules;
pub mod runtime;
mod signing;
pub mod target;
pub mod worker;

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

pub use config::ConfigError;
use runtime::Runtime;

/// Reads, parses and validates a configuration file.
pub async fn load(path: &Path) -> Result<Runtime, ConfigError> {
    build_file(path, true).await
}

/// Reads and builds `path`, relative paths from its folder; `persist_keys` as in
/// [`Runtime::build_with`].
async fn build_file(path: &Path, persist_keys: bool) -> Result<Runtime, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
    let base = path.parent().unwrap_or(Path::new("."));
    Runtime::build_with(config::parse(&text)?, base, persist_keys).await
}

/// Loads a configuration from its text, paths relative to `base`: what [`load`] does after
/// reading the file (the config fuzz target drives it).
pub async fn load_str(text: &str, base: &Path) -> Result<Runtime, ConfigError> {
    Runtime::build(config::parse(text)?, base).await
}

/// Validates a configuration file as [`load`] does, without side effects: a signing key that
/// `generate` would create is not written (what `joseguard serve --check` runs).
pub async fn check(path: &Path) -> Result<(), ConfigError> {
    build_file(path, false).await.map(drop)
}

/// The decision the gateway would take on a request, without forwarding it: the route serving
/// its path, the token extracted from it, and [`decide`](decide::decide). The status it would
/// answer with on refusal. For fuzzing and tests; the gateway itself goes through HTTP.
#[doc(hidden)]
pub async fn judge(
    rt: &Runtime,
    parts: &axum::http::request::Parts,
    body: &[u8],
) -> Result<(), u16> {
    let raw = parts.uri.path_and_query().map_or("", |p| p.as_str());
    let target = target::Target::parse(raw, rt.settings.paths).map_err(|_| 400u16)?;
    let route = rt.route(target.path()).ok_or(404u16)?;
    let token = extract::token(route, parts, &target, body)
        .map_err(|r| r.status.as_u16())?
        .ok_or(401u16)?;
    decide::decide(route, &token, joseguard::jwt::now())
        .await
        .map(drop)
        .map_err(|r| r.status.as_u16())
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
            echo::start()
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
    // Idle backend connections: enough for the connection limit's worth of concurrency.
    let upstream = proxy::Upstream::new(
        runtime.settings.limits.max_connections.min(1024),
        std::time::Duration::from_secs(90),
    )
    .map_err(|e| ConfigError(format!("backend client: {e}")))?;
    let runtime = Arc::new(RwLock::new(Arc::new(runtime)));
    let app = gateway::App {
        runtime: runtime.clone(),
        upstream,
        metrics: Arc::new(metrics::Metrics::new(runtime)),
        echo_url,
        replay: Default::default(),
    };
    let reload = Arc::new(tokio::sync::Notify::new());
    tokio::spawn(watch(config_path, app.clone(), reload.clone()));
    let front = gateway::Front {
        router: gateway::router(app.clone()),
        app: app.clone(),
    };
    let limits = move || app.runtime().settings.limits;
    let drain = front.app.runtime().settings.request_timeout;
    let task = tokio::spawn(listener::serve(listener, front, limits, shutdown, drain));
    tracing::info!(%addr, "joseguard serving");
    Ok(Running { addr, task, reload })
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Reloads on SIGHUP, on `reload.notify_one()`, and when the file's modification time changes.
async fn watch(path: PathBuf, app: gateway::App, reload: Arc<tokio::sync::Notify>) {
    let mut stamp = modified(&path);
    #[cfg(unix)]
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    loop {
        let interval = app.runtime().settings.watch_interval;
        let poll = async {
            if interval.is_zero() {
                std::future::pending::<()>().await
            } else {
                tokio::time::sleep(interval).await
            }
        };
        #[cfg(unix)]
        let hangup = async {
            match hup.as_mut() {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let hangup = std::future::pending::<()>();
        let forced = tokio::select! {
            _ = poll => false,
            _ = hangup => true,
            _ = reload.notified() => true,
        };
        let now = modified(&path);
        if !forced && now == stamp {
            continue;
        }
        stamp = now;
        match load(&path).await {
            Ok(new) => {
                new.warm_up().await;
                *app.runtime.write().expect("runtime lock") = Arc::new(new);
                tracing::info!(path = %path.display(), "configuration reloaded");
            }
            Err(e) => {
                tracing::error!(path = %path.display(), error = %e, "new configuration refused; keeping the old one")
            }
        }
    }
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
    let running = start(config_path.clone(), shutdown_signal()).await?;
    quickstart::print_examples(&config_path, running.addr).await;
    let _ = running.task.await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
