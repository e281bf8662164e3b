//! The command-line interface: names, options and help text. This is a contract for scripts.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Make keys, sign, verify, encrypt, decrypt and inspect JOSE objects (JWS, JWE, JWK, JWT).
///
/// Inputs are a file argument or standard input (absent or `-`); outputs go to standard output
/// exactly, with no trailing newline. Exit status: 0 success, 1 the token or key was rejected
/// (the reason is one line on standard error), 2 usage or I/O error.
#[derive(Debug, Parser)]
#[command(name = "joseguard", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate, convert and fingerprint keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Sign and verify JWS.
    #[command(subcommand)]
    Jws(JwsCommand),
    /// Encrypt and decrypt JWE.
    #[command(subcommand)]
    Jwe(JweCommand),
    /// Issue, verify and decrypt JWTs.
    #[command(subcommand)]
    Jwt(JwtCommand),
    /// Decode a JWS or JWE without verifying it (output is labelled UNVERIFIED).
    Inspect {
        /// The token (file), or standard input.
        token: Option<String>,
    },
    /// Run the JWS-validating gateway and forward-auth service (see docs/gateway.md).
    Serve {
        /// The TOML configuration (default: examples/quickstart.toml).
        #[arg(long, default_value = "examples/quickstart.toml")]
        config: std::path::PathBuf,
        /// Check the configuration and exit (0 when valid, 2 with the error otherwise).
        #[arg(long)]
        check: bool,
        /// Runtime threads: 1 runs everything on one thread (tokio's current-thread runtime),
        /// N > 1 a work-stealing pool of N. Default: the CPUs this process may run on.
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
        threads: Option<u16>,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Generate a private key and print it as a JWK.
    Generate {
        /// oct:BITS, RSA:BITS, EC:P-256|P-384|P-521|secp256k1, OKP:Ed25519|X25519.
        spec: String,
        /// The key's `alg` member.
        #[arg(long)]
        alg: Option<String>,
        /// The key's `kid`; `thumbprint` sets it to the RFC 7638 SHA-256 thumbprint.
        #[arg(long)]
        kid: Option<String>,
        /// The key's `use`.
        #[arg(long = "use", value_enum)]
        key_use: Option<KeyUse>,
    },
    /// Print the public JWK (or JWK Set) of a private key.
    Public {
        /// The key file (JWK, JWK Set, PEM, OpenSSH), or standard input.
        file: Option<String>,
    },
    /// Print the RFC 7638 thumbprint (base64url), or its RFC 9278 URI.
    Thumbprint {
        /// The key file, or standard input.
        file: Option<String>,
        /// Hash function.
        #[arg(long, value_enum, default_value = "sha256")]
        hash: Hash,
        /// Print `urn:ietf:params:oauth:jwk-thumbprint:sha-256:...` (RFC 9278).
        #[arg(long)]
        uri: bool,
    },
    /// Convert a key between JWK and PEM (PKCS#8 for private keys, SPKI for public ones).
    Convert {
        /// The key file, or standard input.
        file: Option<String>,
        /// Target format.
        #[arg(long, value_enum)]
        to: KeyFormat,
    },
}

