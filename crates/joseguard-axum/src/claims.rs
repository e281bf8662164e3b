//! The claims extractor.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::{Refusal, Verified};

/// The verified token's claims as `T`, in a handler behind a [`JwtAuth`](crate::JwtAuth)
/// layer. Claims that do not fit `T` are a 401 `claim_invalid` (the token is not one this
/// handler can serve); a handler reached without the layer answers 500, loudly, rather than
/// serving unauthenticated.
#[derive(Debug, Clone)]
pub struct Claims<T>(pub T);

impl<T, S> FromRequestParts<S> for Claims<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Claims<T>, Refusal> {
        let Some(verified) = parts.extensions.get::<Verified>() else {
            tracing::error!("Claims<T> extracted behind no JwtAuth layer");
            return Err(Refusal::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "auth_not_configured",
                "this route has no authentication layer",
                "api",
            ));
        };
        T::deserialize(&*verified.claims).map(Claims).map_err(|e| {
            Refusal::new(
                StatusCode::UNAUTHORIZED,
                "claim_invalid",
                format!("the claims do not fit this service: {e}"),
                &verified.realm,
            )
        })
    }
}
