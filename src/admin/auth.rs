//! Who is calling the admin API: the resource module's `Authenticated` (as any outside
//! resource server would use it) plus the admin API's own live checks.

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};

use super::error::ApiError;
use crate::audit::Actor;
use crate::domain::Core;
use crate::domain::{tokens, Acting, Powers};
use crate::resource::{AuthError, Authenticated, Principal, PrincipalKind};
use crate::storage::clients::{self as client_rows};
use crate::storage::{revoked, users as user_rows, DbConnection, StoreError};

/// An authenticated, currently allowed caller of the admin API.
pub struct Caller {
    /// What the token says.
    pub principal: Principal,
    /// Who acts, with the powers it has at this moment.
    pub acting: Acting,
}

impl Caller {
    /// Requires `scope`, or the all-covering `admin`, in the token AND in what the principal
    /// holds now (403 `insufficient_scope` otherwise).
    pub fn require(&self, scope: &str) -> Result<(), AuthError> {
        if self.acting.powers.allows(scope) {
            Ok(())
        } else {
            Err(AuthError::InsufficientScope {
                scope: format!("admin {scope}"),
            })
        }
    }
}

/// The verdict of the live check.
enum Live {
    Allowed(Powers),
    Refused(AuthError),
    NotAdmin,
}

/// CONTRACT: a service-account token reaches the admin API only while its client is, at the
/// time of the call, active, confidential and flagged admin, and only if the token was not
/// revoked, one by one or in bulk; its scopes work only while the client still holds them.
/// Read from the store on every call, not from a cache.
/// (Time claims, `iat` in the future or a life too long, are the verifier's.)
fn live_check(conn: &mut DbConnection, p: &Principal) -> Result<Live, StoreError> {
    let refused = |why: &str| Ok(Live::Refused(AuthError::InvalidToken(why.into())));
    if revoked::is_revoked(conn, &p.jti)? {
        return refused("the token was revoked");
    }
    match p.kind {
        PrincipalKind::ServiceAccount => {
            let client = match client_rows::find_by_client_id(conn, &p.subject) {
                Ok(c) => c,
                Err(StoreError::NotFound) => return refused("the client no longer exists"),
                Err(e) => return Err(e),
            };
            let issued = tokens::issued_at(&p.jti, p.issued_at);
            if let Some(reason) = client.refuses_token_issued_at(issued) {
                return refused(reason);
            }
            if client.client_type != "confidential" || !client.is_admin_service_account {
                return Ok(Live::NotAdmin);
            }
            Ok(Live::Allowed(Powers::new(
                p.scopes.clone(),
                crate::storage::split_list(&client.scopes),
                crate::storage::split_list(&client.audiences),
                client.is_admin_service_account,
            )))
        }
        PrincipalKind::User => match user_rows::find_by_username(conn, &p.subject) {
            // People hold nothing of their own yet (groups will give them scopes).
            Ok(user) if user.active => Ok(Live::Allowed(Powers::new(
                p.scopes.clone(),
                Vec::new(),
                Vec::new(),
                false,
            ))),
            Ok(_) => refused("the user is disabled"),
            Err(StoreError::NotFound) => refused("the user no longer exists"),
            Err(e) => Err(e),
        },
    }
}

impl FromRequest for Caller {
    type Error = actix_web::Error;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let authenticated = Authenticated::from_request(req, payload);
        let state = req.app_data::<web::Data<Core>>().cloned();
        // The TCP peer: a forwarded-for header is the caller's to forge.
        let ip = req.peer_addr().map(|a| a.ip().to_string());
        Box::pin(async move {
            let Authenticated(principal) = authenticated.await?;
            let state = state.ok_or_else(|| ApiError::internal("Core missing"))?;
            let p = principal.clone();
            let live = state
                .db
                .run(move |conn| live_check(conn, &p))
                .await
                .map_err(ApiError::from)?;
            let powers = match live {
                Live::Allowed(powers) => powers,
                Live::Refused(err) => return Err(err.into()),
                Live::NotAdmin => {
                    return Err(ApiError::forbidden(
                        "this service account is not an admin service account",
                    )
                    .into())
                }
            };
            let actor = Actor {
                id: principal.subject.clone(),
                kind: principal.kind.as_str().to_string(),
                ip,
            };
            Ok(Caller {
                principal,
                acting: Acting { actor, powers },
            })
        })
    }
}
