//! The gateway benchmark's backend: the echo backend the quickstart embeds and the tests use
//! (`joseguard_server::http::echo`), on its own core. `bench-backend PORT`.

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("usage: bench-backend PORT");
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind");
    joseguard_server::http::echo::serve(listener)
        .await
        .expect("serve");
}
