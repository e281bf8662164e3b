//! `x5c` chains (RFC 7515 §4.1.6): path validation to configured trust anchors with
//! rustls-webpki (RFC 5280), certificate validity, and CRL revocation with CRLs fetched from the
//! leaf's CRL Distribution Points, checked against their issuer's signature by webpki, and cached
//! until their `nextUpdate`. The leaf's key is then the key that must verify the token.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime};

use axum::http::StatusCode;
use base64::Engine;
use der::{Decode, Encode};
use joseguard::Jwk;
use pki_types::{CertificateDer, TrustAnchor, UnixTime};
use webpki::{
    EndEntityCert, ExpirationPolicy, KeyPurposeIdIter, OwnedCertRevocationList,
    RevocationCheckDepth, RevocationOptionsBuilder, UnknownStatusPolicy,
};
use x509_cert::ext::pkix::crl::CrlDistributionPoints;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::Certificate;

use crate::answer::Rejection;
use crate::config::{err, ConfigError};

/// Largest CRL fetched.
const MAX_CRL_BYTES: usize = 16 << 20;
/// A CRL is refreshed in the background once its `nextUpdate` is this close.
const REFRESH_AHEAD: Duration = Duration::from_secs(300);

/// JWS signing certificates carry all kinds of extended key usages (or none): the chain is what
/// is checked here, not a TLS purpose.
struct AnyEku;

impl webpki::ExtendedKeyUsageValidator for AnyEku {
    fn validate(&self, _: KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        Ok(())
    }
}

/// An issuer's `x5c` policy.
pub struct X5cPolicy {
    anchors: Vec<TrustAnchor<'static>>,
    pub check_validity: bool,
    pub check_revocation: bool,
    pub revocation_fail_open: bool,
    pub require: bool,
    crls: Arc<CrlCache>,
}

fn reject(code: &'static str, detail: impl Into<String>) -> Rejection {
    Rejection::new(StatusCode::UNAUTHORIZED, code, detail)
}

/// Reads every certificate of a PEM file.
pub fn load_pem_certs(key: &str, text: &[u8]) -> Result<Vec<Vec<u8>>, ConfigError> {
    let certs = Certificate::load_pem_chain(text)
        .map_err(|e| err(key, format!("not PEM certificates: {e}")))?;
    if certs.is_empty() {
        return Err(err(key, "no certificate in the file"));
    }
    certs
        .iter()
        .map(|c| c.to_der().map_err(|e| err(key, e)))
        .collect()
}

impl X5cPolicy {
    pub fn new(
        key: &str,
        anchor_ders: Vec<Vec<u8>>,
        check_validity: bool,
        check_revocation: bool,
        revocation_fail_open: bool,
        require: bool,
        crl_timeout: Duration,
    ) -> Result<X5cPolicy, ConfigError> {
        let mut anchors = Vec::new();
        for der in anchor_ders {
            let cert = CertificateDer::from(der);
            let anchor = webpki::anchor_from_trusted_cert(&cert)
                .map_err(|e| err(key, format!("trust anchor unusable: {e:?}")))?;
            anchors.push(anchor.to_owned());
        }
        let client = reqwest::Client::builder()
            .timeout(crl_timeout)
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .map_err(|e| err(key, e))?;
        let crls = Arc::new(CrlCache {
            client,
            fetches: Default::default(),
            failures: Default::default(),
            entries: Mutex::new(HashMap::new()),
            flights: tokio::sync::Mutex::new(()),
        });
        CrlCache::spawn_refresher(Arc::downgrade(&crls));
        Ok(X5cPolicy {
            anchors,
            check_validity,
            check_revocation,
            revocation_fail_open,
            require,
            crls,
        })
    }

    /// CRL fetch counters and the oldest cached CRL's age.
    pub fn crl_stats(&self) -> CrlStats {
        use std::sync::atomic::Ordering::Relaxed;
        let oldest = self
            .crls
            .entries
            .lock()
            .expect("crl lock")
            .values()
            .map(|e| e.fetched)
            .min();
        CrlStats {
            fetches: self.crls.fetches.load(Relaxed),
            failures: self.crls.failures.load(Relaxed),
            oldest_age: oldest.and_then(|t| t.elapsed().ok()),
        }
    }

