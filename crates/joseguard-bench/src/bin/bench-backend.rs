//! The gateway benchmark's backend: answers every request with `200 ok`, nothing else.
//! `bench-backend PORT`.

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("usage: bench-backend PORT");
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind");
    let app = axum::Router::new().fallback(|| async { "ok" });
    axum::serve(listener, app).await.expect("serve");
}
