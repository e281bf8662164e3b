//! Fixtures the crates' tests share. Not published.
//!
//! [`SoftHsm`]: a SoftHSM2 token in a temporary directory, initialised by `softhsm2-util` and
//! given keys by `pkcs11-tool` (Debian packages `softhsm2` and `opensc`, installed by `.ci/run`
//! when missing), with `SOFTHSM2_CONF` pointing at it for this process.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Where Debian puts the SoftHSM2 module.
pub const SOFTHSM2_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

/// The user PIN of the test token.
pub const PIN: &str = "pin-Kq7Zx";

/// The token's label.
pub const TOKEN: &str = "signing";

/// A key whose public key object on [`TOKEN`] belongs to another key.
pub const MISMATCHED: &str = "pkcs11:token=signing;id=%07;type=private";

/// The label of a second token, with one key (`ec-256`), for the test that unplugs it.
pub const SPARE: &str = "spare";

/// Two SoftHSM2 tokens. [`TOKEN`] holds `rsa-1` (RSA 2048, id 01), `ec-256` (P-256, id 02),
/// `ec-384` (P-384, id 03) and `ed-1` (Ed25519, id 04) when the module offers it, and a
/// mismatched pair under id 07 ([`MISMATCHED`]); [`SPARE`] holds `ec-256`, and is the one a
/// test may unplug without disturbing the others.
#[derive(Debug)]
pub struct SoftHsm {
    /// The directory holding the configuration, the tokens and the PIN file.
    pub dir: PathBuf,
    /// A file holding [`PIN`].
    pub pin_file: PathBuf,
    /// Labels of the keys made in [`TOKEN`].
    pub keys: Vec<&'static str>,
    /// The directory of each token, by label.
    tokens: Vec<(&'static str, PathBuf)>,
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl SoftHsm {
    /// The process's token, made once (SoftHSM2 reads its configuration when the module is
    /// initialised, once per process). `Err` says why there is none (tools not installed).
    pub fn shared() -> Result<&'static SoftHsm, String> {
        static HSM: OnceLock<Result<SoftHsm, String>> = OnceLock::new();
        HSM.get_or_init(|| {
            SoftHsm::create(
                &std::env::temp_dir().join(format!("joseguard-softhsm-{}", std::process::id())),
            )
        })
        .as_ref()
        .map_err(Clone::clone)
    }

    /// [`SoftHsm::shared`] for a test: `None` (the test skips, saying why) when SoftHSM2 is not
    /// installed, unless `JOSEGUARD_REQUIRE_HSM` is set (`.ci/run` sets it, having installed
    /// the tools), where a missing HSM fails the test instead of passing it unseen.
    pub fn for_test() -> Option<&'static SoftHsm> {
        match SoftHsm::shared() {
            Ok(h) => Some(h),
            Err(why) if std::env::var_os("JOSEGUARD_REQUIRE_HSM").is_some() => {
                panic!("JOSEGUARD_REQUIRE_HSM is set but there is no SoftHSM2: {why}")
            }
            Err(why) => {
                eprintln!("SKIPPED: no SoftHSM2 here: {why}");
                None
            }
        }
    }

