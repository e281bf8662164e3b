//! One error type for the library. Each variant carries what a caller needs to fix the problem and
//! never key material or a whole token.

use std::fmt;

/// Everything that can go wrong in joseguard.
///
/// Messages are short and say what failed (`alg not allowed: HS256`, `kid unknown: "k1"`,
/// `signature invalid`). They never contain key material or a whole token, so they are safe to log.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// An input exceeded a configured limit (`what` names the input).
    TooLarge {
        /// Which input: `token`, `header`, `signatures`, ...
        what: &'static str,
        /// The limit in force.
        limit: usize,
    },
    /// A base64url segment is not canonical base64url (padding, whitespace, stray bits, bad chars).
    Base64 {
        /// Which segment: `protected header`, `payload`, `signature`, a JWK member, ...
        part: String,
    },
    /// A JSON document did not parse or had the wrong shape.
    Json {
        /// Which document.
        part: &'static str,
        /// What was wrong with it.
        detail: String,
    },
    /// A JSON object repeats a member name (RFC 7515 §5.2 and RFC 8725 ask to reject this).
    DuplicateMember {
        /// The repeated name.
        name: String,
    },
    /// The token's overall structure is wrong (wrong number of segments, missing members, ...).
    Malformed(String),
    /// A header member is missing, has the wrong type, or breaks a rule of its RFC.
    Header {
        /// The header member at fault.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `alg: none` (or an empty signature where one is required). Never accepted.
    AlgNone,
    /// The algorithm is not in the caller's allowlist.
    AlgNotAllowed {
        /// The algorithm the token asked for.
        alg: String,
    },
    /// The algorithm name is not one joseguard implements.
    AlgUnsupported {
        /// The unknown name.
        alg: String,
    },
    /// `crit` lists a name the caller did not declare it understands, or breaks RFC 7515 §4.1.11.
    Crit(String),
    /// A header member that is not registered and that the caller did not declare.
    PrivateHeaderNotAllowed {
        /// The undeclared member name.
        name: String,
    },
    /// No key with the token's `kid` (or, with no `kid`, no key at all) fits the token.
    KidUnknown {
        /// The `kid` asked for, if the token named one.
        kid: Option<String>,
    },
    /// A key exists but cannot be used with this algorithm (type, curve or size mismatch, or the
    /// key's own `alg`/`use`/`key_ops` forbid it).
    KeyMismatch(String),
    /// An RSA key is smaller than the policy allows.
    KeyTooSmall {
        /// The key's modulus size in bits.
        bits: usize,
        /// The minimum in force.
        min: usize,
    },
    /// A key is malformed; `member` names the JWK member (or DER structure) at fault.
    InvalidKey {
        /// JWK member or encoding element at fault (`x`, `n`, `d`, `crv`, `pkcs8`, ...).
        member: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The key needs its private part for this operation.
    PrivateKeyRequired,
    /// A signature did not verify.
    SignatureInvalid,
    /// The token expired `seconds_ago` seconds ago (beyond the leeway).
    Expired {
        /// Seconds since `exp` (not counting the leeway).
        seconds_ago: u64,
    },
    /// The token is not valid yet (`nbf`) for another `seconds` seconds (beyond the leeway).
    NotYetValid {
        /// Seconds until `nbf`.
        seconds: u64,
    },
    /// A required claim is absent.
    ClaimMissing {
        /// The claim's name.
        name: String,
    },
    /// A claim has the wrong type or a value the validation refuses.
    ClaimInvalid {
        /// The claim's name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A JWE did not decrypt. Deliberately one error for every cause (wrong key, bad tag, bad
    /// padding, bad wrapped key) so that failures cannot serve as an oracle.
    DecryptionFailed,
    /// The content-encryption algorithm (`enc`) is not in the caller's allowlist.
    EncNotAllowed {
        /// The `enc` the token asked for.
        enc: String,
    },
    /// Verification of a JWS with several signatures did not meet the caller's requirement.
    SignaturesInsufficient {
        /// How many signatures verified.
        verified: usize,
        /// How many there were.
        total: usize,
    },
    /// The caller asked for one serialization and the token is in another.
    SerializationMismatch {
        /// What the caller demanded.
        expected: &'static str,
        /// What the token is.
        found: &'static str,
    },
    /// A policy or builder was configured in a way that cannot be safe (empty allowlist, ...).
    Config(String),
    /// A PEM, DER or OpenSSH key encoding could not be read or written.
    Encoding(String),
    /// The crypto backend refused an operation for a reason it does not detail.
    Crypto(&'static str),
    /// A key held elsewhere ([`RemoteKey`](crate::RemoteKey): an HSM) cannot be used now (the
    /// device or its token is gone, the session was lost); trying again later may succeed.
    KeyUnavailable(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::TooLarge { what, limit } => write!(f, "{what} too large (limit {limit})"),
            Error::Base64 { part } => write!(f, "invalid base64url in {part}"),
            Error::Json { part, detail } => write!(f, "invalid JSON in {part}: {detail}"),
            Error::DuplicateMember { name } => write!(f, "duplicate member {name:?}"),
            Error::Malformed(m) => write!(f, "malformed: {m}"),
            Error::Header { name, reason } => write!(f, "header {name:?}: {reason}"),
            Error::AlgNone => f.write_str("alg none is never accepted"),
            Error::AlgNotAllowed { alg } => write!(f, "alg not allowed: {alg}"),
            Error::AlgUnsupported { alg } => write!(f, "alg unsupported: {alg:?}"),
            Error::Crit(m) => write!(f, "crit: {m}"),
            Error::PrivateHeaderNotAllowed { name } => {
                write!(f, "header {name:?} is not registered and was not declared")
            }
            Error::KidUnknown { kid: Some(kid) } => write!(f, "kid unknown: {kid:?}"),
            Error::KidUnknown { kid: None } => f.write_str("no key fits the token (no kid)"),
            Error::KeyMismatch(m) => write!(f, "key cannot be used: {m}"),
            Error::KeyTooSmall { bits, min } => {
                write!(f, "RSA key too small: {bits} bits (minimum {min})")
            }
            Error::InvalidKey { member, reason } => write!(f, "invalid key: {member}: {reason}"),
            Error::PrivateKeyRequired => f.write_str("private key required"),
            Error::SignatureInvalid => f.write_str("signature invalid"),
            Error::DecryptionFailed => f.write_str("decryption failed"),
            Error::Expired { seconds_ago } => write!(f, "token expired {seconds_ago} s ago"),
            Error::NotYetValid { seconds } => write!(f, "nbf: not valid for another {seconds} s"),
            Error::ClaimMissing { name } => write!(f, "claim {name:?} missing"),
            Error::ClaimInvalid { name, reason } => write!(f, "claim {name:?}: {reason}"),
            Error::EncNotAllowed { enc } => write!(f, "enc not allowed: {enc}"),
            Error::SignaturesInsufficient { verified, total } => {
                write!(f, "{verified} of {total} signatures verified")
            }
            Error::SerializationMismatch { expected, found } => {
                write!(f, "expected {expected} serialization, found {found}")
            }
            Error::Config(m) => write!(f, "configuration: {m}"),
            Error::Encoding(m) => write!(f, "key encoding: {m}"),
            Error::Crypto(m) => write!(f, "crypto: {m}"),
            Error::KeyUnavailable(m) => write!(f, "signing key unavailable: {m}"),
        }
    }
}

impl std::error::Error for Error {}

/// Result with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A stable, machine-readable name of the failure, for logs, metrics and API answers
    /// (joseguard's gateway answers with these). The text of [`Display`](fmt::Display) may
    /// change between releases; a code does not.
    pub fn code(&self) -> &'static str {
        match self {
            Error::TooLarge { .. } => "too_large",
            Error::Base64 { .. }
            | Error::Json { .. }
            | Error::DuplicateMember { .. }
            | Error::Malformed(_) => "token_malformed",
            Error::Header { name, .. } => match name.as_str() {
                "typ" => "typ_not_allowed",
                "cty" => "cty_not_allowed",
                _ => "header_invalid",
            },
            Error::PrivateHeaderNotAllowed { .. } => "header_invalid",
            Error::AlgNone | Error::AlgNotAllowed { .. } | Error::AlgUnsupported { .. } => {
                "alg_not_allowed"
            }
            Error::Crit(_) => "crit_unsupported",
            Error::KidUnknown { .. } => "kid_unknown",
            Error::KeyMismatch(_) | Error::KeyTooSmall { .. } => "key_unusable",
            Error::InvalidKey { .. } => "key_invalid",
            Error::PrivateKeyRequired => "private_key_required",
            Error::SignatureInvalid | Error::SignaturesInsufficient { .. } => "signature_invalid",
            Error::Expired { .. } => "token_expired",
            Error::NotYetValid { .. } => "token_not_yet_valid",
            Error::ClaimMissing { name } | Error::ClaimInvalid { name, .. } => {
                match name.as_str() {
                    "iss" => "issuer_invalid",
                    "aud" => "audience_invalid",
                    "exp" | "nbf" | "iat" => "token_time_invalid",
                    _ => "claim_invalid",
                }
            }
            Error::DecryptionFailed => "decryption_failed",
            Error::EncNotAllowed { .. } => "enc_not_allowed",
            Error::SerializationMismatch { .. } => "serialization_not_allowed",
            Error::Config(_) => "config_invalid",
            Error::Encoding(_) => "key_encoding_invalid",
            Error::Crypto(_) => "crypto_failed",
            Error::KeyUnavailable(_) => "key_unavailable",
        }
    }

    pub(crate) fn header(name: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Header {
            name: name.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn claim(name: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::ClaimInvalid {
            name: name.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn key(member: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidKey {
            member: member.into(),
            reason: reason.into(),
        }
    }
}
