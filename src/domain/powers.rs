//! What an acting principal may do to another: "no principal grants what it does not hold",
//! and no principal takes power away from a broader one. One rule for every command.

use crate::audit::Actor;

/// The scope that covers every admin call.
pub const FULL_ADMIN: &str = "admin";

/// Whether `scope` is one of Castellan's own admin-audience scopes (`admin`, `admin:*`).
pub fn is_admin_scope(scope: &str) -> bool {
    scope == FULL_ADMIN || scope.starts_with("admin:")
}

/// Whether a set of scopes covers `scope`: it is there, or it is an admin scope and the full
/// `admin` is there.
pub fn covers(set: &[String], scope: &str) -> bool {
    set.iter()
        .any(|s| s == scope || (s == FULL_ADMIN && is_admin_scope(scope)))
}

/// What a principal holds: the thing compared.
#[derive(Debug, Clone, Copy)]
pub struct Holdings<'a> {
    /// Scopes.
    pub scopes: &'a [String],
    /// Audiences.
    pub audiences: &'a [String],
    /// The admin service account flag.
    pub admin_flag: bool,
}

/// An acting principal's powers, as of the moment of the call.
#[derive(Debug, Clone)]
pub struct Powers {
    /// The scopes its token carries.
    token_scopes: Vec<String>,
    /// The scopes it holds now (not merely in its token).
    held_scopes: Vec<String>,
    /// The audiences it holds now.
    held_audiences: Vec<String>,
    /// Whether it is an admin service account now.
    admin_flag: bool,
    /// Castellan itself (start-up, the CLI): no limits.
    system: bool,
}

impl Powers {
    /// A principal's powers: its token's scopes and what it holds now.
    pub fn new(
        token_scopes: Vec<String>,
        held_scopes: Vec<String>,
        held_audiences: Vec<String>,
        admin_flag: bool,
    ) -> Self {
        Powers {
            token_scopes,
            held_scopes,
            held_audiences,
            admin_flag,
            system: false,
        }
    }

    /// Castellan itself.
    pub fn system() -> Self {
        Powers {
            token_scopes: Vec::new(),
            held_scopes: Vec::new(),
            held_audiences: Vec::new(),
            admin_flag: true,
            system: true,
        }
    }

    /// CONTRACT (Live means live): a scope works only while the token carries it AND its
    /// principal still holds it; a scope taken away stops working at once.
    pub fn allows(&self, scope: &str) -> bool {
        self.system || (covers(&self.token_scopes, scope) && covers(&self.held_scopes, scope))
    }

    /// Holds the full `admin` scope, live.
    pub fn is_full_admin(&self) -> bool {
        self.allows(FULL_ADMIN)
    }

    fn holds_scope(&self, scope: &str) -> bool {
        if is_admin_scope(scope) {
            // Castellan's own privileges: only what this call may use.
            self.allows(scope)
        } else {
            // CONTRACT: the full admin may grant any scope in what it administers.
            self.is_full_admin() || self.held_scopes.iter().any(|s| s == scope)
        }
    }

    fn holds_audience(&self, audience: &str) -> bool {
        self.is_full_admin() || self.held_audiences.iter().any(|a| a == audience)
    }

    /// CONTRACT: the caller must hold at least everything `target` holds, both to give it
    /// (create, change) and to act on a principal that has it (change, disable, delete,
    /// revoke, add a credential). The reason names the first item the caller lacks.
    pub fn require_covers(&self, target: Holdings<'_>) -> Result<(), String> {
        if self.system {
            return Ok(());
        }
        if let Some(s) = target.scopes.iter().find(|s| !self.holds_scope(s)) {
            return Err(format!("the scope {s:?} is not yours to give or to act on"));
        }
        if let Some(a) = target.audiences.iter().find(|a| !self.holds_audience(a)) {
            return Err(format!(
                "the audience {a:?} is not yours to give or to act on"
            ));
        }
        if target.admin_flag && !self.admin_flag {
            return Err("only an admin service account may give or act on the admin flag".into());
        }
        Ok(())
    }
}

/// What a principal holds, owned: its own grants and its groups'.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Held {
    /// Scopes.
    pub scopes: Vec<String>,
    /// Audiences.
    pub audiences: Vec<String>,
    /// The admin service account flag.
    pub admin_flag: bool,
}

impl Held {
    /// Borrowed, for comparison.
    pub fn holdings(&self) -> Holdings<'_> {
        Holdings {
            scopes: &self.scopes,
            audiences: &self.audiences,
            admin_flag: self.admin_flag,
        }
    }

    /// Adds what a group gives (no duplicates).
    pub fn add(&mut self, scopes: &[String], audiences: &[String]) {
        for s in scopes {
            if !self.scopes.contains(s) {
                self.scopes.push(s.clone());
            }
        }
        for a in audiences {
            if !self.audiences.contains(a) {
                self.audiences.push(a.clone());
            }
        }
    }

    /// Holds the full `admin` scope.
    pub fn has_full_admin(&self) -> bool {
        self.scopes.iter().any(|s| s == FULL_ADMIN)
    }
}

/// Who is acting, from which organization, and with what powers: every command takes one.
/// What it may see is its organization's reach (`Acting::reach`), read in each command's
/// transaction.
#[derive(Debug, Clone)]
pub struct Acting {
    /// For the audit trail.
    pub actor: Actor,
    /// What it may do.
    pub powers: Powers,
    /// The organization it acts from: it acts there and below, nowhere else.
    pub org_id: String,
}

impl Acting {
    /// Castellan itself (start-up, the CLI): acts from root.
    pub fn system() -> Self {
        Acting {
            actor: Actor::system(),
            powers: Powers::system(),
            org_id: crate::storage::orgs::ROOT_ORG_ID.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_scope_taken_away_stops_working_although_the_token_carries_it() {
        let p = Powers::new(v(&["admin"]), v(&["admin:clients:read"]), vec![], true);
        assert!(p.allows("admin:clients:read"));
        assert!(!p.allows("admin:clients:write"));
        assert!(!p.is_full_admin());
    }

    #[test]
    fn a_narrow_caller_cannot_act_on_a_broader_target() {
        let p = Powers::new(
            v(&["admin:clients:write"]),
            v(&["admin:clients:write", "deploy"]),
            v(&["api"]),
            true,
        );
        let ok = Holdings {
            scopes: &v(&["deploy"]),
            audiences: &v(&["api"]),
            admin_flag: false,
        };
        assert!(p.require_covers(ok).is_ok());
        let broad = v(&["admin"]);
        let target = Holdings {
            scopes: &broad,
            audiences: &[],
            admin_flag: false,
        };
        assert!(p.require_covers(target).is_err());
        let other = v(&["other-api"]);
        let target = Holdings {
            scopes: &[],
            audiences: &other,
            admin_flag: false,
        };
        assert!(p.require_covers(target).is_err());
    }

    #[test]
    fn the_full_admin_may_grant_any_non_admin_scope_and_audience() {
        let p = Powers::new(v(&["admin"]), v(&["admin"]), vec![], true);
        let s = v(&["deploy:write", "admin:keys:write"]);
        let a = v(&["https://api.example.com"]);
        assert!(p
            .require_covers(Holdings {
                scopes: &s,
                audiences: &a,
                admin_flag: true
            })
            .is_ok());
    }
}
