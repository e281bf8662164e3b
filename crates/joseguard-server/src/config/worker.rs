//! `[[worker]]` tables into workers: signing keys loaded (or generated on first start),
//! authorizers built as routes with the worker's audiences, clock skew, `typ` and lifetime, and
//! validation workers trusting issuers or signing workers.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use joseguard::header::normalize_media_type;
use joseguard::jws::{Keys, VerifyPolicy};
use joseguard::Jwk;
use toml::Spanned;

use super::route::{route_issuer, Expect};
use super::schema::{self, AllClaims, ClaimsToContext, ContextInto, WhenStoreDown, WorkerKind};
use super::{err, named, ConfigError, Source};
use crate::claims::template::Template;
use crate::runtime::{
    Authorizer, Binding, Issuer, KidMap, Mode, Output, Role, Route, RouteIssuer, Signer, SingleUse,
    TokenSource, Worker,
};

/// Every worker: signing workers first, since validation workers may trust them.
pub(super) fn build_all(
    raw: &[Spanned<schema::Worker>],
    issuers: &[Arc<Issuer>],
    base: &Path,
    persist_keys: bool,
    src: &Source<'_>,
) -> Result<Vec<Arc<Worker>>, ConfigError> {
    let mut names = HashSet::new();
    for (i, table) in raw.iter().enumerate() {
        let w = table.get_ref();
        let located = src.locate(table.span().start);
        let key = format!("worker[{i}]");
        let segment_safe = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if w.name.is_empty() || !w.name.chars().all(segment_safe) {
            return Err(located(err(
                &format!("{key}.name"),
                "use letters, digits, - and _ (it is a URL path segment)",
            )));
        }
        if !names.insert(w.name.as_str()) {
            return Err(located(err(
                &key,
                format!("duplicate worker name {:?}", w.name),
            )));
        }
    }
    let mut workers: Vec<Arc<Worker>> = Vec::with_capacity(raw.len());
    for kind in [WorkerKind::Signing, WorkerKind::Validation] {
        for (i, table) in raw.iter().enumerate() {
            let w = table.get_ref();
            if w.kind != kind {
                continue;
            }
            let key = format!("worker[{i}] ({})", w.name);
            let worker = match kind {
                WorkerKind::Signing => signing(&key, w, issuers, base, persist_keys),
                WorkerKind::Validation => validation(&key, w, issuers, &workers),
            }
            .map_err(src.locate(table.span().start))?;
            workers.push(Arc::new(worker));
        }
    }
    Ok(workers)
}

fn signing(
    key: &str,
    w: &schema::Worker,
    issuers: &[Arc<Issuer>],
    base: &Path,
    persist: bool,
) -> Result<Worker, ConfigError> {
    let signer = signer(key, w, base, persist)?;
    let Some(raw) = &w.authorizer else {
        return Err(err(
            key,
            "a signing worker needs [worker.authorizer]: who may sign with its key",
        ));
    };
    Ok(Worker {
        name: w.name.clone(),
        authorizer: Some(authorizer(&format!("{key}.authorizer"), raw, issuers, w)?),
        role: Role::Signing(signer),
    })
}

fn validation(
    key: &str,
    w: &schema::Worker,
    issuers: &[Arc<Issuer>],
    signing: &[Arc<Worker>],
) -> Result<Worker, ConfigError> {
    if w.key_file.is_some()
        || w.generate.is_some()
        || w.kid.is_some()
        || w.key.is_some()
        || !w.keys.is_empty()
        || w.pkcs11_module.is_some()
        || w.pin_file.is_some()
        || w.pin_env.is_some()
        || w.certificate_chain.is_some()
        || w.certificate_header.is_some()
    {
        return Err(err(
            key,
            "key_file, generate, key, keys, kid, pkcs11_module, pin_file, pin_env, certificate_chain and certificate_header belong to signing workers",
        ));
    }
    if w.trust.is_empty() {
        return Err(err(
            &format!("{key}.trust"),
            "name at least one [[issuer]] or signing [[worker]]",
        ));
    }
    let mut trusted = Vec::with_capacity(w.trust.len());
    for name in &w.trust {
        if let Some(issuer) = issuers.iter().find(|i| &i.name == name) {
            trusted.push(issuer.clone());
        } else if let Some(s) = signing.iter().find(|x| &x.name == name) {
            trusted.push(Arc::new(worker_issuer(s)?));
        } else {
            return Err(err(
                &format!("{key}.trust"),
                format!("no [[issuer]] or signing [[worker]] named {name:?}"),
            ));
        }
    }
    let expect = Expect {
        crit: &[],
        allow_json: true,
        leeway: None,
        audiences: None,
        require_exp: w.check_claims,
        max_lifetime: None,
    };
    let route = internal_route(
        format!("/workers/{}/verify", w.name),
        trusted.iter().map(|i| route_issuer(i, &expect)).collect(),
        Vec::new(),
        w.check_claims,
        true,
    );
    let authorizer = w
        .authorizer
        .as_ref()
        .map(|a| authorizer(&format!("{key}.authorizer"), a, issuers, w))
        .transpose()?;
    if authorizer.as_ref().is_some_and(|a| a.binding.is_some()) {
        return Err(err(
            &format!("{key}.authorizer.binding"),
            "binding applies to signing workers",
        ));
    }
    Ok(Worker {
        name: w.name.clone(),
        role: Role::Validation(Box::new(route)),
        authorizer,
    })
}

