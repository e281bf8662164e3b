//! Header names as backends read them, and the headers the gateway manages itself.

/// Headers that belong to one connection (RFC 9110 §7.6.1) and never cross a proxy.
pub const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Headers the gateway writes itself for the backend; inbound copies never pass.
pub const SET_BY_GATEWAY: [&str; 6] = [
    "host",
    "content-length",
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
];

/// A header name as CGI, WSGI, Rack and PHP see it: case-insensitive, `_` the same as `-`
/// (`X_User` and `X-User` both become `HTTP_X_USER`).
pub fn equivalent_name(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'_' => '-',
            b => b.to_ascii_lowercase() as char,
        })
        .collect()
}

/// Whether `name` (in [`equivalent_name`] form) is a header the gateway manages itself.
pub fn is_managed(name: &str) -> bool {
    HOP_BY_HOP.contains(&name) || SET_BY_GATEWAY.contains(&name)
}
