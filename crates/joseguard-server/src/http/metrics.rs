//! Prometheus metrics: decisions by route and reason, latency, and key-source state.
//!
//! Every label value is a configured name (a route's path, `worker:NAME` for a configured
//! worker, an issuer's name) or `unknown`, never text from a request, so a client cannot add
//! series; and label values are escaped as the exposition format requires (prometheus-client
//! writes them verbatim), so even a configured name cannot break a line.

use std::fmt::Write;
use std::sync::{Arc, RwLock};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    text::encode, DescriptorEncoder, EncodeLabelSet, EncodeLabelValue, EncodeMetric,
    LabelValueEncoder,
};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::runtime::{Issuer, Role, Runtime, SigningKey};
use joseguard_keys::JwksSource;

/// A label value, escaped (`\\`, `"`, newline) when written.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct Label(pub String);

impl EncodeLabelValue for Label {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        for c in self.0.chars() {
            match c {
                '\\' => encoder.write_str("\\\\")?,
                '"' => encoder.write_str("\\\"")?,
                '\n' => encoder.write_str("\\n")?,
                c => encoder.write_char(c)?,
            }
        }
        Ok(())
    }
}

impl From<&str> for Label {
    fn from(s: &str) -> Label {
        Label(s.to_owned())
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DecisionLabels {
    pub route: Label,
    pub decision: Label,
    pub code: Label,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: Label,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReplayLabels {
    pub worker: Label,
    /// `allowed` or `refused`, as the worker's policy says.
    pub action: Label,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct IssuerLabels {
    issuer: Label,
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    /// Requests by route, decision and code.
    pub decisions: Family<DecisionLabels, Counter>,
    /// Request latency by route.
    pub latency: Family<RouteLabels, Histogram>,
    /// Requests that found the replay store down.
    pub replay_unavailable: Family<ReplayLabels, Counter>,
}

/// Key-source and CRL state of the current runtime, read at scrape time.
struct Sources(Arc<RwLock<Arc<Runtime>>>);

impl std::fmt::Debug for Sources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sources")
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KeyLabels {
    worker: Label,
    kid: Label,
}

type Column = Vec<(IssuerLabels, f64)>;

fn family<L: EncodeLabelSet, M: EncodeMetric>(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    rows: Vec<(L, f64)>,
    metric: impl Fn(f64) -> M,
) -> Result<(), std::fmt::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let first = metric(0.0);
    let mut family = encoder.encode_descriptor(name, help, None, first.metric_type())?;
    for (labels, value) in rows {
        metric(value).encode(family.encode_family(&labels)?)?;
    }
    Ok(())
}

/// A JWK Set URL's counters, when the issuer has one.
fn remote(issuer: &Issuer) -> Option<joseguard_keys::Stats> {
    match &issuer.jwks {
        Some(JwksSource::Remote(r)) => Some(r.stats()),
        _ => None,
    }
}

/// One value of an issuer, when it has one.
type Reading = fn(&Issuer) -> Option<f64>;

/// The per-issuer families read at scrape time: name, help, counter (else gauge), reading.
const SOURCES: [(&str, &str, bool, Reading); 8] = [
    (
        "joseguard_jwks_fetches",
        "JWK Set fetch attempts.",
        true,
        |i| remote(i).map(|s| s.fetches as f64),
    ),
    (
        "joseguard_jwks_fetch_failures",
        "Failed JWK Set fetches.",
        true,
        |i| remote(i).map(|s| s.failures as f64),
    ),
    (
        "joseguard_jwks_secret_keys_refused",
        "Secret or private keys found in fetched JWK Sets and not used.",
        true,
        |i| remote(i).map(|s| s.refused_secret_keys as f64),
    ),
    (
        "joseguard_jwks_age_seconds",
        "Age of the JWK Set being served.",
        false,
        |i| remote(i).and_then(|s| s.age).map(|a| a.as_secs_f64()),
    ),
    ("joseguard_keys", "Keys available per issuer.", false, |i| {
        Some((i.by_kid.len() + remote(i).map_or(0, |s| s.keys)) as f64)
    }),
    ("joseguard_crl_fetches", "CRL fetch attempts.", true, |i| {
        i.x5c.as_ref().map(|x| x.policy.crl_stats().fetches as f64)
    }),
    (
        "joseguard_crl_fetch_failures",
        "Failed CRL fetches.",
        true,
        |i| i.x5c.as_ref().map(|x| x.policy.crl_stats().failures as f64),
    ),
    (
        "joseguard_crl_oldest_age_seconds",
        "Age of the oldest cached CRL.",
        false,
        |i| {
            i.x5c
                .as_ref()
                .and_then(|x| x.policy.crl_stats().oldest_age)
                .map(|a| a.as_secs_f64())
        },
    ),
];

/// One value of a signing worker's key, when it has one.
type KeyReading = fn(&SigningKey, i64) -> Option<f64>;

/// The per-key families of signing workers: name, help, counter (else gauge), reading.
const KEY_SOURCES: [(&str, &str, bool, KeyReading); 3] = [
    (
        "joseguard_worker_key_available",
        "1 when the signing key can sign (its HSM answers), else 0.",
        false,
        |k, _| Some(if k.available() { 1.0 } else { 0.0 }),
    ),
    (
        "joseguard_worker_key_unavailable",
        "Signatures refused because the key's HSM could not be used (not answering, or every session busy).",
        true,
        |k, _| k.hsm.as_ref().map(|h| h.unavailable_count() as f64),
    ),
    (
        "joseguard_worker_certificate_expiry_seconds",
        "Seconds until the signer's certificate expires (negative: expired).",
        false,
        |k, now| k.certificate_expires.map(|t| (t - now) as f64),
    ),
];

fn encode_keys(rt: &Runtime, encoder: &mut DescriptorEncoder) -> Result<(), std::fmt::Error> {
    let now = joseguard::jwt::now();
    for (name, help, counter, reading) in KEY_SOURCES {
        let rows: Vec<(KeyLabels, f64)> = rt
            .workers
            .iter()
            .flat_map(|w| match &w.role {
                Role::Signing(s) => s
                    .keys
                    .iter()
                    .filter_map(|k| {
                        let labels = KeyLabels {
                            worker: w.name.as_str().into(),
                            kid: k.kid.as_str().into(),
                        };
                        reading(k, now).map(|v| (labels, v))
                    })
                    .collect(),
                Role::Validation(_) => Vec::new(),
            })
            .collect();
        if counter {
            family(encoder, name, help, rows, |v| ConstCounter::new(v as u64))?;
        } else {
            family(encoder, name, help, rows, ConstGauge::new)?;
        }
    }
    Ok(())
}

impl Collector for Sources {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let rt = self.0.read().map_err(|_| std::fmt::Error)?.clone();
        encode_keys(&rt, &mut encoder)?;
        for (name, help, counter, reading) in SOURCES {
            let rows: Column = rt
                .issuers
                .iter()
                .filter_map(|i| {
                    let label = IssuerLabels {
                        issuer: i.name.as_str().into(),
                    };
                    reading(i).map(|v| (label, v))
                })
                .collect();
            if counter {
                family(&mut encoder, name, help, rows, |v| {
                    ConstCounter::new(v as u64)
                })?;
            } else {
                family(&mut encoder, name, help, rows, ConstGauge::new)?;
            }
        }
        Ok(())
    }
}

impl Metrics {
    /// The metrics, with the key sources of whichever runtime `runtime` holds at scrape time.
    pub fn new(runtime: Arc<RwLock<Arc<Runtime>>>) -> Metrics {
        let mut registry = Registry::default();
        let decisions = Family::<DecisionLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
        });
        registry.register(
            "joseguard_decisions",
            "Requests by route, decision (allow/deny) and code",
            decisions.clone(),
        );
        registry.register(
            "joseguard_request_duration_seconds",
            "Time to decide and answer, backend included",
            latency.clone(),
        );
        let replay_unavailable = Family::<ReplayLabels, Counter>::default();
        registry.register(
            "joseguard_replay_store_unavailable",
            "Requests that found the replay store unreachable, by worker and what was done",
            replay_unavailable.clone(),
        );
        registry.register_collector(Box::new(Sources(runtime)));
        Metrics {
            registry,
            decisions,
            latency,
            replay_unavailable,
        }
    }

