//! The group as the API shows it, and what a create or a change may send.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::clients::valid_scope_token;
use crate::storage::groups::{GroupRow, Member as MemberRow};
use crate::storage::split_list;

/// A group: what it gives every member.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Group {
    /// Id (UUID).
    pub id: String,
    /// Its organization (fixed).
    pub org_id: String,
    /// Unique within the organization.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Scopes every member holds through it.
    pub scopes: Vec<String>,
    /// Audiences every member holds through it.
    pub audiences: Vec<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<&GroupRow> for Group {
    fn from(r: &GroupRow) -> Self {
        Group {
            id: r.id.clone(),
            org_id: r.org_id.clone(),
            name: r.name.clone(),
            description: r.description.clone(),
            scopes: split_list(&r.scopes),
            audiences: split_list(&r.audiences),
            created_at: DateTime::from_naive_utc_and_offset(r.created_at, Utc),
            updated_at: DateTime::from_naive_utc_and_offset(r.updated_at, Utc),
        }
    }
}

/// A member of a group.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Member {
    /// `service_account` or `user`.
    pub kind: String,
    /// The client's or user's id.
    pub id: String,
    /// Its client_id or username.
    pub principal: String,
    /// When it joined.
    pub added_at: DateTime<Utc>,
}

impl From<MemberRow> for Member {
    fn from(m: MemberRow) -> Self {
        Member {
            kind: m.kind.to_string(),
            id: m.id,
            principal: m.identifier,
            added_at: DateTime::from_naive_utc_and_offset(m.added_at, Utc),
        }
    }
}

/// `POST /admin/v1/groups`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGroup {
    /// Its organization (id or slug inside the caller's reach); the caller's when omitted.
    pub org_id: Option<String>,
    /// Unique within the organization (1 to 100 characters).
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Scopes it gives its members.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Audiences it gives its members.
    #[serde(default)]
    pub audiences: Vec<String>,
}

/// `PATCH /admin/v1/groups/{id}`: fields not sent keep their values.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupPatch {
    /// Can't change: accepted only when equal to the current value (else 422).
    pub org_id: Option<String>,
    /// Unique within the organization.
    pub name: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// Scopes it gives its members.
    pub scopes: Option<Vec<String>>,
    /// Audiences it gives its members.
    pub audiences: Option<Vec<String>>,
}

/// Every broken rule of a group's fields.
pub fn validate(row: &GroupRow) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    let n = row.name.chars().count();
    if row.name.trim().is_empty() || n > 100 || row.name.chars().any(char::is_control) {
        problems.push("name must be 1 to 100 characters, without control characters".into());
    }
    if row.description.chars().count() > 1000 {
        problems.push("description is longer than 1000 characters".into());
    }
    for s in split_list(&row.scopes) {
        if !valid_scope_token(&s) {
            problems.push(format!("scope {s:?} is not a valid scope token"));
        }
    }
    for a in split_list(&row.audiences) {
        if a.len() > 1000 || a.chars().any(|c| c.is_control()) {
            problems.push(format!("audience {a:?} is not valid"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// A list field as stored, refusing an item with a space (it would split into two).
pub fn joined(items: &[String], what: &str) -> Result<String, Vec<String>> {
    if let Some(bad) = items
        .iter()
        .find(|i| i.is_empty() || i.contains(char::is_whitespace))
    {
        return Err(vec![format!("{what} {bad:?} is empty or holds whitespace")]);
    }
    let mut unique: Vec<&String> = Vec::new();
    for i in items {
        if !unique.contains(&i) {
            unique.push(i);
        }
    }
    Ok(unique
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" "))
}
