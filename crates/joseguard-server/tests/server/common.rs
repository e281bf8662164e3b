//! The server under test on a loopback port, and helpers to read its answers.

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
            let path = dir.join(f);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
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
/// A refusal's status and stable `code` (checking it is a problem+json answer).
pub async fn refusal(resp: reqwest::Response) -> (StatusCode, String) {
    let (status, _, body) = problem(resp).await;
    (status, body["code"].as_str().unwrap_or("").to_owned())
}

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

/// What a recording backend received: method, request target exactly as it arrived, and headers
/// (names lower case, in order).
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
}

impl Received {
    /// Every value of a header (by its exact lower-case name).
    pub fn header(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// A backend on a loopback port that answers 200 and records every request it receives, so
/// that a test can assert what arrived and that refused requests never did.
#[derive(Clone)]
pub struct Recorder {
    pub url: String,
    log: Arc<std::sync::Mutex<Vec<Received>>>,
}

impl Recorder {
    pub async fn start() -> Recorder {
        use axum::http::{HeaderMap, Method, Uri};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let log: Arc<std::sync::Mutex<Vec<Received>>> = Default::default();
        let kept = log.clone();
        let app =
            axum::Router::new().fallback(move |method: Method, uri: Uri, headers: HeaderMap| {
                let kept = kept.clone();
                async move {
                    kept.lock().unwrap().push(Received {
                        method: method.to_string(),
                        target: uri.to_string(),
                        headers: headers
                            .iter()
                            .map(|(n, v)| {
                                (n.to_string(), String::from_utf8_lossy(v.as_bytes()).into())
                            })
                            .collect(),
                    });
                    "recorded"
                }
            });
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Recorder { url, log }
    }

    /// Everything received so far, and forgets it.
    pub fn take(&self) -> Vec<Received> {
        std::mem::take(&mut *self.log.lock().unwrap())
    }
}

/// Sends `request` as raw bytes (no client library to normalise anything) and reads the answer
/// until the server closes: (status, head, body).
pub async fn raw(addr: std::net::SocketAddr, request: &str) -> (u16, String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out))
        .await
        .expect("the server answers and closes")
        .unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_owned(), body.to_owned())
}

/// A GET with `target` exactly as given, the extra header lines, and `Connection: close`.
pub fn get(target: &str, headers: &[&str]) -> String {
    let mut r = format!("GET {target} HTTP/1.1\r\nHost: gw.example\r\nConnection: close\r\n");
    for h in headers {
        r.push_str(h);
        r.push_str("\r\n");
    }
    r.push_str("\r\n");
    r
}

/// The path of a program from a Debian package, installed with apt when it is missing and this
/// process may install (root, or sudo). `None` where it cannot be had: the caller skips with a
/// message.
pub fn debian_program(program: &str, package: &str) -> Option<std::path::PathBuf> {
    let find = || {
        ["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/bin"]
            .iter()
            .map(|d| std::path::Path::new(d).join(program))
            .find(|p| p.exists())
    };
    if let Some(p) = find() {
        return Some(p);
    }
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let sudo: &[&str] = if root { &[] } else { &["sudo", "-n"] };
    let apt = |args: &[&str]| {
        let mut cmd: Vec<&str> = sudo.to_vec();
        cmd.push("apt-get");
        cmd.extend_from_slice(args);
        std::process::Command::new(cmd[0])
            .args(&cmd[1..])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !apt(&["install", "-y", "-q", package]) {
        apt(&["update", "-q"]);
        apt(&["install", "-y", "-q", package]);
    }
    find()
}

/// A free loopback port (bound and released: a server started right after will get it).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process killed on drop.
pub struct Child(pub std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until `addr` accepts connections.
pub async fn wait_listening(addr: &str) {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("nothing listens on {addr}");
}
