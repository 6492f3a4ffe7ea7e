//! The one identifier space shared by users and clients.

use diesel::prelude::*;

use super::schema::principals;
use super::{DbConnection, StoreError, StoreResult};
use crate::identifiers::comparison_key;

/// What kind of principal an identifier names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    /// A person.
    User,
    /// An OAuth client (a service account when flagged so).
    Client,
}

impl PrincipalKind {
    /// The value stored in `principals.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::User => "user",
            PrincipalKind::Client => "client",
        }
    }

    fn from_stored(kind: &str) -> Self {
        if kind == "user" {
            PrincipalKind::User
        } else {
            PrincipalKind::Client
        }
    }
}

/// Claims `id` for a principal of `kind`; an identifier taken, or one with the same comparison
/// key as a taken one (a look-alike: [`comparison_key`]), is a `Conflict`, whatever kind holds
/// it. Call inside the transaction that writes the user or client row. The primary key and the
/// UNIQUE index on the key decide, races included; there is deliberately no read first: on
/// SQLite a transaction that read before writing can't wait for a concurrent writer (it fails
/// with "database is locked"), while one whose first statement writes waits its turn.
pub fn claim(
    conn: &mut DbConnection,
    id: &str,
    kind: PrincipalKind,
    now: chrono::NaiveDateTime,
) -> StoreResult<()> {
    diesel::insert_into(principals::table)
        .values((
            principals::id.eq(id),
            principals::kind.eq(kind.as_str()),
            principals::created_at.eq(now),
            principals::identifier_key.eq(Some(comparison_key(id))),
        ))
        .execute(conn)
        .map_err(|e| match StoreError::from_diesel(e) {
            StoreError::Conflict(_) => StoreError::Conflict(format!(
                "the identifier {id:?} is taken: it is, or looks like, one that already names a \
                 principal"
            )),
            other => other,
        })?;
    Ok(())
}

/// The principal that `id` is, or looks like (same [`comparison_key`]), if any: its identifier
/// as stored and its kind.
pub fn holder_of(
    conn: &mut DbConnection,
    id: &str,
) -> StoreResult<Option<(String, PrincipalKind)>> {
    let key = comparison_key(id);
    let found: Option<(String, String)> = principals::table
        .filter(
            principals::id
                .eq(id)
                .or(principals::identifier_key.eq(&key)),
        )
        .select((principals::id, principals::kind))
        .first(conn)
        .optional()
        .map_err(StoreError::from_diesel)?;
    Ok(found.map(|(id, kind)| (id, PrincipalKind::from_stored(&kind))))
}

/// Computes the comparison key of every principal written before keys existed (the migration
/// adds the column empty: SQL can't compute a skeleton). Runs at every migrate, a no-op once
/// done. Two older look-alikes can't both have the key: the older keeps it, the other stays
/// without one (new look-alikes of either are still refused through the older); each such pair
/// is returned as a warning naming both, for the operator to resolve.
pub fn backfill_keys(conn: &mut DbConnection) -> StoreResult<Vec<String>> {
    let pending: Vec<String> = principals::table
        .filter(principals::identifier_key.is_null())
        .order((principals::created_at.asc(), principals::id.asc()))
        .select(principals::id)
        .load(conn)
        .map_err(StoreError::from_diesel)?;
    let mut warnings = Vec::new();
    for id in pending {
        let key = comparison_key(&id);
        // A second node backfilling at the same time may win the race for the key: the UNIQUE
        // index refuses the loser, which then finds the winner like any older look-alike.
        let holder = match key_holder(conn, &key)? {
            Some(holder) => Some(holder),
            None => match diesel::update(principals::table.find(&id))
                .set(principals::identifier_key.eq(Some(&key)))
                .execute(conn)
                .map_err(StoreError::from_diesel)
            {
                Ok(_) => None,
                Err(StoreError::Conflict(_)) => key_holder(conn, &key)?,
                Err(other) => return Err(other),
            },
        };
        if let Some(holder) = holder {
            warnings.push(format!(
                "the identifiers {holder:?} and {id:?} look alike (both written before look-alikes \
                 were refused); {id:?} keeps working, but delete one of them"
            ));
        }
    }
    Ok(warnings)
}

fn key_holder(conn: &mut DbConnection, key: &str) -> StoreResult<Option<String>> {
    principals::table
        .filter(principals::identifier_key.eq(key))
        .select(principals::id)
        .first(conn)
        .optional()
        .map_err(StoreError::from_diesel)
}

/// Frees an identifier of `kind` (after its user or client row is gone).
pub fn release(conn: &mut DbConnection, id: &str, kind: PrincipalKind) -> StoreResult<()> {
    diesel::delete(
        principals::table
            .filter(principals::id.eq(id))
            .filter(principals::kind.eq(kind.as_str())),
    )
    .execute(conn)
    .map_err(StoreError::from_diesel)?;
    Ok(())
}

/// Every kind the identifier resolves to, looking at the principal table *and* at the user and
/// client tables themselves, so that a row written around the API still shows up.
pub fn resolve(conn: &mut DbConnection, id: &str) -> StoreResult<Vec<PrincipalKind>> {
    use super::schema::{clients, users};
    let mut kinds = Vec::new();
    // A user is named by its username or by its id (a user token's `sub`).
    let is_user: i64 = users::table
        .filter(users::username.eq(id).or(users::id.eq(id)))
        .count()
        .get_result(conn)
        .map_err(StoreError::from_diesel)?;
    if is_user > 0 {
        kinds.push(PrincipalKind::User);
    }
    let is_client: i64 = clients::table
        .filter(clients::client_id.eq(id))
        .count()
        .get_result(conn)
        .map_err(StoreError::from_diesel)?;
    if is_client > 0 {
        kinds.push(PrincipalKind::Client);
    }
    Ok(kinds)
}
