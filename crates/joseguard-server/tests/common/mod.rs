//! The server under test on a loopback port, and helpers to read its answers.
#![allow(dead_code)] // each test file uses its own share

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

/// A running server with its config directory.
pub struct Gw {
    pub dir: PathBuf,
    pub addr: std::net::SocketAddr,
    pub reload: Arc<tokio::sync::Notify>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Gw {
    pub async fn start(name: &str, config: &str, files: &[(&str, String)]) -> Gw {
        let dir = std::env::temp_dir().join(format!("joseguard-gw-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (f, content) in files {
            std::fs::write(dir.join(f), content).unwrap();
        }
        std::fs::write(dir.join("gw.toml"), config).unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let running = joseguard_server::start(dir.join("gw.toml"), async move {
            let _ = rx.await;
        })
        .await
        .unwrap_or_else(|e| panic!("start: {e}"));
        Gw {
            dir,
            addr: running.addr,
            reload: running.reload,
            _stop: tx,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Gw {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// Status, challenge and body; error bodies must be problem+json.
pub async fn problem(resp: reqwest::Response) -> (StatusCode, Option<String>, Value) {
    let status = resp.status();
    let challenge = resp
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let body: Value = resp.json().await.unwrap();
    if status.as_u16() >= 400 {
        assert_eq!(ct.as_deref(), Some("application/problem+json"));
    }
    (status, challenge, body)
}

/// The body of a GET, as text.
pub async fn get_text(url: &str) -> String {
    client()
        .get(url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}
