//! The organization tree and the groups' grants, in memory: what the token endpoint and
//! introspection need to resolve a service account's organization and holdings without a
//! database read. Loaded at start-up, written in place by the change that alters an entry (in
//! commit order, as the one writer), and reloaded whole on the safety-net timer.

use std::collections::HashMap;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::storage::groups::{self as group_rows, GroupRow};
use crate::storage::orgs::{self as org_rows, OrgRow};
use crate::storage::{split_list, DbConnection, StoreResult};

#[derive(Debug, Clone)]
struct OrgNode {
    parent: Option<String>,
    active: bool,
}

/// What a group gives its members.
#[derive(Debug, Clone, Default)]
pub struct Grants {
    /// Scopes.
    pub scopes: Vec<String>,
    /// Audiences.
    pub audiences: Vec<String>,
}

#[derive(Debug, Default)]
struct Tree {
    orgs: HashMap<String, OrgNode>,
    groups: HashMap<String, Grants>,
}

/// The directory: one shared lock held for a few hash lookups per token.
#[derive(Debug, Default)]
pub struct Directory {
    tree: RwLock<Tree>,
}

/// A read view over the directory, for one request.
pub struct View<'a> {
    tree: RwLockReadGuard<'a, Tree>,
}

impl View<'_> {
    /// Whether `org_id` and every organization above it are active (an unknown one is not).
    pub fn org_active(&self, org_id: &str) -> bool {
        let mut next = Some(org_id);
        // Depth is at most three; the bound guards against a malformed cycle all the same.
        for _ in 0..4 {
            let Some(id) = next else { return true };
            match self.tree.orgs.get(id) {
                Some(node) if node.active => next = node.parent.as_deref(),
                _ => return false,
            }
        }
        false
    }

    /// Every organization that is disabled, itself or through one above it.
    pub fn inactive_orgs(&self) -> Vec<String> {
        self.tree
            .orgs
            .keys()
            .filter(|id| !self.org_active(id))
            .cloned()
            .collect()
    }

    /// The grants of one group (None: unknown, e.g. deleted meanwhile).
    pub fn group(&self, id: &str) -> Option<&Grants> {
        self.tree.groups.get(id)
    }
}

impl Directory {
    /// Loads the tree and the groups.
    pub fn load(conn: &mut DbConnection) -> StoreResult<Self> {
        let directory = Directory::default();
        directory.reload(conn)?;
        Ok(directory)
    }

    /// Re-reads everything (start-up and the safety-net timer).
    pub fn reload(&self, conn: &mut DbConnection) -> StoreResult<()> {
        let orgs = org_rows::load_all(conn)?;
        let groups = group_rows::load_all(conn)?;
        let mut tree = Tree::default();
        for o in &orgs {
            tree.orgs.insert(o.id.clone(), node(o));
        }
        for g in &groups {
            tree.groups.insert(g.id.clone(), grants(g));
        }
        *self.write() = tree;
        Ok(())
    }

    /// A read view.
    pub fn view(&self) -> View<'_> {
        View {
            tree: match self.tree.read() {
                Ok(g) => g,
                Err(poisoned) => poisoned.into_inner(),
            },
        }
    }

    fn write(&self) -> RwLockWriteGuard<'_, Tree> {
        match self.tree.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// An organization's new state.
    pub fn put_org(&self, row: &OrgRow) {
        self.write().orgs.insert(row.id.clone(), node(row));
    }

    /// A deleted organization.
    pub fn remove_org(&self, id: &str) {
        self.write().orgs.remove(id);
    }

    /// A group's new grants.
    pub fn put_group(&self, row: &GroupRow) {
        self.write().groups.insert(row.id.clone(), grants(row));
    }

    /// A deleted group.
    pub fn remove_group(&self, id: &str) {
        self.write().groups.remove(id);
    }
}

fn node(o: &OrgRow) -> OrgNode {
    OrgNode {
        parent: o.parent_id.clone(),
        active: o.active,
    }
}

fn grants(g: &GroupRow) -> Grants {
    Grants {
        scopes: split_list(&g.scopes),
        audiences: split_list(&g.audiences),
    }
}
