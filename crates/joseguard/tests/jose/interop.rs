//! Interoperability with independent implementations: Authlib's joserfc (Python, on
//! pyca/cryptography) for JOSE, and dilithium-py (a pure-Python FIPS 204 implementation) for
//! ML-DSA, installed from PyPI into a virtual environment under `target/` the first time. Keys
//! travel as JWKs, tokens both ways. Skipped, with a message, only where Python or the package
//! registry cannot be had.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use joseguard::jwa::KeyManagementAlgorithm as Alg;
use joseguard::jwe::{self, DecryptPolicy, Decrypter};
use joseguard::{b64, EcCurve, Jwk, KeySpec, OkpCurve};
use serde_json::{json, Value};

/// The venv's python with joserfc and dilithium-py, or why there is none.
fn python() -> Result<PathBuf, String> {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/interop-venv");
            let py = venv.join("bin/python");
            let ready = |py: &PathBuf| {
                Command::new(py)
                    .args(["-c", "import joserfc, dilithium_py"])
                    .status()
                    .is_ok_and(|s| s.success())
            };
            if ready(&py) {
                return Ok(py);
            }
            let run = |cmd: &mut Command| {
                cmd.stdout(Stdio::null())
                    .status()
                    .map_err(|e| e.to_string())
                    .and_then(|s| {
                        s.success()
                            .then_some(())
                            .ok_or_else(|| format!("{cmd:?} failed"))
                    })
            };
            run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
            run(Command::new(&py).args([
                "-m",
                "pip",
                "install",
                "-q",
                "joserfc==1.*",
                "dilithium-py==1.*",
            ]))?;
            ready(&py)
                .then_some(py)
                .ok_or_else(|| "joserfc or dilithium-py did not install".into())
        })
        .clone()
}

/// Runs `script` (which reads JSON on stdin and writes JSON) in the venv.
fn py(script: &str, input: Value) -> Value {
    let py = python().unwrap();
    let mut child = Command::new(py)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "python failed");
    serde_json::from_slice(&out.stdout).unwrap()
}

const JOSERFC_JWE: &str = r#"
import base64, json, sys
from joserfc import jwe
from joserfc.jwk import import_key
from joserfc.jwe import JWERegistry
cases = json.load(sys.stdin)
algs = sorted({c["alg"] for c in cases} | {c["enc"] for c in cases})
reg = JWERegistry(algorithms=algs)
out = []
for c in cases:
    key = import_key(c["jwk"])
    if c["op"] == "encrypt":
        pt = base64.urlsafe_b64decode(c["plaintext"] + "==")
        out.append(jwe.encrypt_compact({"alg": c["alg"], "enc": c["enc"]}, pt, key, registry=reg))
    else:
        obj = jwe.decrypt_compact(c["token"], key, registry=reg)
        out.append(base64.urlsafe_b64encode(obj.plaintext).decode().rstrip("="))
print(json.dumps(out))
"#;

/// (alg, recipient key) pairs for the AES-192 key-wrap family, with every curve ECDH-ES takes.
fn aes192_family() -> Vec<(Alg, Jwk)> {
    let mut cases = vec![
        (Alg::A192KW, Jwk::generate(KeySpec::Oct(192)).unwrap()),
        (
            Alg::Pbes2Hs384A192KW,
            Jwk::from_json(format!(
                r#"{{"kty":"oct","k":"{}"}}"#,
                b64::encode("correct horse battery staple")
            ))
            .unwrap(),
        ),
    ];
    for spec in [
        KeySpec::Ec(EcCurve::P256),
        KeySpec::Ec(EcCurve::P384),
        KeySpec::Ec(EcCurve::P521),
        KeySpec::Okp(OkpCurve::X25519),
    ] {
        cases.push((Alg::EcdhEsA192KW, Jwk::generate(spec).unwrap()));
    }
    cases
}

fn decrypter(alg: Alg, key: &Jwk) -> Decrypter {
    let encs = joseguard::jwa::ALL_CONTENT_ENCRYPTIONS;
    let policy = match alg {
        // PBES2 is opt-in: a policy naming another algorithm, with PBES2 enabled.
        Alg::Pbes2Hs384A192KW => DecryptPolicy::new([Alg::A128KW], encs)
            .unwrap()
            .dangerous()
            .enable_pbes2(10_000),
        _ => DecryptPolicy::new([alg], encs).unwrap(),
    };
    Decrypter::new(policy, Jwk::from_json(key.to_json()).unwrap())
}

