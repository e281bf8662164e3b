//! `joseguard`: make keys, sign, verify, encrypt, decrypt and inspect JOSE objects.
//!
//! A thin shell over the `joseguard` library. The interface is a contract for scripts:
//! - input is a file argument, or standard input when it is absent or `-`;
//! - output goes to standard output exactly, without a trailing newline (payloads and plaintexts
//!   byte for byte, tokens as they are, JSON as one document);
//! - exit 0 on success, 1 when a token or key is rejected (one line on standard error says why),
//!   2 on a usage or I/O error.
#![forbid(unsafe_code)]

mod cli;
mod cmd;
mod input;
mod keys;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

/// What went wrong, and so which exit code.
#[derive(Debug)]
pub enum Failure {
    /// A token or key was rejected (exit 1).
    Rejected(joseguard::Error),
    /// Usage or I/O (exit 2).
    Usage(String),
}

impl From<joseguard::Error> for Failure {
    fn from(e: joseguard::Error) -> Self {
        Failure::Rejected(e)
    }
}

/// Result of a command: the bytes to print.
pub type Outcome = Result<Vec<u8>, Failure>;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cmd::run(args) {
        Ok(out) => {
            let mut stdout = std::io::stdout().lock();
            if stdout
                .write_all(&out)
                .and_then(|()| stdout.flush())
                .is_err()
            {
                return ExitCode::from(2);
            }
            ExitCode::SUCCESS
        }
        Err(Failure::Rejected(e)) => {
            eprintln!("joseguard: {e}");
            ExitCode::from(1)
        }
        Err(Failure::Usage(m)) => {
            eprintln!("joseguard: {m}");
            ExitCode::from(2)
        }
    }
}
