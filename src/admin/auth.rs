//! Who is calling the admin API: the resource module's `Authenticated` (as any outside
//! resource server would use it) plus the admin API's own live checks.

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};

use super::error::ApiError;
use crate::audit::Actor;
use crate::resource::{AuthError, Authenticated, Principal, PrincipalKind};
use crate::server::AppState;
use crate::storage::clients::{self as client_rows, ClientRow};
use crate::storage::{revoked, users as user_rows, DbConnection, StoreError};

/// An authenticated, currently allowed caller of the admin API.
pub struct Caller {
    /// What the token says.
    pub principal: Principal,
    /// For audit events: id, kind, IP address.
    pub actor: Actor,
    /// The caller's own client row, for a service account.
    pub client: Option<ClientRow>,
}

impl Caller {
    /// Requires `scope` or the all-covering `admin` (403 `insufficient_scope` otherwise).
    pub fn require(&self, scope: &str) -> Result<(), AuthError> {
        self.principal.require_scope(&["admin", scope])
    }

    /// Whether the token holds `scope` (directly or through `admin`).
    pub fn holds(&self, scope: &str) -> bool {
        self.principal.has_scope("admin") || self.principal.has_scope(scope)
    }

    /// Whether the caller is itself an admin service account.
    pub fn is_admin_service_account(&self) -> bool {
        self.client
            .as_ref()
            .is_some_and(|c| c.is_admin_service_account)
    }
}

/// The verdict of the live check.
enum Live {
    Allowed(Option<Box<ClientRow>>),
    Refused(AuthError),
    NotAdmin,
}

/// CONTRACT: a service-account token reaches the admin API only while its client is, at the
/// time of the call, active, confidential and flagged admin, and only if the token was not
/// revoked, one by one or in bulk. Read from the store on every call, not from a cache.
fn live_check(conn: &mut DbConnection, p: &Principal) -> Result<Live, StoreError> {
    if revoked::is_revoked(conn, &p.jti)? {
        return Ok(Live::Refused(AuthError::InvalidToken(
            "the token was revoked".into(),
        )));
    }
    match p.kind {
        PrincipalKind::ServiceAccount => {
            let client = match client_rows::find_by_client_id(conn, &p.subject) {
                Ok(c) => c,
                Err(StoreError::NotFound) => {
                    return Ok(Live::Refused(AuthError::InvalidToken(
                        "the client no longer exists".into(),
                    )))
                }
                Err(e) => return Err(e),
            };
            if let Some(reason) = client.refuses_token_issued_at(p.issued_at) {
                return Ok(Live::Refused(AuthError::InvalidToken(reason.into())));
            }
            if client.client_type != "confidential" || !client.is_admin_service_account {
                return Ok(Live::NotAdmin);
            }
            Ok(Live::Allowed(Some(Box::new(client))))
        }
        PrincipalKind::User => match user_rows::find_by_username(conn, &p.subject) {
            Ok(user) if user.active => Ok(Live::Allowed(None)),
            Ok(_) => Ok(Live::Refused(AuthError::InvalidToken(
                "the user is disabled".into(),
            ))),
            Err(StoreError::NotFound) => Ok(Live::Refused(AuthError::InvalidToken(
                "the user no longer exists".into(),
            ))),
            Err(e) => Err(e),
        },
    }
}

impl FromRequest for Caller {
    type Error = actix_web::Error;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let authenticated = Authenticated::from_request(req, payload);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        // The TCP peer: a forwarded-for header is the caller's to forge.
        let ip = req.peer_addr().map(|a| a.ip().to_string());
        Box::pin(async move {
            let Authenticated(principal) = authenticated.await?;
            let state = state.ok_or_else(|| ApiError::internal("AppState missing"))?;
            let p = principal.clone();
            let live = state
                .db
                .run(move |conn| live_check(conn, &p))
                .await
                .map_err(ApiError::from)?;
            let client = match live {
                Live::Allowed(client) => client.map(|c| *c),
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
                actor,
                client,
            })
        })
    }
}
