//! `x5c` chains (RFC 7515 §4.1.6): path validation to configured trust anchors with
//! rustls-webpki (RFC 5280: signatures, names, basic constraints, key usage, validity), then,
//! and only for a chain that validated, CRL revocation with CRLs fetched from the distribution
//! points of the validated certificates.
//!
//! The order is the point: a certificate that arrives in a token is attacker material until it
//! chains to an anchor, so nothing it names (a CRL URL) is fetched before that. CRLs are kept
//! in a [`FetchCache`] (single flight per URL, failures remembered briefly, bounded in bytes),
//! shared as `Arc` and never copied per request, and are checked against their issuer's
//! signature by webpki.

use std::time::{Duration, SystemTime};

use base64::Engine;
use der::{Decode, Encode};
use joseguard::Jwk;
use pki_types::{CertificateDer, TrustAnchor, UnixTime};
use webpki::{
    CertRevocationList, EndEntityCert, ExpirationPolicy, KeyPurposeIdIter, OwnedCertRevocationList,
    RevocationCheckDepth, RevocationOptionsBuilder, UnknownStatusPolicy,
};
use x509_cert::ext::pkix::crl::CrlDistributionPoints;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::Certificate;

use crate::fetch::{CacheStats, FetchCache, FetchPolicy, Fetcher, Parsed};

/// Largest CRL fetched.
const MAX_CRL_BYTES: usize = 16 << 20;
/// Bytes of CRLs one issuer keeps (parsed CRLs take about three times their DER size).
const CRL_CACHE_BYTES: usize = 64 << 20;
/// How long a failed CRL fetch is remembered: one hung server costs one timeout per this.
const CRL_FAILURE_TTL: Duration = Duration::from_secs(30);
/// Certificates in one `x5c`, and bytes in one certificate, at most.
const MAX_CHAIN: usize = 10;
const MAX_CERT_BYTES: usize = 16 << 10;

/// Why an `x5c` chain was not accepted. Each has a stable code and a fixed description: what
/// went wrong in detail (a CRL server's answer, a parser's message) goes to the log only, so
/// that nobody learns about internal servers from an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum X5cError {
    /// Not a chain of well-formed certificates, or the chain is not valid for another reason.
    Invalid,
    /// A certificate of the chain has expired.
    Expired,
    /// A certificate of the chain is not valid yet.
    NotYetValid,
    /// The chain does not lead to a trust anchor.
    Untrusted,
    /// A current CRL lists the certificate.
    Revoked,
    /// The certificate names no CRL distribution point, so its status cannot be known.
    RevocationUnknown,
    /// No current CRL could be had (fetch failed, expired, or not authoritative): try later.
    RevocationUnavailable,
}

impl X5cError {
    /// The stable problem code.
    pub fn code(self) -> &'static str {
        match self {
            X5cError::Invalid => "cert_invalid",
            X5cError::Expired => "cert_expired",
            X5cError::NotYetValid => "cert_not_yet_valid",
            X5cError::Untrusted => "chain_untrusted",
            X5cError::Revoked => "cert_revoked",
            X5cError::RevocationUnknown => "revocation_unknown",
            X5cError::RevocationUnavailable => "revocation_unavailable",
        }
    }

    /// Whether the condition may pass on its own (503 and retry) rather than being a verdict.
    pub fn is_transient(self) -> bool {
        self == X5cError::RevocationUnavailable
    }
}

impl std::fmt::Display for X5cError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            X5cError::Invalid => "the x5c chain is not valid",
            X5cError::Expired => "an x5c certificate has expired",
            X5cError::NotYetValid => "an x5c certificate is not valid yet",
            X5cError::Untrusted => "the x5c chain does not lead to a trust anchor",
            X5cError::Revoked => "the x5c leaf certificate is revoked",
            X5cError::RevocationUnknown => "the x5c leaf names no CRL distribution point",
            X5cError::RevocationUnavailable => "no current CRL covers the x5c chain",
        })
    }
}

impl std::error::Error for X5cError {}

/// JWS signing certificates carry all kinds of extended key usages (or none): the chain is what
/// is checked here, not a TLS purpose.
struct AnyEku;

impl webpki::ExtendedKeyUsageValidator for AnyEku {
    fn validate(&self, _: KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        Ok(())
    }
}

/// How an issuer's `x5c` chains are judged.
#[derive(Debug, Clone)]
pub struct X5cOptions {
    /// Check notBefore/notAfter (else the chain is judged as of the leaf's notBefore).
    pub check_validity: bool,
    /// Check CRLs.
    pub check_revocation: bool,
    /// Accept when no CRL can be had.
    pub revocation_fail_open: bool,
    /// Timeout of one CRL fetch.
    pub crl_timeout: Duration,
    /// Redirects a CRL fetch follows (default 0).
    pub crl_redirects: usize,
}

