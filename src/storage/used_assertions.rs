//! Client assertions already used (RFC 7523 §3, `jti`): one row per (client_id, jti), kept
//! until the assertion expires, so that every node refuses a replay, before and after a restart.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::used_assertions;
use super::{DbConnection, StoreError, StoreResult};

/// Records the first use of an assertion. `false` when the (client_id, jti) is taken: a
/// replay. The primary key decides, so two nodes racing with one assertion can't both win.
pub fn claim(
    conn: &mut DbConnection,
    client_id: &str,
    jti: &str,
    expires_at: NaiveDateTime,
) -> StoreResult<bool> {
    match diesel::insert_into(used_assertions::table)
        .values((
            used_assertions::client_id.eq(client_id),
            used_assertions::jti.eq(jti),
            used_assertions::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .map_err(StoreError::from_diesel)
    {
        Ok(_) => Ok(true),
        Err(StoreError::Conflict(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Drops the rows of assertions that can no longer be accepted; returns how many.
pub fn purge_expired(conn: &mut DbConnection, now: NaiveDateTime) -> StoreResult<usize> {
    diesel::delete(used_assertions::table.filter(used_assertions::expires_at.lt(now)))
        .execute(conn)
        .map_err(StoreError::from_diesel)
}

/// How many rows are held (for tests).
pub fn count(conn: &mut DbConnection) -> StoreResult<i64> {
    used_assertions::table
        .count()
        .get_result(conn)
        .map_err(StoreError::from_diesel)
}
