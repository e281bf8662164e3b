//! Workers, typed from `[[worker]]`: a signing worker's key, algorithms and output; a validation
//! worker's trust; and each worker's authorizer (who may use it, on what terms, and what of the
//! caller's claims goes into the signature). Built once per (re)load, like the rest of the runtime.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use joseguard::jws::{Keys, Verifier, VerifyPolicy};
use joseguard::{Jwk, JwsAlgorithm, KeySpec, Sha2};
use serde_json::Value;

use crate::config::{self, duration, err, ConfigError};
use crate::rules::Rule;
use crate::runtime::{named_issuers, normalize_media_type, resolve_path, Issuer, KidMap, Route};

/// A worker.
pub struct Worker {
    pub name: String,
    pub role: Role,
    /// Who may call it. Required for signing workers; optional for validation workers.
    pub authorizer: Option<Authorizer>,
}

/// What a worker does.
pub enum Role {
    Signing(Signer),
    /// Verifies submitted JWS with this route's issuers (no bearer token involved).
    Validation(Box<Route>),
}

/// A signing worker's key and output.
pub struct Signer {
    /// The private key, with `kid` set.
    pub key: Arc<Jwk>,
    /// Its public JWK as published (`kid`, `use: sig`, `alg` when there is one algorithm).
    pub public: Value,
    pub kid: String,
    /// Offered algorithms; the first is the default.
    pub algorithms: Vec<JwsAlgorithm>,
    pub output: Output,
}

/// The serialization a signing worker returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Compact,
    Flattened,
    /// Compact, unencoded (`b64: false`, RFC 7797) and detached: for large documents, which the
    /// caller keeps.
    Detached,
}

impl Output {
    pub fn name(self) -> &'static str {
        match self {
            Output::Compact => "compact",
            Output::Flattened => "flattened",
            Output::Detached => "detached",
        }
    }
}

/// The terms on which a worker may be used.
pub struct Authorizer {
    /// The trusted authorization servers, rules, audiences and clock skew, as a bearer route.
    pub route: Route,
    pub skew: u64,
    pub binding: Option<Binding>,
    pub single_use: Option<SingleUse>,
    /// Header or attribute name, and the template that fills it from the claims.
    pub context: Vec<(String, Template)>,
    /// Context into a signed `attributes` object beside the document, rather than the header.
    pub context_in_payload: bool,
}

/// The hash of the submitted data must appear in a claim.
pub struct Binding {
    pub claim: String,
    pub hash: Sha2,
    pub encoding: Encoding,
}

/// How a binding claim writes the hash.
#[derive(Debug, Clone, Copy)]
pub enum Encoding {
    Base64Url,
    Base64,
    Hex,
}

/// Each token accepted once.
pub struct SingleUse {
    /// `memory` or a `redis://` URL; stores live in the app so that reloads keep them.
    pub store: String,
    /// When the store is down: accept (true) or answer 503 (false, default).
    pub allow_when_down: bool,
}

/// A value built from claims: literal text and `${claim.path}` references.
#[derive(Debug, Clone)]
pub struct Template(Vec<Part>);

#[derive(Debug, Clone)]
enum Part {
    Text(String),
    Claim(String),
    /// Every claim, as one object.
    AllClaims,
}

impl Template {
    pub fn parse(key: &str, text: &str) -> Result<Template, ConfigError> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_owned()));
            }
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| err(key, format!("{text:?}: `${{` without `}}`")))?;
            let name = after[..end].trim();
            if name.is_empty() {
                return Err(err(key, format!("{text:?}: empty `${{}}`")));
            }
            parts.push(Part::Claim(name.to_owned()));
            rest = &after[end + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Template(parts))
    }

    /// The value for these claims. A template that is one reference copies the claim as it is
    /// (an `amr` array stays an array) and gives `None` when it is absent; otherwise the parts
    /// are joined as text, absent claims as empty text.
    pub fn render(&self, claims: &Value) -> Option<Value> {
        match self.0.as_slice() {
            [Part::Claim(name)] => return crate::rules::lookup(claims, name).cloned(),
            [Part::AllClaims] => return Some(claims.clone()),
            _ => {}
        }
        let mut out = String::new();
        for part in &self.0 {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Claim(name) => match crate::rules::lookup(claims, name) {
                    Some(Value::String(s)) => out.push_str(s),
                    Some(Value::Array(items)) => {
                        let texts: Vec<String> = items
                            .iter()
                            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                            .collect();
                        out.push_str(&texts.join(" "));
                    }
                    Some(other) => out.push_str(&other.to_string()),
                    None => {}
                },
                Part::AllClaims => out.push_str(&claims.to_string()),
            }
        }
        Some(Value::String(out))
    }
}

