//! Key import: PEM (PKCS#8, SPKI, PKCS#1, SEC1, certificates), DER and OpenSSH public key lines.
#![no_main]

use joseguard::Jwk;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = Jwk::from_der(data);
    let _ = Jwk::from_certificate_der(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Jwk::from_pem(text);
        if let Ok(k) = Jwk::from_text(text) {
            let _ = k.to_spki_der();
        }
    }
});
