//! A revocation list is taken only when it is a JWS of the issuer's, signed by one of its keys,
//! with `typ: revocations+jwt` and not expired beyond the leeway. Each bad list below is newer
//! than the one held and names nothing, so if it were taken the revoked token would pass.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use castellan_resource::{AuthError, ResourceGuard, RevocationFeed, REVOCATIONS_TYP};
use common::{now, polling, Issuer, TestKey, LEEWAY};

/// A feed holding a list made at `.held` that revokes `.token`.
struct Held {
    issuer: Issuer,
    guard: ResourceGuard,
    feed: Arc<RevocationFeed>,
    token: String,
    held: i64,
}

async fn holding_a_list() -> Held {
    let issuer = Issuer::start().await;
    let (guard, feed) = issuer.guard_with_feed(polling());
    let token = issuer.service_token("svc-orders");
    let jti = guard.verifier.verify(&token).await.unwrap().claims.jti;
    let held = now() - 20;
    issuer.serve_list(&issuer.list(held, &[&jti], &[]));
    feed.refresh().await.unwrap();
    Held {
        issuer,
        guard,
        feed,
        token,
        held,
    }
}

impl Held {
    /// Serves `document` and checks it is not taken: the fetch fails, the list held stays, and
    /// the token it revokes is still refused.
    async fn refuses(&self, document: &str, what: &str) {
        self.issuer.serve_list(document);
        let err = self.feed.refresh().await;
        assert!(err.is_err(), "{what}: taken");
        assert_eq!(self.feed.list_issued_at(), Some(self.held), "{what}");
        assert!(
            matches!(
                self.guard.authenticate(&self.token).await,
                Err(AuthError::InvalidToken(_))
            ),
            "{what}: the revoked token passed"
        );
    }

    /// Serves `document` and checks it is taken (the control of each rule).
    async fn takes(&self, document: &str, iat: i64) {
        self.issuer.serve_list(document);
        self.feed.refresh().await.unwrap();
        assert_eq!(self.feed.list_issued_at(), Some(iat));
        assert!(self.guard.authenticate(&self.token).await.is_ok());
    }
}

#[actix_web::test]
async fn a_list_with_the_wrong_typ_is_not_taken() {
    let h = holding_a_list().await;
    let claims = h.issuer.list_claims(now(), &[], &[]);
    for typ in ["at+jwt", "JWT", "revocations"] {
        h.refuses(&h.issuer.key.sign(typ, &claims), typ).await;
    }
    h.takes(
        &h.issuer.key.sign(REVOCATIONS_TYP, &claims),
        claims["iat"].as_i64().unwrap(),
    )
    .await;
}

#[actix_web::test]
async fn a_list_of_another_issuer_is_not_taken() {
    let h = holding_a_list().await;
    let iat = now();
    let mut claims = h.issuer.list_claims(iat, &[], &[]);
    claims["iss"] = "https://other.example".into();
    h.refuses(&h.issuer.key.sign(REVOCATIONS_TYP, &claims), "other iss")
        .await;
    claims["iss"] = format!("{}/", h.issuer.url).into();
    h.refuses(
        &h.issuer.key.sign(REVOCATIONS_TYP, &claims),
        "iss with a slash",
    )
    .await;
    claims.as_object_mut().unwrap().remove("iss");
    h.refuses(&h.issuer.key.sign(REVOCATIONS_TYP, &claims), "no iss")
        .await;
    h.takes(&h.issuer.list(iat, &[], &[]), iat).await;
}

#[actix_web::test]
async fn a_list_signed_by_an_unknown_key_is_not_taken() {
    let h = holding_a_list().await;
    let claims = h.issuer.list_claims(now(), &[], &[]);
    // A kid the JWKS doesn't publish.
    let stranger = TestKey::new("key-2");
    h.refuses(&stranger.sign(REVOCATIONS_TYP, &claims), "unknown kid")
        .await;
    // The issuer's kid, another key: the signature doesn't verify.
    let impostor = TestKey::new(&h.issuer.key.kid);
    h.refuses(&impostor.sign(REVOCATIONS_TYP, &claims), "forged signature")
        .await;
}

#[actix_web::test]
async fn a_list_expired_beyond_the_leeway_is_not_taken() {
    let h = holding_a_list().await;
    let leeway = i64::try_from(LEEWAY).unwrap();
    let iat = now() - 10;
    let mut claims = h.issuer.list_claims(iat, &[], &[]);
    claims["exp"] = (now() - leeway - 5).into();
    h.refuses(&h.issuer.key.sign(REVOCATIONS_TYP, &claims), "expired")
        .await;
    claims.as_object_mut().unwrap().remove("exp");
    h.refuses(&h.issuer.key.sign(REVOCATIONS_TYP, &claims), "no exp")
        .await;
    // Expired, but within the leeway: taken.
    claims["exp"] = (now() - leeway + 10).into();
    h.takes(&h.issuer.key.sign(REVOCATIONS_TYP, &claims), iat)
        .await;
}

#[actix_web::test]
async fn a_document_that_is_not_a_jws_is_not_taken() {
    let h = holding_a_list().await;
    let claims = h.issuer.list_claims(now(), &[], &[]);
    let good = h.issuer.key.sign(REVOCATIONS_TYP, &claims);
    let (signed, _) = good.rsplit_once('.').unwrap();
    let unsigned = format!("{signed}.");
    let alg_none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"revocations+jwt","kid":"key-1"}"#),
        signed.split_once('.').unwrap().1
    );
    for (document, what) in [
        (String::new(), "empty"),
        ("not a list".to_string(), "plain text"),
        (claims.to_string(), "the claims as bare JSON"),
        (unsigned, "no signature"),
        (alg_none, "alg none"),
        (format!("{good}.{good}"), "two lists"),
    ] {
        h.refuses(&document, what).await;
    }
}

#[actix_web::test]
async fn a_list_issued_in_the_future_beyond_the_leeway_is_not_taken() {
    // Taken, it would pin the feed: every honest list after it would look older, and be refused.
    let h = holding_a_list().await;
    let leeway = i64::try_from(LEEWAY).unwrap();
    let future = h.issuer.list(now() + leeway + 3600, &[], &[]);
    h.refuses(&future, "iat in the future").await;
    let iat = now();
    h.takes(&h.issuer.list(iat, &[], &[]), iat).await;
}
