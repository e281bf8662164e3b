//! Reloading the configuration (SIGHUP, a forced reload, or a change of the file's modification
//! time) and the shutdown signals.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use crate::http::App;
use crate::load;

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Reloads on SIGHUP, on `reload.notify_one()`, and when the file's modification time changes.
pub(crate) async fn watch(path: PathBuf, app: App, reload: Arc<tokio::sync::Notify>) {
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

/// Resolves on Ctrl-C or SIGTERM.
pub(crate) async fn shutdown_signal() {
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