    /// Validates the chain in an `x5c` header value and returns the leaf's public key.
    pub async fn leaf_key(&self, x5c: &serde_json::Value) -> Result<Jwk, Rejection> {
        let items = x5c
            .as_array()
            .ok_or_else(|| reject("cert_invalid", "x5c must be an array"))?;
        if items.is_empty() || items.len() > 10 {
            return Err(reject("cert_invalid", "x5c must hold 1 to 10 certificates"));
        }
        let ders: Vec<CertificateDer<'static>> = items
            .iter()
            .map(|v| {
                let s = v
                    .as_str()
                    .ok_or_else(|| reject("cert_invalid", "x5c entries are base64 strings"))?;
                base64::engine::general_purpose::STANDARD
                    .decode(s)
                    .map(CertificateDer::from)
                    .map_err(|_| {
                        reject(
                            "cert_invalid",
                            "x5c entry is not base64 (RFC 7515 uses standard base64)",
                        )
                    })
            })
            .collect::<Result<_, _>>()?;
        let leaf = EndEntityCert::try_from(&ders[0])
            .map_err(|e| reject("cert_invalid", format!("leaf certificate: {e:?}")))?;
        let parsed_leaf = Certificate::from_der(&ders[0])
            .map_err(|e| reject("cert_invalid", format!("leaf certificate: {e}")))?;
        let time = if self.check_validity {
            UnixTime::now()
        } else {
            // Validity not checked (inadvisable; Gravitee's checkCertificateValidity = false):
            // judge the chain as of the leaf's notBefore.
            UnixTime::since_unix_epoch(
                parsed_leaf
                    .tbs_certificate
                    .validity
                    .not_before
                    .to_unix_duration(),
            )
        };
        let crls: Vec<webpki::CertRevocationList<'static>> = if self.check_revocation {
            match self.crls.for_certificate(&parsed_leaf).await {
                Ok(list) => list
                    .into_iter()
                    .map(|c| webpki::CertRevocationList::Owned((*c).clone()))
                    .collect(),
                Err(why) if self.revocation_fail_open => {
                    tracing::warn!(reason = %why, "revocation status unavailable; allowed by revocation_fail_open");
                    Vec::new()
                }
                Err(why) => return Err(Rejection::unavailable("revocation_unavailable", why)),
            }
        } else {
            Vec::new()
        };
        let crl_refs: Vec<&webpki::CertRevocationList<'_>> = crls.iter().collect();
        let revocation = if crl_refs.is_empty() {
            None
        } else {
            Some(
                RevocationOptionsBuilder::new(&crl_refs)
                    .expect("non-empty")
                    .with_depth(RevocationCheckDepth::EndEntity)
                    .with_status_policy(UnknownStatusPolicy::Deny)
                    .with_expiration_policy(ExpirationPolicy::Enforce)
                    .build(),
            )
        };
        leaf.verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &self.anchors,
            &ders[1..],
            time,
            AnyEku,
            revocation,
            None,
        )
        .map_err(|e| match e {
            webpki::Error::CertExpired { .. } => reject(
                "cert_expired",
                "the x5c leaf or a chain certificate has expired",
            ),
            webpki::Error::CertNotValidYet { .. } => {
                reject("cert_not_yet_valid", "an x5c certificate is not valid yet")
            }
            webpki::Error::CertRevoked => {
                reject("cert_revoked", "the x5c leaf certificate is revoked")
            }
            webpki::Error::UnknownIssuer => reject(
                "chain_untrusted",
                "the x5c chain does not lead to a trust anchor",
            ),
            webpki::Error::UnknownRevocationStatus | webpki::Error::CrlExpired { .. } => {
                Rejection::unavailable(
                    "revocation_unavailable",
                    "no current CRL covers the x5c leaf",
                )
            }
            other => reject("cert_invalid", format!("x5c chain: {other:?}")),
        })?;
        Jwk::from_certificate_der(&ders[0]).map_err(|e| reject("cert_invalid", e.to_string()))
    }
}

/// CRL counters for `/metrics`.
#[derive(Debug, Clone, Copy, Default)]
pub struct CrlStats {
    pub fetches: u64,
    pub failures: u64,
    /// Age of the oldest CRL in the cache.
    pub oldest_age: Option<Duration>,
}

/// CRLs by distribution point URL, each kept until its `nextUpdate`.
struct CrlCache {
    client: reqwest::Client,
    fetches: std::sync::atomic::AtomicU64,
    failures: std::sync::atomic::AtomicU64,
    entries: Mutex<HashMap<String, CrlEntry>>,
    /// One fetch at a time: concurrent requests for a missing CRL share it.
    flights: tokio::sync::Mutex<()>,
}

#[derive(Clone)]
struct CrlEntry {
    crl: Arc<OwnedCertRevocationList>,
    next_update: SystemTime,
    fetched: SystemTime,
}

