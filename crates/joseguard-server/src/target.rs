//! The canonical request target: computed once per request, before routing, and then the only
//! form that is matched against routes, logged, handed to forward-auth and sent upstream.
//!
//! A gateway that judges one spelling of a path and forwards another lets a client pick which
//! route judges it (`/api/../admin`, `/api/%2e%2e/admin`, `/%61dmin`). So the path is brought
//! to one form that a backend cannot read differently, and whatever has no such form is
//! refused:
//!
//! - percent-encoded unreserved characters (RFC 3986 §2.3) are decoded (`%61` → `a`,
//!   `%2E` → `.`); other escapes stay, with upper-case hex (§6.2.2.1);
//! - characters that are not allowed raw but are unambiguous (`"`, `<`, `>`, `^`, `` ` ``,
//!   `{`, `|`, `}` and bytes above 0x7F) are percent-encoded;
//! - dot segments are resolved (§5.2.4); one that climbs above the root is refused;
//! - `//` is merged into `/` unless `merge_slashes` is off (Envoy's `merge_slashes`);
//! - refused (400 `request_invalid`): an encoded `/` or `\` (Envoy's
//!   `path_with_escaped_slashes_action = REJECT_REQUEST`), a raw `\`, NUL or any control
//!   character, an invalid percent sequence, a `;` path parameter (Tomcat and Jetty serve
//!   `/admin;x` as `/admin`), a fragment, and a target that is not in origin form.
//!
//! The query is kept as received (it is not matched against routes), except that characters
//! RFC 3986 does not allow in it but that mean one thing are percent-encoded; controls and
//! invalid percent sequences are refused.

use std::fmt;

/// How paths are canonicalised (`[server]` `merge_slashes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathOptions {
    /// Merge `//` into `/` (default true: nginx and most frameworks do, so a backend would
    /// otherwise serve `//admin` as `/admin` after a `/` route judged it).
    pub merge_slashes: bool,
}

impl Default for PathOptions {
    fn default() -> Self {
        PathOptions {
            merge_slashes: true,
        }
    }
}

/// A canonical request target: path and query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    path: String,
    query: Option<String>,
}

/// Why a request target has no canonical form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetError {
    /// Not `/path?query` (absolute, authority or asterisk form, or empty).
    NotOriginForm,
    /// `%2F` or `%5C`: a backend may read it as a segment separator.
    EncodedSlash,
    /// A raw `\`: Windows servers and some frameworks read it as `/`.
    Backslash,
    /// A control character, space, DEL or (in the query) a byte above 0x7F.
    InvalidCharacter,
    /// `%` not followed by two hex digits.
    InvalidPercent,
    /// `..` climbs above `/`.
    AboveRoot,
    /// `;` in the path: a path parameter some servers strip before routing.
    PathParameter,
    /// `#`: a fragment never belongs in a request.
    Fragment,
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TargetError::NotOriginForm => "the request target must be a path starting with /",
            TargetError::EncodedSlash => "the path holds an encoded / or \\ (%2F, %5C)",
            TargetError::Backslash => "the path holds a backslash",
            TargetError::InvalidCharacter => {
                "the request target holds a control character, space or non-ASCII byte"
            }
            TargetError::InvalidPercent => "the request target holds an invalid % sequence",
            TargetError::AboveRoot => "the path climbs above / with ..",
            TargetError::PathParameter => "the path holds ; (path parameters are refused)",
            TargetError::Fragment => "the request target holds a fragment (#)",
        })
    }
}

impl std::error::Error for TargetError {}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Allowed raw in a path segment besides unreserved characters (RFC 3986 `pchar` without `;`).
fn is_path_delim(b: u8) -> bool {
    matches!(
        b,
        b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b'=' | b':' | b'@'
    )
}

fn push_escaped(out: &mut String, b: u8) {
    out.push('%');
    out.push(HEX[usize::from(b >> 4)] as char);
    out.push(HEX[usize::from(b & 15)] as char);
}

