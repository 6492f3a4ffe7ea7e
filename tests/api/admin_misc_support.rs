//! Helpers shared by the admin_misc_* tests: admin tokens of our own making.

use castellan::oauth::claims::{AccessTokenClaims, Audience};

use crate::helpers::TestApp;

pub(crate) const ADMIN_AUD: &str = "urn:castellan:admin";

pub(crate) fn claims(app: &TestApp, sub: &str, kind: &str, scope: &str) -> AccessTokenClaims {
    let now = chrono::Utc::now().timestamp();
    AccessTokenClaims {
        iss: app.state.issuer.clone(),
        sub: sub.into(),
        aud: Audience::One(ADMIN_AUD.into()),
        exp: now + 300,
        iat: now,
        nbf: now,
        // Our own jti carries the issue time to the microsecond, as the server's does.
        jti: castellan::domain::tokens::new_jti(chrono::Utc::now()).unwrap(),
        client_id: if kind == "user" {
            "console".into()
        } else {
            sub.into()
        },
        scope: scope.into(),
        principal_type: kind.into(),
        org_id: None,
        act: None,
    }
}

/// Signs with the server's current key, as the server itself would.
pub(crate) fn sign(app: &TestApp, claims: &AccessTokenClaims) -> String {
    app.state.keys.current().signer.sign(claims).unwrap()
}
