//! The layer: which keys, which algorithms, what the claims must satisfy; and the service that
//! applies it to each request.

use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::future::BoxFuture;
use joseguard::jws::{Header, VerifyPolicy};
use joseguard::jwt::{self, Validation};
use joseguard::{JwkSet, JwsAlgorithm};
use joseguard_keys::{JwksSource, KeySourceError, LocalJwks, RemoteConfig, RemoteJwks};
use serde_json::Value;
use tracing::Instrument;

use crate::Refusal;

/// A claim rule: `Err` says why the claims do not qualify (the 403's detail).
type Rule = Arc<dyn Fn(&Value) -> Result<(), String> + Send + Sync>;

/// A verified request's token: what [`Claims`](crate::Claims) reads, in the request's
/// extensions.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Verified {
    /// The claims.
    pub claims: Arc<Value>,
    /// The protected header of its signature.
    pub header: Header,
    /// The realm of the layer that verified it (for refusals the extractor makes).
    pub(crate) realm: Arc<str>,
}

/// JWT bearer authentication as a tower [`Layer`](tower::Layer): keys, allowed algorithms, the
/// claim validation and rules. Clones share the keys (and their cache), so one value can be
/// refined per route: `auth.clone().audience("billing").rule(...)`.
#[derive(Clone)]
pub struct JwtAuth {
    keys: JwksSource,
    policy: VerifyPolicy,
    validation: Validation,
    rules: Vec<Rule>,
    realm: Arc<str>,
}

impl std::fmt::Debug for JwtAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtAuth")
            .field("keys", &self.keys)
            .field("policy", &self.policy)
            .field("validation", &self.validation)
            .field("rules", &self.rules.len())
            .field("realm", &self.realm)
            .finish()
    }
}

impl JwtAuth {
    /// Keys from `source`; algorithms RS256, PS256, ES256 and EdDSA (each only with a key that
    /// fits it); the default [`Validation`] (`exp` required, 60 s leeway). Name the issuer and
    /// audience you expect.
    pub fn from_source(source: JwksSource) -> JwtAuth {
        use JwsAlgorithm::*;
        JwtAuth {
            keys: source,
            policy: VerifyPolicy::new([RS256, PS256, ES256, EdDSA])
                .expect("a non-empty list of algorithms"),
            validation: Validation::new(),
            rules: Vec::new(),
            realm: "api".into(),
        }
    }

    /// A fixed JWK Set.
    pub fn from_keys(keys: JwkSet) -> JwtAuth {
        JwtAuth::from_source(JwksSource::Static(Arc::new(keys)))
    }

    /// A JWK Set file, re-read when it changes.
    pub async fn from_jwks_file(path: impl Into<PathBuf>) -> Result<JwtAuth, KeySourceError> {
        let local = LocalJwks::open(path).await?;
        Ok(JwtAuth::from_source(JwksSource::Local(Arc::new(local))))
    }

    /// A JWK Set URL (`https`, or `http` to loopback), fetched when first needed, then cached
    /// and refreshed as `joseguard-keys` does (rotation, outages).
    pub fn from_jwks_url(url: &str) -> Result<JwtAuth, KeySourceError> {
        let remote = RemoteJwks::new(url, RemoteConfig::default())?;
        Ok(JwtAuth::from_source(JwksSource::Remote(Arc::new(remote))))
    }

    /// The keys of an OpenID provider, by discovery: its `/.well-known/openid-configuration`
    /// is fetched now and must name exactly `issuer`; its `jwks_uri` is then used. Tokens must
    /// carry `iss` = `issuer`.
    pub async fn from_issuer(issuer: &str) -> Result<JwtAuth, KeySourceError> {
        JwtAuth::from_issuer_with(issuer, RemoteConfig::default()).await
    }

    /// [`from_issuer`](Self::from_issuer) with the fetch and cache settings of `config`.
    pub async fn from_issuer_with(
        issuer: &str,
        config: RemoteConfig,
    ) -> Result<JwtAuth, KeySourceError> {
        let remote = RemoteJwks::from_issuer(issuer, config).await?;
        Ok(JwtAuth::from_source(JwksSource::Remote(Arc::new(remote))).issuer(issuer))
    }

    /// The algorithms accepted (at least one).
    pub fn algorithms(
        self,
        algorithms: impl IntoIterator<Item = JwsAlgorithm>,
    ) -> Result<JwtAuth, joseguard::Error> {
        Ok(JwtAuth {
            policy: VerifyPolicy::new(algorithms)?,
            ..self
        })
    }

    /// `iss` must equal this (call again to accept several).
    pub fn issuer(self, iss: &str) -> JwtAuth {
        self.map_validation(|v| v.issuer(iss))
    }

    /// `aud` must contain this, or another given this way.
    pub fn audience(self, aud: &str) -> JwtAuth {
        self.map_validation(|v| v.audience(aud))
    }

    /// Adjusts the claim validation (leeway, required claims, `typ`, maximum age...), keeping
    /// what is already required: an issuer from [`from_issuer`](Self::from_issuer) or
    /// [`issuer`](Self::issuer) cannot be dropped this way.
    ///
    /// ```
    /// # fn f(auth: joseguard_axum::JwtAuth) -> joseguard_axum::JwtAuth {
    /// auth.map_validation(|v| v.typ(["at+jwt"]).leeway(30))
    /// # }
    /// ```
    pub fn map_validation(self, f: impl FnOnce(Validation) -> Validation) -> JwtAuth {
        JwtAuth {
            validation: f(self.validation),
            ..self
        }
    }

