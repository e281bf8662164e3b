//! JWT claims validation over arbitrary payloads (types of exp/nbf/iat/aud/iss, leeway, required
//! claims), with a header taken from the input's first line.
#![no_main]

use joseguard::jws::Header;
use joseguard::jwt::Validation;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (head, payload) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&b"{\"alg\":\"ES256\",\"typ\":\"JWT\"}"[..], data),
    };
    let Ok(header) = std::str::from_utf8(head)
        .map_err(drop)
        .and_then(|h| Header::from_json(h).map_err(drop))
    else {
        return;
    };
    let validation = Validation::new()
        .issuer("https://issuer.example")
        .audience("api")
        .leeway(60)
        .max_age(3600)
        .require(["sub"]);
    let _ = validation.validate(&header, payload, 1_700_000_000);
    let _ = Validation::new()
        .dangerous_allow_missing_exp()
        .validate(&header, payload, i64::MAX);
});