    fn create(dir: &Path) -> Result<SoftHsm, String> {
        if !Path::new(SOFTHSM2_MODULE).exists() {
            return Err(format!("{SOFTHSM2_MODULE} is missing (install softhsm2)"));
        }
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir.join("tokens")).map_err(|e| e.to_string())?;
        let conf = dir.join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n",
                dir.join("tokens").display()
            ),
        )
        .map_err(|e| e.to_string())?;
        // Set before any module in this process is initialised (SoftHsm::shared runs first).
        std::env::set_var("SOFTHSM2_CONF", &conf);
        let mut tokens = Vec::new();
        let mut keys = Vec::new();
        for (token, made) in [
            (
                TOKEN,
                &[
                    ("rsa-1", "01", "rsa:2048"),
                    ("ec-256", "02", "EC:prime256v1"),
                    ("ec-384", "03", "EC:secp384r1"),
                    ("ed-1", "04", "EC:edwards25519"),
                ][..],
            ),
            (SPARE, &[("ec-256", "02", "EC:prime256v1")][..]),
        ] {
            let before = subdirs(&dir.join("tokens"));
            run(Command::new("softhsm2-util").args([
                "--init-token",
                "--free",
                "--label",
                token,
                "--so-pin",
                "1234",
                "--pin",
                PIN,
            ]))?;
            let new = subdirs(&dir.join("tokens"))
                .into_iter()
                .find(|d| !before.contains(d));
            tokens.push((token, new.ok_or("softhsm2-util made no token directory")?));
            for (label, id, spec) in made {
                let done = run(Command::new("pkcs11-tool").args([
                    "--module",
                    SOFTHSM2_MODULE,
                    "--token-label",
                    token,
                    "--login",
                    "--pin",
                    PIN,
                    "--keypairgen",
                    "--key-type",
                    spec,
                    "--label",
                    label,
                    "--id",
                    id,
                ]));
                match (done, *label) {
                    (Ok(()), _) if token == TOKEN => keys.push(*label),
                    (Ok(()), _) => {}
                    (Err(_), "ed-1") => {} // a module without Ed25519
                    (Err(e), _) => return Err(e),
                }
            }
        }
        // A private key whose public key object is another key's (id 07): what a leftover
        // object under a reused label looks like.
        let tool = |args: &[&str]| {
            run(Command::new("pkcs11-tool")
                .args([
                    "--module",
                    SOFTHSM2_MODULE,
                    "--token-label",
                    TOKEN,
                    "--login",
                    "--pin",
                    PIN,
                ])
                .args(args))
        };
        for (label, id) in [("mm-a", "07"), ("mm-b", "08")] {
            tool(&[
                "--keypairgen",
                "--key-type",
                "EC:prime256v1",
                "--label",
                label,
                "--id",
                id,
            ])?;
        }
        tool(&["--delete-object", "--type", "pubkey", "--id", "07"])?;
        tool(&["--set-id", "07", "--id", "08", "--type", "pubkey"])?;
        let pin_file = dir.join("pin");
        std::fs::write(&pin_file, format!("{PIN}\n")).map_err(|e| e.to_string())?;
        Ok(SoftHsm {
            dir: dir.to_owned(),
            pin_file,
            keys,
            tokens,
        })
    }

    /// The URI of the key labelled `label` in [`TOKEN`].
    pub fn uri(&self, label: &str) -> String {
        self.uri_in(TOKEN, label)
    }

    /// The URI of the key labelled `label` in `token`.
    pub fn uri_in(&self, token: &str, label: &str) -> String {
        format!("pkcs11:token={token};object={label};type=private")
    }

    /// A second copy of the SoftHSM2 module, loaded as a separate instance with its own state
    /// (the dynamic loader keys libraries by path): keys opened through it can be disturbed
    /// ([`SoftHsm::restart_spare`]) without touching the other tests' keys.
    pub fn spare_module(&self) -> PathBuf {
        let copy = self.dir.join("libsofthsm2-spare.so");
        if !copy.exists() {
            std::fs::copy(SOFTHSM2_MODULE, &copy).expect("copy the module");
        }
        copy
    }

    /// What an HSM restart does to its clients: the spare module is finalised (`C_Finalize`),
    /// so every session through it is gone and its library must be initialised again.
    pub fn restart_spare(&self) {
        let module = cryptoki::context::Pkcs11::new(self.spare_module()).expect("load the module");
        match module.finalize() {
            // Already finalised and not yet initialised again: the next client starts afresh.
            Ok(())
            | Err(cryptoki::error::Error::Pkcs11(
                cryptoki::error::RvError::CryptokiNotInitialized,
                _,
            )) => {}
            Err(e) => panic!("C_Finalize: {e}"),
        }
    }

    /// Unplugs `token` (its directory moved away) until the guard is dropped.
    pub fn unplug(&self, token: &str) -> Unplugged {
        let dir = self
            .tokens
            .iter()
            .find(|(t, _)| *t == token)
            .map(|(_, d)| d.clone())
            .expect("a token of the test HSM");
        // Out of the token directory: SoftHSM2 would find it under any name inside.
        let away = self.dir.join(format!("{token}-away"));
        std::fs::rename(&dir, &away).expect("unplug");
        Unplugged { dir, away }
    }
}

/// A token's directory moved away; dropping this moves it back.
#[derive(Debug)]
pub struct Unplugged {
    dir: PathBuf,
    away: PathBuf,
}

impl Drop for Unplugged {
    fn drop(&mut self) {
        let _ = std::fs::rename(&self.away, &self.dir);
    }
}

fn subdirs(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default()
}
