//! josekit beside joseguard and raw aws-lc-rs, JWT and JWE: `cargo bench -p peer-josekit`.

use criterion::{criterion_group, criterion_main, Criterion};
use joseguard_bench::jwe::JwePeer;
use joseguard_bench::jwt::JwtPeer;

fn all(c: &mut Criterion) {
    joseguard_bench::jwt::bench(c, &[peer_josekit::jwt_peer as JwtPeer]);
    joseguard_bench::jwe::bench(c, &[peer_josekit::jwe_peer as JwePeer]);
}

criterion_group! {
    name = benches;
    config = joseguard_bench::criterion_config();
    targets = all
}
criterion_main!(benches);
