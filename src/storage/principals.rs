//! The one identifier space shared by users and clients.

use diesel::prelude::*;

use super::schema::principals;
use super::{DbConnection, StoreError, StoreResult};

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
}

/// Claims `id` for a principal of `kind`; a taken identifier is a `Conflict`, whatever kind
/// holds it. Call inside the transaction that writes the user or client row.
pub fn claim(
    conn: &mut DbConnection,
    id: &str,
    kind: PrincipalKind,
    now: chrono::NaiveDateTime,
) -> StoreResult<()> {
    let taken: i64 = principals::table
        .filter(principals::id.eq(id))
        .count()
        .get_result(conn)
        .map_err(StoreError::from_diesel)?;
    if taken > 0 {
        return Err(StoreError::Conflict(format!(
            "the identifier {id:?} already names a principal"
        )));
    }
    diesel::insert_into(principals::table)
        .values((
            principals::id.eq(id),
            principals::kind.eq(kind.as_str()),
            principals::created_at.eq(now),
        ))
        .execute(conn)
        .map_err(StoreError::from_diesel)?;
    Ok(())
}

/// Frees an identifier (after its user or client row is gone).
pub fn release(conn: &mut DbConnection, id: &str) -> StoreResult<()> {
    diesel::delete(principals::table.filter(principals::id.eq(id)))
        .execute(conn)
        .map_err(StoreError::from_diesel)?;
    Ok(())
}

/// Every kind the identifier resolves to, looking at the principal table *and* at the user and
/// client tables themselves, so that a row written around the API still shows up.
pub fn resolve(conn: &mut DbConnection, id: &str) -> StoreResult<Vec<PrincipalKind>> {
    use super::schema::{clients, users};
    let mut kinds = Vec::new();
    let is_user: i64 = users::table
        .filter(users::username.eq(id))
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
