//! Where the token is: the body (JOSE body mode), `Authorization: Bearer`, another header, a query
//! parameter or a cookie. A token must travel exactly once: a request that carries it twice
//! (two `Authorization` headers, two `access_token` parameters, a header and a parameter, ...)
//! is refused with 400 `invalid_request` (RFC 6750 §3.1), since the gateway would judge one
//! copy and the backend might read the other.

use std::borrow::Cow;

use axum::http::{header, request::Parts, HeaderMap, HeaderValue};

use crate::denial::{Code, Denial};
use crate::headers::equivalent_name;
use crate::runtime::{Mode, Route, TokenSource};
use crate::target::Target;

/// RFC 6750 §2.3: the query parameter every bearer-token client may use.
const ACCESS_TOKEN: &str = "access_token";

/// The request body, at most `limit` bytes (413 `body_too_large` above).
pub async fn body(body: axum::body::Body, limit: usize) -> Result<axum::body::Bytes, Denial> {
    axum::body::to_bytes(body, limit).await.map_err(|_| {
        Denial::new(
            Code::BodyTooLarge,
            format!("the body exceeds {limit} bytes"),
        )
    })
}

/// A media type as written in `Content-Type` or `Accept`, lower case, without parameters.
pub fn media_type_of(value: &str) -> String {
    value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The media type of a `Content-Type` value.
pub fn media_type(value: Option<&HeaderValue>) -> String {
    value
        .and_then(|v| v.to_str().ok())
        .map(media_type_of)
        .unwrap_or_default()
}

/// The token bytes, `Ok(None)` when there is none.
pub fn token<'a>(
    route: &Route,
    parts: &'a Parts,
    target: &'a Target,
    body: &'a [u8],
) -> Result<Option<Cow<'a, [u8]>>, Denial> {
    if route.mode != Mode::Bearer {
        let media = media_type(parts.headers.get(header::CONTENT_TYPE));
        let json_ok = route.allow_json && media == "application/json";
        if media != "application/jose" && media != "application/jose+json" && !json_ok {
            return Err(Denial::new(
                Code::ContentTypeUnsupported,
                "send the JWS with Content-Type: application/jose or application/jose+json",
            ));
        }
        let trimmed = body.trim_ascii();
        return Ok((!trimmed.is_empty()).then_some(Cow::Borrowed(trimmed)));
    }
    bearer_like(&route.token, &parts.headers, target.query())
}

/// The query's parameters as (name as decoded, raw piece), split on `&` and `;` (some
/// frameworks split on either) so that no parameter hides inside another.
fn query_pieces(query: &str) -> impl Iterator<Item = (Cow<'_, str>, &str)> {
    query.split(['&', ';']).map(|piece| {
        let name = piece.split_once('=').map_or(piece, |(n, _)| n);
        (decode_component(name), piece)
    })
}

/// `application/x-www-form-urlencoded` decoding of one name or value.
fn decode_component(s: &str) -> Cow<'_, str> {
    if !s.contains(['%', '+']) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        form_urlencoded::parse(format!("{s}=").as_bytes())
            .next()
            .map(|(n, _)| n.into_owned())
            .unwrap_or_default(),
    )
}

fn duplicate() -> Denial {
    Denial::new(
        Code::TokenDuplicated,
        "the request carries more than one token (RFC 6750 §3.1: one method, once)",
    )
}

/// The token outside the body (also used by forward-auth, with the original query), after
/// making sure the request carries no other.
pub fn bearer_like<'a>(
    source: &TokenSource,
    headers: &'a HeaderMap,
    query: Option<&'a str>,
) -> Result<Option<Cow<'a, [u8]>>, Denial> {
    let mut authorization = headers.get_all(header::AUTHORIZATION).iter();
    let first = authorization.next();
    if authorization.next().is_some() {
        return Err(duplicate());
    }
    // The scheme is case-insensitive (RFC 7235 §2.1).
    let bearer = first
        .map(HeaderValue::as_bytes)
        .filter(|v| v.len() > 7 && v[..7].eq_ignore_ascii_case(b"bearer "))
        .map(|v| v[7..].trim_ascii());
    let query_name = match source {
        TokenSource::Query(name) => name.as_str(),
        _ => ACCESS_TOKEN,
    };
    let mut in_query = query
        .into_iter()
        .flat_map(query_pieces)
        .filter(|(n, _)| n == query_name || n == ACCESS_TOKEN);
    let query_token = in_query.next();
    let mut carriers =
        usize::from(bearer.is_some()) + usize::from(query_token.is_some()) + in_query.count();
    let token: Option<Cow<'a, [u8]>> = match source {
        TokenSource::Bearer => bearer.map(Cow::Borrowed),
        TokenSource::Header(name) => {
            let wanted = equivalent_name(name);
            let mut values = headers
                .iter()
                .filter(|(n, _)| equivalent_name(n.as_str()) == wanted)
                .map(|(_, v)| v.as_bytes().trim_ascii());
            let first = values.next();
            carriers += usize::from(first.is_some()) + values.count();
            first.map(Cow::Borrowed)
        }
        TokenSource::Query(name) => query_token.filter(|(n, _)| n == name).map(|(_, piece)| {
            match decode_component(piece.split_once('=').map_or("", |(_, v)| v)) {
                Cow::Borrowed(v) => Cow::Borrowed(v.as_bytes()),
                Cow::Owned(v) => Cow::Owned(v.into_bytes()),
            }
        }),
        TokenSource::Cookie(name) => {
            let mut values = cookies(headers)
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.as_bytes());
            let first = values.next();
            carriers += usize::from(first.is_some()) + values.count();
            first.map(Cow::Borrowed)
        }
    };
    if carriers > 1 {
        return Err(duplicate());
    }
    Ok(token.filter(|t| !t.is_empty()))
}