/// `claims_to_context = "all"`: every claim, as the object `claims`.
fn all_claims() -> (String, Template) {
    ("claims".to_owned(), Template(vec![Part::AllClaims]))
}

/// Whether a context member may not take `name` in a protected header: every JWS and JWE header
/// parameter the libraries know, except the claims RFC 7519 §5.3 lets a header replicate.
fn reserved_header(name: &str) -> bool {
    const REPLICATED_CLAIMS: [&str; 3] = ["iss", "sub", "aud"];
    !REPLICATED_CLAIMS.contains(&name)
        && (joseguard::jws::REGISTERED_HEADER_NAMES.contains(&name)
            || joseguard::jwe::REGISTERED_JWE_HEADER_NAMES.contains(&name))
}

/// Parses `SHA-256`, `SHA256` or `sha-256` (and 384, 512).
pub fn sha2_named(name: &str) -> Option<Sha2> {
    match name.to_ascii_uppercase().replace('-', "").as_str() {
        "SHA256" => Some(Sha2::Sha256),
        "SHA384" => Some(Sha2::Sha384),
        "SHA512" => Some(Sha2::Sha512),
        _ => None,
    }
}

/// The `SHA-256` form of a hash's name.
pub fn sha2_name(hash: Sha2) -> &'static str {
    match hash {
        Sha2::Sha256 => "SHA-256",
        Sha2::Sha384 => "SHA-384",
        Sha2::Sha512 => "SHA-512",
    }
}

/// Builds every worker: signing workers first, since validation workers may trust them.
pub fn build_all(
    raw: &[config::Worker],
    issuers: &[Arc<Issuer>],
    base: &Path,
    persist_keys: bool,
) -> Result<Vec<Arc<Worker>>, ConfigError> {
    let mut names = std::collections::HashSet::new();
    for (i, w) in raw.iter().enumerate() {
        let key = format!("worker[{i}]");
        if w.name.is_empty()
            || !w
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(err(
                &format!("{key}.name"),
                "use letters, digits, - and _ (it is a URL path segment)",
            ));
        }
        if !names.insert(w.name.as_str()) {
            return Err(err(&key, format!("duplicate worker name {:?}", w.name)));
        }
    }
    let mut workers = Vec::new();
    for (i, w) in raw.iter().enumerate() {
        if w.kind == "signing" {
            let key = format!("worker[{i}] ({})", w.name);
            let signer = build_signer(&key, w, base, persist_keys)?;
            let authorizer = match &w.authorizer {
                Some(a) => build_authorizer(&format!("{key}.authorizer"), a, issuers, w)?,
                None => {
                    return Err(err(
                        &key,
                        "a signing worker needs [worker.authorizer]: who may sign with its key",
                    ))
                }
            };
            workers.push(Arc::new(Worker {
                name: w.name.clone(),
                role: Role::Signing(signer),
                authorizer: Some(authorizer),
            }));
        }
    }
    for (i, w) in raw.iter().enumerate() {
        let key = format!("worker[{i}] ({})", w.name);
        match w.kind.as_str() {
            "signing" => continue,
            "validation" => {}
            other => {
                return Err(err(
                    &format!("{key}.kind"),
                    format!("{other:?}: use \"signing\" or \"validation\""),
                ))
            }
        }
        if w.key_file.is_some() || w.generate.is_some() || w.kid.is_some() {
            return Err(err(
                &key,
                "key_file, generate and kid belong to signing workers",
            ));
        }
        if w.trust.is_empty() {
            return Err(err(
                &format!("{key}.trust"),
                "name at least one [[issuer]] or signing [[worker]]",
            ));
        }
        let mut trusted = Vec::new();
        for name in &w.trust {
            if let Some(issuer) = issuers.iter().find(|i| &i.name == name) {
                trusted.push(issuer.clone());
            } else if let Some(signing) = workers.iter().find(|x| &x.name == name) {
                trusted.push(Arc::new(worker_issuer(signing)?));
            } else {
                return Err(err(
                    &format!("{key}.trust"),
                    format!("no [[issuer]] or signing [[worker]] named {name:?}"),
                ));
            }
        }
        let mut route = Route::internal(format!("/workers/{}/verify", w.name), trusted);
        route.allow_json = true;
        route.typ = Vec::new();
        route.check_claims = w.check_claims;
        route.require_exp = w.check_claims;
        let authorizer = w
            .authorizer
            .as_ref()
            .map(|a| build_authorizer(&format!("{key}.authorizer"), a, issuers, w))
            .transpose()?;
        if authorizer.as_ref().is_some_and(|a| a.binding.is_some()) {
            return Err(err(
                &format!("{key}.authorizer.binding"),
                "binding applies to signing workers",
            ));
        }
        workers.push(Arc::new(Worker {
            name: w.name.clone(),
            role: Role::Validation(Box::new(route)),
            authorizer,
        }));
    }
    Ok(workers)
}

