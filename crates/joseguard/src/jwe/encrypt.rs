//! Producing a JWE in any serialization.

use serde_json::Value;
use zeroize::Zeroizing;

use super::keymgmt::{self, WrapOptions};
use super::{aad, compact, content, json, zip, Header};
use crate::b64;
use crate::crypto;
use crate::error::{Error, Result};
use crate::jwa::{ContentEncryption, KeyManagementAlgorithm};
use crate::jwk::Jwk;

struct Recipient<'a> {
    key: &'a Jwk,
    alg: KeyManagementAlgorithm,
    header: Header,
}

/// Builds and encrypts a JWE.
///
/// ```
/// use joseguard::{EcCurve, Jwk, KeySpec};
/// use joseguard::jwa::{ContentEncryption, KeyManagementAlgorithm};
/// use joseguard::jwe::{self, DecryptPolicy, Decrypter};
///
/// let key = Jwk::generate(KeySpec::Ec(EcCurve::P256))?;
/// let token = jwe::Builder::new(b"secret", ContentEncryption::A256Gcm)
///     .recipient(&key.to_public()?, KeyManagementAlgorithm::EcdhEsA256KW)?
///     .compact()?;
/// let policy = DecryptPolicy::new([KeyManagementAlgorithm::EcdhEsA256KW], [ContentEncryption::A256Gcm])?;
/// let decrypted = Decrypter::new(policy, key).decrypt(token.as_bytes())?;
/// assert_eq!(decrypted.plaintext, b"secret");
/// # Ok::<(), joseguard::Error>(())
/// ```
pub struct Builder<'a> {
    plaintext: &'a [u8],
    enc: ContentEncryption,
    protected: Header,
    unprotected: Option<Header>,
    aad: Option<Vec<u8>>,
    zip: bool,
    recipients: Vec<Recipient<'a>>,
    options: WrapOptions,
    fixed_cek: Option<Zeroizing<Vec<u8>>>,
    fixed_iv: Option<Vec<u8>>,
}

impl<'a> Builder<'a> {
    /// A JWE of `plaintext` with content encryption `enc`.
    pub fn new(plaintext: &'a [u8], enc: ContentEncryption) -> Self {
        Builder {
            plaintext,
            enc,
            protected: Header::new(),
            unprotected: None,
            aad: None,
            zip: false,
            recipients: Vec::new(),
            options: WrapOptions::default(),
            fixed_cek: None,
            fixed_iv: None,
        }
    }

    /// Members of the protected header (`typ`, `cty`, ...). `alg`, `enc`, `zip`, `kid` and the
    /// key-management parameters are added; members already present keep their position.
    pub fn protected(mut self, header: Header) -> Self {
        self.protected = header;
        self
    }

    /// The shared unprotected header (JSON serializations only).
    pub fn unprotected(mut self, header: Header) -> Self {
        self.unprotected = Some(header);
        self
    }

    /// Additional authenticated data (JSON serializations only).
    pub fn aad(mut self, aad: &[u8]) -> Self {
        self.aad = Some(aad.to_vec());
        self
    }

    /// Compresses the plaintext with DEFLATE (`zip: DEF` in the protected header).
    pub fn zip(mut self, zip: bool) -> Self {
        self.zip = zip;
        self
    }

    /// PartyUInfo and PartyVInfo for ECDH-ES (`apu`, `apv`).
    pub fn agreement_party_info(mut self, apu: &[u8], apv: &[u8]) -> Self {
        self.options.apu = Some(apu.to_vec());
        self.options.apv = Some(apv.to_vec());
        self
    }

    /// The PBES2 iteration count (default [`PBES2_DEFAULT_ITERATIONS`](super::PBES2_DEFAULT_ITERATIONS)).
    pub fn pbes2_iterations(mut self, count: u32) -> Self {
        self.options.p2c = Some(count);
        self
    }

    /// Adds a recipient: `key` (public, or the shared secret) under `alg`.
    pub fn recipient(self, key: &'a Jwk, alg: KeyManagementAlgorithm) -> Result<Self> {
        self.recipient_with_header(key, alg, Header::new())
    }

    /// Adds a recipient with its own unprotected header (general JSON serialization).
    pub fn recipient_with_header(
        mut self,
        key: &'a Jwk,
        alg: KeyManagementAlgorithm,
        header: Header,
    ) -> Result<Self> {
        keymgmt::check_key(key, alg, self.enc, false, 2048)?;
        self.recipients.push(Recipient { key, alg, header });
        Ok(self)
    }

