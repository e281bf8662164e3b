//! Reading inputs: a file argument, or standard input when it is absent or `-`.

use std::io::Read;
use std::path::Path;

use crate::Failure;

/// The bytes of `arg` (a path), or of standard input for `None` and `-`.
pub fn read(arg: Option<&str>) -> Result<Vec<u8>, Failure> {
    match arg {
        None | Some("-") => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .map_err(|e| Failure::Usage(format!("reading standard input: {e}")))?;
            Ok(buf)
        }
        Some(path) => read_file(Path::new(path)),
    }
}

/// A file's bytes.
pub fn read_file(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))
}

/// A token from `arg` or standard input, with surrounding whitespace (a trailing newline from
/// `echo`) removed.
pub fn token(arg: Option<&str>) -> Result<Vec<u8>, Failure> {
    let bytes = read(arg)?;
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    Ok(bytes[start..end].to_vec())
}

/// Parses a JSON object given on the command line.
pub fn json_object(
    text: &str,
    what: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, Failure> {
    match serde_json::from_str(text) {
        Ok(serde_json::Value::Object(m)) => Ok(m),
        _ => Err(Failure::Usage(format!("{what} must be a JSON object"))),
    }
}
