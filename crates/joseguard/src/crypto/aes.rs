//! AES for JWE: GCM (RFC 7518 §5.3, §4.7), CBC with HMAC-SHA-2 (RFC 7518 §5.2), and key wrap
//! (RFC 3394, RFC 7518 §4.4).

use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::cipher::{
    self, DecryptionContext, EncryptionContext, PaddedBlockDecryptingKey, PaddedBlockEncryptingKey,
    UnboundCipherKey,
};
use aws_lc_rs::constant_time;
use aws_lc_rs::hmac;
use aws_lc_rs::iv::FixedLength;
use aws_lc_rs::key_wrap::{AesKek, KeyWrap, AES_128, AES_256};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The one error every content or key decryption failure maps to, so that tag, padding and
/// unwrap failures cannot be told apart (RFC 7516 §11.4, §11.5).
pub(crate) fn decryption_failed() -> Error {
    Error::DecryptionFailed
}

fn gcm_alg(key_len: usize) -> Result<&'static aead::Algorithm> {
    match key_len {
        16 => Ok(&aead::AES_128_GCM),
        24 => Ok(&aead::AES_192_GCM),
        32 => Ok(&aead::AES_256_GCM),
        _ => Err(Error::Crypto("AES-GCM key must be 16, 24 or 32 bytes")),
    }
}

