//! A PKCS#11 private key behind a pool of logged-in sessions.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, Weak};
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
#[derive(Clone, PartialEq, Eq, Hash)]
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
    /// The PIN source a configuration names, from a file or an environment variable (or
    /// neither: the URI's `pin-source` then), refusing both at once.
    pub fn from_options(
        file: Option<PathBuf>,
        env: Option<String>,
    ) -> Result<Option<Pin>, Pkcs11Error> {
        match (file, env) {
            (Some(_), Some(_)) => Err(Pkcs11Error::Pin(
                "name the PIN by a file or an environment variable, not both".into(),
            )),
            (Some(f), None) => Ok(Some(Pin::File(f))),
            (None, Some(v)) => Ok(Some(Pin::Env(v))),
            (None, None) => Ok(None),
        }
    }

    /// A URI's `pin-source`: `file:/path` (or a bare path) or `env:NAME`.
    pub fn from_source(source: &str) -> Pin {
        match source.strip_prefix("env:") {
            Some(var) => Pin::Env(var.to_owned()),
            None => Pin::File(PathBuf::from(
                source.strip_prefix("file:").unwrap_or(source),
            )),
        }
    }

    /// A digest of the PIN as it reads now: to tell whether the source changed since the token
    /// refused it, without keeping the PIN.
    fn fingerprint(&self) -> Option<Vec<u8>> {
        let pin = self.text().ok()?;
        Some(Sha2::Sha256.digest(pin.as_bytes()))
    }

    fn read(&self) -> Result<AuthPin, Pkcs11Error> {
        Ok(AuthPin::from(self.text()?.to_string()))
    }

    /// The PIN, one trailing newline (and carriage return) removed.
    fn text(&self) -> Result<Zeroizing<String>, Pkcs11Error> {
        let mut text = match self {
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
        if text.ends_with('\n') {
            text.pop();
            if text.ends_with('\r') {
                text.pop();
            }
        }
        if text.is_empty() {
            return Err(Pkcs11Error::Pin("the PIN is empty".into()));
        }
        Ok(text)
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
    /// The PIN (a URI's `pin-source` is used when this is `None`; `pin-value` is refused).
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

/// Keys open in this process, by module, URI, PIN source, pool size and wait.
type OpenKeys = HashMap<(PathBuf, String, Pin, usize, Duration), Weak<Inner>>;
static OPEN_KEYS: OnceLock<Mutex<OpenKeys>> = OnceLock::new();

/// What kind of signing key, from its public key.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Rsa,
    Ec(EcCurve),
    Ed25519,
}

/// The logged-in sessions. `generation` changes when the token is lost: a session checked out
/// before that belongs to a dead login and is dropped when it comes back, never pooled again
/// or counted.
struct Pool {
    idle: Vec<(Session, ObjectHandle)>,
    open: usize,
    generation: u64,
}

/// A session lent out by the pool, with the login generation it belongs to.
struct Lent {
    session: Session,
    handle: ObjectHandle,
    generation: u64,
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
    /// Read without the pool's lock (metrics, `/readyz`).
    healthy: AtomicBool,
    /// Set while a thread is logging in again after a loss: one at a time.
    recovering: AtomicBool,
    /// Logins the token refused while recovering (each brings a PIN lock-out closer).
    refused_logins: AtomicU64,
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

/// What a failed operation says about the session it ran on.
enum Failure {
    /// The token or the module is gone (device removed, HSM restarted, login lost): every
    /// session is dead and the key is unavailable until a login succeeds again.
    TokenLost,
    /// This session is unusable (a stale key handle, an operation left active): drop it, a new
    /// one finds the key again.
    SessionBroken,
    /// The operation was refused; the session is fine.
    Refused,
}

fn classify(e: &CkError) -> Failure {
    match e {
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
            _,
        ) => Failure::TokenLost,
        CkError::Pkcs11(
            RvError::KeyHandleInvalid | RvError::ObjectHandleInvalid | RvError::OperationActive,
            _,
        ) => Failure::SessionBroken,
        _ => Failure::Refused,
    }
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
        // A key already open with the same settings (the configuration reloaded while the
        // previous runtime still holds it) is shared: a reload neither logs in again nor opens
        // a second pool next to the first.
        let id = (
            path.clone(),
            uri.to_string(),
            pin.clone(),
            config.sessions,
            config.wait,
        );
        let mut open_keys = OPEN_KEYS
            .get_or_init(Default::default)
            .lock()
            .map_err(|_| Pkcs11Error::Module("key registry poisoned".into()))?;
        open_keys.retain(|_, k| k.strong_count() > 0);
        if let Some(inner) = open_keys.get(&id).and_then(Weak::upgrade) {
            return Ok(Pkcs11Key { inner });
        }
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
        let key = Pkcs11Key {
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
                    generation: 0,
                }),
                freed: Condvar::new(),
                healthy: AtomicBool::new(true),
                recovering: AtomicBool::new(false),
                refused_logins: AtomicU64::new(0),
                unavailable: AtomicU64::new(0),
            }),
        };
        key.self_test()?;
        open_keys.insert(id, Arc::downgrade(&key.inner));
        Ok(key)
    }

    /// Signs once and verifies with the public key that was found: a public key object or
    /// certificate left over under the same label would otherwise publish a key that never
    /// verifies this key's signatures.
    fn self_test(&self) -> Result<(), Pkcs11Error> {
        use joseguard::jws::{Builder, Header, Verifier, VerifyPolicy};
        let public = self.inner.public.clone();
        let alg = *public
            .jws_algorithms()
            .first()
            .ok_or_else(|| Pkcs11Error::Key("no JWS algorithm fits this key".into()))?;
        let signer = self
            .clone()
            .into_jwk()
            .map_err(|e| Pkcs11Error::Key(e.to_string()))?;
        let token = Builder::new(b"joseguard: does the public key match?")
            .signer(&signer, alg, Header::new())
            .and_then(|b| b.compact())
            .map_err(|e| Pkcs11Error::Key(format!("a test signature failed: {e}")))?;
        let policy = VerifyPolicy::new([alg]).map_err(|e| Pkcs11Error::Key(e.to_string()))?;
        Verifier::new(policy, public)
            .verify(token.as_bytes())
            .map(drop)
            .map_err(|_| {
                Pkcs11Error::Key(format!(
                    "the public key or certificate found for {} on {} is not this private key's",
                    object_name(&self.inner.uri),
                    uri_token(&self.inner.uri)
                ))
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

    /// True while the token answers (false from a failure until the next successful login,
    /// which a background thread attempts every second, with or without traffic).
    pub fn is_available(&self) -> bool {
        self.inner.healthy.load(Ordering::Acquire)
    }

    /// Logins the token refused while the key was recovering, since start. A refused PIN is
    /// not offered again until the PIN file or variable changes.
    pub fn refused_logins(&self) -> u64 {
        self.inner.refused_logins.load(Ordering::Relaxed)
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
    /// size, else the next freed one (waiting at most `wait`).
    fn checkout(&self) -> Result<Lent, joseguard::Error> {
        let inner = &self.inner;
        let deadline = Instant::now() + inner.wait;
        let mut pool = inner
            .pool
            .lock()
            .map_err(|_| self.unavailable("session pool poisoned"))?;
        loop {
            if !inner.healthy.load(Ordering::Acquire) {
                return Err(self.unavailable("the token is not answering"));
            }
            let generation = pool.generation;
            if let Some((session, handle)) = pool.idle.pop() {
                return Ok(Lent {
                    session,
                    handle,
                    generation,
                });
            }
            if pool.open < inner.size {
                pool.open += 1;
                drop(pool);
                let opened = open_session(&inner.module, &inner.uri, &inner.pin);
                let mut pool = inner
                    .pool
                    .lock()
                    .map_err(|_| self.unavailable("session pool poisoned"))?;
                return match opened {
                    Ok((session, handle)) => Ok(Lent {
                        session,
                        handle,
                        generation,
                    }),
                    Err(e) => {
                        if pool.generation == generation {
                            pool.open = pool.open.saturating_sub(1);
                        }
                        drop(pool);
                        inner.freed.notify_one();
                        tracing::warn!(key = %inner.uri, error = %e, "PKCS#11 session could not be opened");
                        Err(self.unavailable("no session could be opened"))
                    }
                };
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

    /// Runs `op` on a pooled session. A failure that means the token is gone ends the login
    /// generation: every session is dropped, the key is unavailable, and a background thread
    /// logs in again once a second until the token answers.
    fn with_session<T>(
        &self,
        op: impl FnOnce(&Session, ObjectHandle) -> Result<T, CkError>,
    ) -> Result<T, joseguard::Error> {
        let inner = &self.inner;
        let lent = self.checkout()?;
        let result = op(&lent.session, lent.handle);
        let failure = result.as_ref().err().map(classify);
        let mut pool = inner
            .pool
            .lock()
            .map_err(|_| self.unavailable("session pool poisoned"))?;
        let current = pool.generation == lent.generation;
        // Sessions closed outside the lock (C_CloseSession may be slow on a sick device).
        let mut dropped = Vec::new();
        match (&failure, current) {
            (None | Some(Failure::Refused), true) => pool.idle.push((lent.session, lent.handle)),
            (Some(Failure::SessionBroken), true) => {
                pool.open = pool.open.saturating_sub(1);
                dropped.push(lent.session);
            }
            (Some(Failure::TokenLost), true) => {
                tracing::warn!(key = %inner.uri, "PKCS#11 token lost; logging in again every second");
                pool.generation += 1;
                pool.open = 0;
                dropped.extend(pool.idle.drain(..).map(|(s, _)| s));
                dropped.push(lent.session);
                inner.healthy.store(false, Ordering::Release);
            }
            // A session of a login that has ended: never pooled again.
            (_, false) => dropped.push(lent.session),
        }
        drop(pool);
        inner.freed.notify_all();
        drop(dropped);
        if matches!(failure, Some(Failure::TokenLost)) {
            self.watch_for_recovery();
        }
        match (result, failure) {
            (Ok(v), _) => Ok(v),
            (Err(_), Some(Failure::TokenLost)) => {
                Err(self.unavailable("the token was lost; it will be tried again"))
            }
            (Err(e), _) => {
                // The code stays in the log; the answer says what it means.
                tracing::warn!(key = %inner.uri, error = %e, "PKCS#11 signing refused");
                Err(joseguard::Error::Crypto(match e {
                    CkError::Pkcs11(RvError::MechanismInvalid, _) => {
                        "the token does not offer this mechanism"
                    }
                    _ => "the token refused to sign",
                }))
            }
        }
    }

    /// Starts the one thread that logs in again once a second until the token answers. It
    /// holds the key weakly: a key dropped by a reload stops it.
    fn watch_for_recovery(&self) {
        if self.inner.recovering.swap(true, Ordering::AcqRel) {
            return;
        }
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        let spawned = std::thread::Builder::new()
            .name("pkcs11-recover".into())
            .spawn(move || {
                // The PIN the token last refused (its digest): never offered again, since HSMs
                // lock the user PIN after a few wrong tries and only the security officer can
                // unlock it. A changed PIN file or variable is tried.
                let mut refused: Option<Vec<u8>> = None;
                loop {
                std::thread::sleep(Duration::from_secs(1));
                let Some(inner) = weak.upgrade() else { return };
                let pin_now = inner.pin.fingerprint();
                if pin_now.is_some() && pin_now == refused {
                    continue;
                }
                match open_session(&inner.module, &inner.uri, &inner.pin) {
                    Ok(session) => {
                        if let Ok(mut pool) = inner.pool.lock() {
                            pool.idle.push(session);
                            pool.open = 1;
                        }
                        inner.healthy.store(true, Ordering::Release);
                        inner.recovering.store(false, Ordering::Release);
                        inner.freed.notify_all();
                        tracing::info!(key = %inner.uri, "PKCS#11 token back; logged in again");
                        return;
                    }
                    Err(e @ Pkcs11Error::PinRefused(_)) => {
                        tracing::error!(key = %inner.uri, error = %e, "PKCS#11 login refused; not trying this PIN again until its source changes");
                        refused = pin_now;
                        inner.refused_logins.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => {
                        tracing::debug!(key = %inner.uri, error = %e, "PKCS#11 token still unavailable")
                    }
                }
                }
            });
        if spawned.is_err() {
            // No thread: the next loss tries again.
            self.inner.recovering.store(false, Ordering::Release);
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

/// `Sha2` may grow: a hash without a mapping here is refused, never signed as another.
const NO_MECHANISM: joseguard::Error =
    joseguard::Error::Crypto("no PKCS#11 mechanism for this hash");

fn sha_mechanism(hash: Sha2) -> joseguard::Result<(MechanismType, PkcsMgfType)> {
    match hash {
        Sha2::Sha256 => Ok((MechanismType::SHA256, PkcsMgfType::MGF1_SHA256)),
        Sha2::Sha384 => Ok((MechanismType::SHA384, PkcsMgfType::MGF1_SHA384)),
        Sha2::Sha512 => Ok((MechanismType::SHA512, PkcsMgfType::MGF1_SHA512)),
        _ => Err(NO_MECHANISM),
    }
}

fn pss(hash: Sha2) -> joseguard::Result<PkcsPssParams> {
    let (hash_alg, mgf) = sha_mechanism(hash)?;
    Ok(PkcsPssParams {
        hash_alg,
        mgf,
        s_len: (hash.len() as u64).into(),
    })
}

/// DER DigestInfo prefixes (RFC 8017 §9.2 note 1) for `CKM_RSA_PKCS` over a digest.
fn digest_info(hash: Sha2, digest: &[u8]) -> joseguard::Result<Vec<u8>> {
    let prefix: &[u8] = match hash {
        Sha2::Sha384 => &[
            0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x02, 0x05, 0x00, 0x04, 0x30,
        ],
        Sha2::Sha512 => &[
            0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x03, 0x05, 0x00, 0x04, 0x40,
        ],
        Sha2::Sha256 => &[
            0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x01, 0x05, 0x00, 0x04, 0x20,
        ],
        _ => return Err(NO_MECHANISM),
    };
    Ok([prefix, digest].concat())
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
                    Sha2::Sha256 => Mechanism::Sha256RsaPkcs,
                    Sha2::Sha384 => Mechanism::Sha384RsaPkcs,
                    Sha2::Sha512 => Mechanism::Sha512RsaPkcs,
                    _ => return Err(NO_MECHANISM),
                };
                self.sign_with(&m, input)
            }
            (Kind::Rsa, Some(_)) => {
                let params = pss(hash)?;
                let m = match hash {
                    Sha2::Sha256 => Mechanism::Sha256RsaPkcsPss(params),
                    Sha2::Sha384 => Mechanism::Sha384RsaPkcsPss(params),
                    Sha2::Sha512 => Mechanism::Sha512RsaPkcsPss(params),
                    _ => return Err(NO_MECHANISM),
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
                self.sign_with(&Mechanism::RsaPkcs, &digest_info(hash, digest)?)
            }
            (Kind::Rsa, Some(_)) => self.sign_with(&Mechanism::RsaPkcsPss(pss(hash)?), digest),
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
            return Err(Pkcs11Error::PinRefused(format!(
                "the token {} refused the PIN",
                uri_token(uri)
            )))
        }
        Err(CkError::Pkcs11(RvError::PinLocked, _)) => {
            return Err(Pkcs11Error::PinRefused(format!(
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

#[cfg(test)]
mod tests {
    use super::*;
    use joseguard_testkit::{SoftHsm, SOFTHSM2_MODULE};

    /// A reload opens its keys again while the previous runtime still holds them: the same
    /// settings share the open key (no second login, no second pool); other settings do not.
    #[test]
    fn the_same_settings_share_one_open_key() {
        let Some(hsm) = SoftHsm::for_test() else {
            return;
        };
        let config = || {
            let mut c = Pkcs11Config::new(hsm.uri("ec-384").parse().unwrap());
            c.module = Some(PathBuf::from(SOFTHSM2_MODULE));
            c.pin = Some(Pin::File(hsm.pin_file.clone()));
            c
        };
        let a = Pkcs11Key::open(config()).unwrap();
        let b = Pkcs11Key::open(config()).unwrap();
        assert!(Arc::ptr_eq(&a.inner, &b.inner));
        let mut smaller = config();
        smaller.sessions = 2;
        let c = Pkcs11Key::open(smaller).unwrap();
        assert!(!Arc::ptr_eq(&a.inner, &c.inner));
    }
}
