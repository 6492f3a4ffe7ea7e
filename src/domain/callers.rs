//! The live check of a caller of the admin API: what its token says, re-read against the
//! store at the moment of the call.

use super::powers::{covers, FULL_ADMIN};
use super::{holdings, tokens, Powers};
use crate::resource::{Principal, Subject};
use crate::storage::clients as client_rows;
use crate::storage::orgs as org_rows;
use crate::storage::{revoked, users as user_rows, DbConnection, StoreError};

/// The verdict of the live check.
pub enum Live {
    /// Allowed, with the powers it has now, acting from its organization.
    Allowed {
        /// Its token's scopes and what it holds now.
        powers: Powers,
        /// Its organization.
        org_id: String,
    },
    /// The token no longer stands (`401`), and why.
    Refused(&'static str),
    /// A service account that is not (or no longer) an admin service account (`403`).
    NotAdmin,
}

/// CONTRACT: a service-account token reaches the admin API only while its client is, at the
/// time of the call, active, confidential and flagged admin, its organization and every one
/// above it active, and only if the token was not revoked, one by one or in bulk; its scopes
/// work only while the client still holds them, on its own or through a group. Read from the
/// store on every call, not from a cache. (Time claims are the verifier's.)
pub fn live_check(conn: &mut DbConnection, p: &Principal) -> Result<Live, StoreError> {
    if revoked::is_revoked(conn, &p.jti)? {
        return Ok(Live::Refused("the token was revoked"));
    }
    match &p.subject {
        Subject::ServiceAccount(client_id) => {
            let client = match client_rows::find_by_client_id(conn, client_id.as_str()) {
                Ok(c) => c,
                Err(StoreError::NotFound) => {
                    return Ok(Live::Refused("the client no longer exists"))
                }
                Err(e) => return Err(e),
            };
            let issued = tokens::issued_at(&p.jti, p.issued_at);
            if let Some(reason) = client.refuses_token_issued_at(issued) {
                return Ok(Live::Refused(reason));
            }
            if !org_rows::effectively_active(conn, &client.org_id)? {
                return Ok(Live::Refused("the organization is disabled"));
            }
            if client.client_type != "confidential" || !client.is_admin_service_account {
                return Ok(Live::NotAdmin);
            }
            let held = holdings::of_client(conn, &client)?;
            Ok(Live::Allowed {
                powers: Powers::new(p.scopes.clone(), held.scopes, held.audiences, true),
                org_id: client.org_id,
            })
        }
        // CONTRACT ("User tokens"): a user token's `sub` is the user's id.
        Subject::User(user_id) => {
            let user = match user_rows::find(conn, user_id.as_str()) {
                Ok(u) => u,
                Err(StoreError::NotFound) => return Ok(Live::Refused("the user no longer exists")),
                Err(e) => return Err(e),
            };
            if !user.active {
                return Ok(Live::Refused("the user is disabled"));
            }
            if !org_rows::effectively_active(conn, &user.org_id)? {
                return Ok(Live::Refused("the organization is disabled"));
            }
            // People hold only what their groups give. A person holding the full `admin`
            // scope, in its token and now, stands where an admin service account stands: it may
            // give and act on the admin flag (the console's toggle is for people).
            let held = holdings::of_user(conn, &user)?;
            let full_admin = covers(&p.scopes, FULL_ADMIN) && covers(&held.scopes, FULL_ADMIN);
            Ok(Live::Allowed {
                powers: Powers::new(p.scopes.clone(), held.scopes, held.audiences, full_admin),
                org_id: user.org_id,
            })
        }
    }
}
