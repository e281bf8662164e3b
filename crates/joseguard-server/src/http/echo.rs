//! The embedded echo backend (`[backend] echo = true`): answers every request with what it
//! received, so the quickstart works with nothing else running.

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

/// Starts the echo backend on a free loopback port; returns its base URL.
pub async fn start() -> std::io::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let app = Router::new().fallback(echo);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "echo backend stopped");
        }
    });
    Ok(url)
}
