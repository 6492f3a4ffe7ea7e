//! `castellan_tokens_issued_total`: one series by default; per client only when asked
//! (`metrics.per_client_series = true`), and then at most `metrics.per_client_limit` series
//! (the rest count under `client_id="_other"`), with the series of deleted clients dropped at
//! the timed reload. 10,000 clients never make 10,000 series by surprise.

use std::collections::HashSet;
use std::sync::RwLock;

use prometheus::{IntCounter, IntCounterVec, Opts, Registry};

const NAME: &str = "castellan_tokens_issued_total";
const HELP: &str = "Access tokens issued by the token endpoint.";
/// Where clients past the limit are counted.
pub const OTHER: &str = "_other";

/// How tokens issued are counted.
#[derive(Debug, Clone, Copy)]
pub struct PerClient {
    /// One series per client.
    pub enabled: bool,
    /// At most this many client series.
    pub limit: usize,
}

pub(super) enum Issued {
    Total(IntCounter),
    PerClient {
        vec: IntCounterVec,
        limit: usize,
        seen: RwLock<HashSet<String>>,
    },
}

impl Issued {
    pub(super) fn new(registry: &Registry, per_client: PerClient) -> prometheus::Result<Self> {
        if !per_client.enabled {
            let total = IntCounter::with_opts(Opts::new(NAME, HELP))?;
            registry.register(Box::new(total.clone()))?;
            return Ok(Issued::Total(total));
        }
        let vec = IntCounterVec::new(
            Opts::new(NAME, format!("{HELP} By client, up to a limit.")),
            &["client_id"],
        )?;
        registry.register(Box::new(vec.clone()))?;
        Ok(Issued::PerClient {
            vec,
            limit: per_client.limit,
            seen: RwLock::new(HashSet::new()),
        })
    }

    pub(super) fn inc(&self, client_id: &str) {
        match self {
            Issued::Total(total) => total.inc(),
            Issued::PerClient { vec, limit, seen } => {
                let known = seen
                    .read()
                    .unwrap_or_else(|e| e.into_inner())
                    .contains(client_id);
                let label = if known {
                    client_id
                } else {
                    let mut seen = seen.write().unwrap_or_else(|e| e.into_inner());
                    if seen.contains(client_id) || seen.len() < *limit {
                        seen.insert(client_id.to_string());
                        client_id
                    } else {
                        OTHER
                    }
                };
                if let Ok(counter) = vec.get_metric_with_label_values(&[label]) {
                    counter.inc();
                }
            }
        }
    }

    /// Drops the series of clients `keep` says no longer exist.
    pub(super) fn retain(&self, keep: &dyn Fn(&str) -> bool) {
        if let Issued::PerClient { vec, seen, .. } = self {
            let mut seen = seen.write().unwrap_or_else(|e| e.into_inner());
            seen.retain(|id| {
                let kept = keep(id);
                if !kept {
                    let _ = vec.remove_label_values(&[id]);
                }
                kept
            });
        }
    }
}