/// A192KW, ECDH-ES+A192KW and PBES2-HS384+A192KW both ways with joserfc, under every content
/// encryption.
#[test]
fn aes192_key_wrap_with_joserfc() {
    if let Err(why) = python() {
        eprintln!("SKIPPED: joserfc cannot be installed here: {why}");
        return;
    }
    let plaintext = b"The true sign of intelligence is not knowledge but imagination.";
    let mut from_them = Vec::new();
    let mut to_them = Vec::new();
    for (alg, key) in aes192_family() {
        for enc in joseguard::jwa::ALL_CONTENT_ENCRYPTIONS {
            let jwk: Value = key.to_value();
            let public: Value = match alg {
                Alg::EcdhEsA192KW => key.to_public_value(),
                _ => jwk.clone(),
            };
            from_them.push((alg, enc, key.to_json(), json!({"op": "encrypt", "alg": alg.name(), "enc": enc.name(), "jwk": public, "plaintext": b64::encode(plaintext)})));
            let ours = jwe::Builder::new(plaintext, enc)
                .recipient(&Jwk::from_value(&public).unwrap(), alg)
                .unwrap()
                .compact()
                .unwrap();
            to_them.push(json!({"op": "decrypt", "alg": alg.name(), "enc": enc.name(), "jwk": jwk, "token": ours}));
        }
    }
    let tokens = py(
        JOSERFC_JWE,
        Value::Array(from_them.iter().map(|c| c.3.clone()).collect()),
    );
    for ((alg, enc, key, _), token) in from_them.iter().zip(tokens.as_array().unwrap()) {
        let key = Jwk::from_json(key).unwrap();
        let d = decrypter(*alg, &key)
            .decrypt(token.as_str().unwrap().as_bytes())
            .unwrap_or_else(|e| panic!("joserfc's {alg} {enc}: {e}"));
        assert_eq!(d.plaintext, plaintext, "{alg} {enc}");
        assert_eq!((d.alg, d.enc), (*alg, *enc));
    }
    let plaintexts = py(JOSERFC_JWE, Value::Array(to_them.clone()));
    for (case, pt) in to_them.iter().zip(plaintexts.as_array().unwrap()) {
        assert_eq!(
            pt.as_str().unwrap(),
            b64::encode(plaintext),
            "joserfc decrypting our {}",
            case["alg"]
        );
    }
    assert_eq!(from_them.len(), 6 * 6);
}

const DILITHIUM_PY: &str = r#"
import base64, json, sys
from dilithium_py.ml_dsa import ML_DSA_44, ML_DSA_65, ML_DSA_87
SETS = {"ML-DSA-44": ML_DSA_44, "ML-DSA-65": ML_DSA_65, "ML-DSA-87": ML_DSA_87}
def d(s): return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
def e(b): return base64.urlsafe_b64encode(b).decode().rstrip("=")
out = []
for c in json.load(sys.stdin):
    ml = SETS[c["jwk"]["alg"]]
    pk, sk = ml.key_derive(d(c["jwk"]["priv"]))
    head, payload, sig = c["token"].split(".")
    signing_input = (head + "." + payload).encode()
    mine_head = e(json.dumps({"alg": c["jwk"]["alg"]}).encode())
    mine_input = (mine_head + "." + payload).encode()
    out.append({
        "pub_matches": e(pk) == c["jwk"]["pub"],
        "verified": ml.verify(pk, signing_input, d(sig)),
        "token": mine_head + "." + payload + "." + e(ml.sign(sk, mine_input)),
    })
print(json.dumps(out))
"#;

/// ML-DSA-44/65/87 both ways with dilithium-py: the AKP seed expands to the same public key, a
/// joseguard JWS verifies there, and theirs verifies here.
#[test]
fn ml_dsa_with_dilithium_py() {
    use joseguard::jwa::MlDsa;
    use joseguard::jws::{self, Header, Verifier, VerifyPolicy};
    if let Err(why) = python() {
        eprintln!("SKIPPED: dilithium-py cannot be installed here: {why}");
        return;
    }
    let payload = b"long-term signature over a document";
    let cases: Vec<(Jwk, String)> = MlDsa::ALL
        .iter()
        .map(|set| {
            let key = Jwk::generate(KeySpec::Akp(*set)).unwrap();
            let token = jws::Builder::new(payload)
                .signer(&key, set.jws_algorithm(), Header::new())
                .unwrap()
                .compact()
                .unwrap();
            (key, token)
        })
        .collect();
    let input = cases
        .iter()
        .map(|(k, t)| json!({"jwk": k.to_value(), "token": t}))
        .collect();
    let answers = py(DILITHIUM_PY, Value::Array(input));
    for ((key, _), answer) in cases.iter().zip(answers.as_array().unwrap()) {
        let set = key.ml_dsa().unwrap();
        assert_eq!(
            answer["pub_matches"],
            true,
            "{}: seed expansion",
            set.name()
        );
        assert_eq!(answer["verified"], true, "{}: ours there", set.name());
        let public = Jwk::from_value(&key.to_public_value()).unwrap();
        let verifier = Verifier::new(VerifyPolicy::new([set.jws_algorithm()]).unwrap(), public);
        let theirs = answer["token"].as_str().unwrap();
        assert_eq!(
            verifier.verify(theirs.as_bytes()).unwrap().payload,
            payload,
            "{}: theirs here",
            set.name()
        );
    }
}
