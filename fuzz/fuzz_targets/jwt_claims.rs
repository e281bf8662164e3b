//! JWT claims validation over arbitrary payloads (types of exp/nbf/iat/aud/iss, leeway, required
//! claims), with a header taken from the input's first line; and a differential check: the input
//! signed as a JWT must get the same verdict from the full path (`Validation::validate`, claims
//! parsed into a map, as the gateway uses it) and `jwt::Verifier::verify_at` (one-pass scan,
//! then the caller's type).
#![no_main]

use std::sync::LazyLock;

use joseguard::jws::{self, Header, Verifier, VerifyPolicy};
use joseguard::jwt::{self, Validation};
use joseguard::{Error, Jwk, JwsAlgorithm};
use libfuzzer_sys::fuzz_target;

static KEY: LazyLock<Jwk> = LazyLock::new(|| {
    Jwk::from_json(r#"{"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}"#)
        .expect("key")
});

fn validation() -> Validation {
    Validation::new()
        .issuer("https://issuer.example")
        .audience("api")
        .leeway(60)
        .max_age(3600)
        .require(["sub"])
}

static JWS: LazyLock<Verifier> = LazyLock::new(|| {
    Verifier::new(
        VerifyPolicy::new([JwsAlgorithm::HS256]).expect("policy"),
        KEY.clone(),
    )
});

static VERIFIER: LazyLock<jwt::Verifier> =
    LazyLock::new(|| jwt::Verifier::from_parts(JWS.clone(), validation()));

fuzz_target!(|data: &[u8]| {
    let (head, payload) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&b"{\"alg\":\"ES256\",\"typ\":\"JWT\"}"[..], data),
    };
    if let Ok(header) = std::str::from_utf8(head)
        .map_err(drop)
        .and_then(|h| Header::from_json(h).map_err(drop))
    {
        let _ = validation().validate(&header, payload, 1_700_000_000);
        let _ =
            Validation::new()
                .dangerous()
                .allow_missing_exp()
                .validate(&header, payload, i64::MAX);
    }
    let Ok(token) = jws::Builder::new(payload)
        .signer(&KEY, JwsAlgorithm::HS256, Header::new().with("typ", "JWT"))
        .and_then(|b| b.compact())
    else {
        return;
    };
    let full = JWS.verify(token.as_bytes()).and_then(|jws| {
        validation()
            .validate(jws.protected_header(), &jws.payload, 1_700_000_000)
            .map(drop)
    });
    let fast = VERIFIER
        .verify_at::<serde_json::Value>(token.as_bytes(), 1_700_000_000)
        .map(drop);
    match (&full, &fast) {
        (Ok(()), Ok(())) => {}
        // JSON syntax errors may be worded differently by the two visitors.
        (Err(Error::Json { .. }), Err(Error::Json { .. })) => {}
        (a, b) => assert_eq!(a, b, "full and fast paths disagree"),
    }
});
