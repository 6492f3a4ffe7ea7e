//! What an operator watches: Prometheus metrics at `GET /metrics` (on the management listener), and a request id on every
//! response and every log line written while a request is handled (docs/operations.md).
//!
//! Each server has a registry of its own (no process-global one), so several servers in one
//! process, as in the tests, never share counters.

mod issued;
mod logging;
mod observe;
mod peer;
mod request_id;

use std::sync::Mutex;

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::Utc;
use prometheus::{
    Encoder, GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    Opts, Registry, TextEncoder,
};

use crate::domain::Core;
pub use issued::{PerClient, OTHER as OTHER_CLIENTS};
pub use logging::{init as init_logging, json_line, set_format as set_log_format, LogFormat};
pub use observe::{observe, observe_management, CallerClient, ACCESS_TARGET};
pub use peer::{caller_ip, TrustedProxies};
pub use request_id::{is_safe_request_id, new_request_id, with_request_id, REQUEST_ID_HEADER};

/// The token endpoint's route: labelled without asking the router, it is the hot path.
const TOKEN_PATH: &str = "/oauth2/token";

/// Every refusal code the token endpoint answers with, resolved to a counter at start-up.
const REFUSAL_CODES: &[&str] = &[
    "invalid_request",
    "invalid_client",
    "unauthorized_client",
    "invalid_grant",
    "unsupported_grant_type",
    "invalid_scope",
    "invalid_target",
    "slow_down",
    "server_error",
];

