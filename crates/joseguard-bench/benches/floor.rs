//! joseguard against the floor (raw aws-lc-rs), every JWT and JWE row:
//! `cargo bench -p joseguard-bench`. The peers run from `bash bench/library.sh`.

use criterion::{criterion_group, criterion_main, Criterion};

fn all(c: &mut Criterion) {
    joseguard_bench::jwt::bench(c, &[]);
    joseguard_bench::jwe::bench(c, &[]);
}

criterion_group! {
    name = benches;
    config = joseguard_bench::criterion_config();
    targets = all
}
criterion_main!(benches);
