//! Failed sign-ins: at most so many per username and per address in a window (CONTRACT:
//! defaults 10 per username per 15 minutes and 30 per address per minute). Kept in memory on
//! each node: a guesser spreading attempts over several nodes gets each node's budget.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The failed sign-in budgets.
pub struct SignInLimits {
    per_user: Window,
    per_address: Window,
}

struct Window {
    max: usize,
    span: Duration,
    seen: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Window {
    fn new(max: usize, span: Duration) -> Self {
        Window {
            max,
            span,
            seen: Mutex::new(HashMap::new()),
        }
    }

    fn spent(&self, key: &str, now: Instant) -> bool {
        let Ok(mut seen) = self.seen.lock() else {
            return true;
        };
        match seen.get_mut(key) {
            Some(times) => {
                while times
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= self.span)
                {
                    times.pop_front();
                }
                times.len() >= self.max
            }
            None => false,
        }
    }

    fn record(&self, key: &str, now: Instant) {
        if let Ok(mut seen) = self.seen.lock() {
            // Bounded: old keys go when the map grows large.
            if seen.len() > 100_000 {
                let span = self.span;
                seen.retain(|_, t| t.back().is_some_and(|t| now.duration_since(*t) < span));
            }
            seen.entry(key.to_string()).or_default().push_back(now);
        }
    }
}

impl Default for SignInLimits {
    fn default() -> Self {
        SignInLimits::new(
            10,
            Duration::from_secs(15 * 60),
            30,
            Duration::from_secs(60),
        )
    }
}

impl SignInLimits {
    /// Budgets: `per_user` failures per `user_span`, `per_address` per `address_span`.
    pub fn new(
        per_user: usize,
        user_span: Duration,
        per_address: usize,
        address_span: Duration,
    ) -> Self {
        SignInLimits {
            per_user: Window::new(per_user, user_span),
            per_address: Window::new(per_address, address_span),
        }
    }

    /// Whether a sign-in for `username` from `address` may be tried now.
    pub fn allowed(&self, username: &str, address: Option<IpAddr>) -> bool {
        let now = Instant::now();
        let address = address.map(|a| a.to_string()).unwrap_or_default();
        !self.per_user.spent(&username.to_lowercase(), now)
            && !self.per_address.spent(&address, now)
    }

    /// Counts a failed sign-in.
    pub fn failed(&self, username: &str, address: Option<IpAddr>) {
        let now = Instant::now();
        let address = address.map(|a| a.to_string()).unwrap_or_default();
        self.per_user.record(&username.to_lowercase(), now);
        self.per_address.record(&address, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_limited_per_username_and_per_address() {
        let limits = SignInLimits::new(3, Duration::from_secs(60), 5, Duration::from_secs(60));
        let a: Option<IpAddr> = "192.0.2.1".parse().ok();
        let b: Option<IpAddr> = "192.0.2.2".parse().ok();
        for _ in 0..3 {
            assert!(limits.allowed("Alice", a));
            limits.failed("Alice", a);
        }
        // Per username, case-insensitively, from any address.
        assert!(!limits.allowed("alice", b));
        // Per address: two more failures for others from `a` spend its budget of five.
        limits.failed("bob", a);
        limits.failed("carol", a);
        assert!(!limits.allowed("dave", a));
        assert!(limits.allowed("dave", b));
    }

    #[test]
    fn a_window_forgets_old_failures() {
        let limits = SignInLimits::new(1, Duration::from_millis(20), 10, Duration::from_secs(60));
        limits.failed("erin", None);
        assert!(!limits.allowed("erin", None));
        std::thread::sleep(Duration::from_millis(30));
        assert!(limits.allowed("erin", None));
    }
}
