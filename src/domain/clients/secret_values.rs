//! Client secrets: made by the server with 256 bits of entropy, shown once, stored as a keyed
//! hash (HMAC-SHA256 under a key derived from the master key). See docs/secrets.md for why a
//! keyed hash, not argon2id, is right for secrets no person chose, and for the format:
//! `castellan_sk_`, 43 random base62 characters, a 6-character checksum.

use chrono::{DateTime, Utc};
use ring::digest::{digest, SHA256};
use ring::rand::{SecureRandom, SystemRandom};

use crate::keys::{KeyError, MasterKey};
use crate::storage::clients::SecretRow;
use crate::storage::new_row_id;

/// The prefix of every generated secret: Castellan's alone, so that a secret scanner's regex
/// (docs/secrets.md) finds a leaked one and nothing else.
pub const SECRET_PREFIX: &str = "castellan_sk_";

/// The prefix of the secrets generated before this format (`cs_` and 32 random bytes in
/// base64url). Never generated again; those that exist keep working.
pub const LEGACY_PREFIX: &str = "cs_";

/// Random characters after the prefix: 43 × log2(62) ≈ 256.03 bits.
pub const RANDOM_CHARS: usize = 43;

/// Checksum characters at the end: a 32-bit value in base62 (62^6 > 2^32).
pub const CHECKSUM_CHARS: usize = 6;

/// The length of every generated secret (62 characters).
pub const SECRET_LEN: usize = SECRET_PREFIX.len() + RANDOM_CHARS + CHECKSUM_CHARS;

/// How many of a secret's last characters are stored and shown (never more).
pub const LAST_CHARS: usize = 4;

/// The base62 alphabet, in this order (digits, upper case, lower case).
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The hash scheme stored beside each hash.
pub const HASH_SCHEME: &str = "hmac-sha256";

/// A new secret: the prefix, 43 random base62 characters from ring's `SystemRandom`, and the
/// checksum of those 43.
pub fn generate() -> Result<String, KeyError> {
    let rng = SystemRandom::new();
    let mut random = String::with_capacity(RANDOM_CHARS);
    let mut bytes = [0u8; 64];
    while random.len() < RANDOM_CHARS {
        rng.fill(&mut bytes)
            .map_err(|_| KeyError::Crypto("random"))?;
        // Rejection sampling: 248 = 4 × 62, so every byte kept maps to each of the 62
        // characters equally often.
        for b in bytes
            .iter()
            .filter(|b| **b < 248)
            .take(RANDOM_CHARS - random.len())
        {
            random.push(char::from(BASE62[usize::from(*b % 62)]));
        }
    }
    let sum = checksum(&random);
    Ok(format!("{SECRET_PREFIX}{random}{sum}"))
}

/// The checksum of a secret's random part: the first 4 bytes of its SHA-256 (ring), read as a
/// big-endian number, in base62 on 6 characters (most significant first, `0`-padded).
pub fn checksum(random: &str) -> String {
    checksum_bytes(random)
        .iter()
        .map(|b| char::from(*b))
        .collect()
}

/// [`checksum`] without an allocation (the token endpoint's path).
fn checksum_bytes(random: &str) -> [u8; CHECKSUM_CHARS] {
    let hash = digest(&SHA256, random.as_bytes());
    let mut n = hash
        .as_ref()
        .iter()
        .take(4)
        .fold(0u32, |acc, b| (acc << 8) | u32::from(*b));
    let mut out = [BASE62[0]; CHECKSUM_CHARS];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out
}

/// Why a chosen secret (bootstrap, configured client) of [`Shape::Broken`] is refused at start:
/// the token endpoint would refuse it on its shape, so it could never work.
pub const LOOKALIKE: &str = "a chosen secret must not start with castellan_sk_ unless Castellan \
    generated it (this one's length or checksum is wrong, so it would never be accepted)";

/// What a presented secret looks like, told without any hash of it or any lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Our prefix, the right length and alphabet, and a checksum that matches.
    Generated,
    /// Our prefix, but not the rest: mistyped, cut short or made up. It cannot be a secret
    /// Castellan made, so it is refused before any other work.
    Broken,
    /// Not our prefix: an older `cs_` secret or one an operator chose. Only its hash decides.
    Other,
}

/// The shape of a presented secret. The checksum is computed from the presented value itself,
/// so comparing it tells the caller nothing it did not send.
pub fn shape(secret: &str) -> Shape {
    let Some(rest) = secret.strip_prefix(SECRET_PREFIX) else {
        return Shape::Other;
    };
    if rest.len() != RANDOM_CHARS + CHECKSUM_CHARS
        || !rest.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Shape::Broken;
    }
    match (rest.get(..RANDOM_CHARS), rest.get(RANDOM_CHARS..)) {
        (Some(random), Some(sum)) if checksum_bytes(random) == sum.as_bytes() => Shape::Generated,
        _ => Shape::Broken,
    }
}

/// The last four characters of a secret (fewer only for a shorter value): enough to match a
/// leaked secret to its id, never enough to use. Of a generated secret they are checksum
/// characters.
pub fn last_four(secret: &str) -> String {
    let count = secret.chars().count();
    secret
        .chars()
        .skip(count.saturating_sub(LAST_CHARS))
        .collect()
}

