//! A PKCS#11 private key behind a pool of logged-in sessions.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::eddsa::{EddsaParams, EddsaSignatureScheme};
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsPssParams};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use joseguard::{b64, EcCurve, Jwk, JwsAlgorithm, RemoteKey, Sha2};
use zeroize::Zeroizing;

use crate::{Pkcs11Error, Pkcs11Uri};

/// Where the user PIN is. Read at every login, so a rotated PIN file is picked up.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Pin {
    /// A file holding the PIN (one trailing newline ignored).
    File(PathBuf),
    /// An environment variable.
    Env(String),
}

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Pin::File(p) => write!(f, "Pin::File({})", p.display()),
            Pin::Env(v) => write!(f, "Pin::Env({v})"),
        }
    }
}

impl Pin {
    /// A URI's `pin-source`: `file:/path` (or a bare path) or `env:NAME`.
    pub fn from_source(source: &str) -> Pin {
        match source.strip_prefix("env:") {
            Some(var) => Pin::Env(var.to_owned()),
            None => Pin::File(PathBuf::from(
                source.strip_prefix("file:").unwrap_or(source),
            )),
        }
    }

    fn read(&self) -> Result<AuthPin, Pkcs11Error> {
        let text = match self {
            Pin::File(path) => Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
                Pkcs11Error::Pin(format!(
                    "cannot read the PIN file {}: {}",
                    path.display(),
                    e.kind()
                ))
            })?),
            Pin::Env(var) => Zeroizing::new(std::env::var(var).map_err(|_| {
                Pkcs11Error::Pin(format!("the environment variable {var} is not set"))
            })?),
        };
        let pin = text.strip_suffix('\n').unwrap_or(&text);
        let pin = pin.strip_suffix('\r').unwrap_or(pin);
        if pin.is_empty() {
            return Err(Pkcs11Error::Pin("the PIN is empty".into()));
        }
        Ok(AuthPin::from(pin.to_owned()))
    }
}

/// How to open a key.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Pkcs11Config {
    /// The key.
    pub uri: Pkcs11Uri,
    /// The module (a URI's `module-path` is used when this is `None`).
    pub module: Option<PathBuf>,
    /// The PIN (a URI's `pin-source` is used when this is `None`; `pin-value` last).
    pub pin: Option<Pin>,
    /// Sessions at most: the signing concurrency (default 4).
    pub sessions: usize,
    /// How long a signature waits for a free session before the key is reported unavailable
    /// (default 10 s).
    pub wait: Duration,
}

impl Pkcs11Config {
    /// A configuration for `uri`, module and PIN from the URI unless set.
    pub fn new(uri: Pkcs11Uri) -> Pkcs11Config {
        Pkcs11Config {
            uri,
            module: None,
            pin: None,
            sessions: 4,
            wait: Duration::from_secs(10),
        }
    }
}

/// Modules are initialised once per process (`C_Initialize` twice is an error) and shared by
/// every key that names them.
fn module(path: &Path) -> Result<Pkcs11, Pkcs11Error> {
    static MODULES: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
    let mut modules = MODULES
        .get_or_init(Default::default)
        .lock()
        .map_err(|_| Pkcs11Error::Module("module registry poisoned".into()))?;
    if let Some(m) = modules.get(path) {
        return Ok(m.clone());
    }
    let m = Pkcs11::new(path)
        .map_err(|e| Pkcs11Error::Module(format!("cannot load {}: {e}", path.display())))?;
    m.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .map_err(|e| Pkcs11Error::Module(format!("{}: C_Initialize: {e}", path.display())))?;
    modules.insert(path.to_owned(), m.clone());
    Ok(m)
}

/// What kind of signing key, from its public key.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Rsa,
    Ec(EcCurve),
    Ed25519,
}

struct Pool {
    idle: Vec<(Session, ObjectHandle)>,
    open: usize,
    healthy: bool,
    last_attempt: Option<Instant>,
}

/// A PKCS#11 private key: [`Pkcs11Key::open`] logs in, finds the key and its public key; then
/// [`Pkcs11Key::into_jwk`] makes it a [`Jwk`] that signs. Cheap to clone (shared).
#[derive(Clone)]
pub struct Pkcs11Key {
    inner: Arc<Inner>,
}