/// Every `name=value` pair of every `Cookie` header.
fn cookies(headers: &HeaderMap) -> impl Iterator<Item = (&str, &str)> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
}

/// Removes the token from what goes upstream: the header (every spelling of its name), the
/// cookie, or the query parameter. Returns the query to forward.
pub fn strip_token(
    source: &TokenSource,
    headers: &mut HeaderMap,
    query: Option<&str>,
) -> Option<String> {
    match source {
        TokenSource::Bearer => {
            headers.remove(header::AUTHORIZATION);
        }
        TokenSource::Header(name) => {
            let wanted = equivalent_name(name);
            let names: Vec<_> = headers
                .keys()
                .filter(|n| equivalent_name(n.as_str()) == wanted)
                .cloned()
                .collect();
            for n in names {
                headers.remove(n);
            }
        }
        TokenSource::Cookie(name) => {
            let kept: Vec<String> = cookies(headers)
                .filter(|(k, _)| k != name)
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            headers.remove(header::COOKIE);
            if let Ok(v) = HeaderValue::from_str(&kept.join("; ")) {
                if !kept.is_empty() {
                    headers.insert(header::COOKIE, v);
                }
            }
        }
        TokenSource::Query(name) => {
            return query.map(|q| without_parameter(q, name));
        }
    }
    query.map(str::to_owned)
}

/// `query` without the parameters named `name`, every other byte (separators included) kept.
fn without_parameter(query: &str, name: &str) -> String {
    let mut out = String::with_capacity(query.len());
    let mut start = 0;
    let mut separator = "";
    let mut wrote = false;
    for (i, c) in query.char_indices().chain([(query.len(), '&')]) {
        if c != '&' && c != ';' {
            continue;
        }
        let piece = &query[start..i];
        let piece_name = piece.split_once('=').map_or(piece, |(n, _)| n);
        if decode_component(piece_name) != name {
            if wrote {
                out.push_str(separator);
            }
            out.push_str(piece);
            wrote = true;
        }
        separator = if i < query.len() {
            &query[i..i + 1]
        } else {
            ""
        };
        start = i + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (n, v) in pairs {
            h.append(
                axum::http::HeaderName::try_from(*n).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn one_carrier_only() {
        let bearer = TokenSource::Bearer;
        let q = TokenSource::Query("access_token".into());
        let c = TokenSource::Cookie("session".into());
        let h = TokenSource::Header("X-Token".into());
        let ok = |s: &TokenSource, hs: &[(&str, &str)], query: Option<&str>| {
            bearer_like(s, &headers(hs), query)
                .map(|t| t.map(|t| String::from_utf8(t.into_owned()).unwrap()))
                .map_err(|d| d.code.as_str())
        };
        assert_eq!(
            ok(&bearer, &[("authorization", "Bearer a")], None),
            Ok(Some("a".into()))
        );
        assert_eq!(
            ok(&q, &[], Some("x=1&access_token=a")),
            Ok(Some("a".into()))
        );
        assert_eq!(
            ok(&q, &[], Some("access%5Ftoken=a%2Eb")),
            Ok(Some("a.b".into()))
        );
        assert_eq!(
            ok(&c, &[("cookie", "x=1; session=a")], None),
            Ok(Some("a".into()))
        );
        assert_eq!(ok(&h, &[("x-token", "a")], None), Ok(Some("a".into())));
        for (s, hs, query) in [
            (
                &bearer,
                vec![("authorization", "Bearer a"), ("authorization", "Bearer b")],
                None,
            ),
            (
                &bearer,
                vec![("authorization", "Basic a"), ("authorization", "Bearer b")],
                None,
            ),
            (
                &bearer,
                vec![("authorization", "Bearer a")],
                Some("access_token=b"),
            ),
            (&q, vec![], Some("access_token=a&access_token=b")),
            (&q, vec![], Some("access_token=a&access%5ftoken=b")),
            (&q, vec![], Some("x=1;access_token=b&access_token=a")),
            (&c, vec![("cookie", "session=a; session=b")], None),
            (
                &c,
                vec![("cookie", "session=a"), ("cookie", "session=b")],
                None,
            ),
            (
                &c,
                vec![("cookie", "session=a"), ("authorization", "Bearer b")],
                None,
            ),
            (&h, vec![("x-token", "a"), ("x_token", "b")], None),
            (&h, vec![("x-token", "a"), ("x-token", "b")], None),
        ] {
            assert_eq!(
                ok(s, &hs, query),
                Err("token_duplicated"),
                "{hs:?} {query:?}"
            );
        }
    }

    #[test]
    fn stripping_keeps_every_other_byte() {
        assert_eq!(
            without_parameter("a=1&access_token=x&b=%2F", "access_token"),
            "a=1&b=%2F"
        );
        assert_eq!(without_parameter("access_token=x", "access_token"), "");
        assert_eq!(
            without_parameter("a=1;access_token=x;b=2", "access_token"),
            "a=1;b=2"
        );
        assert_eq!(without_parameter("access_token=x&a", "access_token"), "a");
        let mut h = headers(&[("cookie", "a=1; session=t; b=2"), ("x_token", "t")]);
        strip_token(&TokenSource::Cookie("session".into()), &mut h, None);
        assert_eq!(h["cookie"], "a=1; b=2");
        strip_token(&TokenSource::Header("X-Token".into()), &mut h, None);
        assert!(h.get("x_token").is_none());
    }
}