/// The row that stores `secret` for the client `client_pk`.
pub fn new_row(
    master: &MasterKey,
    client_pk: &str,
    name: &str,
    secret: &str,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> SecretRow {
    SecretRow {
        id: new_row_id(),
        client_pk: client_pk.to_string(),
        name: name.to_string(),
        secret_hash: master.hash_secret(secret.as_bytes()),
        hash_scheme: HASH_SCHEME.to_string(),
        last_four: Some(last_four(secret)),
        created_at: now.naive_utc(),
        expires_at: expires_at.map(|t| t.naive_utc()),
        last_used_at: None,
        revoked_at: None,
    }
}

/// Whether a client authenticates with shared secrets at all: a confidential client that does
/// not prove itself with a key (`private_key_jwt`).
pub fn accepted_by(client: &super::Client) -> bool {
    client.client_type == "confidential" && client.token_endpoint_auth_method != "private_key_jwt"
}

/// A new generated secret for the client, stored and audited in the caller's transaction;
/// returns its row and the plaintext (shown once).
pub fn add_generated(
    conn: &mut crate::storage::DbConnection,
    master: &MasterKey,
    client: &super::Client,
    name: &str,
    expires_at: Option<DateTime<Utc>>,
    actor: &crate::audit::Actor,
    now: DateTime<Utc>,
) -> Result<(SecretRow, String), crate::domain::DomainError> {
    let plain = generate().map_err(|e| crate::domain::DomainError::Internal(e.to_string()))?;
    let row = new_row(master, &client.id, name, &plain, expires_at, now);
    crate::storage::clients::insert_secret(conn, &row)?;
    let target = crate::audit::Target::new("client", &client.client_id, &client.org_id);
    record_created(conn, actor, target, &row, now)?;
    Ok((row, plain))
}

/// The audit event of a new secret.
pub fn record_created(
    conn: &mut crate::storage::DbConnection,
    actor: &crate::audit::Actor,
    target: crate::audit::Target<'_>,
    row: &SecretRow,
    now: DateTime<Utc>,
) -> crate::storage::StoreResult<()> {
    let expires_at = row.expires_at.map(|t| t.and_utc());
    crate::audit::record(
        conn,
        actor,
        "secret.created",
        target,
        // The last four characters let a leaked value be matched to this event, as to the secret.
        serde_json::json!({"secret_id": row.id, "name": row.name, "expires_at": expires_at,
                           "last_four": row.last_four}),
        now,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const RANDOM: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg";

    #[test]
    fn the_checksum_is_the_first_four_bytes_of_sha256_in_six_base62_characters() {
        // Known answers, computed outside Rust (Python's hashlib).
        assert_eq!(checksum(RANDOM), "25GAMC");
        assert_eq!(checksum(&"a".repeat(43)), "1skRhK");
        // Always six characters: 62^5 <= 2^32 < 62^6, so the first is `0` to `4` (a `0` pads).
        for n in 0..200 {
            let sum = checksum(&format!("{n:043}"));
            assert_eq!(sum.len(), CHECKSUM_CHARS);
            assert!(('0'..='4').contains(&sum.chars().next().unwrap()), "{sum}");
        }
    }

    #[test]
    fn generated_secrets_have_the_prefix_the_length_the_alphabet_and_a_valid_checksum() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_ne!(a, b);
        for s in [&a, &b] {
            assert_eq!(s.len(), SECRET_LEN);
            assert_eq!(SECRET_LEN, 62);
            let rest = s.strip_prefix(SECRET_PREFIX).unwrap();
            assert!(rest.bytes().all(|c| c.is_ascii_alphanumeric()), "{s}");
            let (random, sum) = rest.split_at(RANDOM_CHARS);
            assert_eq!(checksum(random), sum);
            assert_eq!(shape(s), Shape::Generated);
        }
    }

    #[test]
    fn generated_characters_cover_the_whole_alphabet() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let s = generate().unwrap();
            seen.extend(s[SECRET_PREFIX.len()..SECRET_PREFIX.len() + RANDOM_CHARS].bytes());
        }
        assert_eq!(seen.len(), 62);
    }

    #[test]
    fn any_one_character_changed_breaks_the_shape() {
        let good = format!("{SECRET_PREFIX}{RANDOM}{}", checksum(RANDOM));
        assert_eq!(shape(&good), Shape::Generated);
        for i in SECRET_PREFIX.len()..good.len() {
            let mut bytes = good.clone().into_bytes();
            bytes[i] = if bytes[i] == b'x' { b'y' } else { b'x' };
            let typo = String::from_utf8(bytes).unwrap();
            assert_eq!(shape(&typo), Shape::Broken, "position {i}");
        }
    }

    #[test]
    fn our_prefix_with_a_wrong_length_or_alphabet_is_broken() {
        let good = format!("{SECRET_PREFIX}{RANDOM}{}", checksum(RANDOM));
        assert_eq!(shape(&good[..good.len() - 1]), Shape::Broken);
        assert_eq!(shape(&format!("{good}0")), Shape::Broken);
        assert_eq!(shape(SECRET_PREFIX), Shape::Broken);
        assert_eq!(shape(&good.replace('A', "-")), Shape::Broken);
        assert_eq!(shape(&good.replace('A', "é")), Shape::Broken);
    }

    #[test]
    fn other_secrets_are_left_to_the_hash() {
        assert_eq!(
            shape("cs_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            Shape::Other
        );
        assert_eq!(
            shape("an operator's own secret, 32 chars or more"),
            Shape::Other
        );
        assert_eq!(shape("castellan_s"), Shape::Other);
        assert_eq!(shape(""), Shape::Other);
    }

    #[test]
    fn last_four_is_the_end_and_never_more() {
        let s = generate().unwrap();
        assert_eq!(last_four(&s), &s[s.len() - 4..]);
        assert_eq!(last_four("abcdéfgh"), "éfgh");
        assert_eq!(last_four("abcdéfgh").chars().count(), 4);
        assert_eq!(last_four("xyzé"), "xyzé");
        assert_eq!(last_four("ab"), "ab");
    }
}
