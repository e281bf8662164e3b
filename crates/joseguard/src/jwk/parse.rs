//! JWK members to typed key material and back (RFC 7517 §4, RFC 7518 §6, RFC 8037 §2).

use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::{Jwk, Material};
use crate::b64;
use crate::crypto::{
    EcPrivateKey, EcPublicKey, Ed25519PrivateKey, Ed25519PublicKey, MlDsaPrivateKey,
    MlDsaPublicKey, RsaComponents, RsaPrivateKey, RsaPublicKey, X25519PrivateKey, X25519PublicKey,
};
use crate::error::{Error, Result};
use crate::jwa::{EcCurve, MlDsa, OkpCurve};

/// Key-material member names of each `kty`; everything else is metadata.
const RSA_PRIVATE: [&str; 6] = ["d", "p", "q", "dp", "dq", "qi"];
const KEY_OPS: [&str; 8] = [
    "sign",
    "verify",
    "encrypt",
    "decrypt",
    "wrapKey",
    "unwrapKey",
    "deriveKey",
    "deriveBits",
];

/// Takes members out of the JWK object, checking each one's type; errors name the member.
struct Members(Map<String, Value>);

impl Members {
    fn string(&mut self, name: &str) -> Result<Option<String>> {
        match self.0.remove(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(Error::key(name, "must be a string")),
        }
    }

    fn required_string(&mut self, name: &str) -> Result<String> {
        self.string(name)?
            .ok_or_else(|| Error::key(name, "missing"))
    }

    fn bytes(&mut self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        match self.string(name)? {
            None => Ok(None),
            Some(s) => {
                let s = Zeroizing::new(s);
                b64::decode(s.as_bytes(), name)
                    .map(|b| Some(Zeroizing::new(b)))
                    .map_err(|_| Error::key(name, "not canonical base64url"))
            }
        }
    }

    fn required_bytes(&mut self, name: &str) -> Result<Zeroizing<Vec<u8>>> {
        self.bytes(name)?.ok_or_else(|| Error::key(name, "missing"))
    }
}

pub(super) fn from_map(map: Map<String, Value>) -> Result<Jwk> {
    let mut m = Members(map);
    let kty = m.required_string("kty")?;
    let material = match kty.as_str() {
        "oct" => oct(&mut m)?,
        "RSA" => rsa(&mut m)?,
        "EC" => ec(&mut m)?,
        "OKP" => okp(&mut m)?,
        "AKP" => akp(&mut m)?,
        other => return Err(Error::key("kty", format!("unsupported key type {other:?}"))),
    };
    let kid = m.string("kid")?;
    let alg = m.string("alg")?;
    let key_use = m.string("use")?;
    let key_ops = match m.0.remove("key_ops") {
        None => None,
        Some(v) => Some(key_ops(v)?),
    };
    if let (Some(u), Some(ops)) = (&key_use, &key_ops) {
        // RFC 7517 §4.3: when both are present they must agree.
        let want = if u == "sig" {
            ["sign", "verify"].as_slice()
        } else {
            &KEY_OPS[2..]
        };
        if (u == "sig" || u == "enc") && ops.iter().any(|o| !want.contains(&o.as_str())) {
            return Err(Error::key(
                "key_ops",
                format!("inconsistent with use {u:?}"),
            ));
        }
    }
    check_x509_members(&m.0)?;
    let jwk = Jwk {
        material: std::sync::Arc::new(material),
        kid,
        alg,
        key_use,
        key_ops,
        other: m.0,
    };
    if let Some(Value::Array(chain)) = jwk.other.get("x5c") {
        super::der::check_x5c_matches(&jwk, chain)?;
    }
    Ok(jwk)
}

fn key_ops(v: Value) -> Result<Vec<String>> {
    let Value::Array(items) = v else {
        return Err(Error::key("key_ops", "must be an array of strings"));
    };
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        let Value::String(s) = item else {
            return Err(Error::key("key_ops", "must be an array of strings"));
        };
        if out.contains(&s) {
            return Err(Error::key("key_ops", format!("duplicate value {s:?}")));
        }
        out.push(s);
    }
    Ok(out)
}

