//! The revocation list (CONTRACT "Revocation that reaches resource servers"): every revoked
//! `jti` whose token could still be accepted, and every client whose tokens are refused
//! wholesale (a bulk revocation, or disabled), signed like an access token but with
//! `typ: revocations+jwt`, so that services checking tokens offline refuse revoked ones too.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::storage::{clients as client_rows, revoked, DbConnection, StoreResult};

/// How long a list is good for (CONTRACT: `exp` at most 60 s after `iat`).
pub const LIST_SECONDS: i64 = 60;

/// One revoked token.
#[derive(Debug, Serialize, PartialEq)]
pub struct RevokedJti {
    /// Its `jti`.
    pub jti: String,
    /// Its `exp`.
    pub exp: i64,
}

/// One client whose tokens issued before an instant are refused.
#[derive(Debug, Serialize, PartialEq)]
pub struct RevokedClient {
    /// The client.
    pub client_id: String,
    /// Seconds since the epoch, with a fraction: a token issued at or before is refused.
    pub revoked_before: f64,
}

/// The list's claims.
#[derive(Debug, Serialize)]
pub struct RevocationList {
    /// Our issuer.
    pub iss: String,
    /// When it was made.
    pub iat: i64,
    /// Until when it may be used.
    pub exp: i64,
    /// Revoked tokens.
    pub jtis: Vec<RevokedJti>,
    /// Clients revoked in bulk.
    pub clients: Vec<RevokedClient>,
}

fn seconds(t: chrono::NaiveDateTime) -> f64 {
    t.and_utc().timestamp_micros() as f64 / 1_000_000.0
}

/// The list as of `now`. A `jti` leaves it once its token's `exp` plus `leeway` has passed; a
/// client's entry once `revoked_before` plus the longest token lifetime plus `leeway` has. A
/// disabled client, and every client of a disabled organization (`inactive_orgs`, itself or
/// through one above it), is listed as revoked before `now`.
pub fn build(
    conn: &mut DbConnection,
    issuer: &str,
    inactive_orgs: &[String],
    max_ttl_seconds: i64,
    leeway_seconds: i64,
    now: DateTime<Utc>,
) -> StoreResult<RevocationList> {
    let jtis = revoked::live(conn, (now - Duration::seconds(leeway_seconds)).naive_utc())?
        .into_iter()
        .map(|(jti, exp)| RevokedJti {
            jti,
            exp: exp.and_utc().timestamp(),
        })
        .collect();
    let horizon = now - Duration::seconds(max_ttl_seconds + leeway_seconds);
    let now_seconds = now.timestamp_micros() as f64 / 1_000_000.0;
    let mut clients = Listed::default();
    for (client_id, before, active) in
        client_rows::wholesale_revocations(conn, horizon.naive_utc())?
    {
        match (active, before) {
            (false, _) => clients.put(client_id, now_seconds),
            (true, Some(before)) => clients.put(client_id, seconds(before)),
            (true, None) => {}
        }
    }
    for client_id in client_rows::client_ids_in_orgs(conn, inactive_orgs)? {
        clients.put(client_id, now_seconds);
    }
    // Deleted clients, until their last token has expired. A client of the same client_id made
    // since is untouched: its tokens were issued after the deletion.
    for (client_id, deleted_at) in revoked::deleted_since(conn, horizon.naive_utc())? {
        clients.put(client_id, seconds(deleted_at));
    }
    let clients = clients.list;
    Ok(RevocationList {
        iss: issuer.to_string(),
        iat: now.timestamp(),
        exp: now.timestamp() + LIST_SECONDS,
        jtis,
        clients,
    })
}

/// The clients listed so far, one entry each, with the latest instant any reason gives.
#[derive(Default)]
struct Listed {
    list: Vec<RevokedClient>,
    index: std::collections::HashMap<String, usize>,
}

impl Listed {
    fn put(&mut self, client_id: String, revoked_before: f64) {
        match self.index.get(&client_id) {
            Some(&i) => {
                let entry = &mut self.list[i];
                entry.revoked_before = entry.revoked_before.max(revoked_before);
            }
            None => {
                self.index.insert(client_id.clone(), self.list.len());
                self.list.push(RevokedClient {
                    client_id,
                    revoked_before,
                });
            }
        }
    }
}
