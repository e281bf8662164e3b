//! `joseguard jwt ...`

use std::time::Duration;

use joseguard::jwt::{self, Validation};
use joseguard::JwsAlgorithm;

use super::{json, jwe, jws};
use crate::cli::{ClaimChecks, JweDecrypt, JwtCommand, JwtDecrypt, JwtSign, Password, VerifyKey};
use crate::input;
use crate::{Failure, Outcome};

pub fn run(c: JwtCommand) -> Outcome {
    match c {
        JwtCommand::Sign(s) => sign(s),
        JwtCommand::Verify(v) => {
            let token = input::token(v.token.as_deref())?;
            let verifier = jwt::Verifier::from_parts(jws::verifier(&v.key)?, validation(&v.checks));
            let verified = verifier.verify::<jwt::Claims>(&token)?;
            Ok(json(&serde_json::Value::Object(verified.claims.all)))
        }
        JwtCommand::Decrypt(d) => decrypt(d),
    }
}

fn duration(text: &str, what: &str) -> Result<i64, Failure> {
    let d: Duration = if text.chars().all(|c| c.is_ascii_digit()) {
        Duration::from_secs(
            text.parse()
                .map_err(|_| Failure::Usage(format!("{what}: bad duration")))?,
        )
    } else {
        humantime::parse_duration(text).map_err(|e| Failure::Usage(format!("{what}: {e}")))?
    };
    i64::try_from(d.as_secs()).map_err(|_| Failure::Usage(format!("{what}: too long")))
}

fn sign(s: JwtSign) -> Outcome {
    let alg: JwsAlgorithm = s
        .alg
        .parse()
        .map_err(|e: joseguard::Error| Failure::Usage(e.to_string()))?;
    let key = crate::keys::signing_key(&s.key, s.kid.as_deref(), &s.hsm)?;
    let now = jwt::now();
    let mut b = jwt::Builder::new();
    if let Some(claims) = &s.claims {
        let bytes = input::read(Some(claims))?;
        let map = input::json_object(&String::from_utf8_lossy(&bytes), "the claims")?;
        b = b.claims(&map)?;
    }
    if let Some(typ) = &s.typ {
        b = b.typ(typ);
    }
    if let Some(kid) = &s.kid {
        b = b.header("kid", kid.as_str());
    }
    if let Some(iss) = &s.iss {
        b = b.issuer(iss);
    }
    if let Some(sub) = &s.sub {
        b = b.subject(sub);
    }
    b = match s.aud.len() {
        0 => b,
        1 => b.audience(&s.aud[0]),
        _ => b.audiences(s.aud.iter().cloned()),
    };
    b = b
        .issued_at(now)
        .expires_at(now + duration(&s.exp, "--exp")?);
    if let Some(nbf) = &s.nbf {
        b = b.not_before(now + duration(nbf, "--nbf")?);
    }
    match s.jti.as_deref() {
        None => {}
        Some("") => b = b.jwt_id(&jwt::random_jti()?),
        Some(j) => b = b.jwt_id(j),
    }
    Ok(b.sign(&key, alg)?.into_bytes())
}

fn validation(c: &ClaimChecks) -> Validation {
    let mut v = Validation::new().leeway(c.leeway);
    if let Some(iss) = &c.iss {
        v = v.issuer(iss);
    }
    if let Some(aud) = &c.aud {
        v = v.audience(aud);
    }
    if let Some(typ) = &c.typ {
        v = v.typ([typ.as_str()]);
    }
    v
}

fn decrypt(d: JwtDecrypt) -> Outcome {
    let token = input::token(d.token.as_deref())?;
    let decrypter = jwe::decrypter(&JweDecrypt {
        key: Some(d.key.clone()),
        alg: d.alg.clone(),
        enc: d.enc.clone(),
        password: Password {
            password: None,
            password_file: None,
        },
        max_iterations: joseguard::jwe::PBES2_DEFAULT_ITERATIONS,
        token: None,
    })?;
    let verify_key = VerifyKey {
        key: d.verify_key.clone(),
        alg: d.verify_alg.clone(),
        allow_header: Vec::new(),
    };
    let verifier = jwt::Verifier::from_parts(jws::verifier(&verify_key)?, validation(&d.checks))
        .decrypt_with(decrypter);
    let verified = verifier.verify::<jwt::Claims>(&token)?;
    Ok(json(&serde_json::Value::Object(verified.claims.all)))
}
