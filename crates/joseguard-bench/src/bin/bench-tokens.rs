//! Tokens for the gateway benchmark: `bench-tokens DIR COUNT` reads `es256.key` and `rs256.key`
//! (PKCS#8 PEM) from DIR and writes, one token per line, `es256-many.txt` and `rs256-many.txt`
//! (COUNT distinct bearer tokens each, kid `es256` / `rs256`), `es256-few.txt` (4 tokens) and
//! `body-few.txt` (4 compact JWS for the JOSE body mode, typ JOSE), and `jwks.json` (the public
//! keys with their kids, for mod_auth_openidc's `OIDCOAuthVerifyJwksUri`). Claims: iss
//! `https://issuer.example`, aud `api`, a distinct `sub`, valid for two hours.

use std::fmt::Write as _;

use joseguard::jws::{self, Header};
use joseguard::jwt;
use joseguard::{Jwk, JwsAlgorithm};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().expect("usage: bench-tokens DIR COUNT"));
    let count: usize = args.next().and_then(|c| c.parse().ok()).expect("COUNT");
    let key = |name: &str| {
        let mut k =
            Jwk::from_pem(&std::fs::read_to_string(dir.join(format!("{name}.key"))).expect("key"))
                .expect("PEM key");
        k.set_kid(Some(name.into()));
        k
    };
    let (es, rs) = (key("es256"), key("rs256"));
    let now = joseguard::jwt::now();
    let jwt = |k: &Jwk, alg: JwsAlgorithm, i: usize| {
        jwt::Builder::new()
            .issuer("https://issuer.example")
            .audience("api")
            .subject(&format!("user-{i}"))
            .issued_at(now)
            .expires_at(now + 7200)
            .sign(k, alg)
            .expect("sign")
    };
    let write = |name: &str, tokens: Vec<String>| {
        let mut text = String::new();
        for t in tokens {
            let _ = writeln!(text, "{t}");
        }
        std::fs::write(dir.join(name), text).expect("write");
    };
    write(
        "es256-many.txt",
        (0..count)
            .map(|i| jwt(&es, JwsAlgorithm::ES256, i))
            .collect(),
    );
    write(
        "rs256-many.txt",
        (0..count)
            .map(|i| jwt(&rs, JwsAlgorithm::RS256, i))
            .collect(),
    );
    write(
        "es256-few.txt",
        (0..4).map(|i| jwt(&es, JwsAlgorithm::ES256, i)).collect(),
    );
    let body = |i: usize| {
        let payload = format!(
            r#"{{"iss":"https://issuer.example","aud":"api","sub":"user-{i}","exp":{},"order":{{"id":{i},"amount":"12.50"}}}}"#,
            now + 7200
        );
        jws::Builder::new(payload.as_bytes())
            .signer(&es, JwsAlgorithm::ES256, Header::new().with("typ", "JOSE"))
            .expect("signer")
            .compact()
            .expect("sign")
    };
    write("body-few.txt", (0..4).map(body).collect());
    let set = serde_json::json!({ "keys": [es.to_public_value(), rs.to_public_value()] });
    std::fs::write(dir.join("jwks.json"), set.to_string()).expect("jwks");
}