    /// Options that weaken a default ([`crate::dangerous`]).
    pub fn dangerous(self) -> crate::dangerous::Dangerous<Self> {
        crate::dangerous::Dangerous(self)
    }

    pub(crate) fn fixed_cek(mut self, cek: &[u8]) -> Self {
        self.fixed_cek = Some(Zeroizing::new(cek.to_vec()));
        self
    }

    pub(crate) fn fixed_iv(mut self, iv: &[u8]) -> Self {
        self.fixed_iv = Some(iv.to_vec());
        self
    }

    pub(crate) fn ephemeral_key(mut self, key: Jwk) -> Self {
        self.options.ephemeral = Some(key);
        self
    }

    pub(crate) fn fixed_p2s(mut self, p2s: &[u8]) -> Self {
        self.options.p2s = Some(p2s.to_vec());
        self
    }

    pub(crate) fn fixed_key_wrap_iv(mut self, iv: &[u8]) -> Self {
        self.options.gcmkw_iv = Some(iv.to_vec());
        self
    }

    /// The compact serialization: one recipient, no unprotected headers, no `aad`.
    pub fn compact(&self) -> Result<String> {
        if self.unprotected.as_ref().is_some_and(|h| !h.is_empty())
            || self.aad.is_some()
            || self.recipients.iter().any(|r| !r.header.is_empty())
        {
            return Err(Error::Config(
                "the compact serialization has no unprotected header and no aad".into(),
            ));
        }
        let built = self.build(Layout::Compact)?;
        let (_, ek) = &built.recipients[0];
        Ok(compact::serialize(
            &built.protected_b64,
            ek,
            &built.iv,
            &built.ciphertext,
            &built.tag,
        ))
    }

    /// The flattened JSON serialization: one recipient.
    pub fn flattened(&self) -> Result<String> {
        let built = self.build(Layout::Flattened)?;
        Ok(json::serialize(
            false,
            &built.protected_b64,
            self.unprotected.as_ref(),
            &built.recipients,
            built.aad_b64.as_deref(),
            &built.iv,
            &built.ciphertext,
            &built.tag,
        ))
    }

    /// The general JSON serialization: one entry per recipient.
    pub fn general(&self) -> Result<String> {
        let built = self.build(Layout::General)?;
        Ok(json::serialize(
            true,
            &built.protected_b64,
            self.unprotected.as_ref(),
            &built.recipients,
            built.aad_b64.as_deref(),
            &built.iv,
            &built.ciphertext,
            &built.tag,
        ))
    }