struct Inner {
    module: Pkcs11,
    uri: Pkcs11Uri,
    pin: Pin,
    public: Jwk,
    kind: Kind,
    size: usize,
    wait: Duration,
    pool: Mutex<Pool>,
    freed: Condvar,
    unavailable: AtomicU64,
}

impl std::fmt::Debug for Pkcs11Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11Key")
            .field("uri", &self.inner.uri.to_string())
            .field("kid", &self.inner.public.kid())
            .finish_non_exhaustive()
    }
}

fn fatal(e: &CkError) -> bool {
    matches!(
        e,
        CkError::Pkcs11(
            RvError::SessionHandleInvalid
                | RvError::SessionClosed
                | RvError::DeviceRemoved
                | RvError::DeviceError
                | RvError::TokenNotPresent
                | RvError::TokenNotRecognized
                | RvError::UserNotLoggedIn
                | RvError::CryptokiNotInitialized
                | RvError::GeneralError,
            _
        )
    )
}

impl Pkcs11Key {
    /// Loads the module (once per process), logs in to the token and finds the private key and
    /// its public key. A wrong PIN, a missing token or key, or a key of a type joseguard does
    /// not sign with is an error here, at start-up.
    pub fn open(config: Pkcs11Config) -> Result<Pkcs11Key, Pkcs11Error> {
        let uri = config.uri;
        let path = config
            .module
            .or_else(|| uri.module_path.clone())
            .ok_or_else(|| {
                Pkcs11Error::Module(
                    "name the module (pkcs11_module, or module-path in the URI)".into(),
                )
            })?;
        let pin = config
            .pin
            .or_else(|| uri.pin_source.as_deref().map(Pin::from_source))
            .ok_or_else(|| {
                Pkcs11Error::Pin("name where the PIN is (a file or an environment variable)".into())
            })?;
        let module = module(&path)?;
        let (session, handle) = open_session(&module, &uri, &pin)?;
        let (public, kind) = public_key(&session, &uri, handle)?;
        let public = match public.kid() {
            Some(_) => public,
            None => {
                let kid = public.thumbprint_b64(Sha2::Sha256);
                public.with_kid(kid)
            }
        };
        let size = config.sessions.max(1);
        Ok(Pkcs11Key {
            inner: Arc::new(Inner {
                module,
                uri,
                pin,
                public,
                kind,
                size,
                wait: config.wait,
                pool: Mutex::new(Pool {
                    idle: vec![(session, handle)],
                    open: 1,
                    healthy: true,
                    last_attempt: None,
                }),
                freed: Condvar::new(),
                unavailable: AtomicU64::new(0),
            }),
        })
    }

    /// The key as a [`Jwk`] that signs through the token.
    pub fn into_jwk(self) -> Result<Jwk, joseguard::Error> {
        Jwk::from_remote(Arc::new(self))
    }

    /// The public key (with its `kid`).
    pub fn public(&self) -> &Jwk {
        &self.inner.public
    }

    /// True while the token answers (false from a failure until the next successful login).
    pub fn is_available(&self) -> bool {
        self.inner.pool.lock().is_ok_and(|p| p.healthy)
    }

    /// Signatures refused because the key was unavailable, since start.
    pub fn unavailable_count(&self) -> u64 {
        self.inner.unavailable.load(Ordering::Relaxed)
    }

    fn unavailable(&self, why: impl Into<String>) -> joseguard::Error {
        self.inner.unavailable.fetch_add(1, Ordering::Relaxed);
        joseguard::Error::KeyUnavailable(why.into())
    }