fn check_x509_members(m: &Map<String, Value>) -> Result<()> {
    if let Some(v) = m.get("x5c") {
        let ok = matches!(v, Value::Array(a) if !a.is_empty() && a.iter().all(Value::is_string));
        if !ok {
            return Err(Error::key(
                "x5c",
                "must be a non-empty array of base64 strings",
            ));
        }
    }
    for (name, len) in [("x5t", 20), ("x5t#S256", 32)] {
        if let Some(v) = m.get(name) {
            let bytes = v
                .as_str()
                .and_then(|s| b64::decode(s, name).ok())
                .ok_or_else(|| Error::key(name, "must be a base64url string"))?;
            if bytes.len() != len {
                return Err(Error::key(name, format!("must be a {len}-byte digest")));
            }
        }
    }
    if m.get("x5u").is_some_and(|v| !v.is_string()) {
        return Err(Error::key("x5u", "must be a string"));
    }
    Ok(())
}

fn oct(m: &mut Members) -> Result<Material> {
    Material::oct(m.required_bytes("k")?.to_vec())
}

/// `AKP` (RFC 9964 §4): `alg` names the parameter set and stays in the key (it is required, and
/// binds the key to that one algorithm); `pub` the encoded public key; `priv` the 32-byte seed,
/// which must expand to `pub`.
fn akp(m: &mut Members) -> Result<Material> {
    let alg = match m.0.get("alg") {
        Some(Value::String(a)) => a.clone(),
        Some(_) => return Err(Error::key("alg", "must be a string")),
        None => return Err(Error::key("alg", "an AKP key must name its algorithm")),
    };
    let set: MlDsa = alg.parse().map_err(|_| {
        Error::key(
            "alg",
            format!("{alg:?} is not an AKP algorithm (ML-DSA-44, ML-DSA-65, ML-DSA-87)"),
        )
    })?;
    // Drafts before RFC 9964 carried the seed as `seed`: kept as an unknown member it would
    // make a private key look public and be published with it.
    if m.0.contains_key("seed") {
        return Err(Error::key("seed", "RFC 9964 keys carry the seed as priv"));
    }
    let public = MlDsaPublicKey::new(set, &m.required_bytes("pub")?)?;
    Ok(match m.bytes("priv")? {
        None => Material::MlDsaPublic(public),
        Some(seed) => {
            let private = MlDsaPrivateKey::from_seed(set, &seed)?;
            if private.public().encoded() != public.encoded() {
                return Err(Error::key("priv", "does not expand to the public key pub"));
            }
            Material::MlDsaPrivate(private)
        }
    })
}

fn rsa(m: &mut Members) -> Result<Material> {
    let n = m.required_bytes("n")?;
    let e = m.required_bytes("e")?;
    let public = RsaPublicKey::new(&n, &e)?;
    if m.0.contains_key("oth") {
        return Err(Error::key("oth", "multi-prime RSA keys are not supported"));
    }
    let present: Vec<&str> = RSA_PRIVATE
        .iter()
        .copied()
        .filter(|name| m.0.contains_key(*name))
        .collect();
    if present.is_empty() {
        return Ok(Material::RsaPublic(public));
    }
    if let Some(missing) = RSA_PRIVATE.iter().find(|name| !present.contains(name)) {
        return Err(Error::key(
            *missing,
            "missing (private RSA keys need d, p, q, dp, dq and qi)",
        ));
    }
    let components = RsaComponents {
        d: m.required_bytes("d")?,
        p: m.required_bytes("p")?,
        q: m.required_bytes("q")?,
        dp: m.required_bytes("dp")?,
        dq: m.required_bytes("dq")?,
        qi: m.required_bytes("qi")?,
    };
    Ok(Material::RsaPrivate(RsaPrivateKey::from_components(
        public, components,
    )?))
}

fn ec(m: &mut Members) -> Result<Material> {
    let crv = m.required_string("crv")?;
    let curve = EcCurve::from_name(&crv)
        .ok_or_else(|| Error::key("crv", format!("unsupported EC curve {crv:?}")))?;
    let x = m.required_bytes("x")?;
    let y = m.required_bytes("y")?;
    let public = EcPublicKey::from_coordinates(curve, &x, &y)?;
    match m.bytes("d")? {
        None => Ok(Material::EcPublic(public)),
        Some(d) => Ok(Material::EcPrivate(EcPrivateKey::from_scalar(public, &d)?)),
    }
}

