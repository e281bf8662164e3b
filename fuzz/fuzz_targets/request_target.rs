//! The gateway's request-target canonicaliser: never panics; idempotent; what is forwarded (the
//! canonical bytes as an `http::Uri`) is exactly what was judged; and the canonical path holds
//! nothing a backend could read as another path (dot segments, encoded or raw separators,
//! unmerged slashes, encoded unreserved characters).
#![no_main]

use joseguard_server::target::{PathOptions, Target};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for merge_slashes in [true, false] {
        let options = PathOptions { merge_slashes };
        let Ok(target) = Target::parse(text, options) else {
            continue;
        };
        let forwarded = target.path_and_query();
        assert_eq!(Target::parse(&forwarded, options).as_ref(), Ok(&target), "idempotent");
        let uri = axum::http::Uri::try_from(forwarded.as_str()).expect("a valid URI");
        assert_eq!(uri.path_and_query().map(|p| p.as_str()), Some(forwarded.as_str()));
        let path = target.path();
        assert!(path.starts_with('/'));
        for segment in path.split('/') {
            assert!(segment != "." && segment != "..", "{path}");
        }
        assert!(!path.contains('\\') && !path.contains(';'), "{path}");
        if merge_slashes {
            assert!(!path.contains("//"), "{path}");
        }
        let upper = path.to_ascii_uppercase();
        assert!(!upper.contains("%2F") && !upper.contains("%5C") && !upper.contains("%2E"), "{path}");
        let bytes = path.as_bytes();
        for (i, _) in path.match_indices('%') {
            let hex = &path[i + 1..i + 3];
            let v = u8::from_str_radix(hex, 16).expect("valid escape");
            assert!(!(v.is_ascii_alphanumeric() || b"-._~".contains(&v)), "{path}");
            assert_eq!(hex, hex.to_ascii_uppercase(), "{path}");
        }
        assert!(bytes.iter().all(|b| b.is_ascii_graphic()), "{path}");
    }
});
