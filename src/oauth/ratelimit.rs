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

use std::borrow::Borrow;
use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::error::{ErrorCode, OAuthError};
use crate::config::RateLimitSettings;

/// How often a table drops the entries that have gone idle.
const PRUNE_EVERY: Duration = Duration::from_secs(60);
/// Most keys one table tracks; past it new keys go untracked until pruning makes room.
const MAX_KEYS: usize = 100_000;
/// Most client_ids one address's failures are tracked for (its own budget caps it sooner).
const MAX_CLIENTS_PER_ADDRESS: usize = 1_000;

/// A refill rate and a bucket size.
#[derive(Debug, Clone, Copy)]
struct Rate {
    per_second: f64,
    burst: f64,
}

impl Rate {
    /// `None` for an unlimited (0) rate; a 0 burst means "the same as the rate".
    fn new(per_second: f64, burst: f64) -> Option<Rate> {
        if per_second <= 0.0 {
            return None;
        }
        let burst = if burst >= 1.0 {
            burst
        } else {
            per_second.max(1.0)
        };
        Some(Rate { per_second, burst })
    }

    fn per_second(n: u32, burst: u32) -> Option<Rate> {
        Rate::new(f64::from(n), f64::from(burst))
    }

    fn per_minute(n: u32) -> Option<Rate> {
        Rate::new(f64::from(n) / 60.0, f64::from(n))
    }

    /// Time for an empty bucket to fill.
    fn window(&self) -> Duration {
        seconds(self.burst / self.per_second)
    }
}

fn seconds(s: f64) -> Duration {
    Duration::try_from_secs_f64(s.max(0.0)).unwrap_or(Duration::MAX)
}

fn later(t: Instant, d: Duration) -> Instant {
    t.checked_add(d).unwrap_or(t)
}

/// A token bucket.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn full(rate: Rate, now: Instant) -> Bucket {
        Bucket {
            tokens: rate.burst,
            last: now,
        }
    }

    fn refill(&mut self, rate: Rate, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate.per_second).min(rate.burst);
        self.last = now;
    }

    /// Takes a token, or says how long until there is one.
    fn take(&mut self, rate: Rate, now: Instant) -> Result<(), Duration> {
        self.refill(rate, now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(seconds((1.0 - self.tokens) / rate.per_second))
        }
    }

    fn full_at(&self, rate: Rate) -> Instant {
        later(
            self.last,
            seconds((rate.burst - self.tokens) / rate.per_second),
        )
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere leaves counts that are still counts.
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// Buckets by key, for the limits on requests.
struct Limiter<K> {
    rate: Rate,
    table: Mutex<Table<K, Bucket>>,
}

struct Table<K, V> {
    entries: HashMap<K, V>,
    next_prune: Instant,
}

impl<K: Hash + Eq, V> Table<K, V> {
    fn new(now: Instant) -> Self {
        Table {
            entries: HashMap::new(),
            next_prune: later(now, PRUNE_EVERY),
        }
    }

    fn prune(&mut self, now: Instant, idle: impl Fn(&mut V) -> bool) {
        if now >= self.next_prune || self.entries.len() >= MAX_KEYS {
            self.entries.retain(|_, v| !idle(v));
            self.next_prune = later(now, PRUNE_EVERY);
        }
    }
}

impl<K: Hash + Eq> Limiter<K> {
    fn new(rate: Rate, now: Instant) -> Self {
        Limiter {
            rate,
            table: Mutex::new(Table::new(now)),
        }
    }

    fn take<Q>(&self, key: &Q, now: Instant) -> Result<(), Duration>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let rate = self.rate;
        let mut table = lock(&self.table);
        if let Some(bucket) = table.entries.get_mut(key) {
            return bucket.take(rate, now);
        }
        table.prune(now, |b| b.full_at(rate) <= now);
        if table.entries.len() >= MAX_KEYS {
            return Ok(());
        }
        let mut bucket = Bucket::full(rate, now);
        let taken = bucket.take(rate, now);
        table.entries.insert(key.to_owned(), bucket);
        taken
    }
}

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
struct AddressFailures {
    any: Option<Backoff>,
    clients: HashMap<u64, Backoff>,
}

struct Failures {
    per_address: Option<Rate>,
    per_client: Option<Rate>,
    max_backoff: Duration,
    table: Mutex<Table<IpAddr, AddressFailures>>,
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

