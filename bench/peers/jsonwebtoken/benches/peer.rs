//! jsonwebtoken beside joseguard and raw aws-lc-rs: `cargo bench -p peer-jsonwebtoken`.
//! JWT only: the JWE rows need a peer that encrypts arbitrary bytes (josekit).

use criterion::{criterion_group, criterion_main, Criterion};
use joseguard_bench::jwt::JwtPeer;

fn all(c: &mut Criterion) {
    joseguard_bench::jwt::bench(c, &[peer_jsonwebtoken::jwt_peer as JwtPeer]);
}

criterion_group! {
    name = benches;
    config = joseguard_bench::criterion_config();
    targets = all
}
criterion_main!(benches);