    /// A logged-in session and the key's handle: an idle one, a new one while under the pool
    /// size, else the next freed one.
    fn checkout(&self) -> Result<(Session, ObjectHandle), joseguard::Error> {
        let inner = &self.inner;
        let deadline = Instant::now() + inner.wait;
        let mut pool = inner
            .pool
            .lock()
            .map_err(|_| self.unavailable("session pool poisoned"))?;
        loop {
            if !pool.healthy {
                // One login attempt per second at most, whoever asks.
                if pool
                    .last_attempt
                    .is_some_and(|t| t.elapsed() < Duration::from_secs(1))
                {
                    return Err(self.unavailable("the token is not answering"));
                }
                pool.last_attempt = Some(Instant::now());
                match open_session(&inner.module, &inner.uri, &inner.pin) {
                    Ok(s) => {
                        tracing::info!(key = %inner.uri, "PKCS#11 token back; logged in again");
                        pool.healthy = true;
                        pool.open = 1;
                        return Ok(s);
                    }
                    Err(e) => {
                        tracing::warn!(key = %inner.uri, error = %e, "PKCS#11 token still unavailable");
                        return Err(self.unavailable("the token is not answering"));
                    }
                }
            }
            if let Some(s) = pool.idle.pop() {
                return Ok(s);
            }
            if pool.open < inner.size {
                pool.open += 1;
                drop(pool);
                let opened = open_session(&inner.module, &inner.uri, &inner.pin);
                let mut pool = inner
                    .pool
                    .lock()
                    .map_err(|_| self.unavailable("session pool poisoned"))?;
                return opened.map_err(|e| {
                    pool.open -= 1;
                    tracing::warn!(key = %inner.uri, error = %e, "PKCS#11 session could not be opened");
                    self.unavailable("no session could be opened")
                });
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(self.unavailable("every session is busy"));
            }
            pool = inner
                .freed
                .wait_timeout(pool, left)
                .map_err(|_| self.unavailable("session pool poisoned"))?
                .0;
        }
    }

    /// Runs `op` on a pooled session; a failure that means the session or token is gone
    /// closes every session and marks the key unavailable until a login succeeds again.
    fn with_session<T>(
        &self,
        op: impl FnOnce(&Session, ObjectHandle) -> Result<T, CkError>,
    ) -> Result<T, joseguard::Error> {
        let (session, handle) = self.checkout()?;
        let result = op(&session, handle);
        let mut pool = self
            .inner
            .pool
            .lock()
            .map_err(|_| self.unavailable("session pool poisoned"))?;
        match result {
            Ok(v) => {
                pool.idle.push((session, handle));
                drop(pool);
                self.inner.freed.notify_one();
                Ok(v)
            }
            Err(e) if fatal(&e) => {
                tracing::warn!(key = %self.inner.uri, error = %e, "PKCS#11 token lost");
                pool.healthy = false;
                pool.last_attempt = None;
                pool.open = 0;
                pool.idle.clear();
                drop(pool);
                drop(session);
                self.inner.freed.notify_all();
                Err(self.unavailable("the token was lost; it will be tried again"))
            }
            Err(e) => {
                pool.idle.push((session, handle));
                drop(pool);
                self.inner.freed.notify_one();
                Err(joseguard::Error::Crypto(match e {
                    CkError::Pkcs11(RvError::MechanismInvalid, _) => {
                        "the token does not offer this mechanism"
                    }
                    _ => "the token refused to sign",
                }))
            }
        }
    }

    fn sign_with(
        &self,
        mechanism: &Mechanism<'_>,
        data: &[u8],
    ) -> Result<Vec<u8>, joseguard::Error> {
        self.with_session(|s, key| s.sign(mechanism, key, data))
    }
}

fn sha_mechanism(hash: Sha2) -> (MechanismType, PkcsMgfType) {
    match hash {
        Sha2::Sha384 => (MechanismType::SHA384, PkcsMgfType::MGF1_SHA384),
        Sha2::Sha512 => (MechanismType::SHA512, PkcsMgfType::MGF1_SHA512),
        _ => (MechanismType::SHA256, PkcsMgfType::MGF1_SHA256),
    }
}

fn pss(hash: Sha2) -> PkcsPssParams {
    let (hash_alg, mgf) = sha_mechanism(hash);
    PkcsPssParams {
        hash_alg,
        mgf,
        s_len: (hash.len() as u64).into(),
    }
}

/// DER DigestInfo prefixes (RFC 8017 §9.2 note 1) for `CKM_RSA_PKCS` over a digest.
fn digest_info(hash: Sha2, digest: &[u8]) -> Vec<u8> {
    let prefix: &[u8] = match hash {
        Sha2::Sha384 => &[
            0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x02, 0x05, 0x00, 0x04, 0x30,
        ],
        Sha2::Sha512 => &[
            0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x03, 0x05, 0x00, 0x04, 0x40,
        ],
        _ => &[
            0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x01, 0x05, 0x00, 0x04, 0x20,
        ],
    };
    [prefix, digest].concat()
}