    fn build(&self, layout: Layout) -> Result<Built> {
        let n = self.recipients.len();
        if n == 0 {
            return Err(Error::Config("no recipient".into()));
        }
        if layout != Layout::General && n != 1 {
            return Err(Error::Config(
                "the compact and flattened serializations have one recipient".into(),
            ));
        }
        if n > 1
            && self
                .recipients
                .iter()
                .any(|r| keymgmt::determines_cek(r.alg))
        {
            return Err(Error::Config(
                "dir and ECDH-ES (direct) allow a single recipient".into(),
            ));
        }
        let mut protected = self.protected.clone();
        match self.unprotected.as_ref().and_then(|u| u.get("enc")) {
            // The caller put `enc` in the shared unprotected header (RFC 7520 §5.12): it stays
            // there alone, as a member may appear in one header only (RFC 7516 §7.2.1).
            Some(existing) if existing.as_str() == Some(self.enc.name()) => {}
            Some(existing) => {
                return Err(Error::Config(format!(
                    "header \"enc\" is {existing}, but the builder was asked for {}",
                    self.enc
                )))
            }
            None => set_member(&mut protected, "enc", self.enc.name().into())?,
        }
        if self.zip {
            set_member(&mut protected, "zip", "DEF".into())?;
        }
        let fixed_cek = self.fixed_cek.as_deref().map(|c| c.to_vec());
        let mut cek: Option<Zeroizing<Vec<u8>>> = None;
        let mut recipients = Vec::with_capacity(n);
        for r in &self.recipients {
            let given = cek
                .clone()
                .or_else(|| fixed_cek.clone().map(Zeroizing::new));
            let given = if keymgmt::determines_cek(r.alg) {
                None
            } else {
                Some(match given {
                    Some(c) => c,
                    None => Zeroizing::new(crypto::random(self.enc.key_len())?),
                })
            };
            let managed = keymgmt::encrypt_key(
                r.alg,
                self.enc,
                r.key,
                given.as_deref().map(|c| c.as_slice()),
                &self.options,
            )?;
            cek = Some(managed.cek);
            // Where this recipient's members go: the protected header for compact and
            // flattened, the recipient's own header for general, unless the caller already
            // wrote them somewhere (see `Placement`).
            let mut own = r.header.clone();
            let mut place = Placement {
                protected: &mut protected,
                shared: self.unprotected.as_ref(),
                own: &mut own,
                general: layout == Layout::General,
                one_recipient: n == 1,
            };
            place.put("alg", r.alg.name().into(), false)?;
            let kid_elsewhere = self.protected.contains("kid")
                || r.header.contains("kid")
                || self.unprotected.as_ref().is_some_and(|u| u.contains("kid"));
            if let (Some(kid), false) = (r.key.kid(), kid_elsewhere) {
                place.put("kid", kid.into(), true)?;
            }
            for (k, v) in managed.params {
                place.put(&k, v, true)?;
            }
            recipients.push((Some(own), managed.encrypted_key));
        }
        let cek = cek.expect("at least one recipient");
        // An empty protected header is absent, and the AAD then starts empty (RFC 7516 §7.2.1,
        // §5.1 step 14; RFC 7520 §5.12).
        let protected_b64 = if protected.is_empty() {
            String::new()
        } else {
            b64::encode(protected.to_json())
        };
        let aad_b64 = self.aad.as_ref().map(b64::encode);
        let aad_bytes = aad(&protected_b64, aad_b64.as_deref());
        let compressed;
        let plaintext = if self.zip {
            compressed = zip::compress(self.plaintext)?;
            &compressed[..]
        } else {
            self.plaintext
        };
        let iv = match &self.fixed_iv {
            Some(iv) => iv.clone(),
            None => crypto::random(self.enc.iv_len())?,
        };
        let (ciphertext, tag) = content::encrypt(self.enc, &cek, &iv, &aad_bytes, plaintext)?;
        Ok(Built {
            protected_b64,
            recipients,
            aad_b64,
            iv,
            ciphertext,
            tag,
        })
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    Compact,
    Flattened,
    General,
}

struct Built {
    protected_b64: String,
    recipients: Vec<json::RecipientOut>,
    aad_b64: Option<String>,
    iv: Vec<u8>,
    ciphertext: Vec<u8>,
    tag: Vec<u8>,
}

/// Where one recipient's members go. By default the protected header for compact and flattened,
/// the recipient's own header for general; but a member the caller already wrote in some header
/// stays there, in its position, because a member may appear in one header only (RFC 7516
/// §7.2.1; RFC 7520 §5.11 puts `alg` in the shared unprotected header, §5.1 puts it in the
/// protected header of a general JWE).
struct Placement<'h> {
    protected: &'h mut Header,
    shared: Option<&'h Header>,
    own: &'h mut Header,
    general: bool,
    one_recipient: bool,
}

impl Placement<'_> {
    /// Puts `name`. A `computed` member (key-management parameters, `kid`) replaces the caller's
    /// value; any other must equal it.
    fn put(&mut self, name: &str, value: Value, computed: bool) -> Result<()> {
        let target = if self.protected.contains(name) {
            if computed && !self.one_recipient {
                return Err(Error::Config(format!(
                    "header {name:?} differs per recipient and cannot be in the protected header"
                )));
            }
            &mut *self.protected
        } else if self.own.contains(name) {
            &mut *self.own
        } else if let Some(existing) = self.shared.and_then(|h| h.get(name)) {
            // The shared unprotected header is written as given: only an equal value can stay.
            return if *existing == value {
                Ok(())
            } else {
                Err(Error::Config(format!(
                    "header {name:?} is {existing} in the unprotected header, but the builder needs {value}"
                )))
            };
        } else if self.general {
            &mut *self.own
        } else {
            &mut *self.protected
        };
        if computed {
            target.insert(name, value);
            Ok(())
        } else {
            set_member(target, name, value)
        }
    }
}

/// Sets `name` unless the caller already set it to something else.
fn set_member(h: &mut Header, name: &str, value: Value) -> Result<()> {
    match h.get(name) {
        Some(existing) if *existing != value => Err(Error::Config(format!(
            "header {name:?} is {existing}, but the builder was asked for {value}"
        ))),
        Some(_) => Ok(()),
        None => {
            h.insert(name, value);
            Ok(())
        }
    }
}