/// Latency buckets, seconds: a token takes about 0.1 ms of CPU, an admin call a few ms.
const DURATION_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Why the metrics could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("metrics: {0}")]
pub struct MetricsError(#[from] prometheus::Error);

/// The server's metrics and their registry.
pub struct Metrics {
    registry: Registry,
    tokens_issued: issued::Issued,
    /// The token endpoint's histograms for 2xx and 4xx, resolved once.
    token_ok: Histogram,
    token_refused: Histogram,
    workload_tokens: IntCounterVec,
    refused: IntCounterVec,
    refused_by_code: Vec<(&'static str, IntCounter)>,
    http_duration: HistogramVec,
    key_age: GaugeVec,
    pool: GaugeVec,
    // Serialises scrapes: each one resets the key gauges.
    scrape: Mutex<()>,
}

impl Metrics {
    /// A fresh registry with every series registered.
    pub fn new(per_client: PerClient) -> Result<Self, MetricsError> {
        let registry = Registry::new();
        let tokens_issued = issued::Issued::new(&registry, per_client)?;
        let workload_tokens = IntCounterVec::new(
            Opts::new(
                "castellan_workload_tokens_total",
                "Access tokens issued for a workload's token, by the trust policy that matched.",
            ),
            &["policy_id"],
        )?;
        let refused = IntCounterVec::new(
            Opts::new(
                "castellan_token_requests_refused_total",
                "Token requests refused, by OAuth error code.",
            ),
            &["error"],
        )?;
        let http_duration = HistogramVec::new(
            HistogramOpts::new(
                "castellan_http_request_duration_seconds",
                "Time to answer an HTTP request, by route pattern and status class.",
            )
            .buckets(DURATION_BUCKETS.to_vec()),
            &["endpoint", "status"],
        )?;
        let key_age = GaugeVec::new(
            Opts::new(
                "castellan_signing_key_age_seconds",
                "Age of each published signing key, by kid and state.",
            ),
            &["kid", "state"],
        )?;
        registry.register(Box::new(refused.clone()))?;
        registry.register(Box::new(workload_tokens.clone()))?;
        registry.register(Box::new(http_duration.clone()))?;
        registry.register(Box::new(key_age.clone()))?;
        let build = IntGauge::with_opts(
            Opts::new("castellan_build_info", "Always 1; the version is a label.")
                .const_label("version", env!("CARGO_PKG_VERSION")),
        )?;
        build.set(1);
        registry.register(Box::new(build))?;
        let pool = GaugeVec::new(
            Opts::new(
                "castellan_db_pool_connections",
                "Database connections of this node's pool: open, idle, max.",
            ),
            &["state"],
        )?;
        registry.register(Box::new(pool.clone()))?;
        #[cfg(target_os = "linux")]
        registry.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))?;
        let mut refused_by_code = Vec::with_capacity(REFUSAL_CODES.len());
        for code in REFUSAL_CODES {
            let name = *code;
            refused_by_code.push((name, refused.get_metric_with_label_values(&[name])?));
        }
        let token_ok = http_duration.get_metric_with_label_values(&[TOKEN_PATH, "2xx"])?;
        let token_refused = http_duration.get_metric_with_label_values(&[TOKEN_PATH, "4xx"])?;
        Ok(Metrics {
            registry,
            tokens_issued,
            token_ok,
            token_refused,
            workload_tokens,
            refused,
            refused_by_code,
            http_duration,
            key_age,
            pool,
            scrape: Mutex::new(()),
        })
    }

    /// Counts a token issued to this client (a hash lookup, no allocation once seen).
    pub fn token_issued(&self, client_id: &str) {
        self.tokens_issued.inc(client_id);
    }

    /// Drops the per-client series of clients that no longer exist.
    pub fn retain_clients(&self, exists: &dyn Fn(&str) -> bool) {
        self.tokens_issued.retain(exists);
    }

    /// Counts a token issued for a workload under a trust policy (one series per policy: an
    /// administrator's count, not the caller's).
    pub fn workload_token(&self, policy_id: &str) {
        if let Ok(counter) = self
            .workload_tokens
            .get_metric_with_label_values(&[policy_id])
        {
            counter.inc();
        }
    }

    /// Counts a refused token request. Labelled by error code only: the presented client_id
    /// is the caller's to choose, and would let anyone grow the series without bound. No
    /// series here or anywhere tells an unknown client_id from a known one with a wrong
    /// credential (CONTRACT): both are `invalid_client`.
    pub fn token_refused(&self, name: &str) {
        match self.refused_by_code.iter().find(|(n, _)| *n == name) {
            Some((_, counter)) => counter.inc(),
            None => {
                if let Ok(counter) = self.refused.get_metric_with_label_values(&[name]) {
                    counter.inc();
                }
            }
        }
    }

    fn observe(&self, endpoint: &str, status: StatusCode, seconds: f64) {
        if endpoint == TOKEN_PATH {
            match status.as_u16() / 100 {
                2 => return self.token_ok.observe(seconds),
                4 => return self.token_refused.observe(seconds),
                _ => {}
            }
        }
        if let Ok(h) = self
            .http_duration
            .get_metric_with_label_values(&[endpoint, status_class(status)])
        {
            h.observe(seconds);
        }
    }

    /// The text exposition, after bringing the values read at scrape time up to date.
    pub fn render(&self, state: &Core) -> Result<String, MetricsError> {
        let _guard = match self.scrape.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let now = Utc::now();
        self.key_age.reset();
        let (open, idle, max) = state.db.pool_state();
        for (label, value) in [("open", open), ("idle", idle), ("max", max)] {
            self.pool.with_label_values(&[label]).set(f64::from(value));
        }
        for info in &state.keys.current().infos {
            let state_label = serde_json::to_value(info.state)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| "unknown".to_owned());
            let age = (now - info.created_at).num_milliseconds() as f64 / 1000.0;
            self.key_age
                .get_metric_with_label_values(&[info.kid.as_str(), state_label.as_str()])?
                .set(age.max(0.0));
        }
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out)?;
        String::from_utf8(out)
            .map_err(|e| MetricsError(prometheus::Error::Msg(format!("not UTF-8: {e}"))))
    }
}

fn status_class(status: StatusCode) -> &'static str {
    match status.as_u16() / 100 {
        1 => "1xx",
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
    }
}

/// `GET /metrics`: Prometheus text format, no authentication (bind or route it internally).
pub async fn get_metrics(state: web::Data<Core>, metrics: web::Data<Metrics>) -> HttpResponse {
    match metrics.render(&state) {
        Ok(body) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, prometheus::TEXT_FORMAT))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(body),
        Err(e) => {
            log::error!("rendering metrics failed: {e}");
            HttpResponse::InternalServerError().finish()
        }
    }
}