/// The byte that `bytes[i..]` (which starts with `%`) encodes.
fn percent_at(bytes: &[u8], i: usize) -> Result<u8, TargetError> {
    match (bytes.get(i + 1), bytes.get(i + 2)) {
        (Some(&h), Some(&l)) => match (hex_value(h), hex_value(l)) {
            (Some(h), Some(l)) => Ok(h << 4 | l),
            _ => Err(TargetError::InvalidPercent),
        },
        _ => Err(TargetError::InvalidPercent),
    }
}

/// The path with unreserved escapes decoded and everything else in one spelling; dot segments
/// and slashes untouched.
fn normalize_characters(raw: &str) -> Result<String, TargetError> {
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'%' => {
                let v = percent_at(bytes, i)?;
                match v {
                    b'/' | b'\\' => return Err(TargetError::EncodedSlash),
                    0..=0x1f | 0x7f => return Err(TargetError::InvalidCharacter),
                    v if is_unreserved(v) => out.push(v as char),
                    v => push_escaped(&mut out, v),
                }
                i += 3;
                continue;
            }
            b'\\' => return Err(TargetError::Backslash),
            b';' => return Err(TargetError::PathParameter),
            b'#' => return Err(TargetError::Fragment),
            b'?' => return Err(TargetError::NotOriginForm),
            0..=0x20 | 0x7f => return Err(TargetError::InvalidCharacter),
            b'/' => out.push('/'),
            b if is_unreserved(b) || is_path_delim(b) => out.push(b as char),
            // `"`, `<`, `>`, `^`, `` ` ``, `{`, `|`, `}` and non-ASCII bytes: one meaning, one
            // spelling.
            b => push_escaped(&mut out, b),
        }
        i += 1;
    }
    Ok(out)
}

/// RFC 3986 §5.2.4 on an absolute path, refusing to climb above the root; `//` merged when
/// asked.
fn resolve_dots(path: &str, merge_slashes: bool) -> Result<String, TargetError> {
    let segments: Vec<&str> = path[1..].split('/').collect();
    let last = segments.len() - 1;
    let mut out: Vec<&str> = Vec::with_capacity(segments.len());
    let mut trailing_slash = false;
    for (i, seg) in segments.iter().enumerate() {
        match *seg {
            "." => trailing_slash = i == last,
            ".." => {
                if out.pop().is_none() {
                    return Err(TargetError::AboveRoot);
                }
                trailing_slash = i == last;
            }
            "" if i == last => trailing_slash = true,
            "" if merge_slashes => {}
            s => {
                out.push(s);
                trailing_slash = false;
            }
        }
    }
    let mut canonical = String::with_capacity(path.len());
    for seg in &out {
        canonical.push('/');
        canonical.push_str(seg);
    }
    if trailing_slash || canonical.is_empty() {
        canonical.push('/');
    }
    Ok(canonical)
}

/// The query with valid percent sequences kept as they are, characters RFC 3986 does not allow
/// in a query but that mean one thing (`"`, `<`, `>`, `\\`, `^`, `` ` ``, `{`, `|`, `}`, bytes
/// above 0x7F) percent-encoded, and controls, space and `#` refused.
fn normalize_query(query: &str) -> Result<String, TargetError> {
    let bytes = query.as_bytes();
    let mut out = String::with_capacity(query.len());
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'%' => {
                percent_at(bytes, i)?;
                out.push('%');
            }
            b'#' => return Err(TargetError::Fragment),
            0..=0x20 | 0x7f => return Err(TargetError::InvalidCharacter),
            b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}' | 0x80.. => {
                push_escaped(&mut out, b)
            }
            b => out.push(b as char),
        }
    }
    Ok(out)
}

