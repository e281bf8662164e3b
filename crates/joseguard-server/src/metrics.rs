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

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    pub decisions: Family<DecisionLabels, Counter>,
    pub latency: Family<RouteLabels, Histogram>,
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
        Metrics {
            registry,
            decisions,
            latency,
        }
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

    /// The text exposition, with the key sources' state read at scrape time.
    pub fn render(&self, rt: &Runtime) -> String {
        let mut out = String::new();
        let _ = encode(&mut out, &self.registry);
        out = out.trim_end_matches("# EOF\n").to_owned();
        out.push_str("# HELP joseguard_jwks_fetches_total JWK Set fetch attempts.\n# TYPE joseguard_jwks_fetches_total counter\n");
        let mut failures = String::from("# HELP joseguard_jwks_fetch_failures_total Failed JWK Set fetches.\n# TYPE joseguard_jwks_fetch_failures_total counter\n");
        let mut age = String::from("# HELP joseguard_jwks_age_seconds Age of the JWK Set being served.\n# TYPE joseguard_jwks_age_seconds gauge\n");
        let mut keys = String::from(
            "# HELP joseguard_keys Keys available per issuer.\n# TYPE joseguard_keys gauge\n",
        );
        for issuer in &rt.issuers {
            let name = issuer.name.replace(['"', '\\', '\n'], "_");
            let mut count = issuer.by_kid.len();
            if let Some(JwksSource::Remote(r)) = &issuer.jwks {
                let s = r.stats();
                out.push_str(&format!(
                    "joseguard_jwks_fetches_total{{issuer=\"{name}\"}} {}\n",
                    s.fetches
                ));
                failures.push_str(&format!(
                    "joseguard_jwks_fetch_failures_total{{issuer=\"{name}\"}} {}\n",
                    s.failures
                ));
                if let Some(a) = s.age {
                    age.push_str(&format!(
                        "joseguard_jwks_age_seconds{{issuer=\"{name}\"}} {:.3}\n",
                        a.as_secs_f64()
                    ));
                }
                count += s.keys;
            }
            keys.push_str(&format!("joseguard_keys{{issuer=\"{name}\"}} {count}\n"));
        }
        out.push_str(&failures);
        out.push_str(&age);
        out.push_str(&keys);
        out.push_str("# EOF\n");
        out
    }
}