    /// Adds a rule over the verified claims; a request whose claims it refuses is answered 403
    /// `insufficient_scope` with the rule's reason.
    ///
    /// ```
    /// # fn f(auth: joseguard_axum::JwtAuth) -> joseguard_axum::JwtAuth {
    /// auth.rule(|claims| {
    ///     let scopes = claims["scope"].as_str().unwrap_or("");
    ///     match scopes.split(' ').any(|s| s == "orders:write") {
    ///         true => Ok(()),
    ///         false => Err("scope orders:write required".into()),
    ///     }
    /// })
    /// # }
    /// ```
    pub fn rule(
        mut self,
        rule: impl Fn(&Value) -> Result<(), String> + Send + Sync + 'static,
    ) -> JwtAuth {
        self.rules.push(Arc::new(rule));
        self
    }

    /// The `realm` of the Bearer challenge (default `api`).
    pub fn realm(self, realm: &str) -> JwtAuth {
        JwtAuth {
            realm: realm.into(),
            ..self
        }
    }

    fn refuse(&self, status: StatusCode, code: &'static str, detail: impl Into<String>) -> Refusal {
        Refusal::new(status, code, detail, &self.realm)
    }

    /// Verifies the bearer token of a request with these headers: the check the layer makes,
    /// for code that is not a tower stack.
    pub async fn verify(&self, headers: &HeaderMap) -> Result<Verified, Refusal> {
        let token = self.bearer(headers)?;
        let verifier = self
            .keys
            .verifier_for(token.as_bytes(), &self.policy)
            .await
            .map_err(|e| match e {
                KeySourceError::Token(e) => {
                    self.refuse(StatusCode::UNAUTHORIZED, e.code(), e.to_string())
                }
                other => {
                    tracing::warn!(error = %other, "keys unavailable");
                    self.refuse(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "keys_unavailable",
                        "the issuer's keys cannot be had now",
                    )
                }
            })?;
        let token = jwt::Verifier::from_parts(verifier, self.validation.clone())
            .verify::<Value>(token)
            .map_err(|e| self.refuse(StatusCode::UNAUTHORIZED, e.code(), e.to_string()))?;
        for rule in &self.rules {
            rule(&token.claims)
                .map_err(|why| self.refuse(StatusCode::FORBIDDEN, "rule_denied", why))?;
        }
        Ok(Verified {
            claims: Arc::new(token.claims),
            header: token.header,
            realm: self.realm.clone(),
        })
    }

    /// The one bearer token (RFC 6750 §2.1). None is 401 without an error (§3.1), two are 400.
    fn bearer<'h>(&self, headers: &'h HeaderMap) -> Result<&'h str, Refusal> {
        let mut values = headers.get_all(header::AUTHORIZATION).iter();
        let missing = || {
            self.refuse(
                StatusCode::UNAUTHORIZED,
                "token_missing",
                "a bearer token is required",
            )
        };
        let value = values.next().ok_or_else(missing)?;
        if values.next().is_some() {
            return Err(self.refuse(
                StatusCode::BAD_REQUEST,
                "token_duplicated",
                "one Authorization header at most",
            ));
        }
        let value = value.to_str().map_err(|_| missing())?;
        match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
                Ok(token.trim_matches(' '))
            }
            _ => Err(missing()),
        }
    }
}

impl<S> tower::Layer<S> for JwtAuth {
    type Service = JwtAuthService<S>;

    fn layer(&self, inner: S) -> JwtAuthService<S> {
        JwtAuthService {
            auth: self.clone(),
            inner,
        }
    }
}

/// The service [`JwtAuth`] wraps around an inner one.
#[derive(Clone, Debug)]
pub struct JwtAuthService<S> {
    auth: JwtAuth,
    inner: S,
}

impl<S> tower::Service<Request<Body>> for JwtAuthService<S>
where
    S: tower::Service<Request<Body>, Response = Response, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<Body>) -> Self::Future {
        let auth = self.auth.clone();
        // The clone that was made ready is the one that runs the request.
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        let span = tracing::info_span!(
            "jwt_auth",
            decision = tracing::field::Empty,
            code = tracing::field::Empty,
            kid = tracing::field::Empty,
            iss = tracing::field::Empty,
            sub = tracing::field::Empty,
        );
        Box::pin(
            async move {
                let span = tracing::Span::current();
                match auth.verify(request.headers()).await {
                    Ok(verified) => {
                        let claim = |n: &str| verified.claims.get(n).and_then(Value::as_str).unwrap_or("").to_owned();
                        span.record("decision", "allow");
                        span.record("kid", verified.header.kid().unwrap_or(""));
                        span.record("iss", claim("iss"));
                        span.record("sub", claim("sub"));
                        request.extensions_mut().insert(verified);
                        inner.call(request).await
                    }
                    Err(refusal) => {
                        span.record("decision", "deny");
                        span.record("code", refusal.code);
                        tracing::info!(code = refusal.code, detail = %refusal.detail, "request refused");
                        Ok(refusal.into_response())
                    }
                }
            }
            .instrument(span),
        )
    }
}
