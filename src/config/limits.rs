//! Settings that bound what callers and time can do: connections, slow bodies, audit age.

use serde::{Deserialize, Serialize};

/// Limits on callers at the HTTP layer, before any handler runs.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    /// A request body must have arrived this many seconds after its head, else 408.
    pub body_timeout_seconds: u64,
    /// Open connections allowed from one source address; past it a request gets 503 and its
    /// connection is closed.
    pub connections_per_address: u32,
}

/// The audit trail.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSettings {
    /// Events older than this many days are purged by the background job.
    pub retention_days: u32,
}

/// Whether `listen` is `host:port` with a port number and a host; the same check for every
/// address setting, so that a mistake stops start-up before anything binds.
pub fn is_listen_address(listen: &str) -> bool {
    match listen.rsplit_once(':') {
        Some((host, port)) => !host.is_empty() && port.parse::<u16>().is_ok(),
        None => false,
    }
}
