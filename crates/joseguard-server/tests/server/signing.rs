//! The signing service end to end over HTTP: an authorization server's key issues tokens with
//! different `acr`/`amr`/`aud`; workers sign, refuse, bind, spend tokens once (in memory and on a
//! real Redis shared by two instances), publish their keys, and validate what they signed.

use std::time::Duration;

use base64::Engine;
use joseguard::jws::{Header, Verifier, VerifyPolicy};
use joseguard::jwt;
use joseguard::{EcCurve, Jwk, JwkSet, JwsAlgorithm, KeySpec, Sha2};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{client, get_text, problem, refusal, Gw};

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The authorization server: its key, and tokens for the signing service.
pub(crate) struct As {
    key: Jwk,
    alg: JwsAlgorithm,
    iss: &'static str,
}

impl As {
    /// The usual authorization server: ES256, `https://as.example`.
    pub(crate) fn es256() -> As {
        As::new(
            KeySpec::Ec(EcCurve::P256),
            JwsAlgorithm::ES256,
            "https://as.example",
        )
    }

    fn new(spec: KeySpec, alg: JwsAlgorithm, iss: &'static str) -> As {
        As {
            key: Jwk::generate(spec).unwrap(),
            alg,
            iss,
        }
    }

    /// `MFkw...`: base64 SubjectPublicKeyInfo, as CZERTAINLY's `SERVER.N.PUBLICKEY`.
    fn spki(&self) -> String {
        b64(&self.key.to_spki_der().unwrap())
    }

    /// A token for audience `signer`, `acr` high, `amr` [pwd, mfa], a fresh `jti`; `f` adjusts.
    pub(crate) fn token(&self, f: impl FnOnce(jwt::Builder) -> jwt::Builder) -> String {
        let now = jwt::now();
        f(jwt::Builder::new()
            .issuer(self.iss)
            .audience("signer")
            .subject("alice")
            .issued_at(now)
            .expires_at(now + 120)
            .jwt_id(&jwt::random_jti().unwrap())
            .claim("acr", "high")
            .claim("amr", json!(["pwd", "mfa"])))
        .sign(&self.key, self.alg)
        .unwrap()
    }
}