    /// Counts a request that found the replay store down.
    pub fn replay_store_unavailable(&self, worker: &str, allowed: bool) {
        self.replay_unavailable
            .get_or_create(&ReplayLabels {
                worker: worker.into(),
                action: if allowed { "allowed" } else { "refused" }.into(),
            })
            .inc();
    }

    /// Counts a decision; `route` is a configured name or `unknown`.
    pub fn record(&self, route: &str, allowed: bool, code: &str, seconds: f64) {
        self.decisions
            .get_or_create(&DecisionLabels {
                route: route.into(),
                decision: if allowed { "allow" } else { "deny" }.into(),
                code: code.into(),
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.into(),
            })
            .observe(seconds);
    }

    /// The OpenMetrics text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn label_values_are_escaped() {
        let config = r#"
[backend]
url = "http://127.0.0.1:9"
[[issuer]]
name = "a\"b"
algorithms = ["ES256"]
jwks_url = "http://127.0.0.1:9/jwks"
[[route]]
path = "/"
issuers = ["a\"b"]
"#;
        let runtime = crate::load_str(config, std::path::Path::new("."))
            .await
            .unwrap();
        let rt = Arc::new(RwLock::new(Arc::new(runtime)));
        let m = Metrics::new(rt);
        m.record("a\"b\\c\nd", true, "ok", 0.1);
        let text = m.render();
        assert!(text.contains(r#"route="a\"b\\c\nd""#), "{text}");
        assert!(!text.contains("\nd\""));
        assert!(
            text.contains(r#"joseguard_keys{issuer="a\"b"} 0"#),
            "{text}"
        );
    }
}
