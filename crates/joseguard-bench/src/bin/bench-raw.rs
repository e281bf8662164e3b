//! The one-core crypto limit of the gateway benchmark: `bench-raw DIR` verifies the first token
//! of `DIR/es256-many.txt` with raw aws-lc-rs (key parsed once, no JSON, no base64: the floor
//! of `cargo bench`) in five batches of 2,000 and prints the median microseconds per verify.
//! The gateway script runs it on the servers' core and divides a million by it.

use std::time::Instant;

use joseguard::Jwk;
use joseguard_bench::raw::RawJws;
use joseguard_bench::KeyMaterial;

fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).expect("usage: bench-raw DIR"));
    let pem = std::fs::read_to_string(dir.join("es256.key")).expect("es256.key");
    let key = KeyMaterial::from_jwk("ES256", Jwk::from_pem(&pem).expect("PEM key"));
    let tokens = std::fs::read_to_string(dir.join("es256-many.txt")).expect("tokens");
    let token = tokens.lines().next().expect("a token");
    let (input, sig) = token.rsplit_once('.').expect("compact");
    let sig = joseguard::b64::decode(sig, "signature").expect("signature");
    let raw = RawJws::new(&key, input.as_bytes(), sig);
    assert!(raw.verify(), "the token verifies");
    let mut batches: Vec<f64> = (0..5)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..2000 {
                assert!(std::hint::black_box(raw.verify()));
            }
            start.elapsed().as_secs_f64() * 1e6 / 2000.0
        })
        .collect();
    batches.sort_by(f64::total_cmp);
    println!("{:.1}", batches[2]);
}