async fn sign(gw: &Gw, worker: &str, token: Option<&str>, body: Value) -> reqwest::Response {
    let mut req = client()
        .post(gw.url(&format!("/workers/{worker}/sign")))
        .json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

/// The worker's keys, from its own JWK Set endpoint.
async fn worker_keys(gw: &Gw, worker: &str) -> JwkSet {
    let resp = client()
        .get(gw.url(&format!("/workers/{worker}/jwks")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    JwkSet::from_json(resp.bytes().await.unwrap()).unwrap()
}

fn verifier(keys: JwkSet, alg: JwsAlgorithm, private: &[&str]) -> Verifier {
    let policy = VerifyPolicy::new([alg])
        .unwrap()
        .allow_private_headers(private.iter().map(|s| s.to_string()));
    Verifier::new(policy, keys)
}

pub(crate) fn config(as_key: &As, workers: &str) -> String {
    format!(
        r#"
[server]
listen = "127.0.0.1:0"
watch_interval = "0s"

[[issuer]]
name = "as"
iss = "{iss}"
algorithms = ["ES256"]
[issuer.keys]
default = {{ spki = "{spki}" }}

{workers}
"#,
        iss = as_key.iss,
        spki = as_key.spki(),
    )
}

const DOCSIGN: &str = r#"
[[worker]]
name = "docsign"
kind = "signing"
key_file = "keys/docsign.jwk"
generate = "EC:P-256"
algorithms = ["ES256"]
[worker.authorizer]
servers = ["as"]
audiences = ["signer"]
clock_skew = "300s"
claims_to_context = { signer = "${sub} (${acr})", amr = "${amr}" }
rules = { all = [
  { claim = "acr", at_least = "substantial", levels = ["low", "substantial", "high"] },
  { any = [ { claim = "amr", contains = "mfa" }, { claim = "amr", contains = "otp" } ] },
  { not = { claim = "suspended", exists = true } },
  { claim = "sub", regex = "[a-z]+" },
  { claim = "loa", gte = 2 },
  { claim = "scope", contains_all = ["sign", "docs"] },
  { claim = "tenant", one_of = ["acme", "globex"] },
  { claim = "dept", equals = "legal" },
] }

[[worker]]
name = "flat"
kind = "signing"
key_file = "keys/flat.jwk"
generate = "OKP:Ed25519"
output = "flattened"
kid = "flat-1"
[worker.authorizer]
servers = ["as"]
audiences = ["signer"]
context_into = "payload"
claims_to_context = { signer = "${sub}", level = "${acr}" }

[[worker]]
name = "big"
kind = "signing"
key_file = "keys/big.jwk"
generate = "RSA:2048"
algorithms = ["PS256", "RS256"]
output = "detached"
[worker.authorizer]
servers = ["as"]
audiences = ["signer"]

[[worker]]
name = "bound"
kind = "signing"
key_file = "keys/bound.jwk"
generate = "EC:P-384"
[worker.authorizer]
servers = ["as"]
audiences = ["signer"]
binding = { claim = "doc_hash", hash = "SHA-256", encoding = "base64url" }

[[worker]]
name = "once"
kind = "signing"
key_file = "keys/once.jwk"
generate = "EC:P-256"
[worker.authorizer]
servers = ["as"]
audiences = ["signer"]
single_use = true

[[worker]]
name = "check"
kind = "validation"
trust = ["docsign", "big"]
"#;

/// A change to a token's claims.
type Adjust = Box<dyn Fn(jwt::Builder) -> jwt::Builder>;

/// Claims every rule of `docsign` accepts.
fn allowed(b: jwt::Builder) -> jwt::Builder {
    b.claim("loa", 3)
        .claim("scope", "sign docs read")
        .claim("tenant", "acme")
        .claim("dept", json!(["legal", "hr"]))
}

/// The workers of [`DOCSIGN`] on a fresh server (named `name`), their authorization server,
/// and a document.
async fn docsign(name: &str) -> (Gw, As, Vec<u8>, Value) {
    let authz = As::es256();
    let gw = Gw::start(name, &config(&authz, DOCSIGN), &[]).await;
    let doc = b"the contract, version 3".to_vec();
    let data = json!({ "data": b64(&doc) });
    (gw, authz, doc, data)
}

/// Signs `doc` with `docsign`: the compact JWS.
async fn signed(gw: &Gw, authz: &As, data: &Value) -> String {
    let answer: Value = sign(gw, "docsign", Some(&authz.token(allowed)), data.clone())
        .await
        .json()
        .await
        .unwrap();
    answer["jws"].as_str().unwrap().to_owned()
}

/// Signed: the JWS verifies with the worker's published key and carries the context; the raw
/// body is the document too.
#[tokio::test]
async fn signed_documents_verify_and_carry_the_context() {
    let (gw, authz, doc, data) = docsign("signed-documents-verify-and-carry-the-co").await;
    // Signed: the JWS verifies with the worker's published key and carries the context.
    let resp = sign(&gw, "docsign", Some(&authz.token(allowed)), data.clone()).await;
    assert_eq!(resp.status(), 200);
    let answer: Value = resp.json().await.unwrap();
    assert_eq!(answer["context"]["signer"], "alice (high)");
    assert_eq!(answer["context"]["amr"], json!(["pwd", "mfa"]));
    let keys = worker_keys(&gw, "docsign").await;
    let kid = keys.keys()[0].kid().unwrap().to_owned();
    assert_eq!(kid, keys.keys()[0].thumbprint_b64(Sha2::Sha256));
    assert_eq!(answer["kid"], kid);
    let compact = answer["jws"].as_str().unwrap().to_owned();
    let v = verifier(keys, JwsAlgorithm::ES256, &["signer", "amr"]);
    let verified = v.verify(compact.as_bytes()).unwrap();
    assert_eq!(verified.payload, doc);
    let h = verified.protected_header();
    assert_eq!(h.str("signer"), Some("alice (high)"));
    assert_eq!(h.kid(), Some(kid.as_str()));

    // The raw body is the document too.
    let resp = client()
        .post(gw.url("/workers/docsign/sign"))
        .bearer_auth(authz.token(allowed))
        .body(doc.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

/// Each rule kind denies with 403 and names the claim; `any` takes either branch.
#[tokio::test]
async fn every_rule_kind_denies_with_403() {
    let (gw, authz, _, data) = docsign("every-rule-kind-denies-with-403").await;
    // Each rule kind denies with 403 and says which claim.
    let denials: Vec<(&str, Adjust)> = vec![
        ("acr", Box::new(|b| allowed(b).claim("acr", "low"))),
        ("acr", Box::new(|b| allowed(b).claim("acr", "unheard-of"))),
        ("amr", Box::new(|b| allowed(b).claim("amr", json!(["pwd"])))),
        (
            "suspended",
            Box::new(|b| allowed(b).claim("suspended", true)),
        ),
        ("sub", Box::new(|b| allowed(b).subject("Alice42"))),
        ("loa", Box::new(|b| allowed(b).claim("loa", 1))),
        ("scope", Box::new(|b| allowed(b).claim("scope", "sign"))),
        (
            "tenant",
            Box::new(|b| allowed(b).claim("tenant", "initech")),
        ),
        ("dept", Box::new(|b| allowed(b).claim("dept", "sales"))),
    ];
    for (claim, f) in denials {
        let resp = sign(&gw, "docsign", Some(&authz.token(f)), data.clone()).await;
        let (status, challenge, body) = problem(resp).await;
        assert_eq!(status, 403, "{claim}");
        assert_eq!(body["code"], "rule_denied", "{claim}");
        assert!(body["detail"].as_str().unwrap().contains(claim), "{body}");
        assert!(challenge.unwrap().contains("insufficient_scope"));
    }
    // `amr` with otp instead of mfa is the other branch of `any`.
    let otp = authz.token(|b| allowed(b).claim("amr", json!(["otp"])));
    assert_eq!(
        sign(&gw, "docsign", Some(&otp), data.clone())
            .await
            .status(),
        200
    );
}

/// 401 with a Bearer challenge for a missing, malformed, foreign or stale token; a token
/// expired within the clock skew still passes.
#[tokio::test]
async fn token_refusals_are_401_with_a_challenge() {
    let (gw, authz, _, data) = docsign("token-refusals-are-401-with-a-challenge").await;
    // 401 with a Bearer challenge: missing, malformed, wrong key, aud missing or foreign, too
    // old for the clock skew; a token expired within the skew is still accepted.
    let resp = sign(&gw, "docsign", None, data.clone()).await;
    let (status, challenge, body) = problem(resp).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("token_missing"))
    );
    assert_eq!(challenge.as_deref(), Some("Bearer realm=\"joseguard\""));
    let stranger = As::es256();
    let now = jwt::now();
    for (token, code) in [
        ("not.a.token".to_owned(), "token_malformed"),
        (stranger.token(allowed), "signature_invalid"),
        (
            allowed(jwt::Builder::new())
                .issuer(authz.iss)
                .subject("alice")
                .expires_at(now + 60)
                .claim("acr", "high")
                .claim("amr", json!(["mfa"]))
                .sign(&authz.key, authz.alg)
                .unwrap(),
            "audience_invalid",
        ),
        (
            authz.token(|b| allowed(b).audience("elsewhere")),
            "audience_invalid",
        ),
        (
            authz.token(|b| allowed(b).issuer("https://evil.example")),
            "issuer_invalid",
        ),
        (
            authz.token(|b| allowed(b).expires_at(now - 400)),
            "token_expired",
        ),
    ] {
        let resp = sign(&gw, "docsign", Some(&token), data.clone()).await;
        let (status, challenge, body) = problem(resp).await;
        assert_eq!(status, 401, "{code}: {body}");
        assert_eq!(body["code"], code, "{body}");
        assert!(challenge.unwrap().contains("invalid_token"));
    }
    let late = authz.token(|b| allowed(b).expires_at(now - 100));
    assert_eq!(
        sign(&gw, "docsign", Some(&late), data.clone())
            .await
            .status(),
        200
    );
}

/// A submitted hash gets a raw signature that completes a JWS; malformed requests are 400.
#[tokio::test]
async fn submitted_hashes_get_raw_signatures() {
    let (gw, authz, doc, data) = docsign("submitted-hashes-get-raw-signatures").await;
    let kid = worker_keys(&gw, "docsign").await.keys()[0]
        .kid()
        .unwrap()
        .to_owned();
    // A submitted hash gives a raw signature: over the hash of a JWS signing input it completes
    // a compact JWS that verifies with the published key.
    let header = Header::new().with("alg", "ES256").with("kid", kid.as_str());
    let input = format!("{}.{}", b64url(header.to_json().as_bytes()), b64url(&doc));
    let hash = Sha2::Sha256.digest(input.as_bytes());
    let req = json!({ "hash": b64(&hash), "hashAlgorithm": "SHA-256" });
    let resp = sign(&gw, "docsign", Some(&authz.token(allowed)), req).await;
    assert_eq!(resp.status(), 200);
    let answer: Value = resp.json().await.unwrap();
    let assembled = format!("{input}.{}", answer["signature"].as_str().unwrap());
    let v = verifier(worker_keys(&gw, "docsign").await, JwsAlgorithm::ES256, &[]);
    assert_eq!(v.verify(assembled.as_bytes()).unwrap().payload, doc);
    // ... of the algorithm's hash only, and well formed.
    for (req, code) in [
        (
            json!({ "hash": b64(&[0; 48]), "hashAlgorithm": "SHA-384" }),
            "hash_algorithm_unsupported",
        ),
        (
            json!({ "hash": b64(&[0; 31]), "hashAlgorithm": "SHA-256" }),
            "request_invalid",
        ),
        (json!({ "hash": b64(&hash) }), "request_invalid"),
        (json!({ "data": "%%%" }), "request_invalid"),
        (
            json!({ "data": b64(&doc), "alg": "RS256" }),
            "alg_not_offered",
        ),
        (json!({ "data": b64(&doc), "extra": 1 }), "request_invalid"),
    ] {
        let resp = sign(&gw, "docsign", Some(&authz.token(allowed)), req.clone()).await;
        assert_eq!(
            refusal(resp).await,
            (StatusCode::BAD_REQUEST, code.to_owned()),
            "{req}"
        );
    }
    let resp = sign(&gw, "nobody", Some(&authz.token(allowed)), data.clone()).await;
    assert_eq!(refusal(resp).await.1, "worker_unknown");
}

/// Flattened Ed25519 output with the context in a signed attributes object.
#[tokio::test]
async fn flattened_output_with_signed_attributes() {
    let (gw, authz, doc, data) = docsign("flattened-output-with-signed-attributes").await;
    // Flattened, Ed25519, the context in a signed attributes object beside the document.
    let resp = sign(&gw, "flat", Some(&authz.token(|b| b)), data.clone()).await;
    assert_eq!(resp.status(), 200);
    let answer: Value = resp.json().await.unwrap();
    assert_eq!(answer["kid"], "flat-1");
    let v = verifier(worker_keys(&gw, "flat").await, JwsAlgorithm::EdDSA, &[]);
    let verified = v.verify(answer["jws"].to_string().as_bytes()).unwrap();
    let signed: Value = serde_json::from_slice(&verified.payload).unwrap();
    assert_eq!(signed["document"], b64url(&doc));
    assert_eq!(
        signed["attributes"],
        json!({"signer": "alice", "level": "high"})
    );
    // EdDSA signs documents, not hashes.
    let hash = Sha2::Sha256.digest(&doc);
    let req = json!({ "hash": b64(&hash), "hashAlgorithm": "SHA-256" });
    let resp = sign(&gw, "flat", Some(&authz.token(|b| b)), req).await;
    assert_eq!(refusal(resp).await.1, "hash_algorithm_unsupported");
}

/// Detached, unencoded (RFC 7797) output for large documents, with the caller's algorithm.
#[tokio::test]
async fn detached_unencoded_output_for_large_documents() {
    let (gw, authz, _, _) = docsign("detached-unencoded-output-for-large-docu").await;
    // Detached and unencoded (RFC 7797) for large documents; the caller picks among the
    // worker's algorithms.
    let large = vec![b'x'; 200_000];
    let resp = client()
        .post(gw.url("/workers/big/sign"))
        .bearer_auth(authz.token(|b| b))
        .json(&json!({ "data": b64(&large), "alg": "RS256" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{:?}", resp.text().await);
    let answer: Value = resp.json().await.unwrap();
    let detached = answer["jws"].as_str().unwrap().to_owned();
    assert!(detached.contains(".."));
    let keys = worker_keys(&gw, "big").await;
    assert_eq!(
        keys.keys()[0].alg(),
        None,
        "two algorithms: the JWK names none"
    );
    let v = verifier(keys, JwsAlgorithm::RS256, &[]);
    assert!(v.verify_detached(detached.as_bytes(), &large).is_ok());
    assert!(v.verify_detached(detached.as_bytes(), b"other").is_err());
}

/// A binding authorizes only the document whose hash the token names.
#[tokio::test]
async fn binding_names_the_document() {
    let (gw, authz, doc, data) = docsign("binding-names-the-document").await;
    // Binding: the token authorizes only the document whose hash it names.
    let bound = |d: &[u8]| {
        let h = b64url(&Sha2::Sha256.digest(d));
        authz.token(move |b| b.claim("doc_hash", h))
    };
    let resp = sign(&gw, "bound", Some(&bound(&doc)), data.clone()).await;
    assert_eq!(resp.status(), 200);
    let resp = sign(
        &gw,
        "bound",
        Some(&bound(b"another document")),
        data.clone(),
    )
    .await;
    assert_eq!(
        refusal(resp).await,
        (StatusCode::FORBIDDEN, "binding_failed".to_owned())
    );
    let resp = sign(&gw, "bound", Some(&authz.token(|b| b)), data.clone()).await;
    assert_eq!(refusal(resp).await.1, "binding_failed");
    let doc_hash = Sha2::Sha256.digest(&doc);
    let req = json!({ "hash": b64(&doc_hash), "hashAlgorithm": "SHA-256", "alg": "ES384" });
    let resp = sign(&gw, "bound", Some(&bound(&doc)), req).await;
    assert_eq!(
        refusal(resp).await.1,
        "hash_algorithm_unsupported",
        "ES384 signs SHA-384"
    );
}

/// Single use: once, then 409; `jti` required; a denied request spends nothing.
#[tokio::test]
async fn single_use_tokens_sign_once() {
    let (gw, authz, _, data) = docsign("single-use-tokens-sign-once").await;
    // Single use: once, then 409; a token without jti is refused.
    let once = authz.token(|b| b);
    assert_eq!(
        sign(&gw, "once", Some(&once), data.clone()).await.status(),
        200
    );
    let resp = sign(&gw, "once", Some(&once), data.clone()).await;
    let (status, challenge, body) = problem(resp).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("token_replayed"))
    );
    assert!(challenge.is_none());
    let no_jti = jwt::Builder::new()
        .issuer(authz.iss)
        .audience("signer")
        .subject("alice")
        .expires_at(jwt::now() + 60)
        .sign(&authz.key, authz.alg)
        .unwrap();
    let resp = sign(&gw, "once", Some(&no_jti), data.clone()).await;
    assert_eq!(
        refusal(resp).await,
        (StatusCode::UNAUTHORIZED, "jti_missing".to_owned())
    );
    // A denied request does not spend the token.
    let fresh = authz.token(|b| b.claim("acr", "low"));
    assert_eq!(
        sign(&gw, "docsign", Some(&fresh), data.clone())
            .await
            .status(),
        403
    );
}

/// The validation worker's verdicts on what the signing workers produced.
#[tokio::test]
async fn validation_worker_judges_what_was_signed() {
    let (gw, authz, doc, data) = docsign("validation-worker-judges-what-was-signed").await;
    let compact = signed(&gw, &authz, &data).await;
    let large = vec![b'x'; 200_000];
    let answer: Value = client()
        .post(gw.url("/workers/big/sign"))
        .bearer_auth(authz.token(|b| b))
        .json(&json!({ "data": b64(&large) }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let detached = answer["jws"].as_str().unwrap().to_owned();
    // The validation worker checks what the signing workers produced.
    let verify = |body: Vec<u8>| {
        let url = gw.url("/workers/check/verify");
        async move {
            let resp = client().post(url).body(body).send().await.unwrap();
            assert_eq!(resp.status(), 200);
            resp.json::<Value>().await.unwrap()
        }
    };
    let verdict = verify(compact.clone().into_bytes()).await;
    assert_eq!(verdict["valid"], true, "{verdict}");
    assert_eq!(verdict["signer"], "docsign");
    assert_eq!(verdict["header"]["signer"], "alice (high)");
    assert_eq!(verdict["payloadB64"], b64url(&doc));
    let mut tampered = compact.clone();
    tampered.replace_range(compact.len() - 4.., "AAAA");
    let verdict = verify(tampered.into_bytes()).await;
    assert_eq!(verdict["valid"], false);
    assert_eq!(verdict["code"], "signature_invalid");
    let with_payload = json!({ "jws": detached, "payload": b64(&large) });
    let verdict = verify(with_payload.to_string().into_bytes()).await;
    assert_eq!(verdict["valid"], true, "{verdict}");
    assert_eq!(verdict["signer"], "big");
    let foreign = authz.token(|b| b);
    let verdict = verify(foreign.into_bytes()).await;
    assert_eq!(verdict["valid"], false, "the AS is not trusted by `check`");
}

/// The JWK Set of all signing workers, metrics per worker, and generated keys kept over a
/// reload.
#[tokio::test]
async fn jwks_metrics_and_generated_keys_survive_reloads() {
    let (gw, authz, _, data) = docsign("jwks-metrics-and-generated-keys-survive-").await;
    let kid = worker_keys(&gw, "docsign").await.keys()[0]
        .kid()
        .unwrap()
        .to_owned();
    let once = authz.token(|b| b);
    for _ in 0..2 {
        sign(&gw, "once", Some(&once), data.clone()).await;
    }
    // The JWK Set of all signing workers, and metrics per worker.
    let all: Value = client()
        .get(gw.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all["keys"].as_array().unwrap().len(), 5);
    assert!(all.to_string().find("\"d\"").is_none(), "public keys only");
    let metrics = get_text(&gw.url("/metrics")).await;
    assert!(metrics.contains(
        "joseguard_decisions_total{route=\"worker:once:sign\",decision=\"deny\",code=\"token_replayed\"} 1"
    ), "{metrics}");

    // Generated keys are kept: after a reload the worker signs with the same key.
    assert!(gw.dir.join("keys/docsign.jwk").exists());
    gw.reload.notify_one();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let again = worker_keys(&gw, "docsign").await;
    assert_eq!(again.keys()[0].kid(), Some(kid.as_str()));
}

/// CZERTAINLY's sample authorizer properties, translated (docs/signing.md has the table):
///
/// ```properties
/// AUTHTYPE=com.czertainly.signserver.module.extendedjws.ExtendedJwsAuthorizer
/// SERVER.1.ISSUER=https://idp-one.example
/// SERVER.1.PUBLICKEY=<base64 SPKI, RSA>
/// SERVER.1.KEYALGORITHM=RSA
/// SERVER.1.DESCRIPTION=first identity provider
/// SERVER.2.ISSUER=https://idp-two.example
/// SERVER.2.PUBLICKEY=<base64 SPKI, EC>
/// SERVER.2.KEYALGORITHM=ECDSA
/// JWS.1.CLAIM.NAME=amr
/// JWS.1.CLAIM.VALUE=mfa
/// JWS.2.CLAIM.NAME=acr
/// JWS.2.CLAIM.VALUE=substantial
/// ACCEPTED_AUDIENCES=signing-service
/// MAX_ALLOWED_CLOCK_SCEW=60
/// CLAIMS_TO_CONTEXT=true
/// ```
#[tokio::test]
async fn czertainly_sample_translated() {
    let one = As::new(
        KeySpec::Rsa(2048),
        JwsAlgorithm::RS256,
        "https://idp-one.example",
    );
    let two = As::new(
        KeySpec::Ec(EcCurve::P256),
        JwsAlgorithm::ES256,
        "https://idp-two.example",
    );
    let config = format!(
        r#"
[server]
listen = "127.0.0.1:0"
watch_interval = "0s"

# SERVER.1.DESCRIPTION=first identity provider
[[issuer]]
name = "server-1"
iss = "https://idp-one.example"
algorithms = ["RS256"]            # SERVER.1.KEYALGORITHM=RSA
ignore_kid = true
keys = {{ default = {{ spki = "{one}" }} }}

[[issuer]]
name = "server-2"
iss = "https://idp-two.example"
algorithms = ["ES256"]            # SERVER.2.KEYALGORITHM=ECDSA
ignore_kid = true
keys = {{ default = {{ spki = "{two}" }} }}

[[worker]]
name = "qes"
kind = "signing"
key_file = "qes.jwk"
generate = "EC:P-256"
[worker.authorizer]
servers = ["server-1", "server-2"]
audiences = ["signing-service"]
clock_skew = "60s"
rules = {{ all = [
  {{ claim = "amr", equals = "mfa" }},
  {{ claim = "acr", equals = "substantial" }},
] }}
claims_to_context = true
"#,
        one = one.spki(),
        two = two.spki(),
    );
    let gw = Gw::start("czertainly", &config, &[]).await;
    let data = json!({ "data": b64(b"hello") });
    let ok = |b: jwt::Builder| b.audience("signing-service").claim("acr", "substantial");
    for server in [&one, &two] {
        let resp = sign(&gw, "qes", Some(&server.token(ok)), data.clone()).await;
        assert_eq!(resp.status(), 200, "{}", server.iss);
        let answer: Value = resp.json().await.unwrap();
        let context = &answer["context"]["claims"];
        assert_eq!(
            (&context["sub"], &context["acr"]),
            (&json!("alice"), &json!("substantial"))
        );
        assert_eq!(context["iss"], server.iss);
    }
    // The key is the issuer's, whatever kid the token names (as CZERTAINLY).
    let t = joseguard::jws::Builder::new(
        json!({"iss": one.iss, "aud": "signing-service", "sub": "alice", "acr": "substantial",
               "amr": ["mfa"], "exp": jwt::now() + 60})
        .to_string()
        .as_bytes(),
    )
    .signer(
        &one.key,
        one.alg,
        Header::new().with("typ", "JWT").with("kid", "rp-sign"),
    )
    .unwrap()
    .compact()
    .unwrap();
    assert_eq!(sign(&gw, "qes", Some(&t), data.clone()).await.status(), 200);
    let now = jwt::now();
    for (token, status, code) in [
        (
            one.token(|b| ok(b).claim("acr", "high")),
            403,
            "rule_denied",
        ),
        (
            two.token(|b| ok(b).claim("amr", json!(["pwd"]))),
            403,
            "rule_denied",
        ),
        (
            two.token(|b| b.claim("acr", "substantial")),
            401,
            "audience_invalid",
        ),
        (
            one.token(|b| ok(b).expires_at(now - 90)),
            401,
            "token_expired",
        ),
        // server-1's key does not speak for server-2's issuer.
        (
            one.token(|b| ok(b).issuer("https://idp-two.example")),
            401,
            "alg_not_allowed",
        ),
    ] {
        let resp = sign(&gw, "qes", Some(&token), data.clone()).await;
        assert_eq!(
            refusal(resp).await,
            (StatusCode::from_u16(status).unwrap(), code.to_owned())
        );
    }
    let within_skew = one.token(|b| ok(b).expires_at(now - 30));
    assert_eq!(
        sign(&gw, "qes", Some(&within_skew), data).await.status(),
        200
    );
}

/// A `redis-server` on a free loopback port, stopped on drop.
struct Redis {
    port: u16,
    child: Option<std::process::Child>,
}

impl Redis {
    fn start_on(port: u16) -> Redis {
        let child = std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect(
                "redis-server not found: `bash .ci/run` installs it (apt-get install redis-server)",
            );
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Redis {
            port,
            child: Some(child),
        }
    }

    fn start() -> Redis {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Redis::start_on(port)
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

#[tokio::test]
async fn redis_replay_store_shared_by_two_instances() {
    let mut redis = Redis::start();
    let authz = As::es256();
    let workers = format!(
        r#"
[[worker]]
name = "strict"
kind = "signing"
key_file = "strict.jwk"
generate = "EC:P-256"
[worker.authorizer]
servers = ["as"]
audiences = ["signer"]
single_use = true
replay_store = "redis://127.0.0.1:{port}/"

[[worker]]
name = "lenient"
kind = "signing"
key_file = "lenient.jwk"
generate = "EC:P-256"
[worker.authorizer]
servers = ["as"]
audiences = ["signer"]
single_use = true
replay_store = "redis://127.0.0.1:{port}/"
replay_store_unavailable = "allow"
"#,
        port = redis.port
    );
    let config = config(&authz, &workers);
    let a = Gw::start("redis-a", &config, &[]).await;
    let b = Gw::start("redis-b", &config, &[]).await;
    let data = json!({ "data": b64(b"doc") });

    // A token spent on one instance is refused on the other.
    let token = authz.token(|b| b);
    assert_eq!(
        sign(&a, "strict", Some(&token), data.clone())
            .await
            .status(),
        200
    );
    let resp = sign(&b, "strict", Some(&token), data.clone()).await;
    assert_eq!(
        refusal(resp).await,
        (StatusCode::CONFLICT, "token_replayed".to_owned())
    );
    let resp = sign(&a, "strict", Some(&token), data.clone()).await;
    assert_eq!(refusal(resp).await.1, "token_replayed");

    // Redis stops: `strict` refuses with 503, `lenient` accepts; both are counted.
    redis.stop();
    let resp = sign(&a, "strict", Some(&authz.token(|b| b)), data.clone()).await;
    assert_eq!(
        resp.headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap()),
        Some("30")
    );
    assert_eq!(
        refusal(resp).await,
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "replay_store_unavailable".to_owned()
        )
    );
    let resp = sign(&a, "lenient", Some(&authz.token(|b| b)), data.clone()).await;
    assert_eq!(resp.status(), 200);
    let metrics = get_text(&a.url("/metrics")).await;
    for line in [
        "joseguard_replay_store_unavailable_total{worker=\"strict\",action=\"refused\"} 1",
        "joseguard_replay_store_unavailable_total{worker=\"lenient\",action=\"allowed\"} 1",
    ] {
        assert!(metrics.contains(line), "{line} in {metrics}");
    }

    // Redis back on the same port: the instances reconnect and the store works again.
    let _redis = Redis::start_on(redis.port);
    let token = authz.token(|b| b);
    assert_eq!(
        sign(&b, "strict", Some(&token), data.clone())
            .await
            .status(),
        200
    );
    let resp = sign(&a, "strict", Some(&token), data.clone()).await;
    assert_eq!(refusal(resp).await.1, "token_replayed");
}

#[tokio::test]
async fn worker_config_errors_name_the_key() {
    let authz = As::es256();
    let dir = std::env::temp_dir().join(format!("joseguard-worker-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let worker = |body: &str| format!("[[worker]]\nname = \"w\"\n{body}\n");
    for (body, expect) in [
        ("kind = \"signing\"\nkey_file = \"k.jwk\"\ngenerate = \"EC:P-256\"", "needs [worker.authorizer]"),
        ("kind = \"signing\"\nkey_file = \"absent.jwk\"\n[worker.authorizer]\nservers = [\"as\"]", "does not exist"),
        ("kind = \"signing\"\nkey_file = \"k2.jwk\"\ngenerate = \"oct:256\"\n[worker.authorizer]\nservers = [\"as\"]", "private asymmetric key"),
        ("kind = \"signing\"\nkey_file = \"k3.jwk\"\ngenerate = \"EC:P-256\"\nalgorithms = [\"RS256\"]\n[worker.authorizer]\nservers = [\"as\"]", "algorithms"),
        ("kind = \"signing\"\nkey_file = \"k4.jwk\"\ngenerate = \"EC:P-256\"\n[worker.authorizer]\nservers = [\"nobody\"]", "no [[issuer]] named \"nobody\""),
        ("kind = \"signing\"\nkey_file = \"k5.jwk\"\ngenerate = \"EC:P-256\"\n[worker.authorizer]\nservers = [\"as\"]\nclaims_to_context = { kid = \"${sub}\" }", "registered JOSE header"),
        ("kind = \"signing\"\nkey_file = \"k6.jwk\"\ngenerate = \"EC:P-256\"\n[worker.authorizer]\nservers = [\"as\"]\nreplay_store = \"mysql://x\"", "replay_store"),
        ("kind = \"signing\"\nkey_file = \"k7.jwk\"\ngenerate = \"EC:P-256\"\n[worker.authorizer]\nservers = [\"as\"]\nbinding = { claim = \"h\", hash = \"MD5\" }", "hash = \"MD5\" }: alg unsupported: \"MD5"),
        ("kind = \"signing\"\nkid = \"k\"\n[worker.authorizer]\nservers = [\"as\"]\n[[worker.keys]]\nkey_file = \"r1.jwk\"\ngenerate = \"EC:P-256\"", "on the worker or in each [[worker.keys]] entry, not both"),
        ("kind = \"signing\"\ncertificate_header = \"x5t#S256\"\n[worker.authorizer]\nservers = [\"as\"]\n[[worker.keys]]\nkey_file = \"r2.jwk\"\ngenerate = \"EC:P-256\"\ncertificate_chain = \"c.pem\"\n[[worker.keys]]\nkey_file = \"r3.jwk\"\ngenerate = \"EC:P-256\"", "needs a certificate_chain to name (worker[0] (w).keys[1] has none)"),
        ("kind = \"signing\"\nkey_file = \"k8.jwk\"\ngenerate = \"EC:P-256\"\npin_file = \"pin\"\n[worker.authorizer]\nservers = [\"as\"]", "apply to keys named key = \"pkcs11:...\""),
        ("kind = \"validation\"\ntrust = [\"as\"]\ncertificate_chain = \"c.pem\"", "belong to signing workers"),
        ("kind = \"validation\"\ntrust = [\"ghost\"]", "no [[issuer]] or signing [[worker]] named \"ghost\""),
        ("kind = \"sealing\"", "kind = \"sealing\": unknown variant `sealing`"),
    ] {
        let text = config(&authz, &worker(body));
        std::fs::write(dir.join("c.toml"), &text).unwrap();
        let e = joseguard_server::load(&dir.join("c.toml")).await.err().unwrap_or_else(|| panic!("accepted: {body}"));
        assert!(e.0.contains(expect), "{body}: {e}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A token with exactly these claims, signed by the authorization server, with `typ`.
fn raw_token(authz: &As, claims: Value, typ: &str) -> String {
    joseguard::jws::Builder::new(claims.to_string().as_bytes())
        .signer(&authz.key, authz.alg, Header::new().with("typ", typ))
        .unwrap()
        .compact()
        .unwrap()
}

/// The authorizer's `typ` allowlist (RFC 9068 `at+jwt` by default), maximum token lifetime,
/// `ignore_kid` on an issuer (CZERTAINLY does not read kid), and `claims_to_context = "all"`.
#[tokio::test]
async fn authorizer_typ_lifetime_kid_and_all_claims() {
    let authz = As::es256();
    let config = format!(
        r#"
[server]
listen = "127.0.0.1:0"
watch_interval = "0s"

[[issuer]]
name = "as"
iss = "https://as.example"
algorithms = ["ES256"]
ignore_kid = true
keys = {{ signing = {{ spki = "{spki}" }} }}

[[worker]]
name = "default-typ"
kind = "signing"
key_file = "a.jwk"
generate = "EC:P-256"
[worker.authorizer]
servers = ["as"]
audiences = ["signer"]
max_token_lifetime = "10m"
claims_to_context = "all"

[[worker]]
name = "at-only"
kind = "signing"
key_file = "b.jwk"
generate = "EC:P-256"
[worker.authorizer]
servers = ["as"]
audiences = ["signer"]
typ = ["at+jwt"]
claims_to_context = true

[[worker]]
name = "check"
kind = "validation"
trust = ["default-typ"]
"#,
        spki = authz.spki()
    );
    let gw = Gw::start("authorizer-extras", &config, &[]).await;
    let data = json!({ "data": b64(b"doc") });
    let now = jwt::now();
    let claims = |iat: i64, exp: i64| {
        json!({"iss": "https://as.example", "aud": "signer", "sub": "alice", "acr": "high",
               "iat": iat, "exp": exp})
    };
    let good = claims(now, now + 300);
    // kid is not consulted with ignore_kid: any kid, or none, verifies with the one key.
    for (worker, typ, kid, want) in [
        ("default-typ", "JWT", None, (200, "")),
        ("default-typ", "at+jwt", Some("rp-sign"), (200, "")),
        (
            "default-typ",
            "application/AT+JWT",
            Some("whatever"),
            (200, ""),
        ),
        ("default-typ", "JOSE", None, (401, "typ_not_allowed")),
        ("at-only", "at+jwt", None, (200, "")),
        ("at-only", "JWT", None, (401, "typ_not_allowed")),
    ] {
        let mut header = Header::new().with("typ", typ);
        if let Some(k) = kid {
            header.insert("kid", k);
        }
        let t = joseguard::jws::Builder::new(good.to_string().as_bytes())
            .signer(&authz.key, authz.alg, header)
            .unwrap()
            .compact()
            .unwrap();
        let resp = sign(&gw, worker, Some(&t), data.clone()).await;
        let got = if resp.status() == 200 {
            (200, String::new())
        } else {
            let (s, c) = refusal(resp).await;
            (s.as_u16(), c)
        };
        assert_eq!((got.0, got.1.as_str()), want, "{worker} {typ} {kid:?}");
    }
    // A token living an hour is refused where ten minutes is the most.
    let long = raw_token(&authz, claims(now, now + 3600), "JWT");
    let resp = sign(&gw, "default-typ", Some(&long), data.clone()).await;
    assert_eq!(
        refusal(resp).await,
        (StatusCode::UNAUTHORIZED, "token_time_invalid".into())
    );
    // Every claim goes into the signature under `claims`; the validation worker accepts it.
    let t = raw_token(&authz, good.clone(), "JWT");
    let answer: Value = sign(&gw, "default-typ", Some(&t), data.clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["context"]["claims"]["sub"], "alice");
    assert_eq!(answer["context"]["claims"]["acr"], "high");
    let jws = answer["jws"].as_str().unwrap().to_owned();
    let header = joseguard::jws::peek_header(jws.as_bytes()).unwrap();
    assert_eq!(header.get("claims").unwrap()["aud"], "signer");
    let verdict: Value = client()
        .post(gw.url("/workers/check/verify"))
        .body(jws)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(verdict["valid"], true, "{verdict}");
    let t = raw_token(&authz, good, "at+jwt");
    let answer: Value = sign(&gw, "at-only", Some(&t), data)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["context"]["claims"]["iss"], "https://as.example");
}

/// A fractional `exp` is read as the validation reads it: the single-use mark lives until the
/// token stops being accepted, not `clock_skew` after now.
#[tokio::test]
async fn fractional_exp_keeps_single_use_tokens_spent() {
    let authz = As::es256();
    let workers = r#"
[[worker]]
name = "once"
kind = "signing"
key_file = "once.jwk"
generate = "EC:P-256"
[worker.authorizer]
servers = ["as"]
audiences = ["signer"]
clock_skew = "1s"
single_use = true
"#;
    let gw = Gw::start("fractional-replay", &config(&authz, workers), &[]).await;
    let data = json!({ "data": b64(b"doc") });
    let now = jwt::now();
    let t = raw_token(
        &authz,
        json!({"iss": "https://as.example", "aud": "signer", "jti": "j-1",
               "exp": (now + 4) as f64 + 0.5}),
        "JWT",
    );
    assert_eq!(
        sign(&gw, "once", Some(&t), data.clone()).await.status(),
        200
    );
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let resp = sign(&gw, "once", Some(&t), data).await;
    assert_eq!(
        refusal(resp).await,
        (StatusCode::CONFLICT, "token_replayed".into())
    );
}

/// A request answered 503 because Redis did not answer must not spend its token: Redis frozen
/// (SIGSTOP) runs the buffered command when it resumes, and the gateway takes its mark back.
#[tokio::test]
async fn frozen_redis_does_not_spend_the_token() {
    let redis = Redis::start();
    let pid = redis.child.as_ref().unwrap().id().to_string();
    let signal = |sig: &str| {
        assert!(std::process::Command::new("kill")
            .args([sig, &pid])
            .status()
            .unwrap()
            .success());
    };
    let authz = As::es256();
    let workers = format!(
        r#"
[[worker]]
name = "strict"
kind = "signing"
key_file = "strict.jwk"
generate = "EC:P-256"
[worker.authorizer]
servers = ["as"]
audiences = ["signer"]
single_use = true
replay_store = "redis://127.0.0.1:{}/"
"#,
        redis.port
    );
    let gw = Gw::start("redis-frozen", &config(&authz, &workers), &[]).await;
    let data = json!({ "data": b64(b"doc") });
    // Connect first, so that the frozen server holds an open connection.
    assert_eq!(
        sign(&gw, "strict", Some(&authz.token(|b| b)), data.clone())
            .await
            .status(),
        200
    );
    let token = authz.token(|b| b);
    signal("-STOP");
    let resp = sign(&gw, "strict", Some(&token), data.clone()).await;
    signal("-CONT");
    assert_eq!(
        refusal(resp).await,
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "replay_store_unavailable".into()
        )
    );
    // Redis runs the buffered command, then the take-back queued behind it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        sign(&gw, "strict", Some(&token), data.clone())
            .await
            .status(),
        200,
        "the 503 did not spend the token"
    );
    let resp = sign(&gw, "strict", Some(&token), data).await;
    assert_eq!(
        refusal(resp).await,
        (StatusCode::CONFLICT, "token_replayed".into())
    );
}

/// A post-quantum signing worker: `generate = "ML-DSA-65"` makes an AKP key on first start; its
/// signatures verify with the published key (which names its `alg`), a validation worker trusts
/// it, and a submitted hash is refused (ML-DSA signs the message itself, RFC 9964).
#[tokio::test]
async fn ml_dsa_worker_signs_and_publishes_its_akp_key() {
    let authz = As::es256();
    let workers = r#"
[[worker]]
name = "pq"
kind = "signing"
key_file = "keys/pq.jwk"
generate = "ML-DSA-65"
[worker.authorizer]
servers = ["as"]
audiences = ["signer"]

[[worker]]
name = "pq-check"
kind = "validation"
trust = ["pq"]
"#;
    let gw = Gw::start("ml-dsa-worker", &config(&authz, workers), &[]).await;
    let doc = b"a document that must outlive RSA".to_vec();
    let resp = sign(
        &gw,
        "pq",
        Some(&authz.token(|b| b)),
        json!({ "data": b64(&doc) }),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let answer: Value = resp.json().await.unwrap();
    let keys = worker_keys(&gw, "pq").await;
    let published = keys.keys()[0].to_public_value();
    assert_eq!(
        (published["kty"].as_str(), published["alg"].as_str()),
        (Some("AKP"), Some("ML-DSA-65"))
    );
    assert!(published.get("priv").is_none());
    let compact = answer["jws"].as_str().unwrap();
    let verified = verifier(keys.clone(), JwsAlgorithm::MlDsa65, &[])
        .verify(compact.as_bytes())
        .unwrap();
    assert_eq!(verified.payload, doc);
    // The parameter set binds: the header relabelled ML-DSA-44, with both sets allowed, is
    // refused for the key's set, not for the allowlist.
    let (head, rest) = compact.split_once('.').unwrap();
    let relabelled = String::from_utf8(joseguard::b64::decode(head, "header").unwrap())
        .unwrap()
        .replace("ML-DSA-65", "ML-DSA-44");
    let forged = format!("{}.{rest}", b64url(relabelled.as_bytes()));
    let both = Verifier::new(
        VerifyPolicy::new([JwsAlgorithm::MlDsa44, JwsAlgorithm::MlDsa65]).unwrap(),
        keys,
    );
    assert!(matches!(
        both.verify(forged.as_bytes()).unwrap_err(),
        joseguard::Error::KeyMismatch(_)
    ));
    let resp = client()
        .post(gw.url("/workers/pq-check/verify"))
        .body(compact.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let hash = Sha2::Sha256.digest(&doc);
    let req = json!({ "hash": b64(&hash), "hashAlgorithm": "SHA-256" });
    let resp = sign(&gw, "pq", Some(&authz.token(|b| b)), req).await;
    assert_eq!(
        refusal(resp).await,
        (
            StatusCode::BAD_REQUEST,
            "hash_algorithm_unsupported".to_owned()
        )
    );
}

/// A rotation to post-quantum keys: an EC key, then an ML-DSA-65 key valid from a later
/// instant. Without `algorithms`, the worker offers each key's (ES256, ML-DSA-65); the key that
/// signs now decides which one a request gets, each published key names its own `alg`, and
/// asking for the other key's algorithm is refused with the reason.
#[tokio::test]
async fn rotation_moves_from_ecdsa_to_ml_dsa() {
    let authz = As::es256();
    let workers = r#"
[[worker]]
name = "pq"
kind = "signing"
[worker.authorizer]
servers = ["as"]
audiences = ["signer"]
[[worker.keys]]
kid = "ec-2026"
key_file = "ec.jwk"
generate = "EC:P-256"
not_before = "2020-01-01T00:00:00Z"
[[worker.keys]]
kid = "pq-2026"
key_file = "pq.jwk"
generate = "ML-DSA-65"
not_before = "2026-06-01T00:00:00Z"
"#;
    let gw = Gw::start("rotation-to-pq", &config(&authz, workers), &[]).await;
    let keys = worker_keys(&gw, "pq").await;
    let algs: Vec<_> = keys
        .keys()
        .iter()
        .map(|k| (k.kid().unwrap().to_owned(), k.alg().unwrap().to_owned()))
        .collect();
    assert_eq!(
        algs,
        [
            ("ec-2026".to_owned(), "ES256".to_owned()),
            ("pq-2026".to_owned(), "ML-DSA-65".to_owned())
        ]
    );
    let data = json!({ "data": b64(b"long-lived") });
    let answer: Value = sign(&gw, "pq", Some(&authz.token(|b| b)), data.clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (answer["kid"].as_str(), answer["alg"].as_str()),
        (Some("pq-2026"), Some("ML-DSA-65"))
    );
    let v = Verifier::new(
        VerifyPolicy::new([JwsAlgorithm::ES256, JwsAlgorithm::MlDsa65]).unwrap(),
        keys,
    );
    v.verify(answer["jws"].as_str().unwrap().as_bytes())
        .unwrap();
    let asked = json!({ "data": b64(b"x"), "alg": "ES256" });
    let (status, code) = refusal(sign(&gw, "pq", Some(&authz.token(|b| b)), asked).await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "alg_not_offered")
    );
}