impl RemoteKey for Pkcs11Key {
    fn public_key(&self) -> &Jwk {
        &self.inner.public
    }

    fn sign(&self, alg: JwsAlgorithm, input: &[u8]) -> joseguard::Result<Vec<u8>> {
        let hash = alg.hash();
        match (self.inner.kind, alg.rsa_padding()) {
            (Kind::Rsa, Some(joseguard::jwa::RsaPadding::Pkcs1)) => {
                let m = match hash {
                    Sha2::Sha384 => Mechanism::Sha384RsaPkcs,
                    Sha2::Sha512 => Mechanism::Sha512RsaPkcs,
                    _ => Mechanism::Sha256RsaPkcs,
                };
                self.sign_with(&m, input)
            }
            (Kind::Rsa, Some(_)) => {
                let params = pss(hash);
                let m = match hash {
                    Sha2::Sha384 => Mechanism::Sha384RsaPkcsPss(params),
                    Sha2::Sha512 => Mechanism::Sha512RsaPkcsPss(params),
                    _ => Mechanism::Sha256RsaPkcsPss(params),
                };
                self.sign_with(&m, input)
            }
            (Kind::Ec(_), None) => self.sign_digest(alg, &hash.digest(input)),
            (Kind::Ed25519, None) => self.sign_with(
                &Mechanism::Eddsa(EddsaParams::new(EddsaSignatureScheme::Pure)),
                input,
            ),
            _ => Err(joseguard::Error::KeyMismatch(format!(
                "{alg} does not fit this PKCS#11 key"
            ))),
        }
    }

    fn sign_digest(&self, alg: JwsAlgorithm, digest: &[u8]) -> joseguard::Result<Vec<u8>> {
        let hash = alg
            .digest_hash()
            .ok_or_else(|| joseguard::Error::KeyMismatch(format!("{alg} cannot sign a digest")))?;
        if digest.len() != hash.len() {
            return Err(joseguard::Error::Config(format!(
                "a {hash} digest is {} bytes",
                hash.len()
            )));
        }
        match (self.inner.kind, alg.rsa_padding()) {
            (Kind::Rsa, Some(joseguard::jwa::RsaPadding::Pkcs1)) => {
                self.sign_with(&Mechanism::RsaPkcs, &digest_info(hash, digest))
            }
            (Kind::Rsa, Some(_)) => self.sign_with(&Mechanism::RsaPkcsPss(pss(hash)), digest),
            (Kind::Ec(curve), None) => {
                let sig = self.sign_with(&Mechanism::Ecdsa, digest)?;
                // PKCS#11 gives r‖s, each the order's length: JWS's encoding already.
                if sig.len() != 2 * curve.coordinate_len() {
                    return Err(joseguard::Error::Crypto(
                        "the token's ECDSA signature has the wrong length",
                    ));
                }
                Ok(sig)
            }
            _ => Err(joseguard::Error::KeyMismatch(format!(
                "{alg} does not fit this PKCS#11 key"
            ))),
        }
    }
}

/// The slot holding the URI's token. A module finalised under us (a device restart seen by
/// its library) is initialised again first.
fn find_slot(module: &Pkcs11, uri: &Pkcs11Uri) -> Result<Slot, Pkcs11Error> {
    let slots = match module.get_slots_with_token() {
        Err(CkError::Pkcs11(RvError::CryptokiNotInitialized, _)) => {
            match module.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
                Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
                Err(e) => return Err(Pkcs11Error::Module(format!("C_Initialize: {e}"))),
            }
            module.get_slots_with_token()
        }
        other => other,
    }
    .map_err(|e| Pkcs11Error::Token(format!("listing slots: {e}")))?;
    for slot in slots {
        let Ok(info) = module.get_token_info(slot) else {
            continue;
        };
        let label_ok = uri
            .token
            .as_deref()
            .is_none_or(|t| info.label().trim_end() == t);
        let serial_ok = uri
            .serial
            .as_deref()
            .is_none_or(|s| info.serial_number().trim_end() == s);
        if label_ok && serial_ok {
            return Ok(slot);
        }
    }
    Err(Pkcs11Error::Token(format!("no token {}", uri_token(uri))))
}

