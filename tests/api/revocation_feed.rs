//! CONTRACT ("Revocation that reaches resource servers"): `GET /oauth2/revocations` is a JWS
//! signed like access tokens with `typ: revocations+jwt`, listing every revoked `jti` still
//! alive and every client revoked in bulk, with a short `Cache-Control: max-age`.

use serde_json::{json, Value};

use crate::helpers::{basic, jwt_part, spawn_app, Backend, TestApp, ADMIN_ID, ADMIN_SECRET, API};
use crate::on_both_backends;

/// The list, its signature checked against the JWKS with the key's own algorithm.
async fn feed(app: &TestApp) -> (Value, Value, String) {
    let res = app
        .http
        .get(app.url("/oauth2/revocations"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cache = res.headers()["cache-control"].to_str().unwrap().to_string();
    let jws = res.text().await.unwrap();
    let header = jwt_part(&jws, 0);
    let jwks = app.jwks().await;
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .expect("signed by a published key");
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk.clone()).unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_required_spec_claims(&["exp", "iss"]);
    validation.set_issuer(&[app.state.issuer.as_str()]);
    let claims = jsonwebtoken::decode::<Value>(&jws, &key, &validation)
        .expect("the signature verifies")
        .claims;
    (header, claims, cache)
}

async fn the_revocation_list_carries_revoked_tokens_and_clients_signed(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (_, empty, cache) = feed(&app).await;
    assert_eq!(empty["jtis"], json!([]));
    let max_age: u32 = cache.split("max-age=").nth(1).unwrap().parse().unwrap();
    assert!(max_age <= 60, "{cache}");
    let iat = empty["iat"].as_i64().unwrap();
    assert!(empty["exp"].as_i64().unwrap() - iat <= 60);
    // A token revoked one by one is listed with its exp.
    let token = app.admin_token().await;
    let res = app
        .http
        .post(app.url("/oauth2/revoke"))
        .header("Authorization", basic(ADMIN_ID, ADMIN_SECRET))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let claims = jwt_part(&token, 1);
    let (header, list, _) = feed(&app).await;
    assert_eq!(header["typ"], "revocations+jwt");
    assert!(list["jtis"]
        .as_array()
        .unwrap()
        .contains(&json!({"jti": claims["jti"], "exp": claims["exp"]})));
    // A client revoked in bulk, and a disabled one, are listed by client_id.
    let admin = app.admin_token().await;
    let (bulk, _) = app
        .api_create_client(
            &admin,
            json!({"client_id": "bulk", "name": "b", "audiences": [API]}),
        )
        .await;
    let at = app
        .admin(
            "POST",
            &format!("/clients/{}/revoke-tokens", bulk["id"].as_str().unwrap()),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(at.status, 200);
    let (off, _) = app
        .api_create_client(
            &admin,
            json!({"client_id": "off", "name": "o", "audiences": [API]}),
        )
        .await;
    let patched = app
        .admin(
            "PATCH",
            &format!("/clients/{}", off["id"].as_str().unwrap()),
            Some(&admin),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(patched.status, 200);
    let (_, list, _) = feed(&app).await;
    let clients = list["clients"].as_array().unwrap();
    let entry = |id: &str| clients.iter().find(|c| c["client_id"] == id).cloned();
    let bulk_entry = entry("bulk").expect("the bulk revocation is listed");
    let when =
        chrono::DateTime::parse_from_rfc3339(at.body["tokens_revoked_before"].as_str().unwrap())
            .unwrap()
            .timestamp_micros() as f64
            / 1_000_000.0;
    assert!((bulk_entry["revoked_before"].as_f64().unwrap() - when).abs() < 0.000_01);
    assert!(
        entry("off").is_some(),
        "a disabled client's tokens are refused wholesale"
    );
    // It can never pass for an access token.
    let res = app
        .http
        .get(app.url("/oauth2/revocations"))
        .send()
        .await
        .unwrap();
    let jws = res.text().await.unwrap();
    assert!(app.verify(&jws, API).await.is_err());
    // The metadata names it.
    let meta: Value = app
        .http
        .get(app.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        meta["revocation_list_endpoint"],
        app.url("/oauth2/revocations")
    );
}

/// A disabled organization's clients (and those of the organizations below it) are listed as
/// revoked, so that resource servers refuse their tokens too; enabled again, they leave the list.
async fn a_disabled_organizations_clients_are_listed(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let vendor = crate::orgs_support::org(&app, &admin, "vendor", None).await;
    let customer = crate::orgs_support::org(&app, &admin, "customer", Some(&vendor)).await;
    for (client_id, org) in [("in-vendor", &vendor), ("in-customer", &customer)] {
        let body = json!({"client_id": client_id, "name": "c", "audiences": [API], "org_id": org});
        app.api_create_client(&admin, body).await;
    }
    let listed = |list: &Value, id: &str| {
        list["clients"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["client_id"] == id)
    };
    let (_, before, _) = feed(&app).await;
    assert!(!listed(&before, "in-vendor") && !listed(&before, "in-customer"));
    let off = app
        .admin(
            "PATCH",
            "/orgs/vendor",
            Some(&admin),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(off.status, 200, "{}", off.body);
    let (_, during, _) = feed(&app).await;
    assert!(listed(&during, "in-vendor"), "{during}");
    assert!(
        listed(&during, "in-customer"),
        "the organization below too: {during}"
    );
    assert!(!listed(&during, ADMIN_ID));
    let on = app
        .admin(
            "PATCH",
            "/orgs/vendor",
            Some(&admin),
            Some(json!({"active": true})),
        )
        .await;
    assert_eq!(on.status, 200);
    let (_, after, _) = feed(&app).await;
    assert!(!listed(&after, "in-vendor"));
}

/// A deleted client stays listed, as revoked at its deletion, until its last token has expired:
/// offline verifiers would otherwise accept its tokens until then. A client made again under the
/// same client_id is untouched (its tokens come after).
async fn a_deleted_client_stays_listed_until_its_tokens_expire(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let body = json!({"client_id": "gone", "name": "g", "audiences": [API]});
    app.api_create_client(&admin, body.clone()).await;
    let (_, before, _) = feed(&app).await;
    let entry = |list: &Value| {
        list["clients"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["client_id"] == "gone")
            .cloned()
    };
    assert!(entry(&before).is_none());
    let at = chrono::Utc::now().timestamp_micros() as f64 / 1_000_000.0;
    let deleted = app
        .admin("DELETE", "/clients/gone", Some(&admin), None)
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    let (_, after, _) = feed(&app).await;
    let listed = entry(&after).expect("the deleted client is listed");
    let when = listed["revoked_before"].as_f64().unwrap();
    assert!((when - at).abs() < 5.0, "{when} vs {at}");
    // Made again: listed once, still as of the deletion, so its new tokens pass.
    app.api_create_client(&admin, body).await;
    let (_, again, _) = feed(&app).await;
    let entries: Vec<_> = again["clients"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["client_id"] == "gone")
        .collect();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["revoked_before"].as_f64().unwrap(), when);
}

on_both_backends!(
    the_revocation_list_carries_revoked_tokens_and_clients_signed,
    a_disabled_organizations_clients_are_listed,
    a_deleted_client_stays_listed_until_its_tokens_expire
);
