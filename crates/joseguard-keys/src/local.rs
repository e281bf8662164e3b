//! A JWK Set file, re-read when it changes.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use joseguard::JwkSet;
use tokio::time::Instant;

use crate::KeySourceError;

/// How often the file's metadata is looked at (at most), by default.
const DEFAULT_POLL: Duration = Duration::from_secs(1);

#[derive(Debug)]
struct State {
    set: Arc<JwkSet>,
    stamp: (Option<SystemTime>, u64),
    checked: Instant,
}

/// A JWK Set file. Each [`keys`](Self::keys) call looks at the file's modification time and size
/// (at most once per poll interval) and re-reads it when either changed. A file that no longer
/// parses is logged and the previous set kept: a half-written file must not drop every key.
#[derive(Debug)]
pub struct LocalJwks {
    path: PathBuf,
    poll: Duration,
    state: Mutex<State>,
}

async fn read(path: &Path) -> Result<(Arc<JwkSet>, (Option<SystemTime>, u64)), KeySourceError> {
    let meta = tokio::fs::metadata(path)
        .await
        .map_err(|e| KeySourceError::Io(format!("{}: {e}", path.display())))?;
    let bytes = tokio::fs::read(path)
        .await
        .map_err(|e| KeySourceError::Io(format!("{}: {e}", path.display())))?;
    let set = JwkSet::from_json(&bytes).map_err(KeySourceError::Parse)?;
    Ok((Arc::new(set), (meta.modified().ok(), meta.len())))
}

impl LocalJwks {
    /// Reads the file now (an unreadable or invalid file is an error here).
    pub async fn open(path: impl Into<PathBuf>) -> Result<Self, KeySourceError> {
        let path = path.into();
        let (set, stamp) = read(&path).await?;
        Ok(LocalJwks {
            path,
            poll: DEFAULT_POLL,
            state: Mutex::new(State {
                set,
                stamp,
                checked: Instant::now(),
            }),
        })
    }

    /// Changes how often the file is looked at.
    pub fn poll_interval(mut self, poll: Duration) -> Self {
        self.poll = poll;
        self
    }

    /// The path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The current set, re-reading the file if it changed.
    pub async fn keys(&self) -> Result<Arc<JwkSet>, KeySourceError> {
        let (current, stamp) = {
            let mut st = self.state.lock().expect("lock poisoned");
            if st.checked.elapsed() < self.poll {
                return Ok(st.set.clone());
            }
            st.checked = Instant::now();
            (st.set.clone(), st.stamp)
        };
        let meta = match tokio::fs::metadata(&self.path).await {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(path = %self.path.display(), error = %e, "JWK Set file unreadable; keeping the last set");
                return Ok(current);
            }
        };
        if (meta.modified().ok(), meta.len()) == stamp {
            return Ok(current);
        }
        match read(&self.path).await {
            Ok((set, stamp)) => {
                tracing::info!(path = %self.path.display(), keys = set.len(), "JWK Set file reloaded");
                let mut st = self.state.lock().expect("lock poisoned");
                st.set = set.clone();
                st.stamp = stamp;
                Ok(set)
            }
            Err(e) => {
                tracing::warn!(path = %self.path.display(), error = %e, "JWK Set file changed but is unusable; keeping the last set");
                Ok(current)
            }
        }
    }
}
