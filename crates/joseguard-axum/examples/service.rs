//! An axum service that takes bearer tokens from an OpenID provider.
//!
//! `cargo run -p joseguard-axum --example service -- https://op.example 127.0.0.1:3000` serves
//! `/me` (any token for audience `api`) and `/orders` (scope `orders:write` too), with keys found
//! by discovery. Without arguments it plays both sides on loopback: a demo provider, the
//! service, and one request.

use axum::routing::{get, post};
use axum::Router;
use joseguard::JwsAlgorithm::{ES256, RS256};
use joseguard_axum::{Claims, JwtAuth};

#[derive(serde::Deserialize)]
struct User {
    sub: String,
}

async fn me(Claims(user): Claims<User>) -> String {
    format!("hello {}", user.sub)
}

async fn place_order(Claims(user): Claims<User>) -> String {
    format!("order placed for {}", user.sub)
}

/// The service's routes, each with its requirements.
pub async fn app(issuer: &str) -> Result<Router, Box<dyn std::error::Error>> {
    let auth = JwtAuth::from_issuer(issuer)
        .await?
        .algorithms([ES256, RS256])?
        .audience("api");
    let writer = auth.clone().rule(|claims| {
        let scopes = claims["scope"].as_str().unwrap_or("");
        match scopes.split(' ').any(|s| s == "orders:write") {
            true => Ok(()),
            false => Err("scope orders:write required".into()),
        }
    });
    Ok(Router::new()
        .route("/me", get(me).layer(auth))
        .route("/orders", post(place_order).layer(writer)))
}

#[tokio::main]
pub async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [issuer, listen] = args.as_slice() {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        println!("serving on http://{listen}");
        axum::serve(listener, app(issuer).await?).await?;
        return Ok(());
    }
    demo().await
}

/// A demo provider on loopback, the service, and one request with a token it issued.
pub async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    use joseguard::{jwt, EcCurve, Jwk, KeySpec};
    let key = Jwk::generate(KeySpec::Ec(EcCurve::P256))?.with_kid("demo");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let issuer = format!("http://{}", listener.local_addr()?);
    let doc = serde_json::json!({ "issuer": issuer, "jwks_uri": format!("{issuer}/jwks") });
    let jwks = serde_json::json!({ "keys": [key.to_public_value()] });
    let provider = Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || async move { axum::Json(doc) }),
        )
        .route("/jwks", get(move || async move { axum::Json(jwks) }));
    tokio::spawn(async move { axum::serve(listener, provider).await });

    let service = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", service.local_addr()?);
    let app = app(&issuer).await?;
    tokio::spawn(async move { axum::serve(service, app).await });

    let token = jwt::Signer::new(key, ES256)?.sign(&serde_json::json!({
        "iss": issuer, "aud": "api", "sub": "alice", "scope": "orders:read", "exp": jwt::now() + 60,
    }))?;
    let client = reqwest::Client::new();
    let me = client
        .get(format!("{url}/me"))
        .bearer_auth(&token)
        .send()
        .await?;
    println!("GET /me: {} {}", me.status(), me.text().await?);
    let order = client
        .post(format!("{url}/orders"))
        .bearer_auth(&token)
        .send()
        .await?;
    let status = order.status();
    println!("POST /orders: {status} {}", order.text().await?);
    if status != 403 {
        return Err("a token without orders:write placed an order".into());
    }
    Ok(())
}