/// AES-GCM encryption; returns (ciphertext, 16-byte tag).
pub(crate) fn gcm_seal(
    key: &[u8],
    iv: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<(Vec<u8>, Vec<u8>)> {
    let key = LessSafeKey::new(
        UnboundKey::new(gcm_alg(key.len())?, key).map_err(|_| Error::Crypto("AES-GCM key"))?,
    );
    let nonce = Nonce::try_assume_unique_for_key(iv)
        .map_err(|_| Error::Crypto("AES-GCM IV must be 12 bytes"))?;
    let mut buf = plaintext.to_vec();
    let tag = key
        .seal_in_place_separate_tag(nonce, Aad::from(aad), &mut buf)
        .map_err(|_| Error::Crypto("AES-GCM encryption failed"))?;
    Ok((buf, tag.as_ref().to_vec()))
}

/// AES-GCM decryption. Any failure is [`Error::DecryptionFailed`].
pub(crate) fn gcm_open(
    key: &[u8],
    iv: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    if tag.len() != 16 || iv.len() != 12 {
        return Err(decryption_failed());
    }
    let key = LessSafeKey::new(
        UnboundKey::new(gcm_alg(key.len())?, key).map_err(|_| decryption_failed())?,
    );
    let nonce = Nonce::try_assume_unique_for_key(iv).map_err(|_| decryption_failed())?;
    // Decrypted straight from the ciphertext into the plaintext buffer: no copy of the
    // ciphertext first (it stays intact for another candidate key).
    let mut out = Zeroizing::new(vec![0u8; ciphertext.len()]);
    key.open_separate_gather(nonce, Aad::from(aad), ciphertext, tag, &mut out)
        .map_err(|_| decryption_failed())?;
    Ok(out)
}

fn cbc_parts(key: &[u8]) -> Result<(&[u8], &[u8], hmac::Algorithm, &'static cipher::Algorithm)> {
    let (mac, aes) = match key.len() {
        32 => (hmac::HMAC_SHA256, &cipher::AES_128),
        48 => (hmac::HMAC_SHA384, &cipher::AES_192),
        64 => (hmac::HMAC_SHA512, &cipher::AES_256),
        _ => return Err(Error::Crypto("AES-CBC-HMAC key must be 32, 48 or 64 bytes")),
    };
    let (mac_key, enc_key) = key.split_at(key.len() / 2);
    Ok((mac_key, enc_key, mac, aes))
}

/// The CBC-HMAC tag: the first half of HMAC(MAC_KEY, A ‖ IV ‖ E ‖ AL), AL being the AAD length in
/// bits as a 64-bit big-endian integer computed in 64 bits (CVE-2016-9123, CVE-2017-12972 were
/// 32-bit overflows of it).
fn cbc_tag(mac: hmac::Algorithm, mac_key: &[u8], aad: &[u8], iv: &[u8], ct: &[u8]) -> Vec<u8> {
    let al = (aad.len() as u64).wrapping_mul(8).to_be_bytes();
    let key = hmac::Key::new(mac, mac_key);
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(aad);
    ctx.update(iv);
    ctx.update(ct);
    ctx.update(&al);
    let full = ctx.sign();
    full.as_ref()[..mac_key.len()].to_vec()
}

/// AES-CBC-HMAC-SHA2 encryption; returns (ciphertext, tag).
pub(crate) fn cbc_hmac_seal(
    key: &[u8],
    iv: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<(Vec<u8>, Vec<u8>)> {
    let (mac_key, enc_key, mac, aes) = cbc_parts(key)?;
    let iv: [u8; 16] = iv
        .try_into()
        .map_err(|_| Error::Crypto("AES-CBC IV must be 16 bytes"))?;
    let key = PaddedBlockEncryptingKey::cbc_pkcs7(
        UnboundCipherKey::new(aes, enc_key).map_err(|_| Error::Crypto("AES-CBC key"))?,
    )
    .map_err(|_| Error::Crypto("AES-CBC key"))?;
    let mut buf = plaintext.to_vec();
    key.less_safe_encrypt(&mut buf, EncryptionContext::Iv128(FixedLength::from(iv)))
        .map_err(|_| Error::Crypto("AES-CBC encryption failed"))?;
    let tag = cbc_tag(mac, mac_key, aad, &iv, &buf);
    Ok((buf, tag))
}

/// AES-CBC-HMAC-SHA2 decryption: the tag is checked in constant time before anything is
/// decrypted, and padding errors give the same [`Error::DecryptionFailed`] as tag errors.
pub(crate) fn cbc_hmac_open(
    key: &[u8],
    iv: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let (mac_key, enc_key, mac, aes) = cbc_parts(key)?;
    let expected = cbc_tag(mac, mac_key, aad, iv, ciphertext);
    if constant_time::verify_slices_are_equal(&expected, tag).is_err() {
        return Err(decryption_failed());
    }
    let iv: [u8; 16] = iv.try_into().map_err(|_| decryption_failed())?;
    if ciphertext.is_empty() || ciphertext.len() % 16 != 0 {
        return Err(decryption_failed());
    }
    let key = PaddedBlockDecryptingKey::cbc_pkcs7(
        UnboundCipherKey::new(aes, enc_key).map_err(|_| decryption_failed())?,
    )
    .map_err(|_| decryption_failed())?;
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    let len = key
        .decrypt(&mut buf, DecryptionContext::Iv128(FixedLength::from(iv)))
        .map_err(|_| decryption_failed())?
        .len();
    buf.truncate(len);
    Ok(buf)
}

fn kek(key: &[u8]) -> Result<AesKek> {
    let cipher = match key.len() {
        16 => &AES_128,
        32 => &AES_256,
        _ => {
            return Err(Error::Crypto(
                "AES key wrap needs a 16-, 24- or 32-byte key",
            ))
        }
    };
    AesKek::new(cipher, key).map_err(|_| Error::Crypto("AES key wrap key"))
}

/// RFC 3394 key wrap: aws-lc-rs's for 128- and 256-bit keys; for 192-bit keys (which it lacks)
/// the RFC 3394 mode over its AES-192 block cipher ([`rfc3394`]).
pub(crate) fn key_wrap(kek_bytes: &[u8], cek: &[u8]) -> Result<Vec<u8>> {
    if kek_bytes.len() == 24 {
        return rfc3394::wrap(kek_bytes, cek);
    }
    let mut out = vec![0u8; cek.len() + 8];
    let len = kek(kek_bytes)?
        .wrap(cek, &mut out)
        .map_err(|_| Error::Crypto("AES key wrap failed"))?
        .len();
    out.truncate(len);
    Ok(out)
}

/// RFC 3394 key unwrap; a wrapped key shorter than 24 bytes or not a multiple of 8 is refused
/// before the backend sees it.
pub(crate) fn key_unwrap(kek_bytes: &[u8], wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    if wrapped.len() < 24 || wrapped.len() % 8 != 0 {
        return Err(decryption_failed());
    }
    if kek_bytes.len() == 24 {
        return rfc3394::unwrap(kek_bytes, wrapped);
    }
    let mut out = Zeroizing::new(vec![0u8; wrapped.len()]);
    let len = kek(kek_bytes)?
        .unwrap(wrapped, &mut out)
        .map_err(|_| decryption_failed())?
        .len();
    out.truncate(len);
    Ok(out)
}

/// The RFC 3394 key-wrap *mode* (§2.2.1, §2.2.2, index-based form) over the backend's AES block
/// cipher, one block at a time in ECB mode: no cipher is implemented here. aws-lc-rs offers key
/// wrap for AES-128 and AES-256 only; JWA also registers A192KW. The integrity check compares the
/// recovered IV in constant time, and every failure is the one [`Error::DecryptionFailed`].
pub(crate) mod rfc3394 {
    use aws_lc_rs::cipher::{
        self, DecryptingKey, DecryptionContext, EncryptingKey, EncryptionContext, UnboundCipherKey,
    };
    use aws_lc_rs::constant_time;
    use zeroize::Zeroizing;

    use super::decryption_failed;
    use crate::error::{Error, Result};

    /// The default initial value (§2.2.3.1).
    const IV: [u8; 8] = [0xA6; 8];

    fn algorithm(kek: &[u8]) -> Result<&'static cipher::Algorithm> {
        match kek.len() {
            16 => Ok(&cipher::AES_128),
            24 => Ok(&cipher::AES_192),
            32 => Ok(&cipher::AES_256),
            _ => Err(Error::Crypto(
                "AES key wrap needs a 16-, 24- or 32-byte key",
            )),
        }
    }

    fn xor_t(a: &mut [u8], t: u64) {
        for (x, y) in a.iter_mut().zip(t.to_be_bytes()) {
            *x ^= y;
        }
    }

    /// Wraps `plaintext` (at least two 64-bit blocks) under `kek`.
    pub(crate) fn wrap(kek: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        if plaintext.len() < 16 || plaintext.len() % 8 != 0 {
            return Err(Error::Crypto(
                "AES key wrap input must be at least 16 bytes, a multiple of 8",
            ));
        }
        let key = EncryptingKey::ecb(
            UnboundCipherKey::new(algorithm(kek)?, kek)
                .map_err(|_| Error::Crypto("AES key wrap key"))?,
        )
        .map_err(|_| Error::Crypto("AES key wrap key"))?;
        let n = plaintext.len() / 8;
        let mut out = Vec::with_capacity(plaintext.len() + 8);
        out.extend_from_slice(&IV);
        out.extend_from_slice(plaintext);
        let mut block = Zeroizing::new([0u8; 16]);
        for j in 0..6u64 {
            for i in 1..=n {
                block[..8].copy_from_slice(&out[..8]);
                block[8..].copy_from_slice(&out[i * 8..i * 8 + 8]);
                key.less_safe_encrypt(&mut block[..], EncryptionContext::None)
                    .map_err(|_| Error::Crypto("AES key wrap failed"))?;
                out[..8].copy_from_slice(&block[..8]);
                xor_t(&mut out[..8], n as u64 * j + i as u64);
                out[i * 8..i * 8 + 8].copy_from_slice(&block[8..]);
            }
        }
        Ok(out)
    }

    /// Unwraps `wrapped` under `kek`; any failure is [`Error::DecryptionFailed`].
    pub(crate) fn unwrap(kek: &[u8], wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        if wrapped.len() < 24 || wrapped.len() % 8 != 0 {
            return Err(decryption_failed());
        }
        let key = DecryptingKey::ecb(
            UnboundCipherKey::new(algorithm(kek).map_err(|_| decryption_failed())?, kek)
                .map_err(|_| decryption_failed())?,
        )
        .map_err(|_| decryption_failed())?;
        let n = wrapped.len() / 8 - 1;
        let mut buf = Zeroizing::new(wrapped.to_vec());
        let mut block = Zeroizing::new([0u8; 16]);
        for j in (0..6u64).rev() {
            for i in (1..=n).rev() {
                block[..8].copy_from_slice(&buf[..8]);
                xor_t(&mut block[..8], n as u64 * j + i as u64);
                block[8..].copy_from_slice(&buf[i * 8..i * 8 + 8]);
                key.decrypt(&mut block[..], DecryptionContext::None)
                    .map_err(|_| decryption_failed())?;
                buf[..8].copy_from_slice(&block[..8]);
                buf[i * 8..i * 8 + 8].copy_from_slice(&block[8..]);
            }
        }
        if constant_time::verify_slices_are_equal(&buf[..8], &IV).is_err() {
            return Err(decryption_failed());
        }
        Ok(Zeroizing::new(buf[8..].to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::{key_unwrap, key_wrap, rfc3394};
    use crate::error::Error;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 3394 §4.1-4.6: every KEK size with every key-data size it can wrap.
    #[test]
    fn rfc3394_section_4_vectors() {
        let kek = hex("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F");
        let data = hex("00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F");
        for (kek_len, data_len, want) in [
            (16, 16, "1FA68B0A8112B447 AEF34BD8FB5A7B82 9D3E862371D2CFE5"),
            (24, 16, "96778B25AE6CA435 F92B5B97C050AED2 468AB8A17AD84E5D"),
            (32, 16, "64E8C3F9CE0F5BA2 63E9777905818A2A 93C8191E7D6E8AE7"),
            (24, 24, "031D33264E15D332 68F24EC260743EDC E1C6C7DDEE725A93 6BA814915C6762D2"),
            (32, 24, "A8F9BC1612C68B3F F6E6F4FBE30E71E4 769C8B80A32CB895 8CD5D17D6B254DA1"),
            (
                32,
                32,
                "28C9F404C4B810F4 CBCCB35CFB87F826 3F5786E2D80ED326 CBC7F0E71A99F43B FB988B9B7A02DD21",
            ),
        ] {
            let (k, d, w) = (&kek[..kek_len], &data[..data_len], hex(want));
            assert_eq!(key_wrap(k, d).unwrap(), w, "wrap {kek_len}/{data_len}");
            assert_eq!(&key_unwrap(k, &w).unwrap()[..], d, "unwrap {kek_len}/{data_len}");
            // The mode written here agrees with the backend's key wrap where it has one.
            assert_eq!(rfc3394::wrap(k, d).unwrap(), w);
            assert_eq!(&rfc3394::unwrap(k, &w).unwrap()[..], d);
        }
    }

    /// Project Wycheproof's AES key-wrap cases (../shared/vectors/wycheproof-kw, read in place):
    /// every case of every key size, through the functions JWE uses. "acceptable" cases (inputs
    /// RFC 3394 permits but some implementations refuse) must round-trip if accepted.
    #[test]
    fn wycheproof_aes_key_wrap() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/vectors/wycheproof-kw/aes_wrap_test.json"
        );
        let text = std::fs::read_to_string(path).expect("../shared/vectors beside the repository");
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut counted = [0usize; 3];
        for group in doc["testGroups"].as_array().unwrap() {
            for case in group["tests"].as_array().unwrap() {
                let id = &case["tcId"];
                let (key, msg, ct) = (
                    hex(case["key"].as_str().unwrap()),
                    hex(case["msg"].as_str().unwrap()),
                    hex(case["ct"].as_str().unwrap()),
                );
                let unwrapped = key_unwrap(&key, &ct);
                match case["result"].as_str().unwrap() {
                    "valid" => {
                        assert_eq!(&unwrapped.unwrap()[..], &msg[..], "case {id}");
                        assert_eq!(key_wrap(&key, &msg).unwrap(), ct, "case {id}");
                        counted[0] += 1;
                    }
                    "invalid" => {
                        assert_eq!(unwrapped.unwrap_err(), Error::DecryptionFailed, "case {id}");
                        counted[1] += 1;
                    }
                    _ => {
                        if let Ok(u) = unwrapped {
                            assert_eq!(&u[..], &msg[..], "case {id}");
                        }
                        counted[2] += 1;
                    }
                }
            }
        }
        assert!(counted[0] > 0 && counted[1] > 0, "{counted:?}");
        assert_eq!(
            counted.iter().sum::<usize>(),
            doc["numberOfTests"].as_u64().unwrap() as usize
        );
    }
}
