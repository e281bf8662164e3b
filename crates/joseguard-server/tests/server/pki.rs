//! PKI fixtures for the x5c tests: CAs, leaves, CRLs made by rcgen, and tokens carrying chains.

use base64::Engine;
use joseguard::jws::{self, Header};
use joseguard::jwt;
use joseguard::{Jwk, JwsAlgorithm};
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CrlDistributionPoint,
    DistinguishedName, DnType, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose,
    RevokedCertParams, SerialNumber, PKCS_ECDSA_P256_SHA256,
};
use serde_json::json;
use time::OffsetDateTime;

pub fn ca_params(name: &str) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, name);
    p.distinguished_name = dn;
    p
}

pub struct Ca {
    pub issuer: Issuer<'static, KeyPair>,
    pub pem: String,
}

pub fn ca(name: &str) -> Ca {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let params = ca_params(name);
    let cert = params.self_signed(&key).unwrap();
    Ca {
        issuer: Issuer::new(params, key),
        pem: cert.pem(),
    }
}

/// A leaf signed by `ca` (or self-signed when `ca` is None): (signing JWK, DER).
pub fn leaf(ca: Option<&Ca>, serial: u64, days: (i64, i64), crl_url: &str) -> (Jwk, Vec<u8>) {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let mut p = CertificateParams::new(vec!["signer.example".to_owned()]).unwrap();
    p.serial_number = Some(SerialNumber::from(serial));
    let now = OffsetDateTime::now_utc();
    p.not_before = now + time::Duration::days(days.0);
    p.not_after = now + time::Duration::days(days.1);
    p.crl_distribution_points = vec![CrlDistributionPoint {
        uris: vec![crl_url.to_owned()],
    }];
    let cert = match ca {
        Some(ca) => p.signed_by(&key, &ca.issuer).unwrap(),
        None => p.self_signed(&key).unwrap(),
    };
    (
        Jwk::from_pem(&key.serialize_pem()).unwrap(),
        cert.der().to_vec(),
    )
}

pub fn crl(ca: &Ca, revoked: &[u64]) -> Vec<u8> {
    let now = OffsetDateTime::now_utc();
    CertificateRevocationListParams {
        this_update: now - time::Duration::hours(1),
        next_update: now + time::Duration::days(1),
        crl_number: SerialNumber::from(1u64),
        issuing_distribution_point: None,
        revoked_certs: revoked
            .iter()
            .map(|s| RevokedCertParams {
                serial_number: SerialNumber::from(*s),
                revocation_time: now - time::Duration::minutes(5),
                reason_code: None,
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: KeyIdMethod::Sha256,
    }
    .signed_by(&ca.issuer)
    .unwrap()
    .der()
    .to_vec()
}

pub fn token(signer: &Jwk, chain: &[&[u8]], kid: Option<&str>) -> String {
    let x5c: Vec<String> = chain
        .iter()
        .map(|d| base64::engine::general_purpose::STANDARD.encode(d))
        .collect();
    let mut h = Header::new().with("typ", "JWT").with("x5c", x5c);
    if let Some(k) = kid {
        h.insert("kid", k);
    }
    let now = jwt::now();
    jws::Builder::new(
        json!({"sub": "signer", "exp": now + 300})
            .to_string()
            .as_bytes(),
    )
    .signer(signer, JwsAlgorithm::ES256, h)
    .unwrap()
    .compact()
    .unwrap()
}
