//! The issue time our tokens carry to the microsecond, inside their `jti`: a bulk revocation
//! refuses every token issued before it and none issued after it, and a client re-created
//! with the same client_id never accepts the old one's tokens, however close in time.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, SubsecRound, Utc};
use ring::rand::{SecureRandom, SystemRandom};

/// `now` truncated to microseconds, the precision both stores keep: what every command
/// stores and every token carries.
pub fn micros(now: DateTime<Utc>) -> DateTime<Utc> {
    now.trunc_subsecs(6)
}

/// A new `jti`: the issue time in microseconds (hex), a dot, 128 random bits.
pub fn new_jti(issued: DateTime<Utc>) -> Option<String> {
    let mut bytes = [0u8; 16];
    SystemRandom::new().fill(&mut bytes).ok()?;
    Some(format!(
        "{:x}.{}",
        issued.timestamp_micros(),
        URL_SAFE_NO_PAD.encode(bytes)
    ))
}

/// When a token was issued: the `jti`'s microseconds when they agree with `iat` (same
/// second), else the start of `iat`'s second (a token of ours from before, or one whose two
/// times disagree: the earlier reading is the safer one for every check that uses it).
/// Resource servers read it the same way (`castellan_resource::issued_at_micros`).
pub fn issued_at(jti: &str, iat: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(crate::resource::issued_at_micros(jti, iat))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_jti_carries_the_issue_time_to_the_microsecond() {
        let t = micros(Utc::now());
        let jti = new_jti(t).unwrap();
        assert_eq!(issued_at(&jti, t.timestamp()), t);
    }

    #[test]
    fn a_jti_that_disagrees_with_iat_counts_from_the_start_of_iat() {
        let t = micros(Utc::now());
        let jti = new_jti(t).unwrap();
        let later = t.timestamp() + 100;
        assert_eq!(
            issued_at(&jti, later),
            DateTime::from_timestamp(later, 0).unwrap()
        );
        assert_eq!(
            issued_at("opaque", 5),
            DateTime::from_timestamp(5, 0).unwrap()
        );
    }
}
