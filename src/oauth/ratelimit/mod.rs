//! Rate limits on `POST /oauth2/token`, in memory on each node: token buckets behind one mutex
//! per dimension, pruned as they go idle. No database and at most one lock and one hash lookup
//! per dimension on a request; a dimension configured as unlimited costs nothing.
//!
//! Policy (docs/operations.md):
//! - per client_id: tokens issued, counted only once the client has authenticated;
//! - per source address (the TCP peer, never X-Forwarded-For; IPv6 per /64): every request;
//! - failed client authentications, per source address and per (address, client_id), at the
//!   token, introspection and revocation endpoints together (`oauth::client_auth`), with
//!   stricter budgets and a doubling refusal once a budget is spent. A refused address is
//!   turned away before any secret is checked, so guessing slows down; the same client_id from
//!   any other address is untouched, so nobody can lock a client out by failing in its name.

mod bucket;
mod failures;

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::error::{ErrorCode, OAuthError};
use crate::config::RateLimitSettings;
use bucket::{Limiter, Rate, Table};
use failures::Failures;

/// What the failure check saw, handed back once the secret has been checked.
#[derive(Debug, Clone, Copy)]
pub struct FailureCheck {
    /// The presented client_id, hashed (nothing the caller sent is kept).
    client: Option<u64>,
    /// Whether failures of this (address, client_id) were on record.
    tracked: bool,
}

/// The token endpoint's limits. Built once from the settings; shared by every worker.
pub struct RateLimiter {
    per_client: Option<Limiter<String>>,
    per_address: Option<Limiter<IpAddr>>,
    failures: Option<Failures>,
    hasher: RandomState,
}

/// The key an address is counted under: IPv4 as is (IPv4-mapped IPv6 too), IPv6 per /64,
/// the block one host is usually given.
pub fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & (u128::MAX << 64))),
        },
    }
}

fn ceil_secs(d: Duration) -> u64 {
    (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
}

fn slow_down(wait: Duration, description: &str) -> OAuthError {
    OAuthError {
        retry_after: Some(ceil_secs(wait)),
        ..OAuthError::new(ErrorCode::SlowDown, description)
    }
}

impl RateLimiter {
    /// The limits the settings ask for; none when `enabled` is false.
    pub fn new(settings: &RateLimitSettings) -> Self {
        Self::at(settings, Instant::now())
    }

    fn at(s: &RateLimitSettings, now: Instant) -> Self {
        let on = |rate: Option<Rate>| rate.filter(|_| s.enabled);
        let per_address_failures = on(Rate::per_minute(s.failures_per_address_per_minute));
        let per_client_failures = on(Rate::per_minute(s.failures_per_address_client_per_minute));
        let failures =
            (per_address_failures.is_some() || per_client_failures.is_some()).then(|| Failures {
                per_address: per_address_failures,
                per_client: per_client_failures,
                max_backoff: Duration::from_secs(s.failure_backoff_max_seconds.max(1)),
                table: Mutex::new(Table::new(now)),
            });
        RateLimiter {
            per_client: on(Rate::per_second(
                s.per_client_per_second,
                s.per_client_burst,
            ))
            .map(|r| Limiter::new(r, now)),
            per_address: on(Rate::per_second(
                s.per_address_per_second,
                s.per_address_burst,
            ))
            .map(|r| Limiter::new(r, now)),
            failures,
            hasher: RandomState::new(),
        }
    }

    /// Counts a request from this address; refuses it over the address's rate.
    pub fn check_address(&self, peer: Option<IpAddr>) -> Result<(), OAuthError> {
        let (Some(limiter), Some(ip)) = (&self.per_address, peer) else {
            return Ok(());
        };
        limiter
            .take(&address_key(ip), Instant::now())
            .map_err(|wait| slow_down(wait, "too many token requests from this address"))
    }

    /// Counts a token issued to this client; refuses it over the client's rate.
    pub fn check_client(&self, client_id: &str) -> Result<(), OAuthError> {
        let Some(limiter) = &self.per_client else {
            return Ok(());
        };
        limiter
            .take(client_id, Instant::now())
            .map_err(|wait| slow_down(wait, "too many token requests for this client"))
    }

    /// Before the secret is checked: refuses an address (or an address for this client_id)
    /// that spent its failure budget.
    pub fn check_failures(
        &self,
        peer: Option<IpAddr>,
        client_id: Option<&str>,
    ) -> Result<FailureCheck, OAuthError> {
        let (Some(failures), Some(ip)) = (&self.failures, peer) else {
            return Ok(FailureCheck {
                client: None,
                tracked: false,
            });
        };
        let client = client_id.map(|c| self.hasher.hash_one(c));
        failures
            .check(address_key(ip), client, Instant::now())
            .map(|tracked| FailureCheck { client, tracked })
            .map_err(|wait| {
                slow_down(
                    wait,
                    "too many failed client authentications from this address; retry later",
                )
            })
    }

    /// Counts a failed client authentication (of a request that presented credentials).
    pub fn record_failure(&self, peer: Option<IpAddr>, check: &FailureCheck) {
        let (Some(failures), Some(ip), Some(client)) = (&self.failures, peer, check.client) else {
            return;
        };
        let addr = address_key(ip);
        if let Some(block) = failures.fail(addr, Some(client), Instant::now()) {
            // The address only: the presented client_id is the caller's text.
            log::warn!(
                "client authentication: {addr} spent a failed-authentication budget; refused for {}s",
                ceil_secs(block)
            );
        }
    }

    /// The presented client authenticated from this address: its earlier failures there are
    /// forgiven.
    pub fn record_success(&self, peer: Option<IpAddr>, check: &FailureCheck) {
        // Only when the check saw a record: the common case takes no lock.
        if !check.tracked {
            return;
        }
        if let (Some(failures), Some(ip), Some(client)) = (&self.failures, peer, check.client) {
            failures.succeed(address_key(ip), client);
        }
    }
}

#[cfg(test)]
mod tests;