/// Loads the signing key, or generates it into `key_file` on first start (in memory only when
/// `persist` is false: a configuration check).
fn build_signer(
    key: &str,
    w: &config::Worker,
    base: &Path,
    persist: bool,
) -> Result<Signer, ConfigError> {
    let file = w.key_file.as_ref().ok_or_else(|| {
        err(
            &format!("{key}.key_file"),
            "a signing worker needs key_file (with generate = \"EC:P-256\" to create it)",
        )
    })?;
    let path = resolve_path(base, file);
    let fkey = format!("{key}.key_file");
    let mut jwk = if path.exists() {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| err(&fkey, format!("{}: {e}", path.display())))?;
        Jwk::from_text(&text).map_err(|e| err(&fkey, e))?
    } else if let Some(spec) = &w.generate {
        let spec: KeySpec = spec
            .parse()
            .map_err(|e| err(&format!("{key}.generate"), e))?;
        let jwk = Jwk::generate(spec).map_err(|e| err(&format!("{key}.generate"), e))?;
        if persist {
            save_new_key(&path, &jwk.to_json()).map_err(|e| err(&fkey, e))?;
            tracing::info!(worker = %w.name, path = %path.display(), "generated a signing key");
        }
        jwk
    } else {
        return Err(err(
            &fkey,
            format!(
                "{} does not exist (add generate = \"EC:P-256\" to create it)",
                path.display()
            ),
        ));
    };
    if !jwk.is_private() || jwk.key_type() == joseguard::KeyType::Oct {
        return Err(err(
            &fkey,
            "a signing worker needs a private RSA, EC or OKP key (its public key is published)",
        ));
    }
    let algorithms = if w.algorithms.is_empty() {
        jwk.jws_algorithms().into_iter().take(1).collect()
    } else {
        w.algorithms
            .iter()
            .map(|a| {
                a.parse::<JwsAlgorithm>()
                    .map_err(|e| err(&format!("{key}.algorithms"), e))
            })
            .collect::<Result<Vec<_>, _>>()?
    };
    if algorithms.is_empty() {
        return Err(err(&format!("{key}.algorithms"), "name an algorithm"));
    }
    for alg in &algorithms {
        jwk.check_jws(*alg, joseguard::KeyOperation::Sign)
            .map_err(|e| err(&format!("{key}.algorithms"), e))?;
    }
    let output = match w.output.as_str() {
        "compact" => Output::Compact,
        "flattened" => Output::Flattened,
        "detached" => Output::Detached,
        other => {
            return Err(err(
                &format!("{key}.output"),
                format!("{other:?}: use \"compact\", \"flattened\" or \"detached\""),
            ))
        }
    };
    let kid = match &w.kid {
        Some(k) => k.clone(),
        None => jwk.thumbprint_b64(Sha2::Sha256),
    };
    jwk.set_kid(Some(kid.clone()));
    let mut public = jwk.to_public_value();
    if let Value::Object(m) = &mut public {
        m.insert("use".into(), "sig".into());
        if let [alg] = algorithms.as_slice() {
            m.insert("alg".into(), alg.name().into());
        }
    }
    Ok(Signer {
        key: Arc::new(jwk),
        public,
        kid,
        algorithms,
        output,
    })
}

