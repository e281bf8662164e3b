//! End-to-end tests of the built `joseguard` binary: every command, every exit code, round trips
//! for every algorithm, and keys in every accepted format.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_joseguard");

struct Run {
    code: i32,
    out: Vec<u8>,
    err: String,
}

impl Run {
    fn ok(self) -> Vec<u8> {
        assert_eq!(self.code, 0, "stderr: {}", self.err);
        self.out
    }
    fn text(self) -> String {
        String::from_utf8(self.ok()).unwrap()
    }
    fn rejected(self, needle: &str) {
        assert_eq!(self.code, 1, "expected a rejection, stderr: {}", self.err);
        assert_eq!(self.err.lines().count(), 1, "one line: {}", self.err);
        assert!(
            self.err.contains(needle),
            "{:?} not in {}",
            needle,
            self.err
        );
    }
    fn usage(self) {
        assert_eq!(
            self.code, 2,
            "expected a usage/IO error, stderr: {}",
            self.err
        );
    }
}

fn jg(args: &[&str], stdin: &[u8]) -> Run {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Written from a thread, so that a large output cannot stall a large input; a command that
    // exits before reading its input (a usage error) closes the pipe, which is not a failure.
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    let writer = std::thread::spawn(move || match input.write_all(&stdin) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.unwrap(),
    });
    let o = child.wait_with_output().unwrap();
    writer.join().unwrap();
    Run {
        code: o.status.code().unwrap_or(-1),
        out: o.stdout,
        err: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let p = std::env::temp_dir().join(format!("joseguard-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Dir(p)
    }
    fn file(&self, name: &str, content: &[u8]) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, content).unwrap();
        p.to_string_lossy().into_owned()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn vectors(rel: &str) -> String {
    format!(
        "{}/../../../shared/vectors/{rel}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// Generates a key; returns (private path, public path).
fn keypair(d: &Dir, spec: &str, name: &str) -> (String, String) {
    let private = jg(&["key", "generate", spec, "--kid", name], b"").ok();
    let private_path = d.file(&format!("{name}.jwk"), &private);
    let public = if spec.starts_with("oct") {
        private.clone()
    } else {
        jg(&["key", "public", &private_path], b"").ok()
    };
    (private_path, d.file(&format!("{name}.pub.jwk"), &public))
}

#[test]
fn key_commands() {
    let d = Dir::new("key");
    for (spec, alg) in [
        ("oct:256", "HS256"),
        ("RSA:2048", "PS256"),
        ("EC:P-256", "ES256"),
        ("EC:P-384", "ECDH-ES+A192KW"),
        ("EC:P-521", "ES512"),
        ("EC:secp256k1", "ES256K"),
        ("OKP:Ed25519", "EdDSA"),
        ("OKP:X25519", "ECDH-ES"),
        ("AKP:ML-DSA-44", "ML-DSA-44"),
        ("ML-DSA-87", "ML-DSA-87"),
    ] {
        let jwk: serde_json::Value = serde_json::from_slice(
            &jg(
                &[
                    "key",
                    "generate",
                    spec,
                    "--alg",
                    alg,
                    "--kid",
                    "thumbprint",
                    "--use",
                    "sig",
                ],
                b"",
            )
            .ok(),
        )
        .unwrap();
        assert_eq!(jwk["use"], "sig");
        assert_eq!(jwk["alg"], alg);
        let private = ["d", "k", "priv"].iter().any(|m| jwk.get(m).is_some());
        assert!(private, "{spec} is private");
    }
    jg(&["key", "generate", "EC:P-192"], b"").usage();
    // An alg the key could never serve, or one that is not registered, is refused.
    for (spec, alg, why) in [
        ("EC:P-256", "RS256", "RS256 cannot use a EC key on P-256"),
        ("EC:P-256", "ES384", "ES384 cannot use a EC key on P-256"),
        ("oct:128", "HS256", "at least 32 bytes"),
        ("oct:256", "A128KW", "A128KW"),
        ("RSA:2048", "X", "not a registered"),
        ("OKP:Ed25519", "ES521", "not a registered"),
        ("ML-DSA-65", "ML-DSA-44", "ML-DSA-44 cannot use"),
    ] {
        let out = jg(&["key", "generate", spec, "--alg", alg], b"");
        assert!(out.err.contains(why), "{spec} {alg}: {}", out.err);
        out.usage();
    }
    let (private, public) = keypair(&d, "EC:P-256", "ec");
    // thumbprint: same for private and public, the kid we asked for, URI form, other hashes.
    let t1 = jg(&["key", "thumbprint", &private], b"").text();
    assert_eq!(t1, jg(&["key", "thumbprint", &public], b"").text());
    assert_eq!(
        jg(
            &["key", "thumbprint", "--uri"],
            std::fs::read(&public).unwrap().as_slice()
        )
        .text(),
        format!("urn:ietf:params:oauth:jwk-thumbprint:sha-256:{t1}")
    );
    assert_eq!(
        jg(&["key", "thumbprint", "--hash", "sha512", &public], b"")
            .text()
            .len(),
        86
    );
    // convert: JWK -> PEM (PKCS#8 / SPKI) -> JWK, thumbprint unchanged.
    let pkcs8 = jg(&["key", "convert", &private, "--to", "pem"], b"").text();
    assert!(pkcs8.starts_with("-----BEGIN PRIVATE KEY-----"));
    let spki = jg(&["key", "convert", &public, "--to", "pem"], b"").text();
    assert!(spki.starts_with("-----BEGIN PUBLIC KEY-----"));
    let back = jg(&["key", "convert", "-", "--to", "jwk"], pkcs8.as_bytes()).ok();
    assert_eq!(jg(&["key", "thumbprint"], &back).text(), t1);
    // public of a JWK Set
    let set = format!(
        r#"{{"keys":[{},{}]}}"#,
        std::fs::read_to_string(&private).unwrap(),
        std::fs::read_to_string(&public).unwrap()
    );
    let public_set: serde_json::Value =
        serde_json::from_slice(&jg(&["key", "public"], set.as_bytes()).ok()).unwrap();
    assert_eq!(public_set["keys"].as_array().unwrap().len(), 2);
    assert!(public_set["keys"][0].get("d").is_none());
    // An AKP key through PKCS#8 (the seed form) and back keeps its thumbprint.
    let (pq, pq_public) = keypair(&d, "ML-DSA-65", "pq");
    let t_pq = jg(&["key", "thumbprint", &pq_public], b"").text();
    let pem = jg(&["key", "convert", &pq, "--to", "pem"], b"").text();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    let back = jg(&["key", "convert", "-", "--to", "jwk"], pem.as_bytes()).ok();
    assert_eq!(jg(&["key", "thumbprint"], &back).text(), t_pq);
    // errors
    jg(&["key", "thumbprint", "/nonexistent/key"], b"").usage();
    jg(&["key", "thumbprint"], b"{\"kty\":\"EC\"}").rejected("crv");
}

#[test]
fn jws_every_algorithm_every_serialization() {
    let d = Dir::new("jws");
    let payload: &[u8] = b"binary \x00\xff payload\n with a newline";
    for (alg, spec) in [
        ("HS256", "oct:256"),
        ("HS384", "oct:384"),
        ("HS512", "oct:512"),
        ("RS256", "RSA:2048"),
        ("RS384", "RSA:2048"),
        ("RS512", "RSA:2048"),
        ("PS256", "RSA:2048"),
        ("PS384", "RSA:2048"),
        ("PS512", "RSA:2048"),
        ("ES256", "EC:P-256"),
        ("ES384", "EC:P-384"),
        ("ES512", "EC:P-521"),
        ("ES256K", "EC:secp256k1"),
        ("EdDSA", "OKP:Ed25519"),
        ("Ed25519", "OKP:Ed25519"),
        ("ML-DSA-44", "AKP:ML-DSA-44"),
        ("ML-DSA-65", "AKP:ML-DSA-65"),
        ("ML-DSA-87", "AKP:ML-DSA-87"),
    ] {
        let (private, public) = keypair(&d, spec, alg);
        for format in ["compact", "flattened", "general"] {
            let token = jg(
                &[
                    "jws", "sign", "--key", &private, "--alg", alg, "--format", format,
                ],
                payload,
            )
            .ok();
            let token_path = d.file("token", &token);
            // The default allowlist is derived from the key: no --alg needed.
            assert_eq!(
                jg(&["jws", "verify", "--key", &public, &token_path], b"").ok(),
                payload,
                "{alg} {format}"
            );
            assert_eq!(
                jg(&["jws", "verify", "--key", &public, "--alg", alg], &token).ok(),
                payload
            );
        }
    }
}

#[test]
fn jws_options_detached_unencoded_headers_and_several_signatures() {
    let d = Dir::new("jwsopt");
    let (ec, ec_pub) = keypair(&d, "EC:P-256", "ec");
    let (ed, ed_pub) = keypair(&d, "OKP:Ed25519", "ed");
    let doc = d.file("doc", b"the document");
    let detached = jg(
        &[
            "jws",
            "sign",
            "--key",
            &ec,
            "--alg",
            "ES256",
            "--detached",
            &doc,
        ],
        b"",
    )
    .text();
    assert!(detached.contains(".."));
    assert_eq!(
        jg(
            &["jws", "verify", "--key", &ec_pub, "--payload", &doc],
            detached.as_bytes()
        )
        .ok(),
        b"the document"
    );
    let unencoded = jg(
        &[
            "jws",
            "sign",
            "--key",
            &ec,
            "--alg",
            "ES256",
            "--b64",
            "false",
            "--format",
            "flattened",
            &doc,
        ],
        b"",
    )
    .text();
    assert!(unencoded.contains("\"payload\":\"the document\""));
    assert_eq!(
        jg(&["jws", "verify", "--key", &ec_pub], unencoded.as_bytes()).ok(),
        b"the document"
    );
    let with_headers = jg(
        &[
            "jws",
            "sign",
            "--key",
            &ec,
            "--alg",
            "ES256",
            "--kid",
            "chosen",
            "--protected",
            r#"{"typ":"JOSE"}"#,
            "--header",
            r#"{"x5u":"https://example/x"}"#,
            "--format",
            "flattened",
        ],
        b"x",
    )
    .text();
    let inspected = jg(&["inspect"], with_headers.as_bytes()).text();
    assert!(
        inspected.contains("\"kid\": \"chosen\"")
            && inspected.contains("\"typ\": \"JOSE\"")
            && inspected.contains("x5u")
    );
    // Two signatures, general serialization; a JWK Set verifies both.
    let general = jg(
        &[
            "jws", "sign", "--key", &ec, "--alg", "ES256", "--key", &ed, "--alg", "EdDSA",
            "--format", "general",
        ],
        b"both",
    )
    .ok();
    let set = format!(
        r#"{{"keys":[{},{}]}}"#,
        std::fs::read_to_string(&ec_pub).unwrap(),
        std::fs::read_to_string(&ed_pub).unwrap()
    );
    let set_path = d.file("set.json", set.as_bytes());
    assert_eq!(
        jg(&["jws", "verify", "--key", &set_path], &general).ok(),
        b"both"
    );
    jg(
        &[
            "jws", "sign", "--key", &ec, "--alg", "ES256", "--key", &ed, "--alg", "EdDSA",
        ],
        b"x",
    )
    .usage();
    jg(
        &["jws", "sign", "--key", &ec, "--alg", "ES256", "--key", &ed],
        b"x",
    )
    .usage();
}

#[test]
fn jws_exit_codes() {
    let d = Dir::new("jwsexit");
    let (ec, ec_pub) = keypair(&d, "EC:P-256", "ec");
    let (_, other_pub) = keypair(&d, "EC:P-256", "other");
    let token = jg(&["jws", "sign", "--key", &ec, "--alg", "ES256"], b"x").ok();
    jg(
        &["jws", "verify", "--key", &ec_pub, "--alg", "ES384"],
        &token,
    )
    .rejected("alg not allowed: ES256");
    jg(&["jws", "verify", "--key", &other_pub], &token).rejected("signature invalid");
    jg(&["jws", "verify", "--key", &ec_pub], b"a.b").rejected("malformed");
    jg(
        &["jws", "verify", "--key", &ec_pub, "--alg", "none"],
        &token,
    )
    .usage();
    jg(&["jws", "verify", "--key", &ec_pub, "/nonexistent"], b"").usage();
    jg(&["jws", "verify"], &token).usage();
    jg(&["jws", "sign", "--key", &ec_pub, "--alg", "ES256"], b"x").rejected("private key required");
    jg(&["jws", "sign", "--key", &ec, "--alg", "HS256"], b"x")
        .rejected("HS256 cannot use a EC key");
    jg(&["frobnicate"], b"").usage();
}

#[test]
fn keys_in_every_accepted_format() {
    let d = Dir::new("formats");
    // PKCS#1 RSA private key signs; SPKI public key verifies.
    let rsa1 = vectors("joserfc/tests/keys/rsa-openssl-private.pem");
    let rsa_spki = vectors("joserfc/tests/keys/rsa-openssl-public.pem");
    let t = jg(&["jws", "sign", "--key", &rsa1, "--alg", "RS256"], b"pkcs1").ok();
    assert_eq!(
        jg(&["jws", "verify", "--key", &rsa_spki], &t).ok(),
        b"pkcs1"
    );
    // SEC1 EC private key signs; SPKI verifies.
    for (curve, alg) in [
        ("p256", "ES256"),
        ("p384", "ES384"),
        ("p512", "ES512"),
        ("secp256k1", "ES256K"),
    ] {
        let sec1 = vectors(&format!("joserfc/tests/keys/ec-{curve}-private.pem"));
        let spki = vectors(&format!("joserfc/tests/keys/ec-{curve}-public.pem"));
        let t = jg(&["jws", "sign", "--key", &sec1, "--alg", alg], b"sec1").ok();
        assert_eq!(
            jg(&["jws", "verify", "--key", &spki], &t).ok(),
            b"sec1",
            "{curve}"
        );
    }
    // An X.509 certificate's public key.
    let cert = vectors("joserfc/tests/keys/firebase-cert.pem");
    let jwk: serde_json::Value =
        serde_json::from_slice(&jg(&["key", "convert", &cert, "--to", "jwk"], b"").ok()).unwrap();
    assert_eq!(jwk["kty"], "RSA");
    // PKCS#8 from our own conversion, and a JWK private key, sign; the JWK Set verifies.
    let (private, public) = keypair(&d, "EC:P-256", "p8");
    let pkcs8 = d.file(
        "p8.pem",
        &jg(&["key", "convert", &private, "--to", "pem"], b"").ok(),
    );
    let t = jg(
        &["jws", "sign", "--key", &pkcs8, "--alg", "ES256"],
        b"pkcs8",
    )
    .ok();
    let set = d.file(
        "set.json",
        format!(
            r#"{{"keys":[{}]}}"#,
            std::fs::read_to_string(&public).unwrap()
        )
        .as_bytes(),
    );
    assert_eq!(jg(&["jws", "verify", "--key", &set], &t).ok(), b"pkcs8");
    // OpenSSH public key lines: keys made by ssh-keygen, the private half exported as PKCS#8.
    if Command::new("ssh-keygen").arg("-?").output().is_ok() {
        for (kind, bits, alg) in [("ecdsa", "256", "ES256"), ("rsa", "2048", "RS256")] {
            let path = d.0.join(format!("id_{kind}"));
            let _ = std::fs::remove_file(&path);
            let st = Command::new("ssh-keygen")
                .args(["-q", "-t", kind, "-b", bits, "-N", "", "-C", "test", "-f"])
                .arg(&path)
                .status()
                .unwrap();
            assert!(st.success());
            let st = Command::new("ssh-keygen")
                .args(["-q", "-p", "-N", "", "-m", "PKCS8", "-f"])
                .arg(&path)
                .status()
                .unwrap();
            assert!(st.success());
            let t = jg(
                &["jws", "sign", "--key", path.to_str().unwrap(), "--alg", alg],
                b"ssh",
            )
            .ok();
            let pub_path = format!("{}.pub", path.display());
            assert_eq!(
                jg(&["jws", "verify", "--key", &pub_path], &t).ok(),
                b"ssh",
                "{kind}"
            );
        }
    } else {
        eprintln!("ssh-keygen not installed: OpenSSH interop skipped (the library tests read OpenSSH lines)");
    }
    // The OpenSSH lines of the shared vectors parse.
    for f in [
        "ssh-ecdsa-public.pem",
        "ssh-ed25519-public.pem",
        "ssh-rsa-public.pem",
    ] {
        jg(
            &[
                "key",
                "thumbprint",
                &vectors(&format!("joserfc/tests/keys/{f}")),
            ],
            b"",
        )
        .ok();
    }
    // PKCS#1 public key ("RSA PUBLIC KEY") from openssl, when present.
    if let Ok(o) = Command::new("openssl")
        .args(["rsa", "-pubin", "-in", &rsa_spki, "-RSAPublicKey_out"])
        .output()
    {
        if o.status.success() {
            let p = d.file("rsa-pkcs1-public.pem", &o.stdout);
            let t = jg(&["jws", "sign", "--key", &rsa1, "--alg", "PS256"], b"p1").ok();
            assert_eq!(jg(&["jws", "verify", "--key", &p], &t).ok(), b"p1");
        }
    }
}

#[test]
fn jwe_every_algorithm() {
    let d = Dir::new("jwe");
    let plaintext: &[u8] = b"secret \x00\x01 bytes";
    for (alg, spec) in [
        ("dir", "oct:256"),
        ("RSA-OAEP", "RSA:2048"),
        ("RSA-OAEP-256", "RSA:2048"),
        ("RSA-OAEP-384", "RSA:2048"),
        ("RSA-OAEP-512", "RSA:2048"),
        ("A128KW", "oct:128"),
        ("A256KW", "oct:256"),
        ("A128GCMKW", "oct:128"),
        ("A192GCMKW", "oct:192"),
        ("A256GCMKW", "oct:256"),
        ("ECDH-ES", "EC:P-256"),
        ("ECDH-ES+A128KW", "EC:P-384"),
        ("ECDH-ES+A256KW", "EC:P-521"),
        ("ECDH-ES+A256KW", "OKP:X25519"),
    ] {
        let (private, public) = keypair(&d, spec, &alg.replace('+', "_"));
        for (enc, format, zip) in [
            ("A256GCM", "compact", false),
            ("A128CBC-HS256", "flattened", true),
            ("A256CBC-HS512", "general", false),
        ] {
            if alg == "dir" && enc != "A256GCM" && enc != "A128CBC-HS256" {
                continue;
            }
            let mut args = vec![
                "jwe", "encrypt", "--key", &public, "--alg", alg, "--enc", enc, "--format", format,
            ];
            if zip {
                args.extend(["--zip", "DEF"]);
            }
            let token = jg(&args, plaintext).ok();
            assert_eq!(
                jg(&["jwe", "decrypt", "--key", &private], &token).ok(),
                plaintext,
                "{alg} {enc} {format}"
            );
        }
    }
    // RSA1_5 must be named to be accepted.
    let (rsa, rsa_pub) = keypair(&d, "RSA:2048", "rsa15");
    let t = jg(
        &[
            "jwe", "encrypt", "--key", &rsa_pub, "--alg", "RSA1_5", "--enc", "A128GCM",
        ],
        b"legacy",
    )
    .ok();
    jg(&["jwe", "decrypt", "--key", &rsa], &t).rejected("alg not allowed: RSA1_5");
    assert_eq!(
        jg(&["jwe", "decrypt", "--key", &rsa, "--alg", "RSA1_5"], &t).ok(),
        b"legacy"
    );
    // PBES2 with a password file, only when named; the iteration cap applies.
    let pw = d.file("pw", b"correct horse battery staple\n");
    let t = jg(
        &[
            "jwe",
            "encrypt",
            "--password-file",
            &pw,
            "--alg",
            "PBES2-HS256+A128KW",
            "--enc",
            "A128GCM",
        ],
        b"pbes2",
    )
    .ok();
    assert_eq!(
        jg(
            &[
                "jwe",
                "decrypt",
                "--password",
                "correct horse battery staple",
                "--alg",
                "PBES2-HS256+A128KW"
            ],
            &t
        )
        .ok(),
        b"pbes2"
    );
    assert_ne!(jg(&["jwe", "decrypt", "--password-file", &pw], &t).code, 0);
    jg(
        &[
            "jwe",
            "decrypt",
            "--password-file",
            &pw,
            "--alg",
            "PBES2-HS256+A128KW",
            "--max-iterations",
            "100",
        ],
        &t,
    )
    .rejected("p2c");
    let wrong = d.file("wrong", b"wrong");
    jg(
        &[
            "jwe",
            "decrypt",
            "--password-file",
            &wrong,
            "--alg",
            "PBES2-HS256+A128KW",
        ],
        &t,
    )
    .rejected("decryption failed");
    jg(&["jwe", "decrypt", "--alg", "A128KW"], &t).usage();
    jg(
        &[
            "jwe", "encrypt", "--key", &rsa_pub, "--alg", "A192KW", "--enc", "A128GCM",
        ],
        b"x",
    )
    .rejected("A192KW cannot use a RSA key");
}

#[test]
fn jwt_sign_verify_decrypt() {
    let d = Dir::new("jwt");
    let (issuer, issuer_pub) = keypair(&d, "EC:P-256", "issuer");
    let claims = d.file("claims.json", br#"{"scope":"read","roles":["a"]}"#);
    let token = jg(
        &[
            "jwt",
            "sign",
            "--key",
            &issuer,
            "--alg",
            "ES256",
            "--iss",
            "https://op",
            "--sub",
            "alice",
            "--aud",
            "api",
            "--aud",
            "web",
            "--exp",
            "15m",
            "--nbf",
            "0s",
            "--jti",
            &claims,
        ],
        b"",
    )
    .ok();
    let out: serde_json::Value = serde_json::from_slice(
        &jg(
            &[
                "jwt",
                "verify",
                "--key",
                &issuer_pub,
                "--iss",
                "https://op",
                "--aud",
                "web",
                "--typ",
                "JWT",
            ],
            &token,
        )
        .ok(),
    )
    .unwrap();
    assert_eq!(out["sub"], "alice");
    assert_eq!(out["aud"], serde_json::json!(["api", "web"]));
    assert_eq!(out["scope"], "read");
    assert_eq!(out["jti"].as_str().unwrap().len(), 22);
    assert!(out["exp"].as_i64().unwrap() - out["iat"].as_i64().unwrap() == 900);
    jg(
        &[
            "jwt",
            "verify",
            "--key",
            &issuer_pub,
            "--iss",
            "https://evil",
        ],
        &token,
    )
    .rejected("claim \"iss\"");
    jg(
        &["jwt", "verify", "--key", &issuer_pub, "--aud", "billing"],
        &token,
    )
    .rejected("claim \"aud\"");
    let expired = jg(
        &[
            "jwt", "sign", "--key", &issuer, "--alg", "ES256", "--exp", "0s",
        ],
        b"",
    )
    .ok();
    jg(
        &["jwt", "verify", "--key", &issuer_pub, "--leeway", "0"],
        &expired,
    )
    .rejected("token expired");
    jg(
        &[
            "jwt", "sign", "--key", &issuer, "--alg", "ES256", "--exp", "soon",
        ],
        b"",
    )
    .usage();
    // Nested: sign, then encrypt with cty JWT, then decrypt-and-verify in one step.
    let (rp, rp_pub) = keypair(&d, "EC:P-256", "rp");
    let jwe = jg(
        &[
            "jwe",
            "encrypt",
            "--key",
            &rp_pub,
            "--alg",
            "ECDH-ES+A256KW",
            "--enc",
            "A256GCM",
            "--cty",
            "JWT",
        ],
        &token,
    )
    .ok();
    let out: serde_json::Value = serde_json::from_slice(
        &jg(
            &[
                "jwt",
                "decrypt",
                "--key",
                &rp,
                "--verify-key",
                &issuer_pub,
                "--aud",
                "api",
            ],
            &jwe,
        )
        .ok(),
    )
    .unwrap();
    assert_eq!(out["sub"], "alice");
    let (_, stranger_pub) = keypair(&d, "EC:P-256", "stranger");
    jg(
        &[
            "jwt",
            "decrypt",
            "--key",
            &rp,
            "--verify-key",
            &stranger_pub,
        ],
        &jwe,
    )
    .rejected("signature invalid");
    let no_cty = jg(
        &[
            "jwe",
            "encrypt",
            "--key",
            &rp_pub,
            "--alg",
            "ECDH-ES+A256KW",
            "--enc",
            "A256GCM",
        ],
        &token,
    )
    .ok();
    // Without cty (as Corppass sends it) the nested token is still decrypted and verified.
    let out: serde_json::Value = serde_json::from_slice(
        &jg(
            &["jwt", "decrypt", "--key", &rp, "--verify-key", &issuer_pub],
            &no_cty,
        )
        .ok(),
    )
    .unwrap();
    assert_eq!(out["sub"], "alice");
    let json_cty = jg(
        &[
            "jwe",
            "encrypt",
            "--key",
            &rp_pub,
            "--alg",
            "ECDH-ES+A256KW",
            "--enc",
            "A256GCM",
            "--cty",
            "JSON",
        ],
        &token,
    )
    .ok();
    jg(
        &["jwt", "decrypt", "--key", &rp, "--verify-key", &issuer_pub],
        &json_cty,
    )
    .rejected("cty");
}

#[test]
fn inspect_labels_and_dates() {
    let d = Dir::new("inspect");
    let (k, _) = keypair(&d, "EC:P-256", "k");
    let token = jg(
        &[
            "jwt", "sign", "--key", &k, "--alg", "ES256", "--exp", "2h", "--sub", "x",
        ],
        b"",
    )
    .ok();
    let out = jg(&["inspect"], &token).text();
    assert!(out.starts_with("UNVERIFIED"));
    assert!(
        out.contains("exp: 20") && out.contains("(in 1h 59m") || out.contains("(in 2h"),
        "{out}"
    );
    assert!(out.contains("status: not expired"));
    let (_, public) = keypair(&d, "EC:P-256", "enc");
    let jwe = jg(
        &[
            "jwe", "encrypt", "--key", &public, "--alg", "ECDH-ES", "--enc", "A128GCM",
        ],
        b"x",
    )
    .ok();
    let out = jg(&["inspect"], &jwe).text();
    assert!(out.starts_with("UNVERIFIED") && out.contains("JWE") && out.contains("\"epk\""));
    jg(&["inspect"], b"garbage").rejected("malformed");
}

#[test]
fn help_explains_every_command() {
    let top = jg(&["--help"], b"").text();
    for c in ["key", "jws", "jwe", "jwt", "inspect"] {
        assert!(top.contains(c));
    }
    for (args, options) in [
        (
            vec!["key", "generate", "--help"],
            vec!["--alg", "--kid", "--use"],
        ),
        (vec!["key", "thumbprint", "--help"], vec!["--hash", "--uri"]),
        (vec!["key", "convert", "--help"], vec!["--to"]),
        (
            vec!["jws", "sign", "--help"],
            vec![
                "--key",
                "--alg",
                "--kid",
                "--protected",
                "--header",
                "--format",
                "--detached",
                "--b64",
            ],
        ),
        (
            vec!["jws", "verify", "--help"],
            vec!["--key", "--alg", "--payload"],
        ),
        (
            vec!["jwe", "encrypt", "--help"],
            vec![
                "--key",
                "--alg",
                "--enc",
                "--zip",
                "--kid",
                "--format",
                "--password",
                "--password-file",
            ],
        ),
        (
            vec!["jwe", "decrypt", "--help"],
            vec!["--key", "--alg", "--enc", "--password-file"],
        ),
        (
            vec!["jwt", "sign", "--help"],
            vec![
                "--iss", "--sub", "--aud", "--exp", "--nbf", "--jti", "--typ",
            ],
        ),
        (
            vec!["jwt", "verify", "--help"],
            vec!["--iss", "--aud", "--leeway", "--typ"],
        ),
        (
            vec!["jwt", "decrypt", "--help"],
            vec!["--key", "--verify-key"],
        ),
        (vec!["inspect", "--help"], vec!["UNVERIFIED"]),
    ] {
        let h = jg(&args, b"").text();
        for o in options {
            assert!(h.contains(o), "{args:?} help lacks {o}");
        }
    }
    let _ = Path::new(BIN);
}

#[test]
fn serve_check_validates_configurations() {
    let quickstart = format!(
        "{}/../../examples/quickstart.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    // The quickstart's signing worker generates its key on first start, but a check writes nothing.
    let worker_key =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/quickstart/worker-docsign.jwk");
    let existed = worker_key.exists();
    assert_eq!(
        jg(&["serve", "--check", "--config", &quickstart], b"").text(),
        "configuration valid"
    );
    assert_eq!(
        worker_key.exists(),
        existed,
        "--check must not write key files"
    );
    let d = Dir::new("serve");
    let bad = d.file(
        "bad.toml",
        b"[[route]]\npath = \"/a\"\nissuers = [\"nobody\"]\n[backend]\necho = true\n",
    );
    let r = jg(&["serve", "--check", "--config", &bad], b"");
    assert_eq!(r.code, 2);
    assert!(
        r.err.contains("no [[issuer]] named \"nobody\""),
        "{}",
        r.err
    );
}

/// A minimal HTTP/1.1 exchange on loopback (`Connection: close`): status and body.
fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Vec<u8>) {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).unwrap();
    let split = resp.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&resp[..split]).into_owned();
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "{head}"
    );
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, resp[split + 4..].to_vec())
}