impl Target {
    /// The canonical form of an origin-form request target (`/path?query`).
    pub fn parse(path_and_query: &str, options: PathOptions) -> Result<Target, TargetError> {
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path_and_query, None),
        };
        if !path.starts_with('/') {
            return Err(TargetError::NotOriginForm);
        }
        let path = resolve_dots(&normalize_characters(path)?, options.merge_slashes)?;
        let query = query.map(normalize_query).transpose()?;
        Ok(Target { path, query })
    }

    /// The canonical form of a path alone (a route's configured path).
    pub fn canonical_path(path: &str, options: PathOptions) -> Result<String, TargetError> {
        if path.contains('?') {
            return Err(TargetError::NotOriginForm);
        }
        Target::parse(path, options).map(|t| t.path)
    }

    /// The canonical path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The query without `?`, as received but for the encoded characters.
    pub fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }

    /// `path?query`: the exact bytes sent upstream.
    pub fn path_and_query(&self) -> String {
        match &self.query {
            Some(q) => format!("{}?{q}", self.path),
            None => self.path.clone(),
        }
    }

    /// The same target with another query (the token parameter removed).
    pub fn with_query(&self, query: Option<String>) -> Target {
        Target {
            path: self.path.clone(),
            query: query.filter(|q| !q.is_empty()),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path)?;
        if let Some(q) = &self.query {
            write!(f, "?{q}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(raw: &str) -> Result<String, TargetError> {
        Target::parse(raw, PathOptions::default()).map(|t| t.path_and_query())
    }

    #[test]
    fn one_spelling_per_path() {
        for (raw, want) in [
            ("/", "/"),
            ("/api/x", "/api/x"),
            ("/api/../admin", "/admin"),
            ("/api/%2e%2e/admin", "/admin"),
            ("/api/%2E%2e/admin", "/admin"),
            ("/api/.%2e/admin", "/admin"),
            ("/%61dmin", "/admin"),
            ("/admin/./x", "/admin/x"),
            ("/admin/.", "/admin/"),
            ("/admin/x/..", "/admin/"),
            ("/a/b/../../c", "/c"),
            ("//admin", "/admin"),
            ("/a//b///c", "/a/b/c"),
            ("/a/", "/a/"),
            ("/a%20b", "/a%20b"),
            ("/a%3cb", "/a%3Cb"),
            ("/a<b>", "/a%3Cb%3E"),
            ("/a{b}|c", "/a%7Bb%7D%7Cc"),
            ("/caf%C3%A9", "/caf%C3%A9"),
            ("/x?q=1&r=%2F", "/x?q=1&r=%2F"),
            ("/x?", "/x?"),
            ("/x?a<b&c={d}", "/x?a%3Cb&c=%7Bd%7D"),
            ("/x?ac/a<b", "/x?ac/a%3Cb"),
            ("/~user/%7Efile", "/~user/~file"),
            ("/...", "/..."),
            ("/a/..b", "/a/..b"),
        ] {
            assert_eq!(canon(raw).as_deref(), Ok(want), "{raw}");
        }
    }

    #[test]
    fn ambiguity_is_refused() {
        use TargetError::*;
        for (raw, why) in [
            ("/admin%2fx", EncodedSlash),
            ("/admin%2Fx", EncodedSlash),
            ("/admin%5cx", EncodedSlash),
            ("/admin\\x", Backslash),
            ("/a%00", InvalidCharacter),
            ("/a%0a", InvalidCharacter),
            ("/a%", InvalidPercent),
            ("/a%4", InvalidPercent),
            ("/a%zz", InvalidPercent),
            ("/..", AboveRoot),
            ("/a/../..", AboveRoot),
            ("/%2e%2e/x", AboveRoot),
            ("/admin;jsessionid=1", PathParameter),
            ("/a#b", Fragment),
            ("/x?q=%", InvalidPercent),
            ("/x?q=a b", InvalidCharacter),
            ("/x?q=a\x01", InvalidCharacter),
            ("/x?q#f", Fragment),
            ("*", NotOriginForm),
            ("http://evil/admin", NotOriginForm),
            ("", NotOriginForm),
        ] {
            assert_eq!(canon(raw), Err(why), "{raw}");
        }
    }

    #[test]
    fn slashes_kept_when_asked() {
        let keep = PathOptions {
            merge_slashes: false,
        };
        assert_eq!(Target::parse("//a//b/", keep).unwrap().path(), "//a//b/");
        assert_eq!(Target::parse("/a//../b", keep).unwrap().path(), "/a/b");
    }

    #[test]
    fn idempotent() {
        for raw in ["/a/%2e/b/%7e/%41%3c", "/x//y/../z?a=%2f", "/caf\u{e9}"] {
            let once = canon(raw).unwrap();
            assert_eq!(canon(&once).unwrap(), once, "{raw}");
        }
    }
}