/// Writes a new private key readable by its owner only; never overwrites.
fn save_new_key(path: &Path, json: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(path)?;
    f.write_all(json.as_bytes())?;
    f.sync_all()
}

/// A signing worker seen as an issuer, so that a validation worker can trust it: its public key
/// by `kid` (and as `default`), its algorithms, and the context members it writes.
fn worker_issuer(worker: &Worker) -> Result<Issuer, ConfigError> {
    let Role::Signing(s) = &worker.role else {
        return Err(err(&worker.name, "not a signing worker"));
    };
    let public = Arc::new(Jwk::from_value(&s.public).map_err(|e| err(&worker.name, e))?);
    let by_kid = Arc::new(HashMap::from([
        (s.kid.clone(), public.clone()),
        ("default".to_owned(), public),
    ]));
    let context = worker
        .authorizer
        .as_ref()
        .filter(|a| !a.context_in_payload)
        .map(|a| a.context.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>())
        .unwrap_or_default();
    let policy = VerifyPolicy::new(s.algorithms.clone())
        .map_err(|e| err(&worker.name, e))?
        .allow_private_headers(context);
    Ok(Issuer {
        name: worker.name.clone(),
        iss: None,
        static_keys: Keys::Resolver(Arc::new(KidMap(by_kid.clone()))),
        static_verifier: Verifier::new(
            policy.clone(),
            Keys::Resolver(Arc::new(KidMap(by_kid.clone()))),
        ),
        policy,
        audiences: Vec::new(),
        leeway: 0,
        by_kid,
        jwks: None,
        x5c: None,
    })
}

fn build_authorizer(
    key: &str,
    raw: &config::Authorizer,
    issuers: &[Arc<Issuer>],
    worker: &config::Worker,
) -> Result<Authorizer, ConfigError> {
    if raw.servers.is_empty() {
        return Err(err(
            &format!("{key}.servers"),
            "name at least one [[issuer]]: the authorization servers whose tokens are accepted",
        ));
    }
    let servers = named_issuers(&format!("{key}.servers"), &raw.servers, issuers)?;
    let skew = duration(&format!("{key}.clock_skew"), &raw.clock_skew)?.as_secs();
    let mut route = Route::internal(format!("/workers/{}", worker.name), servers);
    route.leeway = Some(skew);
    route.typ = raw.typ.iter().map(|t| normalize_media_type(t)).collect();
    route.max_lifetime = raw
        .max_token_lifetime
        .as_deref()
        .map(|t| duration(&format!("{key}.max_token_lifetime"), t).map(|d| d.as_secs()))
        .transpose()?;
    if !raw.audiences.is_empty() {
        route.audiences = Some(raw.audiences.clone());
    }
    route.rules = raw
        .rules
        .as_ref()
        .map(|r| Rule::parse(&format!("{key}.rules"), r))
        .transpose()?;
    let binding = raw
        .binding
        .as_ref()
        .map(|b| {
            let bkey = format!("{key}.binding");
            Ok::<_, ConfigError>(Binding {
                claim: b.claim.clone(),
                hash: sha2_named(&b.hash).ok_or_else(|| {
                    err(
                        &format!("{bkey}.hash"),
                        "use \"SHA-256\", \"SHA-384\" or \"SHA-512\"",
                    )
                })?,
                encoding: match b.encoding.as_str() {
                    "base64url" => Encoding::Base64Url,
                    "base64" => Encoding::Base64,
                    "hex" => Encoding::Hex,
                    other => {
                        return Err(err(
                            &format!("{bkey}.encoding"),
                            format!("{other:?}: use \"base64url\", \"base64\" or \"hex\""),
                        ))
                    }
                },
            })
        })
        .transpose()?;
    let allow_when_down = match raw.replay_store_unavailable.as_str() {
        "refuse" => false,
        "allow" => true,
        other => {
            return Err(err(
                &format!("{key}.replay_store_unavailable"),
                format!("{other:?}: use \"refuse\" or \"allow\""),
            ))
        }
    };
    crate::replay::check_spec(&raw.replay_store)
        .map_err(|e| err(&format!("{key}.replay_store"), e))?;
    let single_use = raw.single_use.then(|| SingleUse {
        store: raw.replay_store.clone(),
        allow_when_down,
    });
    let context_in_payload = match raw.context_into.as_str() {
        "header" => false,
        "payload" => true,
        other => {
            return Err(err(
                &format!("{key}.context_into"),
                format!("{other:?}: use \"header\" or \"payload\""),
            ))
        }
    };
    if context_in_payload && worker.output == "detached" {
        return Err(err(
            &format!("{key}.context_into"),
            "a detached output signs the document as it is: put the context in the header",
        ));
    }
    let mut context = Vec::new();
    match &raw.claims_to_context {
        config::ClaimsToContext::Flag(false) => {}
        config::ClaimsToContext::Flag(true) => context.push(all_claims()),
        config::ClaimsToContext::Word(w) if w == "all" => context.push(all_claims()),
        config::ClaimsToContext::Word(w) => {
            return Err(err(
                &format!("{key}.claims_to_context"),
                format!("{w:?}: use \"all\", true, or a table of templates"),
            ))
        }
        config::ClaimsToContext::Templates(templates) => {
            for (name, text) in templates {
                let ckey = format!("{key}.claims_to_context.{name}");
                if !context_in_payload && reserved_header(name) {
                    return Err(err(
                        &ckey,
                        "a registered JOSE header name; pick another member name",
                    ));
                }
                context.push((name.clone(), Template::parse(&ckey, text)?));
            }
        }
    }
    Ok(Authorizer {
        route,
        skew,
        binding,
        single_use,
        context,
        context_in_payload,
    })
}