#[derive(Debug, Subcommand)]
pub enum JwsCommand {
    /// Sign a payload; prints the JWS.
    Sign(JwsSign),
    /// Verify a JWS (any serialization); prints the payload.
    Verify {
        #[command(flatten)]
        key: VerifyKey,
        /// A detached payload (file).
        #[arg(long)]
        payload: Option<PathBuf>,
        /// The token (file), or standard input.
        token: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct JwsSign {
    /// Signing key file, or a key in an HSM by PKCS#11 URI (`pkcs11:token=...;object=...`);
    /// repeat with --alg for several signatures (--format general).
    #[arg(long, required = true)]
    pub key: Vec<PathBuf>,
    /// Algorithm for each --key, in order.
    #[arg(long, required = true)]
    pub alg: Vec<String>,
    /// `kid` for the protected header (default: the key's `kid`); picks the key in a JWK Set.
    #[arg(long)]
    pub kid: Option<String>,
    /// Extra protected header members, as a JSON object.
    #[arg(long)]
    pub protected: Option<String>,
    /// Unprotected header members, as a JSON object (JSON serializations only).
    #[arg(long)]
    pub header: Option<String>,
    /// Output serialization.
    #[arg(long, value_enum, default_value = "compact")]
    pub format: Format,
    /// Leave the payload out of the output (RFC 7515 Appendix F).
    #[arg(long)]
    pub detached: bool,
    /// `--b64 false` signs the payload unencoded (RFC 7797).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub b64: bool,
    #[command(flatten)]
    pub hsm: Hsm,
    /// The payload (file), or standard input.
    pub payload: Option<String>,
}

/// How to reach a `--key pkcs11:...` key.
#[derive(Debug, Args, Clone, Default)]
pub struct Hsm {
    /// The PKCS#11 module (`.so`) of a `pkcs11:` key (or `module-path` in the URI).
    #[arg(long)]
    pub pkcs11_module: Option<PathBuf>,
    /// File holding the token's user PIN (or `pin-source` in the URI).
    #[arg(long)]
    pub pin_file: Option<PathBuf>,
    /// Environment variable holding the token's user PIN.
    #[arg(long, conflicts_with = "pin_file")]
    pub pin_env: Option<String>,
}

/// The keys and algorithms a verifier accepts.
#[derive(Debug, Args)]
pub struct VerifyKey {
    /// Key file: JWK, JWK Set (the token's `kid` chooses), PEM or OpenSSH public key.
    #[arg(long)]
    pub key: PathBuf,
    /// Allowed algorithm (repeatable). Default: the key's own `alg`, else every algorithm that
    /// fits the key's type. Never `none`.
    #[arg(long)]
    pub alg: Vec<String>,
    /// A private protected-header member to accept (repeatable), such as the claims a signing
    /// worker copies into its signatures. Undeclared private members are refused.
    #[arg(long = "allow-header")]
    pub allow_header: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum JweCommand {
    /// Encrypt a plaintext; prints the JWE.
    Encrypt(JweEncrypt),
    /// Decrypt a JWE (any serialization); prints the plaintext.
    Decrypt(JweDecrypt),
}

#[derive(Debug, Args)]
pub struct JweEncrypt {
    /// Recipient key file (public key, or the shared secret). Not needed with --password.
    #[arg(long)]
    pub key: Option<PathBuf>,
    /// Key-management algorithm.
    #[arg(long)]
    pub alg: String,
    /// Content encryption.
    #[arg(long)]
    pub enc: String,
    /// `--zip DEF` compresses the plaintext.
    #[arg(long, value_enum)]
    pub zip: Option<Zip>,
    /// `kid` for the header (default: the key's); picks the key in a JWK Set.
    #[arg(long)]
    pub kid: Option<String>,
    /// `cty` for the protected header (`JWT` for a nested JWT).
    #[arg(long)]
    pub cty: Option<String>,
    /// Output serialization.
    #[arg(long, value_enum, default_value = "compact")]
    pub format: Format,
    #[command(flatten)]
    pub password: Password,
    /// PBES2 iteration count.
    #[arg(long)]
    pub iterations: Option<u32>,
    /// The plaintext (file), or standard input.
    pub plaintext: Option<String>,
}

#[derive(Debug, Args)]
pub struct JweDecrypt {
    /// Key file (private key, shared secret, or JWK Set). Not needed with --password.
    #[arg(long)]
    pub key: Option<PathBuf>,
    /// Allowed key-management algorithm (repeatable). Default: those that fit the key, except
    /// RSA1_5 and PBES2, which must be named here to be accepted.
    #[arg(long)]
    pub alg: Vec<String>,
    /// Allowed content encryption (repeatable). Default: all.
    #[arg(long)]
    pub enc: Vec<String>,
    #[command(flatten)]
    pub password: Password,
    /// Highest PBES2 iteration count accepted.
    #[arg(long, default_value_t = joseguard::jwe::PBES2_DEFAULT_ITERATIONS)]
    pub max_iterations: u32,
    /// The token (file), or standard input.
    pub token: Option<String>,
}

/// A PBES2 password.
#[derive(Debug, Args)]
pub struct Password {
    /// The password (visible to other users in the process list: prefer --password-file).
    #[arg(long, conflicts_with = "password_file")]
    pub password: Option<String>,
    /// A file whose content (without a trailing newline) is the password.
    #[arg(long)]
    pub password_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum JwtCommand {
    /// Issue a signed JWT; prints it.
    Sign(JwtSign),
    /// Verify a JWT's signature and claims; prints the claims.
    Verify(JwtVerify),
    /// Decrypt a nested JWT (JWS inside JWE) and verify it; prints the claims.
    Decrypt(JwtDecrypt),
}

#[derive(Debug, Args)]
pub struct JwtSign {
    /// Signing key file, or a key in an HSM by PKCS#11 URI.
    #[arg(long)]
    pub key: PathBuf,
    #[command(flatten)]
    pub hsm: Hsm,
    /// Signature algorithm.
    #[arg(long)]
    pub alg: String,
    /// `kid` (default: the key's); picks the key in a JWK Set.
    #[arg(long)]
    pub kid: Option<String>,
    /// `iss`.
    #[arg(long)]
    pub iss: Option<String>,
    /// `sub`.
    #[arg(long)]
    pub sub: Option<String>,
    /// `aud` (repeat for several: written as an array).
    #[arg(long)]
    pub aud: Vec<String>,
    /// Lifetime from now (`15m`, `1h`, `3600s`); sets `exp`. Default 1h.
    #[arg(long, default_value = "1h")]
    pub exp: String,
    /// Not valid before now plus this (`0s`, `5m`); sets `nbf`.
    #[arg(long)]
    pub nbf: Option<String>,
    /// `jti`: `--jti` alone for a random one, `--jti=VALUE` for a given one.
    #[arg(long, num_args = 0..=1, default_missing_value = "", require_equals = true)]
    pub jti: Option<String>,
    /// Header `typ` (default `JWT`).
    #[arg(long)]
    pub typ: Option<String>,
    /// Further claims as a JSON object (file), or standard input when it is `-`.
    pub claims: Option<String>,
}

#[derive(Debug, Args)]
pub struct JwtVerify {
    #[command(flatten)]
    pub key: VerifyKey,
    #[command(flatten)]
    pub checks: ClaimChecks,
    /// The token (file), or standard input.
    pub token: Option<String>,
}

/// Claim checks.
#[derive(Debug, Args)]
pub struct ClaimChecks {
    /// Required `iss` (exact).
    #[arg(long)]
    pub iss: Option<String>,
    /// Required audience (`aud` must contain it).
    #[arg(long)]
    pub aud: Option<String>,
    /// Clock skew tolerated, in seconds.
    #[arg(long, default_value_t = 60)]
    pub leeway: u64,
    /// Required header `typ`.
    #[arg(long)]
    pub typ: Option<String>,
}

#[derive(Debug, Args)]
pub struct JwtDecrypt {
    /// Decryption key file (private key, secret, or JWK Set).
    #[arg(long)]
    pub key: PathBuf,
    /// Allowed key-management algorithm (repeatable; default: those that fit the key).
    #[arg(long)]
    pub alg: Vec<String>,
    /// Allowed content encryption (repeatable; default: all).
    #[arg(long)]
    pub enc: Vec<String>,
    /// Key file that verifies the inner signature (JWK, JWK Set, PEM, OpenSSH).
    #[arg(long)]
    pub verify_key: PathBuf,
    /// Allowed signature algorithm (repeatable; default: those that fit the verify key).
    #[arg(long)]
    pub verify_alg: Vec<String>,
    #[command(flatten)]
    pub checks: ClaimChecks,
    /// The token (file), or standard input.
    pub token: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KeyUse {
    Sig,
    Enc,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KeyFormat {
    Jwk,
    Pem,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Compact,
    Flattened,
    General,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Zip {
    #[value(name = "DEF")]
    Def,
}
