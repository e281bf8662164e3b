//! JWK and JWK Set parsing, and what is done with a parsed key: thumbprints, the public part,
//! the algorithms it fits, and the JSON round trip.
#![no_main]

use joseguard::{Jwk, JwkSet, Sha2};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(k) = Jwk::from_json(data) {
        let _ = k.thumbprint(Sha2::Sha256);
        let _ = k.jws_algorithms();
        let _ = k.to_public();
        let again = Jwk::from_json(k.to_json()).expect("a parsed key re-parses");
        assert_eq!(again.to_value(), k.to_value());
    }
    if let Ok(set) = JwkSet::from_json(data) {
        for k in set.keys() {
            let _ = k.to_spki_der();
        }
    }
});
