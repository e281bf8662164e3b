//! One module per command group; each function returns the bytes to print.

mod inspect;
mod jwe;
mod jws;
mod jwt;
mod key;

use std::str::FromStr;

use crate::cli::{Cli, Command};
use crate::{Failure, Outcome};

pub fn run(cli: Cli) -> Outcome {
    match cli.command {
        Command::Key(c) => key::run(c),
        Command::Jws(c) => jws::run(c),
        Command::Jwe(c) => jwe::run(c),
        Command::Jwt(c) => jwt::run(c),
        Command::Inspect { token } => inspect::run(token.as_deref()),
        Command::Serve {
            config,
            check,
            threads,
        } => serve(config, check, threads),
    }
}

/// `joseguard serve`: the gateway. One thread per CPU the process may use (its affinity mask, so
/// `taskset -c 1` means one); on one CPU, tokio's current-thread runtime, which spares the hand-off
/// between the accepting thread and a worker (docs/benchmarks.md, "Runtime").
fn serve(config: std::path::PathBuf, check: bool, threads: Option<u16>) -> Outcome {
    let threads = threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        usize::from,
    );
    let rt = match threads {
        1 => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        n => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n)
            .enable_all()
            .build(),
    }
    .map_err(|e| Failure::Usage(format!("runtime: {e}")))?;
    rt.block_on(async {
        if check {
            return joseguard_server::check(&config)
                .await
                .map(|()| b"configuration valid".to_vec())
                .map_err(|e| Failure::Usage(e.to_string()));
        }
        joseguard_server::serve(config)
            .await
            .map(|()| Vec::new())
            .map_err(|e| Failure::Usage(e.to_string()))
    })
}

/// Parses algorithm names given on the command line (a bad name is a usage error).
fn parse_all<T: FromStr<Err = joseguard::Error>>(names: &[String]) -> Result<Vec<T>, Failure> {
    names
        .iter()
        .map(|n| n.parse::<T>().map_err(|e| Failure::Usage(e.to_string())))
        .collect()
}

/// JSON as one document.
fn json(value: &serde_json::Value) -> Vec<u8> {
    value.to_string().into_bytes()
}
