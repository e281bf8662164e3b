//! Real nginx (`auth_request`) in front of joseguard's forward-auth endpoint, configured as
//! docs/gateway.md shows: what the client can and cannot make joseguard judge, and what the
//! backend behind nginx receives.

use crate::common::{debian_program, free_port, get, raw, wait_listening, Child, Gw, Recorder};
use joseguard::jwt;
use joseguard::{EcCurve, Jwk, JwsAlgorithm, KeySpec};

/// The nginx server block of docs/gateway.md, with the addresses filled in.
fn nginx_conf(dir: &std::path::Path, port: u16, gateway: &str, backend: &str) -> String {
    let doc = include_str!("../../../../docs/gateway.md");
    let start = doc
        .find("```nginx\n")
        .expect("docs/gateway.md has an nginx example")
        + 9;
    let end = start + doc[start..].find("```").unwrap();
    let server = doc[start..end]
        .replace("listen 80;", &format!("listen 127.0.0.1:{port};"))
        .replace("http://127.0.0.1:8080", &format!("http://{gateway}"))
        .replace("http://backend", backend);
    let d = dir.display();
    format!(
        // One process (no master/worker pair), so that killing it leaves nothing behind.
        "master_process off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{ worker_connections 64; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
         fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n{server}\n}}\n"
    )
}

#[tokio::test]
async fn nginx_auth_request_in_front_of_joseguard() {
    let Some(nginx) = debian_program("nginx", "nginx") else {
        eprintln!("SKIPPED: nginx is not installed and cannot be installed here");
        return;
    };
    let mut k = Jwk::generate(KeySpec::Ec(EcCurve::P256)).unwrap();
    k.set_kid(Some("k1".into()));
    let backend = Recorder::start().await;
    let config = r#"
[server]
listen = "127.0.0.1:0"
watch_interval = "0s"
[backend]
url = "http://127.0.0.1:9"
[forward_auth]
integration = "nginx"
[[issuer]]
name = "op"
algorithms = ["ES256"]
[issuer.keys]
k1 = { file = "k1.jwk" }
[[route]]
path = "/api"
issuers = ["op"]
[route.claims_to_headers]
X-User = "sub"
[[route]]
path = "/admin"
issuers = ["op"]
rules = { claim = "scope", contains = "admin" }
"#;
    let gw = Gw::start(
        "nginx",
        config,
        &[("k1.jwk", k.to_public().unwrap().to_json())],
    )
    .await;
    let port = free_port();
    let conf = gw.dir.join("nginx.conf");
    std::fs::write(
        &conf,
        nginx_conf(&gw.dir, port, &gw.addr.to_string(), &backend.url),
    )
    .unwrap();
    let _nginx = Child(
        std::process::Command::new(nginx)
            .args(["-e", &gw.dir.join("error.log").display().to_string()])
            .args([
                "-p",
                &gw.dir.display().to_string(),
                "-c",
                &conf.display().to_string(),
            ])
            .args(["-g", "daemon off;"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("nginx starts"),
    );
    let front = format!("127.0.0.1:{port}");
    wait_listening(&front).await;
    let addr: std::net::SocketAddr = front.parse().unwrap();
    let now = jwt::now();
    let token = |scope: &str| {
        jwt::Builder::new()
            .subject("alice")
            .claim("scope", scope)
            .expires_at(now + 300)
            .sign(&k, JwsAlgorithm::ES256)
            .unwrap()
    };
    let read = format!("Authorization: Bearer {}", token("read"));
    // (target as sent, extra headers, status through nginx, whether the backend is reached)
    let cases: Vec<(&str, Vec<&str>, u16, bool)> = vec![
        ("/api/x", vec![&read], 200, true),
        ("/api/x", vec![], 401, false),
        ("/api/../admin/x", vec![&read], 403, false),
        ("/api/%2e%2e/admin/x", vec![&read], 403, false),
        ("/%61dmin/x", vec![&read], 403, false),
        // A client's own X-Original-URI is replaced by nginx before joseguard sees it.
        (
            "/admin/x",
            vec![&read, "X-Original-URI: /api/x"],
            403,
            false,
        ),
        (
            "/api/x",
            vec![&read, "X_User: evil", "X-User: evil"],
            200,
            true,
        ),
    ];
    for (target, headers, status, reached) in cases {
        let (s, _, _) = raw(addr, &get(target, &headers)).await;
        assert_eq!(s, status, "{target} {headers:?}");
        let got = backend.take();
        assert_eq!(got.len(), usize::from(reached), "{target}: {got:?}");
        if let Some(r) = got.first() {
            assert_eq!(r.header("x-user"), ["alice"], "{r:?}");
            assert!(r.header("x_user").is_empty(), "{r:?}");
        }
    }
}
