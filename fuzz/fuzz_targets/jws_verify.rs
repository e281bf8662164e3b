//! Compact and JSON JWS: parse, then verify with real keys of every type and every algorithm
//! allowed; also the detached form (input split at the first NUL) and the unverified peeks.
#![no_main]

use std::sync::LazyLock;

use joseguard::jwa::ALL_JWS_ALGORITHMS;
use joseguard::jws::{self, SignatureRequirement, Verifier, VerifyPolicy};
use libfuzzer_sys::fuzz_target;

#[path = "keys.rs"]
mod keys;

static VERIFIERS: LazyLock<[Verifier; 2]> = LazyLock::new(|| {
    let policy = VerifyPolicy::new(ALL_JWS_ALGORITHMS)
        .expect("non-empty")
        .understand_crit(["exp", "b64"]);
    [
        Verifier::new(policy.clone(), keys::all()),
        Verifier::new(
            policy.require_signatures(SignatureRequirement::AtLeastOne),
            keys::all(),
        ),
    ]
});

fuzz_target!(|data: &[u8]| {
    for v in VERIFIERS.iter() {
        let _ = v.verify(data);
    }
    if let Some(nul) = data.iter().position(|b| *b == 0) {
        let _ = VERIFIERS[0].verify_detached(&data[..nul], &data[nul + 1..]);
    }
    let _ = jws::peek_header(data);
    let _ = joseguard::dangerous::decode_unverified(data);
});
