//! OpenID Connect Discovery 1.0: an issuer's `jwks_uri` from its
//! `/.well-known/openid-configuration`, with the check §4.3 requires (the document's `issuer`
//! is exactly the issuer asked for, so a document served for one issuer cannot hand out another
//! issuer's keys).

use crate::fetch::{FetchPolicy, Fetcher};
use crate::{KeySourceError, RemoteConfig, RemoteJwks};

/// What an issuer's discovery document says that a relying party needs here.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Discovered {
    /// `issuer`, equal to the one asked for.
    pub issuer: String,
    /// `jwks_uri`.
    pub jwks_uri: String,
    /// `id_token_signing_alg_values_supported`, as listed (informative: the caller's allowlist
    /// still decides).
    pub signing_algorithms: Vec<String>,
}

/// The discovery document URL of `issuer` (§4.1: the issuer, without a trailing `/`, then
/// `/.well-known/openid-configuration`).
pub fn configuration_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

/// Fetches and checks `issuer`'s discovery document under the JWK Set fetch rules of `config`
/// (`https` except loopback, no redirects, the timeout and body limit).
pub async fn discover(issuer: &str, config: &RemoteConfig) -> Result<Discovered, KeySourceError> {
    if issuer.contains(['?', '#']) {
        // The well-known path is appended: a query or fragment would swallow it.
        return Err(KeySourceError::Config(format!(
            "issuer {issuer:?}: an issuer has no query or fragment"
        )));
    }
    let fetcher = Fetcher::new(FetchPolicy {
        timeout: config.timeout,
        max_body_bytes: config.max_body_bytes,
        max_redirects: 0,
        https_except_loopback: true,
    })
    .map_err(|e| KeySourceError::Config(e.to_string()))?;
    let url = fetcher
        .url(&configuration_url(issuer))
        .map_err(|e| KeySourceError::Config(format!("issuer {e}")))?;
    let fetched = fetcher
        .get(&url, "application/json")
        .await
        .map_err(|e| KeySourceError::Fetch(format!("{url}: {e}")))?;
    let doc: serde_json::Value = joseguard::json::parse(&fetched.body, "discovery document")
        .map_err(KeySourceError::Parse)?;
    let field = |name: &str| doc.get(name).and_then(serde_json::Value::as_str);
    let found = field("issuer").unwrap_or_default();
    if found != issuer {
        return Err(KeySourceError::Config(format!(
            "the discovery document at {url} is for issuer {found:?}, not {issuer:?}"
        )));
    }
    let jwks_uri = field("jwks_uri").ok_or_else(|| {
        KeySourceError::Config(format!("the discovery document at {url} has no jwks_uri"))
    })?;
    // Plain http is allowed to loopback for local test servers and sidecars; a remote issuer's
    // document may not use that exemption to point the fetcher at this machine's services.
    let keys_url = fetcher
        .url(jwks_uri)
        .map_err(|e| KeySourceError::Config(format!("jwks_uri {e}")))?;
    if url.scheme() == "https" && keys_url.scheme() != "https" {
        return Err(KeySourceError::Config(format!(
            "the discovery document at {url} names a plain-http jwks_uri"
        )));
    }
    let signing_algorithms = doc
        .get("id_token_signing_alg_values_supported")
        .and_then(serde_json::Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Ok(Discovered {
        issuer: issuer.to_owned(),
        jwks_uri: jwks_uri.to_owned(),
        signing_algorithms,
    })
}

impl RemoteJwks {
    /// The JWK Set of `issuer`, found by OpenID Connect discovery (fetched now, once; the keys
    /// are fetched when first asked for, then cached and refreshed as [`RemoteJwks`] does).
    pub async fn from_issuer(issuer: &str, config: RemoteConfig) -> Result<Self, KeySourceError> {
        let discovered = discover(issuer, &config).await?;
        RemoteJwks::new(&discovered.jwks_uri, config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_issuer_with_a_query_or_fragment_is_refused_before_any_fetch() {
        for issuer in ["http://127.0.0.1:9/op?tenant=a", "http://127.0.0.1:9/op#x"] {
            let e = discover(issuer, &RemoteConfig::default())
                .await
                .unwrap_err();
            assert!(e.to_string().contains("no query or fragment"), "{e}");
        }
    }
}
