//! The server's request path: route, token extraction (body, bearer, header, query, cookie) and
//! the decision, on requests assembled from the input. Lines: path, then `name: value` headers,
//! a blank line, then the body.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;

const CONFIG: &str = r#"
[server]
listen = "127.0.0.1:0"
[backend]
url = "http://127.0.0.1:9"
[[issuer]]
name = "a"
iss = "https://issuer.example"
algorithms = ["ES256", "HS256", "RS256", "EdDSA"]
audiences = ["api"]
keys = { default = { jwk = { kty = "oct", k = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow" } } }
[[route]]
path = "/api"
issuers = ["a"]
rules = { claim = "scope", contains = "read" }
[[route]]
path = "/doc"
issuers = ["a"]
mode = "jose-body"
allow_json_serialization = true
[[route]]
path = "/h"
issuers = ["a"]
token = { header = "X-Token" }
[[route]]
path = "/q"
issuers = ["a"]
token = { query = "access_token" }
[[route]]
path = "/c"
issuers = ["a"]
token = { cookie = "session" }
"#;

static RT: LazyLock<(tokio::runtime::Runtime, joseguard_server::runtime::Runtime)> =
    LazyLock::new(|| {
        let tokio = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("tokio");
        let rt = tokio
            .block_on(joseguard_server::load_str(
                CONFIG,
                std::path::Path::new("."),
            ))
            .expect("config");
        (tokio, rt)
    });

fuzz_target!(|data: &[u8]| {
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (&data[..i], &data[i + 2..]),
        None => (data, &b""[..]),
    };
    let text = String::from_utf8_lossy(head);
    let mut lines = text.lines();
    let mut req = axum::http::Request::builder()
        .method("POST")
        .uri(lines.next().unwrap_or("/"));
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            req = req.header(name.trim(), value.trim());
        }
    }
    let Ok(req) = req.body(()) else { return };
    let (parts, ()) = req.into_parts();
    let (tokio, rt) = &*RT;
    let _ = tokio.block_on(joseguard_server::judge(rt, &parts, body));
});
