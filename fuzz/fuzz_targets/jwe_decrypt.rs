//! Compact and JSON JWE: parse, then decrypt with real RSA, EC, oct and password keys under a
//! policy that allows every algorithm (RSA1_5 and PBES2 included, PBES2 capped low so that
//! each input stays cheap), and the nested JWT path.
#![no_main]

use std::sync::LazyLock;

use joseguard::jwa::{ALL_CONTENT_ENCRYPTIONS, ALL_JWS_ALGORITHMS, ALL_KEY_MANAGEMENT_ALGORITHMS};
use joseguard::jwe::{self, DecryptPolicy, Decrypter};
use joseguard::jws::{Verifier, VerifyPolicy};
use libfuzzer_sys::fuzz_target;

#[path = "keys.rs"]
mod keys;

static DECRYPTER: LazyLock<Decrypter> = LazyLock::new(|| {
    let algs = ALL_KEY_MANAGEMENT_ALGORITHMS.into_iter();
    let policy = DecryptPolicy::new_explicit(algs, ALL_CONTENT_ENCRYPTIONS, 1_000).expect("policy");
    Decrypter::new(policy, keys::all())
});

static VERIFIER: LazyLock<Verifier> = LazyLock::new(|| {
    Verifier::new(
        VerifyPolicy::new(ALL_JWS_ALGORITHMS).expect("non-empty"),
        keys::all(),
    )
});

fuzz_target!(|data: &[u8]| {
    let _ = DECRYPTER.decrypt(data);
    let _ = jwe::peek_header(data);
    let _ = jwe::nested::decrypt_then_verify(data, &DECRYPTER, &VERIFIER);
});
