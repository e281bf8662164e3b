//! JWT production and validation: defaults, one test per rejection rule, RFC 7523 client
//! assertions, and the RFC 7519 examples from ../shared/vectors.

use std::sync::Arc;

use joseguard::jwa::{ContentEncryption, KeyManagementAlgorithm};
use joseguard::jwe::{nested, DecryptPolicy, Decrypter};
use joseguard::jws::{Header, Verifier, VerifyPolicy};
use joseguard::jwt::{self, client_assertion, Audience, Claims, Validation};
use joseguard::{EcCurve, Error, Jwk, JwkSet, JwsAlgorithm, KeySpec};
use serde_json::Value;

const NOW: i64 = 1_800_000_000;

fn key() -> Jwk {
    let mut k = Jwk::generate(KeySpec::Ec(EcCurve::P256)).unwrap();
    k.set_kid(Some("k1".into()));
    k
}

fn jws_verifier(key: &Jwk) -> Verifier {
    Verifier::new(
        VerifyPolicy::new([JwsAlgorithm::ES256]).unwrap(),
        key.to_public().unwrap(),
    )
}

fn verifier(key: &Jwk, validation: Validation) -> jwt::Verifier {
    jwt::Verifier::from_parts(jws_verifier(key), validation)
}

/// A token with exactly these claims (JSON text), signed by `key`.
fn token_with(claims: &str, key: &Jwk) -> String {
    joseguard::jws::Builder::new(claims.as_bytes())
        .signer(key, JwsAlgorithm::ES256, Header::new().with("typ", "JWT"))
        .unwrap()
        .compact()
        .unwrap()
}

/// The error for these claims. `Validation::validate` (which builds the claims map, as the
/// gateway uses it) and `jwt::Verifier` (one scanning pass, then the caller's type) must give
/// the same one.
fn err(claims: &str, validation: Validation) -> Error {
    let k = key();
    let token = token_with(claims, &k);
    let jws = jws_verifier(&k).verify(token.as_bytes()).unwrap();
    let full = validation
        .validate(jws.protected_header(), &jws.payload, NOW)
        .unwrap_err();
    let v = verifier(&k, validation);
    let fast = v.verify_at::<Value>(token.as_bytes(), NOW).unwrap_err();
    assert_eq!(full, fast, "{claims}");
    full
}

