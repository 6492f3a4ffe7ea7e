//! The organization as the API shows it, and what a create or a change may send.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::storage::orgs::OrgRow;

/// An organization.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Org {
    /// Id (UUID).
    pub id: String,
    /// Unique, lowercase `[a-z0-9-]`, 1 to 63 characters.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// The parent's id; null only for root.
    pub parent_id: Option<String>,
    /// Disabled organizations shut out everyone in and below them.
    pub active: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<&OrgRow> for Org {
    fn from(r: &OrgRow) -> Self {
        Org {
            id: r.id.clone(),
            slug: r.slug.clone(),
            name: r.name.clone(),
            parent_id: r.parent_id.clone(),
            active: r.active,
            created_at: DateTime::from_naive_utc_and_offset(r.created_at, Utc),
            updated_at: DateTime::from_naive_utc_and_offset(r.updated_at, Utc),
        }
    }
}

/// `POST /admin/v1/orgs`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrg {
    /// Unique, lowercase `[a-z0-9-]`, 1 to 63 characters.
    pub slug: String,
    /// Display name (1 to 200 characters).
    pub name: String,
    /// The parent (id or slug) inside the caller's reach; the caller's own when omitted.
    pub parent_id: Option<String>,
    /// Default true.
    pub active: Option<bool>,
}

/// `PATCH /admin/v1/orgs/{id}`: fields not sent keep their values.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgPatch {
    /// Display name.
    pub name: Option<String>,
    /// Enabled.
    pub active: Option<bool>,
}

/// CONTRACT: a slug is lowercase `[a-z0-9-]`, 1 to 63 characters.
pub fn valid_slug(slug: &str) -> bool {
    (1..=63).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn name_problem(name: &str) -> Option<String> {
    let n = name.chars().count();
    if name.trim().is_empty() || n > 200 || name.chars().any(char::is_control) {
        Some("name must be 1 to 200 characters, without control characters".into())
    } else {
        None
    }
}

impl NewOrg {
    /// Every broken rule.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        if !valid_slug(&self.slug) {
            problems.push(format!(
                "slug {:?} must be 1 to 63 characters of a-z, 0-9 and -",
                self.slug
            ));
        }
        problems.extend(name_problem(&self.name));
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

impl OrgPatch {
    /// Every broken rule.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        match self.name.as_deref().and_then(name_problem) {
            Some(p) => Err(vec![p]),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::valid_slug;

    #[test]
    fn slugs_are_lowercase_ascii_names_of_at_most_63_characters() {
        assert!(valid_slug("acme-1"));
        assert!(!valid_slug(""));
        assert!(!valid_slug("Acme"));
        assert!(!valid_slug("acme_corp"));
        assert!(!valid_slug("ácme"));
        assert!(!valid_slug(&"a".repeat(64)));
    }
}