/// A route that is not forwarded anywhere: a worker's authorizer (bearer token, JWT claims) or
/// a validation worker's trust.
fn internal_route(
    path: String,
    issuers: Vec<RouteIssuer>,
    typ: Vec<String>,
    claims: bool,
    allow_json: bool,
) -> Route {
    Route {
        path,
        issuers,
        mode: Mode::Bearer,
        token: TokenSource::Bearer,
        allow_json,
        typ,
        cty: Vec::new(),
        check_claims: claims,
        require_exp: claims,
        rules: None,
        claim_headers: Vec::new(),
        reserved_headers: Vec::new(),
        backend: None,
        forward_token: false,
        cache: None,
        keep: None,
    }
}

/// The signing keys and what they offer.
fn signer(
    key: &str,
    w: &schema::Worker,
    base: &Path,
    persist: bool,
) -> Result<Signer, ConfigError> {
    let (keys, algorithms) = super::signing_key::build_all(key, w, base, persist)?;
    Ok(Signer {
        keys,
        algorithms,
        output: w.output,
    })
}

/// A signing worker seen as an issuer, so that a validation worker can trust it: its public key
/// by `kid` (and as `default`), its algorithms, and the context members it writes.
fn worker_issuer(worker: &Worker) -> Result<Issuer, ConfigError> {
    let Role::Signing(s) = &worker.role else {
        return Err(err(&worker.name, "not a signing worker"));
    };
    // Every key that may still verify, by kid. A lone key also verifies signatures without a
    // kid (`default`); with several (rotation) the kid decides, since which one is current
    // changes with time and not with this configuration.
    let mut by_kid = HashMap::new();
    for k in &s.keys {
        let public = Arc::new(Jwk::from_value(&k.public).map_err(|e| err(&worker.name, e))?);
        by_kid.insert(k.kid.clone(), public);
    }
    if let [only] = s.keys.as_slice() {
        if let Some(public) = by_kid.get(&only.kid).cloned() {
            by_kid.insert("default".to_owned(), public);
        }
    }
    let by_kid = Arc::new(by_kid);
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
        policy,
        audiences: Vec::new(),
        leeway: 0,
        by_kid,
        jwks: None,
        x5c: None,
    })
}

fn authorizer(
    key: &str,
    raw: &schema::Authorizer,
    issuers: &[Arc<Issuer>],
    worker: &schema::Worker,
) -> Result<Authorizer, ConfigError> {
    if raw.servers.is_empty() {
        return Err(err(
            &format!("{key}.servers"),
            "name at least one [[issuer]]: the authorization servers whose tokens are accepted",
        ));
    }
    let servers = named(
        &format!("{key}.servers"),
        &raw.servers,
        issuers,
        "[[issuer]]",
    )?;
    let skew = raw.clock_skew.as_secs();
    let expect = Expect {
        crit: &[],
        allow_json: false,
        leeway: Some(skew),
        audiences: (!raw.audiences.is_empty()).then_some(raw.audiences.as_slice()),
        require_exp: true,
        max_lifetime: raw.max_token_lifetime.map(|d| d.as_secs()),
    };
    let mut route = internal_route(
        format!("/workers/{}", worker.name),
        servers.iter().map(|i| route_issuer(i, &expect)).collect(),
        raw.typ.iter().map(|t| normalize_media_type(t)).collect(),
        true,
        false,
    );
    route.rules = raw
        .rules
        .as_ref()
        .map(|r| super::rules::parse(&format!("{key}.rules"), r))
        .transpose()?;
    let binding = raw.binding.as_ref().map(|b| Binding {
        claim: b.claim.clone(),
        hash: b.hash,
        encoding: b.encoding,
    });
    crate::workers::replay::check_spec(&raw.replay_store)
        .map_err(|e| err(&format!("{key}.replay_store"), e))?;
    let single_use = raw.single_use.then(|| SingleUse {
        store: raw.replay_store.clone(),
        allow_when_down: raw.replay_store_unavailable == WhenStoreDown::Allow,
    });
    let context_in_payload = raw.context_into == ContextInto::Payload;
    if context_in_payload && worker.output == Output::Detached {
        return Err(err(
            &format!("{key}.context_into"),
            "a detached output signs the document as it is: put the context in the header",
        ));
    }
    Ok(Authorizer {
        route,
        skew,
        binding,
        single_use,
        context: context(key, &raw.claims_to_context, context_in_payload)?,
        context_in_payload,
    })
}

fn context(
    key: &str,
    raw: &ClaimsToContext,
    in_payload: bool,
) -> Result<Vec<(String, Template)>, ConfigError> {
    let all = || vec![("claims".to_owned(), Template::all_claims())];
    let templates = match raw {
        ClaimsToContext::Flag(false) => return Ok(Vec::new()),
        ClaimsToContext::Flag(true) | ClaimsToContext::Word(AllClaims::All) => return Ok(all()),
        ClaimsToContext::Templates(t) => t,
    };
    let mut out = Vec::with_capacity(templates.len());
    for (name, text) in templates {
        let ckey = format!("{key}.claims_to_context.{name}");
        if !in_payload && reserved_header(name) {
            return Err(err(
                &ckey,
                "a registered JOSE header name; pick another member name",
            ));
        }
        out.push((
            name.clone(),
            Template::parse(text).map_err(|e| err(&ckey, e))?,
        ));
    }
    Ok(out)
}

/// Whether a context member may not take `name` in a protected header: every JWS and JWE header
/// parameter the libraries know, except the claims RFC 7519 §5.3 lets a header replicate.
fn reserved_header(name: &str) -> bool {
    const REPLICATED_CLAIMS: [&str; 3] = ["iss", "sub", "aud"];
    !REPLICATED_CLAIMS.contains(&name)
        && (joseguard::jws::REGISTERED_HEADER_NAMES.contains(&name)
            || joseguard::jwe::REGISTERED_JWE_HEADER_NAMES.contains(&name))
}