#[test]
fn signer_and_fast_path_agree_with_builder_and_full_path() {
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Mine {
        sub: String,
        exp: i64,
        aud: Vec<String>,
        scope: String,
    }
    let k = key();
    let mine = Mine {
        sub: "alice".into(),
        exp: NOW + 60,
        aud: vec!["web".into(), "api".into()],
        scope: "read".into(),
    };
    let signer =
        joseguard::jwt::Signer::new(Jwk::from_json(k.to_json()).unwrap(), JwsAlgorithm::ES256)
            .unwrap();
    let token = signer.sign(&mine).unwrap();
    let v = verifier(&k, Validation::new().audience("api").require(["scope"]));
    let back = v.verify_at::<Mine>(token.as_bytes(), NOW).unwrap();
    assert_eq!(back.claims, mine);
    assert_eq!(back.header.kid(), Some("k1"));
    assert_eq!(back.header.typ(), Some("JWT"));
    assert_eq!(back.key.kid(), Some("k1"));
    let full = v.verify_at::<Claims>(token.as_bytes(), NOW).unwrap();
    assert_eq!(full.claims.sub.as_deref(), Some("alice"));
    assert!(signer.sign(&"not an object").is_err());
    // Cases only the fast path's scanner sees differently: nested duplicates, escapes, required.
    for claims in [
        format!(r#"{{"exp":{},"x":{{"a":[{{"b":1,"b":2}}]}}}}"#, NOW + 60),
        format!(r#"{{"exp":{},"e\u0078p":1}}"#, NOW + 60),
        format!(r#"{{"exp":{},"aud":["api",{{"x":1}}]}}"#, NOW + 60),
        format!(r#"{{"exp":{},"aud":[["api"]]}}"#, NOW + 60),
        format!(r#"{{"exp":{}}}"#, NOW + 60),
        // Found by fuzz/jwt_claims (differential): two bad claims, reported in document order
        // by the first fast path and in registered order by the full one.
        r#"{"nbf":1e30,"aud":[1,2]}"#.to_owned(),
        r#"{"jti":1,"iss":2,"exp":"x"}"#.to_owned(),
        // Also found by it: a duplicate inside an array payload is a duplicate for both.
        r#"[[{"a":1,"a":2}]]"#.to_owned(),
    ] {
        err(
            &claims,
            Validation::new().audience("api").require(["scope"]),
        );
    }
}

#[test]
fn builds_and_verifies_with_registered_and_custom_claims() {
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Extra {
        scope: String,
        roles: Vec<String>,
    }
    let k = key();
    let extra = Extra {
        scope: "read".into(),
        roles: vec!["admin".into()],
    };
    let token = jwt::Builder::new()
        .issuer("https://issuer.example")
        .subject("alice")
        .audiences(["api", "billing"])
        .issued_at(NOW)
        .not_before(NOW)
        .expires_at(NOW + 300)
        .jwt_id("j1")
        .claims(&extra)
        .unwrap()
        .sign(&k, JwsAlgorithm::ES256)
        .unwrap();
    let v = verifier(
        &k,
        Validation::new()
            .issuer("https://issuer.example")
            .audience("billing")
            .subject("alice")
            .typ(["JWT"])
            .max_age(600)
            .require(["scope"]),
    )
    .verify_at::<Claims>(token.as_bytes(), NOW + 10)
    .unwrap();
    assert_eq!(
        v.claims.aud,
        Some(Audience::Many(vec!["api".into(), "billing".into()]))
    );
    assert_eq!(v.claims.jti.as_deref(), Some("j1"));
    assert_eq!(v.claims.deserialize::<Extra>().unwrap(), extra);
    assert_eq!(v.header.typ(), Some("JWT"));
    assert_eq!(v.header.kid(), Some("k1"));
}

#[test]
fn typ_is_overridable_and_checked() {
    let k = key();
    let at = jwt::Builder::new()
        .typ("at+jwt")
        .expires_at(NOW + 60)
        .sign(&k, JwsAlgorithm::ES256)
        .unwrap();
    verifier(&k, Validation::new().typ(["application/at+jwt"]))
        .verify_at::<Claims>(at.as_bytes(), NOW)
        .unwrap();
    let plain = jwt::Builder::new()
        .expires_at(NOW + 60)
        .sign(&k, JwsAlgorithm::ES256)
        .unwrap();
    let e = verifier(&k, Validation::new().typ(["at+jwt"]))
        .verify_at::<Claims>(plain.as_bytes(), NOW)
        .unwrap_err();
    assert!(matches!(e, Error::Header { name, .. } if name == "typ"));
}

#[test]
fn exp_is_required_and_checked_with_leeway() {
    assert_eq!(
        err(r#"{"sub":"x"}"#, Validation::new()),
        Error::ClaimMissing { name: "exp".into() }
    );
    let e = err(&format!(r#"{{"exp":{}}}"#, NOW - 102), Validation::new());
    assert_eq!(e, Error::Expired { seconds_ago: 102 });
    assert_eq!(e.to_string(), "token expired 102 s ago");
    // Within the default 60 s leeway:
    let k = key();
    verifier(&k, Validation::new())
        .verify_at::<Claims>(
            token_with(&format!(r#"{{"exp":{}}}"#, NOW - 30), &k).as_bytes(),
            NOW,
        )
        .unwrap();
    assert_eq!(
        err(
            &format!(r#"{{"exp":{}}}"#, NOW - 30),
            Validation::new().leeway(0)
        ),
        Error::Expired { seconds_ago: 30 }
    );
    // Opting out is possible but named as dangerous.
    verifier(&k, Validation::new().dangerous().allow_missing_exp())
        .verify_at::<Claims>(token_with("{}", &k).as_bytes(), NOW)
        .unwrap();
}

#[test]
fn nbf_and_iat_are_checked() {
    let e = err(
        &format!(r#"{{"exp":{},"nbf":{}}}"#, NOW + 900, NOW + 300),
        Validation::new(),
    );
    assert_eq!(e, Error::NotYetValid { seconds: 300 });
    let e = err(
        &format!(r#"{{"exp":{},"iat":{}}}"#, NOW + 900, NOW + 300),
        Validation::new(),
    );
    assert!(
        matches!(e, Error::ClaimInvalid { name, reason } if name == "iat" && reason.contains("future"))
    );
    let e = err(
        &format!(r#"{{"exp":{},"iat":{}}}"#, NOW + 900, NOW - 4000),
        Validation::new().max_age(3600),
    );
    assert!(
        matches!(e, Error::ClaimInvalid { name, reason } if name == "iat" && reason.contains("old"))
    );
    assert_eq!(
        err(
            &format!(r#"{{"exp":{}}}"#, NOW + 900),
            Validation::new().max_age(3600)
        ),
        Error::ClaimMissing { name: "iat".into() }
    );
}

#[test]
fn claim_types_are_strict() {
    // CVE-2026-25537: a string exp is an error, not an absent claim.
    for (claims, name) in [
        (r#"{"exp":"1900000000"}"#, "exp"),
        (r#"{"exp":1900000000,"nbf":true}"#, "nbf"),
        (r#"{"exp":1900000000,"iat":[1]}"#, "iat"),
        (r#"{"exp":1900000000,"iss":7}"#, "iss"),
        (r#"{"exp":1900000000,"sub":{}}"#, "sub"),
        (r#"{"exp":1900000000,"aud":[1]}"#, "aud"),
        (r#"{"exp":1900000000,"aud":{}}"#, "aud"),
        (r#"{"exp":1900000000,"jti":1}"#, "jti"),
        (r#"{"exp":-1}"#, "exp"),
        (r#"{"exp":1e300}"#, "exp"),
        (r#"{"exp":253402300800}"#, "exp"),
    ] {
        let e = err(claims, Validation::new());
        assert!(
            matches!(&e, Error::ClaimInvalid { name: n, .. } if n == name),
            "{claims}: {e}"
        );
    }
    // Fractional NumericDates are allowed.
    let c = Claims::from_json(br#"{"exp":1900000000.75}"#).unwrap();
    let exp = c.exp.unwrap();
    assert_eq!(
        (exp.floor(), exp.ceil(), exp.subsec_nanos()),
        (1_900_000_000, 1_900_000_001, 750_000_000)
    );
    assert_eq!(exp.to_string(), "1900000000.75");
    assert_eq!(
        Claims::from_json(br#"{"exp":1,"exp":2}"#).unwrap_err(),
        Error::DuplicateMember { name: "exp".into() }
    );
}

#[test]
fn issuer_audience_subject_and_required_claims() {
    let exp = NOW + 60;
    let e = err(
        &format!(r#"{{"exp":{exp},"iss":"https://evil.example"}}"#),
        Validation::new().issuer("https://issuer.example"),
    );
    assert!(matches!(e, Error::ClaimInvalid { name, .. } if name == "iss"));
    assert_eq!(
        err(
            &format!(r#"{{"exp":{exp}}}"#),
            Validation::new().issuer("i")
        ),
        Error::ClaimMissing { name: "iss".into() }
    );
    // A token without aud fails when an audience is expected.
    assert_eq!(
        err(
            &format!(r#"{{"exp":{exp}}}"#),
            Validation::new().audience("api")
        ),
        Error::ClaimMissing { name: "aud".into() }
    );
    let e = err(
        &format!(r#"{{"exp":{exp},"aud":["web","mobile"]}}"#),
        Validation::new().audience("api"),
    );
    assert!(matches!(e, Error::ClaimInvalid { name, .. } if name == "aud"));
    // aud as a list: any-of, never "list equals string" (CVE-2020-26160 class).
    let k = key();
    let t = token_with(&format!(r#"{{"exp":{exp},"aud":["web","api"]}}"#), &k);
    verifier(&k, Validation::new().audience("api"))
        .verify_at::<Claims>(t.as_bytes(), NOW)
        .unwrap();
    let e = err(
        &format!(r#"{{"exp":{exp},"sub":"bob"}}"#),
        Validation::new().subject("alice"),
    );
    assert!(matches!(e, Error::ClaimInvalid { name, .. } if name == "sub"));
    assert_eq!(
        err(
            &format!(r#"{{"exp":{exp}}}"#),
            Validation::new().require(["acr"])
        ),
        Error::ClaimMissing { name: "acr".into() }
    );
}

#[test]
fn jwt_must_be_compact() {
    let k = key();
    let json = joseguard::jws::Builder::new(format!(r#"{{"exp":{}}}"#, NOW + 60).as_bytes())
        .signer(&k, JwsAlgorithm::ES256, Header::new())
        .unwrap()
        .flattened()
        .unwrap();
    assert!(matches!(
        verifier(&k, Validation::new())
            .verify_at::<Claims>(json.as_bytes(), NOW)
            .unwrap_err(),
        Error::SerializationMismatch { .. }
    ));
}

#[test]
fn client_assertions_round_trip_and_reject() {
    let client = key();
    let endpoint = "https://as.example/token";
    let keys = || {
        Verifier::new(
            VerifyPolicy::new([JwsAlgorithm::ES256]).unwrap(),
            client.to_public().unwrap(),
        )
    };
    let a = client_assertion::build(
        "client-1",
        endpoint,
        &client,
        JwsAlgorithm::ES256,
        NOW,
        client_assertion::DEFAULT_LIFETIME,
    )
    .unwrap();
    let v = client_assertion::verify(
        a.as_bytes(),
        keys(),
        "client-1",
        endpoint,
        NOW + 5,
        Some(300),
    )
    .unwrap();
    assert_eq!(v.claims.iss.as_deref(), Some("client-1"));
    assert_eq!(v.claims.sub.as_deref(), Some("client-1"));
    assert_eq!(v.claims.jti.as_ref().map(|j| j.len()), Some(22));
    let b = client_assertion::build("client-1", endpoint, &client, JwsAlgorithm::ES256, NOW, 60)
        .unwrap();
    assert_ne!(a, b, "each assertion has a fresh jti");
    // Wrong client, wrong endpoint, expired, too long-lived.
    assert!(
        matches!(client_assertion::verify(a.as_bytes(), keys(), "client-2", endpoint, NOW, None).unwrap_err(), Error::ClaimInvalid { name, .. } if name == "iss")
    );
    assert!(
        matches!(client_assertion::verify(a.as_bytes(), keys(), "client-1", "https://other/token", NOW, None).unwrap_err(), Error::ClaimInvalid { name, .. } if name == "aud")
    );
    assert!(matches!(
        client_assertion::verify(a.as_bytes(), keys(), "client-1", endpoint, NOW + 3600, None)
            .unwrap_err(),
        Error::Expired { .. }
    ));
    let long = client_assertion::build(
        "client-1",
        endpoint,
        &client,
        JwsAlgorithm::ES256,
        NOW,
        3600,
    )
    .unwrap();
    assert!(
        matches!(client_assertion::verify(long.as_bytes(), keys(), "client-1", endpoint, NOW, Some(300)).unwrap_err(), Error::ClaimInvalid { name, .. } if name == "exp")
    );
    // iss != sub is refused even with the right key.
    let forged = token_with(
        &format!(
            r#"{{"iss":"client-1","sub":"admin","aud":"{endpoint}","exp":{},"jti":"x"}}"#,
            NOW + 60
        ),
        &client,
    );
    assert!(
        matches!(client_assertion::verify(forged.as_bytes(), keys(), "client-1", endpoint, NOW, None).unwrap_err(), Error::ClaimInvalid { name, .. } if name == "sub")
    );
    let no_jti = token_with(
        &format!(
            r#"{{"iss":"client-1","sub":"client-1","aud":"{endpoint}","exp":{}}}"#,
            NOW + 60
        ),
        &client,
    );
    assert_eq!(
        client_assertion::verify(no_jti.as_bytes(), keys(), "client-1", endpoint, NOW, None)
            .unwrap_err(),
        Error::ClaimMissing { name: "jti".into() }
    );
}

fn rfc7519() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/vectors/rfc-appendix/rfc7519.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn rfc7519_examples() {
    let cases = rfc7519();
    assert_eq!(cases.len(), 4);
    // The examples expired in 2011; validate with a clock just before their exp.
    let at = 1_300_819_380 - 10;
    let expect = |c: &Claims| {
        assert_eq!(c.iss.as_deref(), Some("joe"));
        assert_eq!(
            c.get("http://example.com/is_root"),
            Some(&Value::Bool(true))
        );
    };
    // §3.1: HS256.
    let key = Jwk::from_value(&cases[0]["key"]).unwrap();
    let v = jwt::Verifier::from_parts(
        Verifier::new(VerifyPolicy::new([JwsAlgorithm::HS256]).unwrap(), key),
        Validation::new().issuer("joe"),
    );
    let token = cases[0]["compact"].as_str().unwrap();
    expect(&v.verify_at::<Claims>(token.as_bytes(), at).unwrap().claims);
    assert!(matches!(
        v.verify_at::<Claims>(token.as_bytes(), at + 100)
            .unwrap_err(),
        Error::Expired { .. }
    ));
    // §6.1: unsecured JWT is refused.
    assert_eq!(
        v.verify_at::<Claims>(cases[1]["compact"].as_str().unwrap().as_bytes(), at)
            .unwrap_err(),
        Error::AlgNone
    );
    // A.1: encrypted JWT (RSA1_5 + A128CBC-HS256) decrypts to the claims.
    let rsa = Jwk::from_value(&cases[2]["key"]).unwrap();
    let policy = DecryptPolicy::new(
        [KeyManagementAlgorithm::RsaOaep],
        [ContentEncryption::A128CbcHs256],
    )
    .unwrap()
    .dangerous()
    .enable_rsa1_5();
    let d = Decrypter::new(policy.clone(), rsa)
        .decrypt(cases[2]["compact"].as_str().unwrap().as_bytes())
        .unwrap();
    let c = Validation::new()
        .validate(&d.protected, &d.plaintext, at)
        .unwrap();
    expect(&c);
    // A.2: nested JWT.
    let dec = Decrypter::new(
        policy,
        Jwk::from_value(&cases[3]["decryption_key"]).unwrap(),
    );
    let ver = Verifier::new(
        VerifyPolicy::new([JwsAlgorithm::RS256]).unwrap(),
        JwkSet::from_keys([Arc::new(
            Jwk::from_value(&cases[3]["verification_key"]).unwrap(),
        )]),
    );
    let n =
        nested::decrypt_then_verify(cases[3]["compact"].as_str().unwrap().as_bytes(), &dec, &ver)
            .unwrap();
    assert_eq!(
        n.decrypted.plaintext,
        cases[3]["inner_jws"].as_str().unwrap().as_bytes()
    );
    let c = Validation::new()
        .validate(n.verified.protected_header(), &n.verified.payload, at)
        .unwrap();
    expect(&c);
}

/// Fractional NumericDates are read once and rounded the strict way everywhere: `exp` toward the
/// past, `nbf` and a future `iat` toward the future.
#[test]
fn fractional_dates_round_the_strict_way() {
    let ok = |claims: &str, v: Validation| {
        let k = key();
        verifier(&k, v)
            .verify_at::<Claims>(token_with(claims, &k).as_bytes(), NOW)
            .map(drop)
    };
    let strict = || Validation::new().leeway(0);
    // exp = NOW + 0.5 rounds to NOW: the token is refused during the second NOW.
    let e = ok(&format!(r#"{{"exp":{NOW}.5}}"#), strict()).unwrap_err();
    assert!(matches!(e, Error::Expired { .. }), "{e}");
    ok(&format!(r#"{{"exp":{}.5}}"#, NOW + 1), strict()).unwrap();
    // With leeway, the bound moves by exactly the leeway.
    ok(
        &format!(r#"{{"exp":{}.9}}"#, NOW - 10),
        Validation::new().leeway(11),
    )
    .unwrap();
    assert!(ok(
        &format!(r#"{{"exp":{}.9}}"#, NOW - 10),
        Validation::new().leeway(10)
    )
    .is_err());
    // nbf = NOW + 0.25 is not valid yet at NOW.
    let e = ok(
        &format!(r#"{{"exp":{},"nbf":{NOW}.25}}"#, NOW + 60),
        strict(),
    )
    .unwrap_err();
    assert!(matches!(e, Error::NotYetValid { .. }), "{e}");
    assert!(e.to_string().contains("nbf"), "{e}");
    // iat = NOW + 0.25 is in the future at NOW.
    let e = ok(
        &format!(r#"{{"exp":{},"iat":{NOW}.25}}"#, NOW + 60),
        strict(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("iat"), "{e}");
    // valid_until is the first refused second.
    let c = Claims::from_json(format!(r#"{{"exp":{NOW}.999}}"#).as_bytes()).unwrap();
    assert_eq!(c.valid_until(30), Some(NOW + 30));
}

#[test]
fn max_lifetime_bounds_exp_minus_iat() {
    let v = || Validation::new().max_lifetime(3600);
    let k = key();
    let check = |claims: String| {
        verifier(&k, v()).verify_at::<Claims>(token_with(&claims, &k).as_bytes(), NOW)
    };
    check(format!(r#"{{"iat":{NOW},"exp":{}}}"#, NOW + 3600)).unwrap();
    let e = check(format!(r#"{{"iat":{NOW},"exp":{}.5}}"#, NOW + 3600)).unwrap_err();
    assert!(e.to_string().contains("lives 3601 s"), "{e}");
    // Without iat, measured from now.
    assert!(check(format!(r#"{{"exp":{}}}"#, NOW + 7200)).is_err());
    check(format!(r#"{{"exp":{}}}"#, NOW + 60)).unwrap();
    // exp is then required even when missing exp is otherwise allowed.
    let e = verifier(&k, v().dangerous().allow_missing_exp())
        .verify_at::<Claims>(token_with("{}", &k).as_bytes(), NOW)
        .unwrap_err();
    assert_eq!(e, Error::ClaimMissing { name: "exp".into() });
}