fn distribution_points(cert: &Certificate) -> Vec<String> {
    let Some(exts) = &cert.tbs_certificate.extensions else {
        return Vec::new();
    };
    let mut urls = Vec::new();
    for ext in exts
        .iter()
        .filter(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_CRL_DISTRIBUTION_POINTS)
    {
        let Ok(points) = CrlDistributionPoints::from_der(ext.extn_value.as_bytes()) else {
            continue;
        };
        for p in points.0 {
            if let Some(DistributionPointName::FullName(names)) = p.distribution_point {
                for n in names {
                    if let GeneralName::UniformResourceIdentifier(uri) = n {
                        let uri = uri.to_string();
                        if uri.starts_with("http://") || uri.starts_with("https://") {
                            urls.push(uri);
                        }
                    }
                }
            }
        }
    }
    urls
}

impl CrlCache {
    async fn for_certificate(
        &self,
        cert: &Certificate,
    ) -> Result<Vec<Arc<OwnedCertRevocationList>>, String> {
        let urls = distribution_points(cert);
        if urls.is_empty() {
            return Err("the leaf certificate names no http(s) CRL distribution point".into());
        }
        let mut out = Vec::new();
        let mut last_err = String::new();
        for url in urls {
            match self.get(&url).await {
                Ok(crl) => out.push(crl),
                Err(e) => last_err = e,
            }
        }
        if out.is_empty() {
            return Err(last_err);
        }
        Ok(out)
    }

    async fn get(&self, url: &str) -> Result<Arc<OwnedCertRevocationList>, String> {
        if let Some(e) = self.fresh(url) {
            return Ok(e.crl);
        }
        let _flight = self.flights.lock().await;
        if let Some(e) = self.fresh(url) {
            return Ok(e.crl);
        }
        let entry = self.fetch(url).await?;
        self.entries
            .lock()
            .expect("crl lock")
            .insert(url.to_owned(), entry.clone());
        Ok(entry.crl)
    }

    fn fresh(&self, url: &str) -> Option<CrlEntry> {
        let entries = self.entries.lock().expect("crl lock");
        entries
            .get(url)
            .filter(|e| SystemTime::now() < e.next_update)
            .cloned()
    }

    async fn fetch(&self, url: &str) -> Result<CrlEntry, String> {
        use std::sync::atomic::Ordering::Relaxed;
        self.fetches.fetch_add(1, Relaxed);
        let result = self.fetch_once(url).await;
        if result.is_err() {
            self.failures.fetch_add(1, Relaxed);
        }
        result
    }

    async fn fetch_once(&self, url: &str) -> Result<CrlEntry, String> {
        let resp = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| format!("CRL {url}: {e}"))?;
        if !resp.status().is_success() {
            return Err(format!("CRL {url}: HTTP {}", resp.status().as_u16()));
        }
        if resp
            .content_length()
            .is_some_and(|n| n > MAX_CRL_BYTES as u64)
        {
            return Err(format!("CRL {url}: larger than {MAX_CRL_BYTES} bytes"));
        }
        let body = resp.bytes().await.map_err(|e| format!("CRL {url}: {e}"))?;
        if body.len() > MAX_CRL_BYTES {
            return Err(format!("CRL {url}: larger than {MAX_CRL_BYTES} bytes"));
        }
        // DER, or PEM as some servers publish.
        let der = if body.starts_with(b"-----BEGIN") {
            der::pem::decode_vec(&body)
                .map(|(_, d)| d)
                .map_err(|e| format!("CRL {url}: {e}"))?
        } else {
            body.to_vec()
        };
        let crl =
            OwnedCertRevocationList::from_der(&der).map_err(|e| format!("CRL {url}: {e:?}"))?;
        let parsed = x509_cert::crl::CertificateList::from_der(&der)
            .map_err(|e| format!("CRL {url}: {e}"))?;
        // Without nextUpdate, keep it one hour.
        let next_update = parsed
            .tbs_cert_list
            .next_update
            .map(|t| t.to_system_time())
            .unwrap_or_else(|| SystemTime::now() + Duration::from_secs(3600));
        tracing::info!(url, "CRL fetched");
        Ok(CrlEntry {
            crl: Arc::new(crl),
            next_update,
            fetched: SystemTime::now(),
        })
    }

    /// Refreshes CRLs before their `nextUpdate`, off the request path; stops with the cache.
    fn spawn_refresher(cache: Weak<CrlCache>) {
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        handle.spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(60)).await;
                let Some(cache) = cache.upgrade() else { return };
                let due: Vec<String> = {
                    let entries = cache.entries.lock().expect("crl lock");
                    let soon = SystemTime::now() + REFRESH_AHEAD;
                    entries
                        .iter()
                        .filter(|(_, e)| e.next_update <= soon)
                        .map(|(u, _)| u.clone())
                        .collect()
                };
                for url in due {
                    match cache.fetch(&url).await {
                        Ok(entry) => {
                            cache.entries.lock().expect("crl lock").insert(url, entry);
                        }
                        Err(e) => tracing::warn!(error = %e, "CRL refresh failed"),
                    }
                }
            }
        });
    }
}
