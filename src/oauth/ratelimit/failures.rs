//! Failed client authentications: a budget per source address and per (address, client_id),
//! and a refusal that doubles each time a budget is spent.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::bucket::{later, lock, seconds, Bucket, Rate, Table, MAX_KEYS};

/// Most client_ids one address's failures are tracked for (its own budget caps it sooner).
const MAX_CLIENTS_PER_ADDRESS: usize = 1_000;

/// Failures against one key: a budget, and a refusal that doubles each time it is spent.
#[derive(Debug, Clone, Copy)]
struct Backoff {
    bucket: Bucket,
    strikes: u32,
    blocked_until: Option<Instant>,
}

impl Backoff {
    fn new(rate: Rate, now: Instant) -> Self {
        Backoff {
            bucket: Bucket::full(rate, now),
            strikes: 0,
            blocked_until: None,
        }
    }

    /// How much longer requests are refused.
    fn blocked(&self, now: Instant) -> Option<Duration> {
        self.blocked_until
            .map(|until| until.saturating_duration_since(now))
            .filter(|d| !d.is_zero())
    }

    /// Counts a failure; returns the refusal it started, if it spent the budget.
    fn fail(&mut self, rate: Rate, max: Duration, now: Instant) -> Option<Duration> {
        if let Some(until) = self.blocked_until {
            // A full quiet window after the last refusal forgives the earlier ones.
            if now >= later(until, rate.window()) {
                self.strikes = 0;
            }
        }
        if self.bucket.take(rate, now).is_ok() && self.bucket.tokens >= 1.0 {
            return None;
        }
        self.strikes = self.strikes.saturating_add(1);
        let until_token = seconds((1.0 - self.bucket.tokens).max(0.0) / rate.per_second);
        let factor = 1u32
            .checked_shl(self.strikes.saturating_sub(1))
            .unwrap_or(u32::MAX);
        let block = until_token
            .max(seconds(1.0))
            .saturating_mul(factor)
            .min(max);
        self.blocked_until = Some(later(now, block));
        Some(block)
    }

    fn idle(&self, rate: Rate, now: Instant) -> bool {
        let quiet_from = match self.blocked_until {
            Some(until) => later(until, rate.window()),
            None => now,
        };
        now >= quiet_from && self.bucket.full_at(rate) <= now
    }
}

/// One address's failures: over all client_ids, and per client_id (keyed by a keyed hash of
/// the presented client_id, so nothing the caller sent is kept).
pub(super) struct AddressFailures {
    any: Option<Backoff>,
    clients: HashMap<u64, Backoff>,
}

pub(super) struct Failures {
    pub(super) per_address: Option<Rate>,
    pub(super) per_client: Option<Rate>,
    pub(super) max_backoff: Duration,
    pub(super) table: Mutex<Table<IpAddr, AddressFailures>>,
}

impl Failures {
    fn idle(&self, entry: &mut AddressFailures, now: Instant) -> bool {
        if let Some(rate) = self.per_client {
            entry.clients.retain(|_, b| !b.idle(rate, now));
        }
        let any_idle = match (entry.any, self.per_address) {
            (Some(b), Some(rate)) => b.idle(rate, now),
            _ => true,
        };
        any_idle && entry.clients.is_empty()
    }

    pub(super) fn check(
        &self,
        addr: IpAddr,
        client: Option<u64>,
        now: Instant,
    ) -> Result<bool, Duration> {
        let table = lock(&self.table);
        let Some(entry) = table.entries.get(&addr) else {
            return Ok(false);
        };
        if let Some(wait) = entry.any.and_then(|b| b.blocked(now)) {
            return Err(wait);
        }
        match client.and_then(|c| entry.clients.get(&c)) {
            Some(b) => match b.blocked(now) {
                Some(wait) => Err(wait),
                None => Ok(true),
            },
            None => Ok(false),
        }
    }

    pub(super) fn fail(&self, addr: IpAddr, client: Option<u64>, now: Instant) -> Option<Duration> {
        let mut table = lock(&self.table);
        if !table.entries.contains_key(&addr) {
            table.prune(now, |e| self.idle(e, now));
            if table.entries.len() >= MAX_KEYS {
                return None;
            }
        }
        let entry = table
            .entries
            .entry(addr)
            .or_insert_with(|| AddressFailures {
                any: self.per_address.map(|rate| Backoff::new(rate, now)),
                clients: HashMap::new(),
            });
        let mut started = None;
        if let (Some(b), Some(rate)) = (entry.any.as_mut(), self.per_address) {
            started = b.fail(rate, self.max_backoff, now);
        }
        if let (Some(key), Some(rate)) = (client, self.per_client) {
            let known = entry.clients.contains_key(&key);
            if known || entry.clients.len() < MAX_CLIENTS_PER_ADDRESS {
                let b = entry
                    .clients
                    .entry(key)
                    .or_insert_with(|| Backoff::new(rate, now));
                started = started.max(b.fail(rate, self.max_backoff, now));
            }
        }
        started
    }

    pub(super) fn succeed(&self, addr: IpAddr, client: u64) {
        let mut table = lock(&self.table);
        if let Some(entry) = table.entries.get_mut(&addr) {
            // The address-wide budget is not forgiven: a caller with one good client of its own
            // could otherwise reset it between guesses at others.
            entry.clients.remove(&client);
        }
    }
}
