//! Trust policies of service accounts (workload identity).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::trust_policies;
use super::{DbConnection, StoreError, StoreResult};

/// A row of `trust_policies`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = trust_policies)]
pub struct PolicyRow {
    /// Id (UUID).
    pub id: String,
    /// The service account (client row id).
    pub client_pk: String,
    /// The outside issuer, matched exactly against `iss`.
    pub issuer: String,
    /// Where its keys are fetched (https, or http on loopback).
    pub jwks_uri: Option<String>,
    /// Its keys, pinned (a JWKS document).
    pub jwks: Option<String>,
    /// Must be among the workload token's `aud`.
    pub audience: String,
    /// Matched exactly against `sub`.
    pub subject: String,
    /// JSON object: JSON Pointer → exact value.
    pub claims: String,
    /// The oldest `iat` accepted, in seconds before now.
    pub max_token_age_seconds: i64,
    /// Creation time.
    pub created_at: NaiveDateTime,
}

fn store<T>(r: QueryResult<T>) -> StoreResult<T> {
    r.map_err(StoreError::from_diesel)
}

/// Stores a policy.
pub fn insert(conn: &mut DbConnection, row: &PolicyRow) -> StoreResult<()> {
    store(
        diesel::insert_into(trust_policies::table)
            .values(row)
            .execute(conn),
    )?;
    Ok(())
}

/// A client's policies, oldest first.
pub fn of_client(conn: &mut DbConnection, client_pk: &str) -> StoreResult<Vec<PolicyRow>> {
    store(
        trust_policies::table
            .filter(trust_policies::client_pk.eq(client_pk))
            .order((trust_policies::created_at.asc(), trust_policies::id.asc()))
            .select(PolicyRow::as_select())
            .load(conn),
    )
}

/// Every policy (the in-memory registry).
pub fn load_all(conn: &mut DbConnection) -> StoreResult<Vec<PolicyRow>> {
    store(
        trust_policies::table
            .select(PolicyRow::as_select())
            .load(conn),
    )
}

/// Deletes one of a client's policies; NotFound when it has no such policy.
pub fn delete(conn: &mut DbConnection, client_pk: &str, id: &str) -> StoreResult<PolicyRow> {
    let row: PolicyRow = store(
        trust_policies::table
            .filter(trust_policies::client_pk.eq(client_pk))
            .filter(trust_policies::id.eq(id))
            .select(PolicyRow::as_select())
            .first(conn),
    )?;
    store(diesel::delete(trust_policies::table.find(id)).execute(conn))?;
    Ok(row)
}

/// A policy by id.
pub fn find(conn: &mut DbConnection, id: &str) -> StoreResult<Option<PolicyRow>> {
    store(
        trust_policies::table
            .find(id)
            .select(PolicyRow::as_select())
            .first(conn)
            .optional(),
    )
}
