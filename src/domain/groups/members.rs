//! A group's members: users and service accounts of the group's own organization.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{at, target, visible, Applied, GroupService, Member};
use crate::audit::{self, Target};
use crate::domain::clients::Stored;
use crate::domain::holdings::{self, keep_last_admin};
use crate::domain::powers::Held;
use crate::domain::{Acting, DomainError};
use crate::storage::groups::{self as group_rows, GroupRow, MemberRow};
use crate::storage::{clients as client_rows, users as user_rows};
use crate::storage::{new_row_id, DbConnection, StoreError};

/// A principal named by a client_id, a username, or either's id.
enum Principal {
    Client(Box<client_rows::ClientRow>),
    User(user_rows::UserRow),
}

impl Principal {
    fn org_id(&self) -> &str {
        match self {
            Principal::Client(c) => &c.org_id,
            Principal::User(u) => &u.org_id,
        }
    }

    fn identifier(&self) -> &str {
        match self {
            Principal::Client(c) => &c.client_id,
            Principal::User(u) => &u.username,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Principal::Client(_) => "service_account",
            Principal::User(_) => "user",
        }
    }

    fn held(&self, conn: &mut DbConnection) -> Result<Held, StoreError> {
        match self {
            Principal::Client(c) => holdings::of_client(conn, c),
            Principal::User(u) => holdings::of_user(conn, u),
        }
    }

    /// The keys of a membership row: (client_pk, user_id).
    fn keys(&self) -> (Option<&str>, Option<&str>) {
        match self {
            Principal::Client(c) => (Some(c.id.as_str()), None),
            Principal::User(u) => (None, Some(u.id.as_str())),
        }
    }
}

/// A principal inside the caller's reach (else `404`): one identifier names one principal.
fn principal(
    conn: &mut DbConnection,
    acting: &Acting,
    name: &str,
) -> Result<Principal, DomainError> {
    match crate::domain::clients::visible(conn, acting, name) {
        Ok(c) => return Ok(Principal::Client(Box::new(c))),
        Err(DomainError::NotFound(_)) => {}
        Err(e) => return Err(e),
    }
    match crate::domain::users::visible(conn, acting, name) {
        Ok(u) => Ok(Principal::User(u)),
        Err(DomainError::NotFound(_)) => Err(DomainError::NotFound("principal")),
        Err(e) => Err(e),
    }
}

/// Checks a membership change: the member is of the group's organization (`422`), and the
/// caller holds what the group gives (checked by `target`) and what the member holds (`403`).
fn checked(
    conn: &mut DbConnection,
    acting: &Acting,
    group: &GroupRow,
    who: &Principal,
) -> Result<(), DomainError> {
    if who.org_id() != group.org_id {
        return Err(DomainError::Invalid(vec![format!(
            "{} belongs to another organization than the group: members come from the group's \
             own organization",
            who.identifier()
        )]));
    }
    let held = who.held(conn)?;
    acting
        .powers
        .require_covers(held.holdings())
        .map_err(DomainError::Forbidden)
}

/// The registry entry to refresh after a membership change (service accounts only).
fn refreshed(conn: &mut DbConnection, who: &Principal) -> Result<Vec<Stored>, DomainError> {
    match who {
        Principal::Client(c) => Ok(vec![Stored::read(conn, &c.id)?]),
        Principal::User(_) => Ok(Vec::new()),
    }
}

impl GroupService {
    /// A group's members.
    pub async fn members(&self, acting: &Acting, id: String) -> Result<Vec<Member>, DomainError> {
        let acting = acting.clone();
        self.db
            .read(move |conn| {
                let group = visible(conn, &acting, &id)?;
                let rows = group_rows::members(conn, &group.id)?;
                Ok(rows.into_iter().map(Member::from).collect())
            })
            .await
    }

    /// Adds a principal (by client_id or username) to a group: from its next token on, it
    /// holds what the group gives.
    pub async fn add_member(
        &self,
        acting: &Acting,
        id: String,
        name: String,
        now: DateTime<Utc>,
    ) -> Result<Member, DomainError> {
        let now = at(now);
        let acting = acting.clone();
        self.change(move |conn| {
            let group = target(conn, &acting, &id)?;
            let who = principal(conn, &acting, &name)?;
            checked(conn, &acting, &group, &who)?;
            let (client_pk, user_id) = who.keys();
            let row = MemberRow {
                id: new_row_id(),
                group_id: group.id.clone(),
                org_id: group.org_id.clone(),
                client_pk: client_pk.map(str::to_string),
                user_id: user_id.map(str::to_string),
                added_at: now,
            };
            group_rows::add_member(conn, &row).map_err(|e| match e {
                StoreError::Conflict(_) => DomainError::Conflict(format!(
                    "{} is already a member of this group",
                    who.identifier()
                )),
                other => other.into(),
            })?;
            audit::record(
                conn,
                &acting.actor,
                "group.member_added",
                Target::new("group", &group.id, &group.org_id),
                json!({"member": who.identifier(), "kind": who.kind()}),
                now.and_utc(),
            )?;
            let member = Member {
                kind: who.kind().to_string(),
                id: client_pk.or(user_id).unwrap_or_default().to_string(),
                principal: who.identifier().to_string(),
                added_at: now.and_utc(),
            };
            let applied = Applied {
                clients: refreshed(conn, &who)?,
                ..Applied::default()
            };
            Ok((member, applied))
        })
        .await
    }

    /// Removes a principal from a group: it loses what the group gave at once (a removal that
    /// takes an admin scope away shuts its current tokens out of the admin API: live check).
    pub async fn remove_member(
        &self,
        acting: &Acting,
        id: String,
        name: String,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        let now = at(now);
        let acting = acting.clone();
        self.change(move |conn| {
            keep_last_admin(conn, |conn| {
                let group = target(conn, &acting, &id)?;
                let who = principal(conn, &acting, &name)?;
                checked(conn, &acting, &group, &who)?;
                let (client_pk, user_id) = who.keys();
                group_rows::remove_member(conn, &group.id, client_pk, user_id)
                    .map_err(DomainError::not_found("member"))?;
                audit::record(
                    conn,
                    &acting.actor,
                    "group.member_removed",
                    Target::new("group", &group.id, &group.org_id),
                    json!({"member": who.identifier(), "kind": who.kind()}),
                    now.and_utc(),
                )?;
                let applied = Applied {
                    clients: refreshed(conn, &who)?,
                    ..Applied::default()
                };
                Ok(((), applied))
            })
        })
        .await
    }
}
