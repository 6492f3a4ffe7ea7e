//! Tests of the buckets, the failure budgets and the limiter built from the settings.

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