    fn check(&self, addr: IpAddr, client: Option<u64>, now: Instant) -> Result<bool, Duration> {
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

    fn fail(&self, addr: IpAddr, client: Option<u64>, now: Instant) -> Option<Duration> {
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

    fn succeed(&self, addr: IpAddr, client: u64) {
        let mut table = lock(&self.table);
        if let Some(entry) = table.entries.get_mut(&addr) {
            // The address-wide budget is not forgiven: a caller with one good client of its own
            // could otherwise reset it between guesses at others.
            entry.clients.remove(&client);
        }
    }
}

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
mod tests {
    use super::*;

    fn settings() -> RateLimitSettings {
        RateLimitSettings {
            enabled: true,
            per_client_per_second: 0,
            per_client_burst: 0,
            per_address_per_second: 0,
            per_address_burst: 0,
            failures_per_address_per_minute: 0,
            failures_per_address_client_per_minute: 0,
            failure_backoff_max_seconds: 900,
        }
    }

    #[test]
    fn a_bucket_allows_its_burst_then_its_rate() {
        let t0 = Instant::now();
        let rate = Rate::per_second(2, 3).unwrap();
        let limiter: Limiter<String> = Limiter::new(rate, t0);
        for _ in 0..3 {
            assert!(limiter.take("a", t0).is_ok());
        }
        let wait = limiter.take("a", t0).unwrap_err();
        assert_eq!(wait, Duration::from_millis(500));
        assert!(limiter.take("b", t0).is_ok(), "keys are independent");
        assert!(limiter.take("a", t0 + Duration::from_millis(500)).is_ok());
        assert!(limiter.take("a", t0 + Duration::from_millis(500)).is_err());
    }

    #[test]
    fn failures_back_off_per_pair_and_per_address() {
        let t0 = Instant::now();
        let mut s = settings();
        s.failures_per_address_client_per_minute = 2;
        s.failures_per_address_per_minute = 5;
        let limiter = RateLimiter::at(&s, t0);
        let f = limiter.failures.as_ref().unwrap();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert_eq!(f.fail(a, Some(1), t0), None);
        assert!(
            f.fail(a, Some(1), t0).is_some(),
            "the second spends the budget"
        );
        assert!(f.check(a, Some(1), t0).is_err());
        assert_eq!(f.check(a, Some(2), t0), Ok(false), "other clients go on");
        assert_eq!(f.check(b, Some(1), t0), Ok(false), "other addresses go on");
        // The refusal doubles when the budget is spent again.
        let first = f.check(a, Some(1), t0).unwrap_err();
        let t1 = t0 + first + Duration::from_millis(100);
        assert_eq!(f.check(a, Some(1), t1), Ok(true));
        let second = f.fail(a, Some(1), t1).unwrap();
        assert!(second <= first * 2 && second + Duration::from_secs(1) > first * 2);
        // Failures over any client_ids spend the address's budget of five.
        let spent = (10..20).position(|c| f.fail(a, Some(c), t1).is_some());
        assert!(spent.is_some_and(|n| n < 5));
        assert!(f.check(a, Some(99), t1).is_err());
        assert_eq!(f.check(b, Some(99), t1), Ok(false));
    }

    #[test]
    fn success_forgives_the_pair_but_not_the_address() {
        let t0 = Instant::now();
        let mut s = settings();
        s.failures_per_address_client_per_minute = 3;
        s.failures_per_address_per_minute = 3;
        let limiter = RateLimiter::at(&s, t0);
        let f = limiter.failures.as_ref().unwrap();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        f.fail(a, Some(1), t0);
        f.fail(a, Some(1), t0);
        f.succeed(a, 1);
        assert_eq!(f.check(a, Some(1), t0), Ok(false));
        f.fail(a, Some(1), t0);
        assert!(
            f.check(a, Some(1), t0).is_err(),
            "the address budget is spent"
        );
    }

    #[test]
    fn disabled_or_unlimited_limits_cost_nothing() {
        let mut s = settings();
        s.enabled = false;
        s.per_client_per_second = 1;
        s.failures_per_address_per_minute = 1;
        let limiter = RateLimiter::new(&s);
        assert!(limiter.per_client.is_none() && limiter.failures.is_none());
        let limiter = RateLimiter::new(&settings());
        assert!(limiter.per_client.is_none() && limiter.per_address.is_none());
        assert!(limiter.failures.is_none());
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
        let a = address_key("2001:db8:1:2:3:4:5:6".parse().unwrap());
        let b = address_key("2001:db8:1:2:ffff::1".parse().unwrap());
        assert_eq!(a, b);
        assert_eq!(
            address_key("::ffff:192.0.2.7".parse().unwrap()),
            "192.0.2.7".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(
            slow_down(Duration::from_millis(1), "x").retry_after,
            Some(1)
        );
        assert_eq!(
            slow_down(Duration::from_millis(2001), "x").retry_after,
            Some(3)
        );
    }
}
