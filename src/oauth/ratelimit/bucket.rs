//! The primitives under the limits: a rate, a token bucket, a table of entries by key that
//! prunes the idle ones, and a limiter that keeps one bucket per key.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How often a table drops the entries that have gone idle.
const PRUNE_EVERY: Duration = Duration::from_secs(60);
/// Most keys one table tracks; past it new keys go untracked until pruning makes room.
pub(super) const MAX_KEYS: usize = 100_000;

/// A refill rate and a bucket size.
#[derive(Debug, Clone, Copy)]
pub(super) struct Rate {
    pub(super) per_second: f64,
    pub(super) burst: f64,
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

    pub(super) fn per_second(n: u32, burst: u32) -> Option<Rate> {
        Rate::new(f64::from(n), f64::from(burst))
    }

    pub(super) fn per_minute(n: u32) -> Option<Rate> {
        Rate::new(f64::from(n) / 60.0, f64::from(n))
    }

    /// Time for an empty bucket to fill.
    pub(super) fn window(&self) -> Duration {
        seconds(self.burst / self.per_second)
    }
}

pub(super) fn seconds(s: f64) -> Duration {
    Duration::try_from_secs_f64(s.max(0.0)).unwrap_or(Duration::MAX)
}

pub(super) fn later(t: Instant, d: Duration) -> Instant {
    t.checked_add(d).unwrap_or(t)
}

/// A token bucket.
#[derive(Debug, Clone, Copy)]
pub(super) struct Bucket {
    pub(super) tokens: f64,
    last: Instant,
}

impl Bucket {
    pub(super) fn full(rate: Rate, now: Instant) -> Bucket {
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
    pub(super) fn take(&mut self, rate: Rate, now: Instant) -> Result<(), Duration> {
        self.refill(rate, now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(seconds((1.0 - self.tokens) / rate.per_second))
        }
    }

    pub(super) fn full_at(&self, rate: Rate) -> Instant {
        later(
            self.last,
            seconds((rate.burst - self.tokens) / rate.per_second),
        )
    }
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere leaves counts that are still counts.
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// Buckets by key, for the limits on requests.
pub(super) struct Limiter<K> {
    rate: Rate,
    table: Mutex<Table<K, Bucket>>,
}

pub(super) struct Table<K, V> {
    pub(super) entries: HashMap<K, V>,
    next_prune: Instant,
}

impl<K: Hash + Eq, V> Table<K, V> {
    pub(super) fn new(now: Instant) -> Self {
        Table {
            entries: HashMap::new(),
            next_prune: later(now, PRUNE_EVERY),
        }
    }

    pub(super) fn prune(&mut self, now: Instant, idle: impl Fn(&mut V) -> bool) {
        if now >= self.next_prune || self.entries.len() >= MAX_KEYS {
            self.entries.retain(|_, v| !idle(v));
            self.next_prune = later(now, PRUNE_EVERY);
        }
    }
}

impl<K: Hash + Eq> Limiter<K> {
    pub(super) fn new(rate: Rate, now: Instant) -> Self {
        Limiter {
            rate,
            table: Mutex::new(Table::new(now)),
        }
    }

    pub(super) fn take<Q>(&self, key: &Q, now: Instant) -> Result<(), Duration>
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
