//! PKCS#11 URIs (RFC 7512) naming one key: `pkcs11:token=signing;object=qes-1;type=private`,
//! optionally with `?module-path=...&pin-source=file:...`.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::Pkcs11Error;

/// A parsed PKCS#11 URI. Path attributes select the token and the object; query attributes say
/// which module to load and where the PIN is. A `pin-value` (RFC 7512 §2.3) is refused: a PIN
/// written into a URI ends up in configuration files, shell history and process lists; name a
/// `pin-source` (or the worker's `pin_file`/`pin_env`) instead.
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Pkcs11Uri {
    /// `token`: the token label.
    pub token: Option<String>,
    /// `serial`: the token serial number.
    pub serial: Option<String>,
    /// `object`: the key's label (`CKA_LABEL`).
    pub object: Option<String>,
    /// `id`: the key's `CKA_ID`.
    pub id: Option<Vec<u8>>,
    /// `type`: `private` (the only type a signing key can be; `public` and `cert` refused).
    pub object_type: Option<String>,
    /// `module-path` (query).
    pub module_path: Option<PathBuf>,
    /// `pin-source` (query): `file:/path` or `env:NAME`.
    pub pin_source: Option<String>,
}

impl fmt::Debug for Pkcs11Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pkcs11Uri({self})")
    }
}

fn pct_decode(s: &str, what: &str) -> Result<Vec<u8>, Pkcs11Error> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| Pkcs11Error::Uri(format!("{what}: bad percent-encoding")))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(out)
}

fn pct_text(s: &str, what: &str) -> Result<String, Pkcs11Error> {
    String::from_utf8(pct_decode(s, what)?)
        .map_err(|_| Pkcs11Error::Uri(format!("{what}: not UTF-8")))
}

