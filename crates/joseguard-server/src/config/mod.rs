//! The configuration: the only module that knows TOML. [`parse`] reads the text into the typed
//! [`schema`] (a typo or a bad value fails with its line and column); [`build`] validates the
//! references between tables and builds the [`Runtime`]: keys parsed once, verifiers and claim
//! validations built once per route, workers ready to sign. Errors name the file, the line, the
//! key at fault and the fix.

mod issuer;
mod route;
pub(crate) mod rules;
pub mod schema;
mod signing_key;
mod worker;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::runtime::{Limits, Runtime, Settings};
use crate::target::PathOptions;

/// A configuration error: where, the key at fault, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// An error about `key`.
pub fn err(key: &str, problem: impl fmt::Display) -> ConfigError {
    ConfigError(format!("{key}: {problem}"))
}

/// Where errors point: the file's name and text, to turn a table's span into a line.
pub(crate) struct Source<'a> {
    name: String,
    text: &'a str,
}

impl Source<'_> {
    /// `file:line: ` for a byte offset of the text.
    pub(crate) fn at(&self, offset: usize) -> String {
        let line = self.text[..offset.min(self.text.len())]
            .bytes()
            .filter(|b| *b == b'\n')
            .count()
            + 1;
        format!("{}:{line}: ", self.name)
    }

    /// The error, prefixed with the position of the table that starts at `offset`.
    pub(crate) fn locate(&self, offset: usize) -> impl Fn(ConfigError) -> ConfigError + '_ {
        move |e| ConfigError(format!("{}{}", self.at(offset), e.0))
    }
}

/// Parses the text of `name`; a syntax or type error says where it is and quotes the line
/// (`gw.toml:2: listen = "nowhere": invalid socket address syntax`).
pub fn parse(text: &str, name: &str) -> Result<schema::File, ConfigError> {
    toml::from_str(text).map_err(|e| {
        let message = e.message().trim_end();
        let Some(span) = e.span() else {
            return ConfigError(format!("{name}: {message}"));
        };
        let start = text[..span.start.min(text.len())]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let line = text[start..].lines().next().unwrap_or("").trim();
        let at = Source {
            name: name.into(),
            text,
        }
        .at(span.start);
        ConfigError(format!("{at}{line}: {message}"))
    })
}

/// A path from the configuration, relative to its folder.
pub(crate) fn resolve_path(base: &Path, p: &str) -> PathBuf {
    let p = Path::new(p);
    if p.is_absolute() {
        p.to_owned()
    } else {
        base.join(p)
    }
}

/// A URL that must be http or https.
pub(crate) fn check_url(key: &str, url: &str) -> Result<(), ConfigError> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(err(
            key,
            format!("{url:?} must start with http:// or https://"),
        ));
    }
    Ok(())
}

fn positive(key: &str, d: Duration) -> Result<Duration, ConfigError> {
    if d.is_zero() {
        return Err(err(key, "must be more than 0s"));
    }
    Ok(d)
}

/// Builds the runtime from a parsed file (`text` and `name` for line numbers), paths relative to
/// `base`. With `persist_keys` false, a signing key that `generate` would create is made in
/// memory only (a configuration check must not write key files).
pub async fn build(
    file: schema::File,
    text: &str,
    name: &str,
    base: &Path,
    persist_keys: bool,
) -> Result<Runtime, ConfigError> {
    let src = Source {
        name: name.into(),
        text,
    };
    let settings = settings(&file)?;
    if let Some(url) = &file.backend.url {
        if file.backend.echo {
            return Err(err("backend", "set either url or echo = true, not both"));
        }
        check_url("backend.url", url)?;
    }
    let issuers = issuer::build_all(&file.issuers, &settings, base, &src).await?;
    let has_backend = file.backend.url.is_some() || file.backend.echo;
    let mut routes = Vec::with_capacity(file.routes.len());
    for (i, raw) in file.routes.iter().enumerate() {
        let key = format!("route[{i}] ({})", raw.get_ref().path);
        let route = route::build(&key, raw.get_ref(), &issuers, has_backend, &file.server)
            .map_err(src.locate(raw.span().start))?;
        routes.push(route);
    }
    let workers = worker::build_all(&file.workers, &issuers, base, persist_keys, &src)?;
    if routes.is_empty() && workers.is_empty() {
        return Err(err(
            "route",
            "no [[route]] and no [[worker]]: add a route with path and issuers",
        ));
    }
    Ok(Runtime {
        settings,
        backend: file.backend.url.clone(),
        issuers,
        routes,
        workers,
    })
}

fn settings(file: &schema::File) -> Result<Settings, ConfigError> {
    let s = &file.server;
    if s.max_connections == 0 {
        return Err(err("server.max_connections", "must be at least 1"));
    }
    if file.backend.max_connections == 0 {
        return Err(err("backend.max_connections", "must be at least 1"));
    }
    let paths = PathOptions {
        merge_slashes: s.merge_slashes,
    };
    Ok(Settings {
        listen: s.listen,
        request_timeout: positive("server.request_timeout", s.request_timeout)?,
        max_body_bytes: s.max_body_bytes,
        realm: s.realm.clone(),
        json_logs: s.log_format == schema::LogFormat::Json,
        paths,
        refused_methods: s.refused_methods.clone(),
        limits: Limits {
            max_connections: s.max_connections,
            header_read_timeout: positive("server.header_read_timeout", s.header_read_timeout)?,
            idle_timeout: positive("server.idle_timeout", s.idle_timeout)?,
        },
        forward_auth: file
            .forward_auth
            .as_ref()
            .map(|f| route::forward_auth(f, paths))
            .transpose()?,
        watch_interval: s.watch_interval,
        echo_backend: file.backend.echo,
        backend_connections: file.backend.max_connections,
    })
}

/// Issuers referred to by name, in order; `key` names the list in errors.
pub(crate) fn named<T: AsRef<str>>(
    key: &str,
    names: &[String],
    issuers: &[Arc<crate::runtime::Issuer>],
    what: T,
) -> Result<Vec<Arc<crate::runtime::Issuer>>, ConfigError> {
    names
        .iter()
        .map(|name| {
            issuers
                .iter()
                .find(|i| &i.name == name)
                .cloned()
                .ok_or_else(|| err(key, format!("no {} named {name:?}", what.as_ref())))
        })
        .collect()
}
