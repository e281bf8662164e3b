//! jwt-simple beside joseguard and raw aws-lc-rs: `cargo bench -p peer-jwt-simple`.
//! JWT only: its JWE API encrypts JWT claims, not arbitrary bytes (see the crate docs).

use criterion::{criterion_group, criterion_main, Criterion};
use joseguard_bench::jwt::JwtPeer;

fn all(c: &mut Criterion) {
    joseguard_bench::jwt::bench(c, &[peer_jwt_simple::jwt_peer as JwtPeer]);
}

criterion_group! {
    name = benches;
    config = joseguard_bench::criterion_config();
    targets = all
}
criterion_main!(benches);
