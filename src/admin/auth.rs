//! Who is calling the admin API: the resource module's `Authenticated` (as any outside
//! resource server would use it) plus the admin API's own live checks.

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};

use super::error::ApiError;
use crate::audit::Actor;
use crate::domain::callers::{live_check, Live};
use crate::domain::Acting;
use crate::domain::Core;
use crate::resource::{AuthError, Authenticated, Principal};

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

impl FromRequest for Caller {
    type Error = actix_web::Error;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let authenticated = Authenticated::from_request(req, payload);
        let state = req.app_data::<web::Data<Core>>().cloned();
        // The TCP peer: a forwarded-for header is the caller's to forge.
        let ip = crate::telemetry::caller_ip(req).map(|ip| ip.to_string());
        Box::pin(async move {
            let Authenticated(principal) = authenticated.await?;
            let state = state.ok_or_else(|| ApiError::internal("Core missing"))?;
            let p = principal.clone();
            let live = state
                .db
                .run(move |conn| live_check(conn, &p))
                .await
                .map_err(ApiError::from)?;
            let (powers, org_id) = match live {
                Live::Allowed { powers, org_id } => (powers, org_id),
                Live::Refused(why) => return Err(AuthError::InvalidToken(why.into()).into()),
                Live::NotAdmin => {
                    return Err(ApiError::forbidden(
                        "this service account is not an admin service account",
                    )
                    .into())
                }
            };
            let actor = Actor {
                id: principal.subject.as_str().to_string(),
                kind: principal.kind().as_str().to_string(),
                ip,
            };
            Ok(Caller {
                principal,
                acting: Acting {
                    actor,
                    powers,
                    org_id,
                },
            })
        })
    }
}