/// Parsed CRLs by URL.
pub type CrlCache = FetchCache<CertRevocationList<'static>>;

/// An issuer's trust anchors and the CRLs fetched for its chains.
pub struct X5cPolicy {
    anchors: Vec<TrustAnchor<'static>>,
    options: X5cOptions,
    crls: CrlCache,
}

/// Reads every certificate of a PEM text (DER bytes each).
pub fn load_pem_certs(text: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let certs =
        Certificate::load_pem_chain(text).map_err(|e| format!("not PEM certificates: {e}"))?;
    if certs.is_empty() {
        return Err("no certificate in the file".into());
    }
    certs
        .iter()
        .map(|c| c.to_der().map_err(|e| e.to_string()))
        .collect()
}

/// A CRL body (DER, or PEM as some servers publish) as webpki's owned CRL, usable until its
/// `nextUpdate` (an hour when it has none).
fn parse_crl(body: &[u8]) -> Result<Parsed<CertRevocationList<'static>>, String> {
    let der = if body.starts_with(b"-----BEGIN") {
        der::pem::decode_vec(body)
            .map(|(_, d)| d)
            .map_err(|e| format!("CRL PEM: {e}"))?
    } else {
        body.to_vec()
    };
    let crl = OwnedCertRevocationList::from_der(&der).map_err(|e| format!("CRL: {e:?}"))?;
    let parsed =
        x509_cert::crl::CertificateList::from_der(&der).map_err(|e| format!("CRL: {e}"))?;
    let fresh_until = parsed
        .tbs_cert_list
        .next_update
        .map(|t| t.to_system_time())
        .unwrap_or_else(|| SystemTime::now() + Duration::from_secs(3600));
    if fresh_until <= SystemTime::now() {
        return Err("CRL: past its nextUpdate".into());
    }
    Ok(Parsed {
        value: CertRevocationList::Owned(crl),
        fresh_until,
        size: der.len().saturating_mul(3),
    })
}