fn uri_token(uri: &Pkcs11Uri) -> String {
    match (&uri.token, &uri.serial) {
        (Some(t), _) => format!("labelled {t:?}"),
        (None, Some(s)) => format!("with serial {s:?}"),
        _ => "named".into(),
    }
}

/// A session logged in as the user, and the key's handle in it.
fn open_session(
    module: &Pkcs11,
    uri: &Pkcs11Uri,
    pin: &Pin,
) -> Result<(Session, ObjectHandle), Pkcs11Error> {
    let slot = find_slot(module, uri)?;
    let session = module
        .open_ro_session(slot)
        .map_err(|e| Pkcs11Error::Token(format!("opening a session: {e}")))?;
    match session.login(UserType::User, Some(&pin.read()?)) {
        // Logging in is per application: a second session is already logged in.
        Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
        Err(CkError::Pkcs11(
            RvError::PinIncorrect | RvError::PinInvalid | RvError::PinLenRange,
            _,
        )) => {
            return Err(Pkcs11Error::Pin(format!(
                "the token {} refused the PIN",
                uri_token(uri)
            )))
        }
        Err(CkError::Pkcs11(RvError::PinLocked, _)) => {
            return Err(Pkcs11Error::Pin(format!(
                "the PIN of the token {} is locked",
                uri_token(uri)
            )))
        }
        Err(e) => return Err(Pkcs11Error::Token(format!("login: {e}"))),
    }
    let handle = find_one(&session, uri, ObjectClass::PRIVATE_KEY)?.ok_or_else(|| {
        Pkcs11Error::Key(format!(
            "no private key {} on the token {}",
            object_name(uri),
            uri_token(uri)
        ))
    })?;
    Ok((session, handle))
}

fn object_name(uri: &Pkcs11Uri) -> String {
    match (&uri.object, &uri.id) {
        (Some(o), _) => format!("labelled {o:?}"),
        (None, Some(id)) => format!("with id {}", b64::encode(id)),
        _ => "named".into(),
    }
}

/// The one object of `class` the URI names (`None` when there is none).
fn find_one(
    session: &Session,
    uri: &Pkcs11Uri,
    class: ObjectClass,
) -> Result<Option<ObjectHandle>, Pkcs11Error> {
    let mut template = vec![Attribute::Class(class)];
    if let Some(o) = &uri.object {
        template.push(Attribute::Label(o.as_bytes().to_vec()));
    }
    if let Some(id) = &uri.id {
        template.push(Attribute::Id(id.clone()));
    }
    let found = session
        .find_objects(&template)
        .map_err(|e| Pkcs11Error::Key(format!("searching the token: {e}")))?;
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        _ => Err(Pkcs11Error::Key(format!(
            "{} objects match {}; name the key by id as well",
            found.len(),
            object_name(uri)
        ))),
    }
}

/// The key's public key, from the token's public key object with the same label/id, or its
/// certificate.
fn public_key(
    session: &Session,
    uri: &Pkcs11Uri,
    private: ObjectHandle,
) -> Result<(Jwk, Kind), Pkcs11Error> {
    let bad = |why: String| {
        Pkcs11Error::Key(format!("{} on {}: {why}", object_name(uri), uri_token(uri)))
    };
    let key_type = match session
        .get_attributes(private, &[AttributeType::KeyType])
        .map_err(|e| bad(e.to_string()))?
        .as_slice()
    {
        [Attribute::KeyType(t)] => *t,
        _ => return Err(bad("the token does not say the key's type".into())),
    };
    if let Some(public) = find_one(session, uri, ObjectClass::PUBLIC_KEY)? {
        let jwk = if key_type == KeyType::RSA {
            rsa_public(session, public).map_err(bad)?
        } else if key_type == KeyType::EC || key_type == KeyType::EC_EDWARDS {
            ec_public(session, public).map_err(bad)?
        } else {
            return Err(bad(format!(
                "keys of type {key_type} are not signing keys joseguard uses"
            )));
        };
        return kind_of(jwk).map_err(bad);
    }
    if let Some(cert) = find_one(session, uri, ObjectClass::CERTIFICATE)? {
        let der = match session
            .get_attributes(cert, &[AttributeType::Value])
            .map_err(|e| bad(e.to_string()))?
            .as_slice()
        {
            [Attribute::Value(der)] => der.clone(),
            _ => return Err(bad("the certificate has no value".into())),
        };
        let jwk = Jwk::from_certificate_der(&der).map_err(|e| bad(e.to_string()))?;
        return kind_of(jwk).map_err(bad);
    }
    Err(bad(
        "no public key object or certificate with the same label/id".into(),
    ))
}

