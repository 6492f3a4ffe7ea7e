//! The tenant boundary, in one place: an acting principal sees and changes only what lies in
//! its organization's reach (it and the organizations below it). Every admin query of the
//! store takes a [`Reach`], and the only way to get one is from here (or from the store's
//! tree), inside the command's own transaction: a command can't forget the boundary, it would
//! not compile.

use crate::storage::orgs::{self as org_rows, Reach, ROOT_ORG_ID};
use crate::storage::DbConnection;

use super::{Acting, DomainError};

/// `?org=` and `&subtree=` on a list: one organization (by id or slug), or it and those below.
#[derive(Debug, Clone, Default)]
pub struct OrgSelector {
    /// An organization's id or slug; None: the caller's whole reach.
    pub org: Option<String>,
    /// With `org`: add the organizations below it.
    pub subtree: bool,
}

impl Acting {
    /// What this principal may see and change, as of this transaction.
    pub fn reach(&self, conn: &mut DbConnection) -> Result<Reach, DomainError> {
        Ok(org_rows::reach(conn, &self.org_id)?)
    }

    /// The reach narrowed by a list's selector; an organization outside the reach is `404`.
    pub fn reach_for(
        &self,
        conn: &mut DbConnection,
        selector: &OrgSelector,
    ) -> Result<Reach, DomainError> {
        let reach = self.reach(conn)?;
        let Some(org) = &selector.org else {
            return Ok(reach);
        };
        let found =
            org_rows::find_in(conn, &reach, org).map_err(DomainError::not_found("organization"))?;
        let narrowed = if selector.subtree {
            org_rows::reach_within(conn, &reach, &found.id)
        } else {
            org_rows::only(&reach, &found.id)
        };
        narrowed.map_err(DomainError::not_found("organization"))
    }

    /// CONTRACT: a principal is created in the caller's organization unless it names one; a
    /// named one must be inside the caller's reach (else `404`, as if it did not exist).
    pub fn org_for_new(
        &self,
        conn: &mut DbConnection,
        named: Option<&str>,
    ) -> Result<String, DomainError> {
        let Some(named) = named else {
            return Ok(self.org_id.clone());
        };
        let reach = self.reach(conn)?;
        let org = org_rows::find_in(conn, &reach, named)
            .map_err(DomainError::not_found("organization"))?;
        Ok(org.id)
    }

    /// Deployment-wide things (signing keys) belong to root's administrators.
    pub fn require_root(&self) -> Result<(), DomainError> {
        if self.org_id == ROOT_ORG_ID {
            Ok(())
        } else {
            Err(DomainError::Forbidden(
                "signing keys belong to the whole deployment: only administrators in the root \
                 organization manage them"
                    .into(),
            ))
        }
    }
}