/// `joseguard serve`, stopped on drop.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The runnable example of docs/signing.md, step by step, on the quickstart configuration (on a
/// free port, with the worker's key generated into a temporary directory).
#[test]
fn signing_service_example_from_the_docs() {
    let dir = Dir::new("signing-example");
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let quickstart = std::fs::read_to_string(examples.join("quickstart.toml")).unwrap();
    let config = quickstart
        .replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"))
        .replace(
            "\"quickstart/worker-docsign.jwk\"",
            &format!("{:?}", dir.0.join("docsign.jwk")),
        )
        .replace(
            "\"quickstart/",
            &format!("\"{}/quickstart/", examples.display()),
        );
    let config_path = dir.file("quickstart.toml", config.as_bytes());
    let _server = Server(
        Command::new(BIN)
            .args(["serve", "--config", &config_path])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "joseguard serve did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }

    // 1. The token.
    let issuer_key = examples.join("quickstart/demo-issuer.jwk");
    let token = jg(
        &[
            "jwt",
            "sign",
            "--key",
            issuer_key.to_str().unwrap(),
            "--alg",
            "ES256",
            "--iss",
            "https://issuer.example",
            "--aud",
            "signing-service",
            "--sub",
            "alice",
            "--exp",
            "5m",
            "--jti",
            "-",
        ],
        br#"{"acr": "substantial", "amr": ["pwd", "otp"]}"#,
    )
    .text();
    let bearer = format!("Bearer {token}");

    // 2. Sign through the worker.
    let contract = b"I agree to the terms, version 3.";
    let (status, jws) = http(
        port,
        "POST",
        "/workers/docsign/sign",
        &[
            ("Authorization", &bearer),
            ("Accept", "application/jose"),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        contract,
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&jws));
    let jws_file = dir.file("contract.jws", &jws);

    // 3. Verify with the worker's JWK Set; the header names the signer.
    let (status, jwks) = http(port, "GET", "/workers/docsign/jwks", &[], b"");
    assert_eq!(status, 200);
    let jwks_file = dir.file("docsign.jwks", &jwks);
    assert_eq!(
        jg(
            &[
                "jws",
                "verify",
                "--key",
                &jwks_file,
                "--allow-header",
                "signer",
                &jws_file
            ],
            b""
        )
        .ok(),
        contract
    );
    jg(&["jws", "verify", "--key", &jwks_file, &jws_file], b"").rejected("signer");
    assert!(jg(&["inspect", &jws_file], b"")
        .text()
        .contains("alice (substantial)"));

    // 4. The validation worker agrees.
    let (status, verdict) = http(port, "POST", "/workers/check/verify", &[], &jws);
    assert_eq!(status, 200);
    let verdict = String::from_utf8(verdict).unwrap();
    assert!(
        verdict.contains("\"valid\":true") && verdict.contains("\"signer\":\"docsign\""),
        "{verdict}"
    );

    // 5. Spent.
    let (status, body) = http(
        port,
        "POST",
        "/workers/docsign/sign",
        &[("Authorization", &bearer)],
        contract,
    );
    assert_eq!(status, 409, "{}", String::from_utf8_lossy(&body));
}

/// A key that cannot serve what it claims is a rejected key (exit 1), and the message states
/// its defect; for RSA1_5 and PBES2 keys it says they are opt-in and how to enable them.
#[test]
fn rejected_keys_exit_1_with_their_defect() {
    let d = Dir::new("defects");
    let (signer, _) = keypair(&d, "EC:P-256", "signer");
    let token = jg(&["jws", "sign", "--key", &signer, "--alg", "ES256"], b"x").ok();
    let p256: serde_json::Value =
        serde_json::from_slice(&jg(&["key", "public", &signer], b"").ok()).unwrap();
    let (x, y) = (p256["x"].as_str().unwrap(), p256["y"].as_str().unwrap());
    let k31 = joseguard::b64::encode([7u8; 31]);
    let roca_n = joseguard::b64::encode(
        (0..512)
            .step_by(2)
            .map(|i| u8::from_str_radix(&"8f1d0913f66947c459b5d5f1c8ac5bc048266e1153248e3016d918a9573c29fb3c1dcaf625a6197d57cfac178e5282d9c1c75a5c171298a86e6deada082888f037268f13e778aebb05e7048430bfa7f4e6b7b4638973b60aa886a69e95cf6943d5d5341a8db37ac9b1370d9f4498dfeba036f09648f778e52520f0f156e57214a42afa6256ef824d2121ef1fe49eb6b83ab04018f41c25d9ef0b9fe7822b35cf98d65ed625ff650a2f7022dc1c73b6a5ed37355018bd981455e1662977b23d59df87da33e340802dda65f59cddc8c75f830b4add1c59651543f993a7cf609ef693dda6eed671b094b04a3877861bd9cb826b6baf82fbc90e109d47c54433d8c5"[i..i + 2], 16).unwrap())
            .collect::<Vec<u8>>(),
    );
    let identity = joseguard::b64::encode({
        let mut x = [0u8; 32];
        x[0] = 1;
        x
    });
    for (name, jwk, why) in [
        (
            "short",
            format!(r#"{{"kty":"oct","k":"{k31}"}}"#),
            "at least 32 bytes, this one has 31",
        ),
        ("empty", r#"{"kty":"oct","k":""}"#.to_owned(), "k"),
        (
            "alg",
            format!(r#"{{"kty":"EC","crv":"P-256","x":"{x}","y":"{y}","alg":"ES521"}}"#),
            "ES521",
        ),
        (
            "use",
            format!(r#"{{"kty":"EC","crv":"P-256","x":"{x}","y":"{y}","use":"enc"}}"#),
            "use",
        ),
        (
            "roca",
            format!(r#"{{"kty":"RSA","n":"{roca_n}","e":"AQAB"}}"#),
            "ROCA",
        ),
        (
            "identity",
            format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{identity}"}}"#),
            "small order",
        ),
    ] {
        let key = d.file(&format!("{name}.jwk"), jwk.as_bytes());
        jg(&["jws", "verify", "--key", &key], &token).rejected(why);
    }
    // A mixed JWK Set is refused for verification.
    let hmac: serde_json::Value =
        serde_json::from_slice(&jg(&["key", "generate", "oct:256"], b"").ok()).unwrap();
    let set = serde_json::json!({"keys": [p256, hmac]}).to_string();
    let set = d.file("mixed.jwks", set.as_bytes());
    jg(&["jws", "verify", "--key", &set, "--alg", "ES256"], &token).rejected("mixes secret");
    // Decryption: an RSA1_5 key names the opt-in and the way to enable it.
    let rsa: serde_json::Value =
        serde_json::from_slice(&jg(&["key", "generate", "RSA:2048", "--alg", "RSA1_5"], b"").ok())
            .unwrap();
    let rsa = d.file("rsa15.jwk", rsa.to_string().as_bytes());
    let jwe = jg(
        &[
            "jwe", "encrypt", "--key", &rsa, "--alg", "RSA1_5", "--enc", "A128GCM",
        ],
        b"secret",
    )
    .ok();
    let out = jg(&["jwe", "decrypt", "--key", &rsa], &jwe);
    assert!(out.err.contains("--alg"), "{}", out.err);
    out.rejected("RSA1_5");
    assert_eq!(
        jg(&["jwe", "decrypt", "--key", &rsa, "--alg", "RSA1_5"], &jwe).ok(),
        b"secret"
    );
}

/// AES-192 key wrap, its ECDH-ES and PBES2 variants, through the command line.
#[test]
fn aes192_key_wrap_round_trips() {
    let d = Dir::new("aes192");
    let (ec, ec_pub) = keypair(&d, "EC:P-384", "ec");
    let kw = d.file("kw.jwk", &jg(&["key", "generate", "oct:192"], b"").ok());
    let pw = d.file("pw", b"correct horse battery staple");
    for (enc_args, dec_args) in [
        (
            vec!["--key", kw.as_str(), "--alg", "A192KW"],
            vec!["--key", kw.as_str()],
        ),
        (
            vec!["--key", ec_pub.as_str(), "--alg", "ECDH-ES+A192KW"],
            vec!["--key", ec.as_str()],
        ),
        (
            vec![
                "--password-file",
                pw.as_str(),
                "--alg",
                "PBES2-HS384+A192KW",
            ],
            vec![
                "--password-file",
                pw.as_str(),
                "--alg",
                "PBES2-HS384+A192KW",
            ],
        ),
    ] {
        let mut args = vec!["jwe", "encrypt", "--enc", "A192GCM"];
        args.extend(&enc_args);
        let token = jg(&args, b"hello").ok();
        let mut args = vec!["jwe", "decrypt"];
        args.extend(&dec_args);
        assert_eq!(jg(&args, &token).ok(), b"hello", "{enc_args:?}");
    }
}

/// JSON behind whitespace is still JSON for a compact-only JWT check.
#[test]
fn jwt_verify_refuses_json_however_spelled() {
    let d = Dir::new("jwtjson");
    let (key, public) = keypair(&d, "EC:P-256", "k");
    let flat = jg(
        &[
            "jws",
            "sign",
            "--key",
            &key,
            "--alg",
            "ES256",
            "--format",
            "flattened",
        ],
        br#"{"exp":4102444800}"#,
    )
    .ok();
    for prefix in [&b""[..], b" ", b"\n\t"] {
        let mut t = prefix.to_vec();
        t.extend_from_slice(&flat);
        jg(&["jwt", "verify", "--key", &public], &t).rejected("compact");
    }
}

/// `--key pkcs11:...` signs with a key in a SoftHSM2 token (the private key stays there): JWS
/// and JWT, verified with the token's public key; a wrong PIN is a clear error, exit 2, for
/// `jws sign` and for `serve --check`; the PIN never appears.
#[test]
fn hsm_keys_sign_from_the_command_line() {
    let Some(hsm) = joseguard_testkit::SoftHsm::for_test() else {
        return;
    };
    let module = joseguard_testkit::SOFTHSM2_MODULE;
    let pin = hsm.pin_file.display().to_string();
    let uri = hsm.uri("ec-256");
    let mut config = joseguard_pkcs11::Pkcs11Config::new(uri.parse().unwrap());
    config.module = Some(module.into());
    config.pin = Some(joseguard_pkcs11::Pin::File(hsm.pin_file.clone()));
    let public = joseguard_pkcs11::Pkcs11Key::open(config)
        .unwrap()
        .public()
        .clone();
    let d = Dir::new("hsm");
    let pub_file = d.file("pub.jwk", public.to_json().as_bytes());
    let hsm_args = ["--pkcs11-module", module, "--pin-file", &pin];
    let jws = jg(
        &[
            &["jws", "sign", "--key", &uri, "--alg", "ES256"][..],
            &hsm_args,
        ]
        .concat(),
        b"from the token",
    )
    .ok();
    let verified = jg(&["jws", "verify", "--key", &pub_file], &jws).ok();
    assert_eq!(verified, b"from the token");
    // HSM options beside a key file would do nothing: refused, not ignored.
    let file_key = d.file("file.jwk", &jg(&["key", "generate", "EC:P-256"], b"").ok());
    let r = jg(
        &[
            "jws",
            "sign",
            "--key",
            &file_key,
            "--alg",
            "ES256",
            "--pin-file",
            &pin,
        ],
        b"x",
    );
    assert!(r.err.contains("apply to --key pkcs11:"), "{}", r.err);
    r.usage();
    let jwt = jg(
        &[
            &[
                "jwt", "sign", "--key", &uri, "--alg", "ES256", "--sub", "alice",
            ][..],
            &hsm_args,
        ]
        .concat(),
        b"",
    )
    .ok();
    let claims = jg(&["jwt", "verify", "--key", &pub_file], &jwt).text();
    assert!(claims.contains("\"sub\":\"alice\""), "{claims}");
    let wrong = d.file("wrong", b"wrong-Jv3Tq\n");
    let r = jg(
        &[
            "jws",
            "sign",
            "--key",
            &uri,
            "--alg",
            "ES256",
            "--pkcs11-module",
            module,
            "--pin-file",
            &wrong,
        ],
        b"x",
    );
    assert_eq!(r.code, 2, "{}", r.err);
    assert!(
        r.err.contains("refused the PIN") && !r.err.contains("wrong-Jv3Tq"),
        "{}",
        r.err
    );
    let cfg = format!(
        "[[issuer]]\nname = \"as\"\nalgorithms = [\"ES256\"]\n[issuer.keys]\ndefault = {{ file = \"pub.jwk\" }}\n\
         [[worker]]\nname = \"w\"\nkind = \"signing\"\nkey = \"{uri}\"\npkcs11_module = \"{module}\"\npin_file = \"{wrong}\"\n\
         [worker.authorizer]\nservers = [\"as\"]\n"
    );
    let cfg = d.file("hsm.toml", cfg.as_bytes());
    let r = jg(&["serve", "--check", "--config", &cfg], b"");
    assert_eq!(r.code, 2, "{}", r.err);
    assert!(
        r.err.contains("refused the PIN") && !r.err.contains("wrong-Jv3Tq"),
        "{}",
        r.err
    );
}
