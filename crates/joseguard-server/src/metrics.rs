//! Prometheus metrics: decisions by route and reason, latency, and key-source state.

use prometheus_client::encoding::{text::encode, EncodeLabelSet};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::runtime::Runtime;
use joseguard_keys::JwksSource;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DecisionLabels {
    pub route: String,
    pub decision: String,
    pub code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReplayLabels {
    pub worker: String,
    /// `allowed` or `refused`, as the worker's policy says.
    pub action: String,
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    pub decisions: Family<DecisionLabels, Counter>,
    pub latency: Family<RouteLabels, Histogram>,
    pub replay_unavailable: Family<ReplayLabels, Counter>,
}

impl Metrics {
    pub fn new() -> Metrics {
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

    /// The text exposition, with the key sources' and CRL caches' state read at scrape time.
    pub fn render(&self, rt: &Runtime) -> String {
        let mut out = String::new();
        let _ = encode(&mut out, &self.registry);
        let mut out = out.trim_end_matches("# EOF\n").to_owned();
        // (issuer, jwks fetches, jwks failures, jwks age, keys, crl fetches, crl failures, crl age)
        let mut rows = Vec::new();
        for issuer in &rt.issuers {
            let name = issuer.name.replace(['"', '\\', '\n'], "_");
            let jwks = match &issuer.jwks {
                Some(JwksSource::Remote(r)) => Some(r.stats()),
                _ => None,
            };
            let crl = issuer.x5c.as_ref().map(|x| x.crl_stats());
            rows.push((name, issuer.by_kid.len(), jwks, crl));
        }
        let mut family =
            |name: &str, kind: &str, help: &str, value: &dyn Fn(usize) -> Option<f64>| {
                out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
                for (i, row) in rows.iter().enumerate() {
                    if let Some(v) = value(i) {
                        let sample = if kind == "counter" {
                            format!("{name}_total")
                        } else {
                            name.to_owned()
                        };
                        out.push_str(&format!("{sample}{{issuer=\"{}\"}} {v}\n", row.0));
                    }
                }
            };
        family(
            "joseguard_jwks_fetches",
            "counter",
            "JWK Set fetch attempts.",
            &|i| rows[i].2.map(|s| s.fetches as f64),
        );
        family(
            "joseguard_jwks_fetch_failures",
            "counter",
            "Failed JWK Set fetches.",
            &|i| rows[i].2.map(|s| s.failures as f64),
        );
        family(
            "joseguard_jwks_age_seconds",
            "gauge",
            "Age of the JWK Set being served.",
            &|i| rows[i].2.and_then(|s| s.age).map(|a| a.as_secs_f64()),
        );
        family(
            "joseguard_keys",
            "gauge",
            "Keys available per issuer.",
            &|i| Some((rows[i].1 + rows[i].2.map_or(0, |s| s.keys)) as f64),
        );
        family(
            "joseguard_crl_fetches",
            "counter",
            "CRL fetch attempts.",
            &|i| rows[i].3.map(|s| s.fetches as f64),
        );
        family(
            "joseguard_crl_fetch_failures",
            "counter",
            "Failed CRL fetches.",
            &|i| rows[i].3.map(|s| s.failures as f64),
        );
        family(
            "joseguard_crl_oldest_age_seconds",
            "gauge",
            "Age of the oldest cached CRL.",
            &|i| {
                rows[i]
                    .3
                    .and_then(|s| s.oldest_age)
                    .map(|a| a.as_secs_f64())
            },
        );
        out.push_str("# EOF\n");
        out
    }
}