fn okp(m: &mut Members) -> Result<Material> {
    let crv = m.required_string("crv")?;
    let curve = OkpCurve::from_name(&crv)
        .ok_or_else(|| Error::key("crv", format!("unsupported OKP curve {crv:?}")))?;
    let x = m.required_bytes("x")?;
    let d = m.bytes("d")?;
    Ok(match (curve, d) {
        (OkpCurve::Ed25519, None) => Material::Ed25519Public(Ed25519PublicKey::new(&x)?),
        (OkpCurve::Ed25519, Some(d)) => Material::Ed25519Private(Ed25519PrivateKey::from_seed(
            Ed25519PublicKey::new(&x)?,
            &d,
        )?),
        (OkpCurve::X25519, None) => Material::X25519Public(X25519PublicKey::new(&x)?),
        (OkpCurve::X25519, Some(d)) => Material::X25519Private(X25519PrivateKey::from_scalar(
            X25519PublicKey::new(&x)?,
            &d,
        )?),
    })
}

/// Members in the order RFC 7517's examples use: `kty`, curve/material, then metadata.
pub(super) fn to_map(jwk: &Jwk, include_private: bool) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("kty".into(), Value::String(jwk.key_type().name().into()));
    if let Some(crv) = jwk.curve_name() {
        map.insert("crv".into(), Value::String(crv.into()));
    }
    let mut put = |name: &str, bytes: &[u8]| {
        map.insert(name.to_owned(), Value::String(b64::encode(bytes)));
    };
    match jwk.described() {
        Material::Oct(k) => {
            if include_private {
                put("k", k.bytes());
            }
        }
        Material::RsaPublic(k) => {
            put("n", k.n());
            put("e", k.e());
        }
        Material::RsaPrivate(k) => {
            put("n", k.public().n());
            put("e", k.public().e());
            if include_private {
                let c = k.components();
                for (name, v) in [
                    ("d", &c.d),
                    ("p", &c.p),
                    ("q", &c.q),
                    ("dp", &c.dp),
                    ("dq", &c.dq),
                    ("qi", &c.qi),
                ] {
                    put(name, v);
                }
            }
        }
        Material::EcPublic(k) => {
            put("x", k.x());
            put("y", k.y());
        }
        Material::EcPrivate(k) => {
            put("x", k.public().x());
            put("y", k.public().y());
            if include_private {
                put("d", k.d());
            }
        }
        Material::Ed25519Public(k) => put("x", k.x()),
        Material::Ed25519Private(k) => {
            put("x", k.public().x());
            if include_private {
                put("d", k.d());
            }
        }
        Material::X25519Public(k) => put("x", k.x()),
        Material::X25519Private(k) => {
            put("x", k.public().x());
            if include_private {
                put("d", k.d());
            }
        }
        // `described()` is a remote key's public key: never `Remote` itself.
        Material::Remote(..) => {}
        Material::MlDsaPublic(k) => put("pub", k.encoded()),
        Material::MlDsaPrivate(k) => {
            put("pub", k.public().encoded());
            if include_private {
                put("priv", k.seed());
            }
        }
    }
    if let Some(kid) = &jwk.kid {
        map.insert("kid".into(), Value::String(kid.clone()));
    }
    if let Some(u) = &jwk.key_use {
        map.insert("use".into(), Value::String(u.clone()));
    }
    if let Some(ops) = &jwk.key_ops {
        map.insert("key_ops".into(), ops.clone().into());
    }
    // An AKP key's alg names its parameter set and is required (RFC 9964 §4), whether or not
    // the key came from a JWK (Jwk::alg says so).
    if let Some(alg) = jwk.alg() {
        map.insert("alg".into(), Value::String(alg.to_owned()));
    }
    for (k, v) in &jwk.other {
        map.insert(k.clone(), v.clone());
    }
    map
}