fn kind_of(jwk: Jwk) -> Result<(Jwk, Kind), String> {
    let kind = match (jwk.key_type(), jwk.ec_curve(), jwk.okp_curve()) {
        (joseguard::KeyType::Rsa, _, _) => Kind::Rsa,
        (_, Some(curve), _) => Kind::Ec(curve),
        (_, _, Some(joseguard::OkpCurve::Ed25519)) => Kind::Ed25519,
        _ => return Err("not an RSA, EC or Ed25519 key".into()),
    };
    Ok((jwk, kind))
}

fn rsa_public(session: &Session, public: ObjectHandle) -> Result<Jwk, String> {
    let attrs = session
        .get_attributes(
            public,
            &[AttributeType::Modulus, AttributeType::PublicExponent],
        )
        .map_err(|e| e.to_string())?;
    let (mut n, mut e) = (None, None);
    for a in attrs {
        match a {
            Attribute::Modulus(v) => n = Some(v),
            Attribute::PublicExponent(v) => e = Some(v),
            _ => {}
        }
    }
    let (n, e) = n
        .zip(e)
        .ok_or("the RSA public key has no modulus or exponent")?;
    let json = serde_json::json!({ "kty": "RSA", "n": b64::encode(&n), "e": b64::encode(&e) });
    Jwk::from_value(&json).map_err(|e| e.to_string())
}

/// EC and Ed25519 public keys: `CKA_EC_PARAMS` is the DER curve OID (PKCS#11 3.0 also lets
/// Ed25519 be the printable string `edwards25519`), `CKA_EC_POINT` the point in a DER OCTET
/// STRING.
fn ec_public(session: &Session, public: ObjectHandle) -> Result<Jwk, String> {
    use der::asn1::{ObjectIdentifier, OctetStringRef, PrintableStringRef};
    use der::Decode;
    let attrs = session
        .get_attributes(public, &[AttributeType::EcParams, AttributeType::EcPoint])
        .map_err(|e| e.to_string())?;
    let (mut params, mut point) = (None, None);
    for a in attrs {
        match a {
            Attribute::EcParams(v) => params = Some(v),
            Attribute::EcPoint(v) => point = Some(v),
            _ => {}
        }
    }
    let (params, point) = params
        .zip(point)
        .ok_or("the EC public key has no parameters or point")?;
    let point = OctetStringRef::from_der(&point)
        .map_err(|_| "CKA_EC_POINT is not a DER OCTET STRING")?
        .as_bytes()
        .to_vec();
    let curve = match ObjectIdentifier::from_der(&params) {
        Ok(oid) => oid.to_string(),
        Err(_) => PrintableStringRef::from_der(&params)
            .map_err(|_| "CKA_EC_PARAMS is neither a curve OID nor a curve name")?
            .as_str()
            .to_owned(),
    };
    let curve = match curve.as_str() {
        "1.3.101.112" | "edwards25519" => {
            let json =
                serde_json::json!({ "kty": "OKP", "crv": "Ed25519", "x": b64::encode(&point) });
            return Jwk::from_value(&json).map_err(|e| e.to_string());
        }
        "1.2.840.10045.3.1.7" => EcCurve::P256,
        "1.3.132.0.34" => EcCurve::P384,
        "1.3.132.0.35" => EcCurve::P521,
        "1.3.132.0.10" => EcCurve::Secp256k1,
        other => return Err(format!("curve {other} is not one joseguard signs with")),
    };
    Jwk::from_sec1_point(curve, &point).map_err(|e| e.to_string())
}
