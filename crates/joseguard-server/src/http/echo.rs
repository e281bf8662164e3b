//! The echo backend: answers every request with its method, URI, headers and body as JSON. The
//! quickstart runs it embedded (`[backend] echo = true`) so that nothing else needs to run; the
//! tests and the gateway benchmark use the same one.

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, Uri};
use axum::Router;

async fn echo(
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> axum::Json<serde_json::Value> {
    let headers: serde_json::Map<String, serde_json::Value> = headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned().into(),
            )
        })
        .collect();
    axum::Json(serde_json::json!({
        "echo": true,
        "method": method.as_str(),
        "uri": uri.to_string(),
        "headers": headers,
        "body": String::from_utf8_lossy(&body),
    }))
}

/// The echo application.
pub fn router() -> Router {
    Router::new().fallback(echo)
}

/// Serves the echo backend on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener) -> std::io::Result<()> {
    axum::serve(listener, router()).await
}

/// Starts the echo backend on a free loopback port; returns its base URL.
pub async fn start() -> std::io::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        if let Err(e) = serve(listener).await {
            tracing::error!(error = %e, "echo backend stopped");
        }
    });
    Ok(url)
}
