//! Why a request is refused, without HTTP: a stable [`Code`] and a detail for people. The
//! decision core (`verify`), the workers and the HTTP layer all say no with a [`Denial`]; the
//! HTTP layer alone turns a code into a status (`http::answer`), in one place.

use std::fmt;

/// Who a decision was about, for the audit log: only from a verified token.
#[derive(Debug, Clone, Default)]
pub struct Audit {
    /// The configured issuer (or signing worker) whose key verified the token.
    pub issuer: String,
    /// `iss`.
    pub iss: String,
    /// `sub`.
    pub sub: String,
    /// `jti`.
    pub jti: String,
    /// The header's `kid`.
    pub kid: String,
}

macro_rules! codes {
    ($($(#[$doc:meta])* $variant:ident = $text:literal,)*) => {
        /// The stable, machine-readable reason of a refusal (the `code` of the problem body and
        /// the `reason` of the access log).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Code {
            $($(#[$doc])* #[doc = concat!("\n\n`", $text, "`")] $variant,)*
        }

        impl Code {
            /// Every code, for documentation and tests.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as it appears in answers, logs and metrics.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $text,)*
                }
            }
        }
    };
}

codes! {
    /// No token in the request.
    TokenMissing = "token_missing",
    /// The token carried more than once (RFC 6750 §3.1).
    TokenDuplicated = "token_duplicated",
    TokenMalformed = "token_malformed",
    TokenExpired = "token_expired",
    TokenNotYetValid = "token_not_yet_valid",
    /// `iat`, or a missing `exp`, or a token living too long.
    TokenTimeInvalid = "token_time_invalid",
    KidUnknown = "kid_unknown",
    SignatureInvalid = "signature_invalid",
    AlgNotAllowed = "alg_not_allowed",
    IssuerInvalid = "issuer_invalid",
    IssuerUnknown = "issuer_unknown",
    AudienceInvalid = "audience_invalid",
    ClaimInvalid = "claim_invalid",
    TypNotAllowed = "typ_not_allowed",
    CtyNotAllowed = "cty_not_allowed",
    CritUnsupported = "crit_unsupported",
    HeaderInvalid = "header_invalid",
    KeyUnusable = "key_unusable",
    SerializationNotAllowed = "serialization_not_allowed",
    CertExpired = "cert_expired",
    CertNotYetValid = "cert_not_yet_valid",
    CertRevoked = "cert_revoked",
    ChainUntrusted = "chain_untrusted",
    CertInvalid = "cert_invalid",
    X5cKeyMismatch = "x5c_key_mismatch",
    X5cMissing = "x5c_missing",
    RevocationUnknown = "revocation_unknown",
    /// No current CRL could be had (fail closed, retry later).
    RevocationUnavailable = "revocation_unavailable",
    /// The issuer's keys could not be had (fail closed, retry later).
    KeysUnavailable = "keys_unavailable",
    /// A rule over the claims denied.
    RuleDenied = "rule_denied",
    /// A worker's binding: the token does not name the submitted data.
    BindingFailed = "binding_failed",
    JtiMissing = "jti_missing",
    TokenReplayed = "token_replayed",
    ReplayStoreUnavailable = "replay_store_unavailable",
    /// A request target without a canonical form, a malformed worker request.
    RequestInvalid = "request_invalid",
    ContentTypeUnsupported = "content_type_unsupported",
    ModeUnsupported = "mode_unsupported",
    MethodNotAllowed = "method_not_allowed",
    NoRoute = "no_route",
    WorkerUnknown = "worker_unknown",
    BodyTooLarge = "body_too_large",
    /// A signing worker does not offer the `alg` asked for.
    AlgNotOffered = "alg_not_offered",
    HashAlgorithmUnsupported = "hash_algorithm_unsupported",
    SigningFailed = "signing_failed",
    KeyUnavailable = "key_unavailable",
    BackendUnavailable = "backend_unavailable",
    BackendTimeout = "backend_timeout",
    Timeout = "timeout",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refusal: its code, a detail for people (never a token, never key material, never what a
/// fetched server answered), and who it was about when the token verified but a rule said no.
#[derive(Debug, Clone)]
pub struct Denial {
    /// The stable code.
    pub code: Code,
    /// What went wrong, for people.
    pub detail: String,
    /// The verified token's identity, when there is one.
    pub audit: Option<Box<Audit>>,
}

impl Denial {
    /// A denial with this code and detail.
    pub fn new(code: Code, detail: impl Into<String>) -> Denial {
        Denial {
            code,
            detail: detail.into(),
            audit: None,
        }
    }

    /// The same denial, about this verified identity.
    pub fn about(mut self, audit: Audit) -> Denial {
        self.audit = Some(Box::new(audit));
        self
    }
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.detail)
    }
}

/// The code for a library error: the one place JOSE errors become problem codes.
pub fn from_jose(e: joseguard::Error) -> Denial {
    // The library's stable code is the answer's code when the gateway has it; the rest (limits,
    // encodings) are a malformed token.
    let code = Code::ALL
        .iter()
        .copied()
        .find(|c| c.as_str() == e.code())
        .unwrap_or(Code::TokenMalformed);
    Denial::new(code, e.to_string())
}

/// A key source failure: the token could not be judged (fail closed). What failed (a URL, a
/// server's answer) goes to the log, not into the answer.
pub fn from_keys(e: joseguard_keys::KeySourceError) -> Denial {
    match e {
        joseguard_keys::KeySourceError::Token(e) => from_jose(e),
        other => {
            tracing::warn!(error = %other, "keys unavailable");
            Denial::new(Code::KeysUnavailable, "the issuer's keys cannot be had now")
        }
    }
}

/// An `x5c` chain refused: its stable code and fixed text (the details were logged where they
/// arose).
pub fn from_x5c(e: joseguard_keys::x5c::X5cError) -> Denial {
    use joseguard_keys::x5c::X5cError as X;
    let code = match e {
        X::Expired => Code::CertExpired,
        X::NotYetValid => Code::CertNotYetValid,
        X::Untrusted => Code::ChainUntrusted,
        X::Revoked => Code::CertRevoked,
        X::RevocationUnknown => Code::RevocationUnknown,
        X::RevocationUnavailable => Code::RevocationUnavailable,
        _ => Code::CertInvalid,
    };
    Denial::new(code, e.to_string())
}
