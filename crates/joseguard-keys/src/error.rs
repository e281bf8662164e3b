use std::fmt;

/// Why a key source could not give keys.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeySourceError {
    /// The configuration is unusable (bad URL, plain HTTP to a non-loopback host, ...).
    Config(String),
    /// Fetching failed (connection, timeout, HTTP status, body too large).
    Fetch(String),
    /// The document is not a usable JWK Set.
    Parse(joseguard::Error),
    /// Reading a file failed.
    Io(String),
    /// No keys can be served: the last good set is older than the stale-if-error window (or there
    /// never was one) and refreshing failed. The source fails closed.
    Unavailable(String),
    /// The token itself could not be read (to find its `kid`).
    Token(joseguard::Error),
}

impl fmt::Display for KeySourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySourceError::Config(m) => write!(f, "key source configuration: {m}"),
            KeySourceError::Fetch(m) => write!(f, "JWK Set fetch failed: {m}"),
            KeySourceError::Parse(e) => write!(f, "JWK Set unusable: {e}"),
            KeySourceError::Io(m) => write!(f, "JWK Set file: {m}"),
            KeySourceError::Unavailable(m) => write!(f, "keys unavailable: {m}"),
            KeySourceError::Token(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for KeySourceError {}

impl From<joseguard::Error> for KeySourceError {
    fn from(e: joseguard::Error) -> Self {
        KeySourceError::Token(e)
    }
}
