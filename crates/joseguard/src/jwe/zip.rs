//! `zip: DEF` (RFC 7516 §4.1.3): raw DEFLATE (RFC 1951), inflated with a hard cap.

use std::io::{Read, Write};

use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use flate2::Compression;

use crate::error::{Error, Result};

pub(crate) fn compress(data: &[u8]) -> Result<Vec<u8>> {
    let mut enc = DeflateEncoder::new(Vec::new(), Compression::default());
    enc.write_all(data)
        .and_then(|()| enc.finish())
        .map_err(|_| Error::Crypto("DEFLATE failed"))
}

/// Inflates at most `cap` bytes: reading stops at `cap + 1` bytes, so a decompression bomb costs
/// at most the cap in memory and time (CVE-2024-28176, CVE-2024-33664 class).
pub(crate) fn decompress(data: &[u8], cap: usize) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    DeflateDecoder::new(data)
        .take(cap as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|_| Error::Malformed("zip: DEF content does not inflate".into()))?;
    if out.len() > cap {
        return Err(Error::TooLarge {
            what: "decompressed plaintext",
            limit: cap,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inflation_stops_at_the_cap() {
        let bomb = compress(&vec![0u8; 10 << 20]).unwrap();
        assert!(bomb.len() < 20_000);
        assert_eq!(
            decompress(&bomb, 250_000).unwrap_err(),
            Error::TooLarge {
                what: "decompressed plaintext",
                limit: 250_000
            }
        );
        assert_eq!(
            decompress(&compress(b"hello").unwrap(), 5).unwrap(),
            b"hello"
        );
        assert!(decompress(b"\xff\xff\xff", 100).is_err());
    }
}