/// The http(s) URLs of a certificate's CRL distribution points.
fn distribution_points(der: &[u8]) -> Vec<String> {
    let Ok(cert) = Certificate::from_der(der) else {
        return Vec::new();
    };
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

fn map_path_error(e: webpki::Error) -> X5cError {
    match e {
        webpki::Error::CertExpired { .. } => X5cError::Expired,
        webpki::Error::CertNotValidYet { .. } => X5cError::NotYetValid,
        webpki::Error::CertRevoked => X5cError::Revoked,
        webpki::Error::UnknownIssuer => X5cError::Untrusted,
        webpki::Error::UnknownRevocationStatus | webpki::Error::CrlExpired { .. } => {
            X5cError::RevocationUnavailable
        }
        other => {
            tracing::info!(error = ?other, "x5c chain refused");
            X5cError::Invalid
        }
    }
}

impl X5cPolicy {
    /// A policy over these anchors (DER certificates).
    pub fn new(anchor_ders: &[Vec<u8>], options: X5cOptions) -> Result<X5cPolicy, String> {
        let mut anchors = Vec::new();
        for der in anchor_ders {
            let cert = CertificateDer::from(der.as_slice());
            let anchor = webpki::anchor_from_trusted_cert(&cert)
                .map_err(|e| format!("trust anchor unusable: {e:?}"))?;
            anchors.push(anchor.to_owned());
        }
        let fetcher = Fetcher::new(FetchPolicy {
            timeout: options.crl_timeout,
            max_body_bytes: MAX_CRL_BYTES,
            max_redirects: options.crl_redirects,
            https_except_loopback: false,
        })
        .map_err(|e| e.to_string())?;
        let crls = FetchCache::new(
            fetcher,
            "application/pkix-crl, application/pkcs7-mime;q=0.5, */*;q=0.1",
            parse_crl,
            CRL_CACHE_BYTES,
            CRL_FAILURE_TTL,
        );
        Ok(X5cPolicy {
            anchors,
            options,
            crls,
        })
    }

    /// The options.
    pub fn options(&self) -> &X5cOptions {
        &self.options
    }

    /// CRL fetch counters and the cache's state.
    pub fn crl_stats(&self) -> CacheStats {
        self.crls.stats()
    }

    /// Validates the chain in an `x5c` header value and returns the leaf's public key.
    pub async fn leaf_key(&self, x5c: &serde_json::Value) -> Result<Jwk, X5cError> {
        let ders = decode_chain(x5c)?;
        let leaf = EndEntityCert::try_from(&ders[0]).map_err(|e| {
            tracing::info!(error = ?e, "x5c leaf refused");
            X5cError::Invalid
        })?;
        let time = if self.options.check_validity {
            UnixTime::now()
        } else {
            // Validity not checked (inadvisable; Gravitee's checkCertificateValidity = false):
            // judge the chain as of the leaf's notBefore.
            let leaf_cert = Certificate::from_der(&ders[0]).map_err(|_| X5cError::Invalid)?;
            UnixTime::since_unix_epoch(
                leaf_cert
                    .tbs_certificate
                    .validity
                    .not_before
                    .to_unix_duration(),
            )
        };
        // First the chain alone: nothing an untrusted certificate names is ever fetched.
        let intermediates = self.verify_path(&leaf, &ders, time, None)?;
        if self.options.check_revocation {
            self.check_revocation(&leaf, &ders, time, &intermediates)
                .await?;
        }
        Jwk::from_certificate_der(&ders[0]).map_err(|e| {
            tracing::info!(error = %e, "x5c leaf key unusable");
            X5cError::Invalid
        })
    }

    /// RFC 5280 path validation; the DER of the path's intermediates.
    fn verify_path(
        &self,
        leaf: &EndEntityCert<'_>,
        ders: &[CertificateDer<'static>],
        time: UnixTime,
        revocation: Option<webpki::RevocationOptions<'_>>,
    ) -> Result<Vec<Vec<u8>>, X5cError> {
        leaf.verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &self.anchors,
            &ders[1..],
            time,
            AnyEku,
            revocation,
            None,
        )
        .map(|path| {
            path.intermediate_certificates()
                .map(|c| c.der().to_vec())
                .collect()
        })
        .map_err(map_path_error)
    }

    /// CRLs for the validated leaf and for every intermediate of the validated path that names a
    /// distribution point; then the path again, with them.
    async fn check_revocation(
        &self,
        leaf: &EndEntityCert<'_>,
        ders: &[CertificateDer<'static>],
        time: UnixTime,
        intermediates: &[Vec<u8>],
    ) -> Result<(), X5cError> {
        let fail_open = self.options.revocation_fail_open;
        let leaf_points = distribution_points(&ders[0]);
        if leaf_points.is_empty() {
            if fail_open {
                tracing::warn!(
                    "x5c leaf names no CRL distribution point; allowed by revocation_fail_open"
                );
                return Ok(());
            }
            return Err(X5cError::RevocationUnknown);
        }
        let intermediate_points: Vec<Vec<String>> = intermediates
            .iter()
            .map(|d| distribution_points(d))
            .collect();
        let whole_chain = intermediate_points.iter().all(|p| !p.is_empty());
        let urls: Vec<&String> = std::iter::once(&leaf_points)
            .chain(intermediate_points.iter())
            .flatten()
            .collect();
        let fetched = futures_util::future::join_all(urls.iter().map(|u| self.crls.get(u))).await;
        let mut held = Vec::with_capacity(fetched.len());
        for (url, outcome) in urls.iter().zip(fetched) {
            match outcome {
                Ok(crl) => held.push(crl),
                Err(e) => tracing::warn!(url = %url, error = %e, "CRL unavailable"),
            }
        }
        if held.is_empty() {
            if fail_open {
                tracing::warn!("no CRL for the x5c chain; allowed by revocation_fail_open");
                return Ok(());
            }
            return Err(X5cError::RevocationUnavailable);
        }
        let refs: Vec<&CertRevocationList<'_>> = held.iter().map(|c| &c.value).collect();
        let options = RevocationOptionsBuilder::new(&refs)
            .map_err(|_| X5cError::RevocationUnavailable)?
            .with_depth(if whole_chain {
                RevocationCheckDepth::Chain
            } else {
                RevocationCheckDepth::EndEntity
            })
            .with_status_policy(if fail_open {
                UnknownStatusPolicy::Allow
            } else {
                UnknownStatusPolicy::Deny
            })
            .with_expiration_policy(ExpirationPolicy::Enforce)
            .build();
        self.verify_path(leaf, ders, time, Some(options)).map(drop)
    }
}

/// The DER certificates of an `x5c` value: an array of 1 to 10 standard-base64 strings.
fn decode_chain(x5c: &serde_json::Value) -> Result<Vec<CertificateDer<'static>>, X5cError> {
    let items = x5c.as_array().ok_or(X5cError::Invalid)?;
    if items.is_empty() || items.len() > MAX_CHAIN {
        return Err(X5cError::Invalid);
    }
    items
        .iter()
        .map(|v| {
            let s = v.as_str().ok_or(X5cError::Invalid)?;
            if s.len() > MAX_CERT_BYTES * 4 / 3 + 4 {
                return Err(X5cError::Invalid);
            }
            base64::engine::general_purpose::STANDARD
                .decode(s)
                .map(CertificateDer::from)
                .map_err(|_| X5cError::Invalid)
        })
        .collect()
}