fn pct_encode(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl FromStr for Pkcs11Uri {
    type Err = Pkcs11Error;

    fn from_str(s: &str) -> Result<Pkcs11Uri, Pkcs11Error> {
        let rest = s
            .strip_prefix("pkcs11:")
            .ok_or_else(|| Pkcs11Error::Uri("a PKCS#11 URI starts with pkcs11:".into()))?;
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut uri = Pkcs11Uri::default();
        // Errors name an attribute by its position, never by its text: a PIN typed in the
        // wrong place must not be echoed.
        for (n, attr) in path.split(';').filter(|a| !a.is_empty()).enumerate() {
            let (name, value) = attr.split_once('=').ok_or_else(|| {
                Pkcs11Error::Uri(format!("path attribute {}: expected name=value", n + 1))
            })?;
            let slot = match name {
                "token" => &mut uri.token,
                "serial" => &mut uri.serial,
                "object" => &mut uri.object,
                "type" => &mut uri.object_type,
                "id" => {
                    if uri.id.is_some() {
                        return Err(Pkcs11Error::Uri("id given twice".into()));
                    }
                    uri.id = Some(pct_decode(value, "id")?);
                    continue;
                }
                // Selecting by anything else (slot, manufacturer, model, library) is not
                // needed to name a key; refusing beats silently ignoring a constraint.
                other => {
                    return Err(Pkcs11Error::Uri(format!(
                    "path attribute {other:?} is not supported (token, serial, object, id, type)"
                )))
                }
            };
            if slot.replace(pct_text(value, name)?).is_some() {
                return Err(Pkcs11Error::Uri(format!("{name} given twice")));
            }
        }
        for (n, attr) in query.split('&').filter(|a| !a.is_empty()).enumerate() {
            let (name, value) = attr.split_once('=').ok_or_else(|| {
                Pkcs11Error::Uri(format!("query attribute {}: expected name=value", n + 1))
            })?;
            match name {
                "module-path" => uri.module_path = Some(PathBuf::from(pct_text(value, name)?)),
                "pin-source" => uri.pin_source = Some(pct_text(value, name)?),
                "pin-value" => {
                    return Err(Pkcs11Error::Uri(
                        "pin-value is refused: a PIN in a URI is written down everywhere the URI is; name a pin-source (file:... or env:...) instead".into(),
                    ))
                }
                _ => {
                    return Err(Pkcs11Error::Uri(format!(
                        "query attribute {} is not supported (module-path, pin-source)",
                        n + 1
                    )))
                }
            }
        }
        if uri.token.is_none() && uri.serial.is_none() {
            return Err(Pkcs11Error::Uri(
                "name the token (token= or serial=)".into(),
            ));
        }
        if uri.object.is_none() && uri.id.is_none() {
            return Err(Pkcs11Error::Uri("name the key (object= or id=)".into()));
        }
        if uri.object_type.as_deref().is_some_and(|t| t != "private") {
            return Err(Pkcs11Error::Uri(
                "type: a signing key is type=private".into(),
            ));
        }
        Ok(uri)
    }
}

impl fmt::Display for Pkcs11Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut path = Vec::new();
        let text = |name: &str, v: &Option<String>| {
            v.as_ref()
                .map(|v| format!("{name}={}", pct_encode(v.as_bytes())))
        };
        path.extend(text("token", &self.token));
        path.extend(text("serial", &self.serial));
        path.extend(text("object", &self.object));
        if let Some(id) = &self.id {
            path.push(format!("id={}", pct_encode(id)));
        }
        path.extend(text("type", &self.object_type));
        write!(f, "pkcs11:{}", path.join(";"))?;
        let mut query = Vec::new();
        if let Some(p) = &self.module_path {
            query.push(format!(
                "module-path={}",
                pct_encode(p.to_string_lossy().as_bytes()).replace("%2F", "/")
            ));
        }
        query.extend(text("pin-source", &self.pin_source));
        if !query.is_empty() {
            write!(f, "?{}", query.join("&"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_rfc_examples_and_refuses_the_rest() {
        let u: Pkcs11Uri = "pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;object=my-key;type=private?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=env:HSM_PIN"
            .parse()
            .unwrap();
        assert_eq!(u.token.as_deref(), Some("The Software PKCS#11 Softtoken"));
        assert_eq!(u.object.as_deref(), Some("my-key"));
        assert_eq!(u.pin_source.as_deref(), Some("env:HSM_PIN"));
        assert_eq!(u.to_string().parse::<Pkcs11Uri>().unwrap(), u);
        // A PIN in the URI is refused, and no error echoes a PIN typed where it does not belong.
        for (pinned, needle) in [
            (
                "pkcs11:token=x;object=y?pin-value=1234",
                "pin-value is refused",
            ),
            ("pkcs11:token=x;object=y?1234", "query attribute 1"),
            ("pkcs11:token=x;1234;object=y", "path attribute 2"),
            (
                "pkcs11:token=x;object=y?pin-source=env:P&pin=1234",
                "query attribute 2",
            ),
        ] {
            let e = pinned.parse::<Pkcs11Uri>().unwrap_err().to_string();
            assert!(e.contains(needle) && !e.contains("1234"), "{pinned}: {e}");
        }
        let id: Pkcs11Uri = "pkcs11:serial=DECC0401648;id=%01%02%FF".parse().unwrap();
        assert_eq!(id.id, Some(vec![1, 2, 255]));
        assert_eq!(id.to_string().parse::<Pkcs11Uri>().unwrap(), id);
        for bad in [
            "token=x;object=y",
            "pkcs11:object=y",
            "pkcs11:token=x",
            "pkcs11:token=x;object=y;type=cert",
            "pkcs11:token=x;object=y;slot-id=1",
            "pkcs11:token=x;object=y;object=z",
            "pkcs11:token=x;object=%4",
            "pkcs11:token=x;object=y?pin-source=file:/p&debug=1",
        ] {
            assert!(bad.parse::<Pkcs11Uri>().is_err(), "{bad}");
        }
    }
}
