//! Configuration loading: TOML parsing and validation into the runtime (rules, keys in every
//! form, routes, workers). Paths point into an empty directory, so nothing is read or written.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;

static TOKIO: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio")
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // A config that would fetch a JWK Set or a CRL or generate a key file is still only
    // validated: nothing is fetched before `warm_up`, and key generation needs `generate`,
    // which the base path below cannot hold.
    if text.contains("generate") {
        return;
    }
    let base = std::path::Path::new("/nonexistent-joseguard-fuzz");
    let _ = TOKIO.block_on(joseguard_server::load_str(text, base));
});