impl Binding {
    /// Whether the claim names `digest` (a string claim, or any member of an array claim).
    pub fn matches(&self, claims: &Value, digest: &[u8]) -> bool {
        use base64::Engine;
        let decode = |s: &str| -> Option<Vec<u8>> {
            let s = s.trim_end_matches('=');
            match self.encoding {
                Encoding::Base64Url => base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(s)
                    .ok(),
                Encoding::Base64 => base64::engine::general_purpose::STANDARD_NO_PAD
                    .decode(s)
                    .ok(),
                Encoding::Hex => hex_decode(s),
            }
        };
        let named = |v: &Value| v.as_str().and_then(decode).is_some_and(|d| d == digest);
        match crate::rules::lookup(claims, &self.claim) {
            Some(Value::Array(items)) => items.iter().any(named),
            Some(v) => named(v),
            None => false,
        }
    }
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_copy_or_join() {
        let claims = serde_json::json!({"sub": "alice", "acr": "high", "amr": ["pwd", "otp"]});
        let t = Template::parse("t", "${sub} (${acr})").unwrap();
        assert_eq!(
            t.render(&claims),
            Some(Value::String("alice (high)".into()))
        );
        let t = Template::parse("t", "${amr}").unwrap();
        assert_eq!(t.render(&claims), Some(serde_json::json!(["pwd", "otp"])));
        let t = Template::parse("t", "${missing}").unwrap();
        assert_eq!(t.render(&claims), None);
        assert!(Template::parse("t", "${sub").is_err());
        assert!(Template::parse("t", "${}").is_err());
    }

    #[test]
    fn binding_decodes_each_encoding() {
        let digest = Sha2::Sha256.digest(b"doc");
        use base64::Engine;
        for (encoding, text) in [
            (
                Encoding::Base64Url,
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest),
            ),
            (
                Encoding::Base64,
                base64::engine::general_purpose::STANDARD.encode(&digest),
            ),
            (
                Encoding::Hex,
                digest.iter().map(|b| format!("{b:02x}")).collect(),
            ),
        ] {
            let b = Binding {
                claim: "doc".into(),
                hash: Sha2::Sha256,
                encoding,
            };
            assert!(b.matches(&serde_json::json!({ "doc": text }), &digest));
            assert!(b.matches(&serde_json::json!({ "doc": ["x", text] }), &digest));
            assert!(!b.matches(&serde_json::json!({ "doc": "AAAA" }), &digest));
            assert!(!b.matches(&serde_json::json!({}), &digest));
        }
    }
}
