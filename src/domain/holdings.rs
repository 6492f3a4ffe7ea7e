//! What a principal holds: its own grants (a client's `scopes` and `audiences`) and those of
//! every group it is in; a user holds only its groups'. Nothing else, ever. And the rule that
//! the last full administrator of root stays.

use serde::Serialize;

use super::powers::{Held, FULL_ADMIN};
use super::DomainError;
use crate::storage::clients::{self as client_rows, ClientRow};
use crate::storage::groups::{self as group_rows, GroupRow};
use crate::storage::orgs::ROOT_ORG_ID;
use crate::storage::users::{self as user_rows, UserRow};
use crate::storage::{split_list, DbConnection, StoreResult};

/// A client's holdings now: its own and its groups'.
pub fn of_client(conn: &mut DbConnection, row: &ClientRow) -> StoreResult<Held> {
    let groups = group_rows::of_client(conn, &row.id)?;
    Ok(client_with(row, &groups))
}

/// A client's holdings given its groups.
pub fn client_with(row: &ClientRow, groups: &[GroupRow]) -> Held {
    let mut held = Held {
        scopes: split_list(&row.scopes),
        audiences: split_list(&row.audiences),
        admin_flag: row.is_admin_service_account,
    };
    for g in groups {
        held.add(&split_list(&g.scopes), &split_list(&g.audiences));
    }
    held
}

/// A user's holdings now: its groups', nothing of its own.
pub fn of_user(conn: &mut DbConnection, row: &UserRow) -> StoreResult<Held> {
    let mut held = Held::default();
    for g in group_rows::of_user(conn, &row.id)? {
        held.add(&split_list(&g.scopes), &split_list(&g.audiences));
    }
    Ok(held)
}

/// Where one held item comes from.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Source {
    /// The principal's own grant.
    Own,
    /// A group it is in.
    Group {
        /// The group's id.
        id: String,
        /// The group's name.
        name: String,
    },
}

/// One held scope or audience and where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct HeldItem {
    /// The scope or audience.
    pub value: String,
    /// Every source that gives it.
    pub from: Vec<Source>,
}

/// `GET …/permissions`: what a principal holds and where each item comes from.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Permissions {
    /// Scopes.
    pub scopes: Vec<HeldItem>,
    /// Audiences.
    pub audiences: Vec<HeldItem>,
}

impl Permissions {
    /// From own grants and groups.
    pub fn build(own_scopes: &[String], own_audiences: &[String], groups: &[GroupRow]) -> Self {
        let mut p = Permissions {
            scopes: Vec::new(),
            audiences: Vec::new(),
        };
        for s in own_scopes {
            push(&mut p.scopes, s, Source::Own);
        }
        for a in own_audiences {
            push(&mut p.audiences, a, Source::Own);
        }
        for g in groups {
            let source = || Source::Group {
                id: g.id.clone(),
                name: g.name.clone(),
            };
            for s in split_list(&g.scopes) {
                push(&mut p.scopes, &s, source());
            }
            for a in split_list(&g.audiences) {
                push(&mut p.audiences, &a, source());
            }
        }
        p
    }
}

fn push(items: &mut Vec<HeldItem>, value: &str, source: Source) {
    match items.iter_mut().find(|i| i.value == value) {
        Some(item) => item.from.push(source),
        None => items.push(HeldItem {
            value: value.to_string(),
            from: vec![source],
        }),
    }
}

/// The active principals of root holding the full `admin` scope: admin service accounts
/// (own or through a group) and users (through a group).
pub fn root_full_admins(conn: &mut DbConnection) -> StoreResult<usize> {
    let mut n = 0;
    for row in client_rows::active_root_admins(conn)? {
        if row.client_type == "confidential" && of_client(conn, &row)?.has_full_admin() {
            n += 1;
        }
    }
    n += user_rows::active_in_admin_groups(conn, ROOT_ORG_ID, FULL_ADMIN)?;
    Ok(n)
}

/// CONTRACT: the last active holder of the full `admin` scope in root can't be deleted,
/// disabled or demoted, whichever way (its own grants, a group's, a membership). Runs `change`
/// inside the caller's write transaction and refuses it (rolling it back) when it took root's
/// last full administrator away. Race-free: one writer at a time.
pub fn keep_last_admin<T>(
    conn: &mut DbConnection,
    change: impl FnOnce(&mut DbConnection) -> Result<T, DomainError>,
) -> Result<T, DomainError> {
    let before = root_full_admins(conn)?;
    let value = change(conn)?;
    if before > 0 && root_full_admins(conn)? == 0 {
        return Err(DomainError::Conflict(
            "this would remove the last active holder of the full admin scope in the root \
             organization: give it to another first"
                .into(),
        ));
    }
    Ok(value)
}
