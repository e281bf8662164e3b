//! jsonwebtoken beside joseguard and raw aws-lc-rs: `cargo bench -p peer-jsonwebtoken`.
//! JWT only: the JWE rows need a peer that encrypts arbitrary bytes (josekit).

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use joseguard_bench::jwt::JwtPeer;

fn all(c: &mut Criterion) {
    joseguard_bench::jwt::bench(c, &[peer_jsonwebtoken::jwt_peer as JwtPeer]);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = all
}
criterion_main!(benches);
