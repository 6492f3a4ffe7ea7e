//! The admin API takes a client's client_id wherever it takes its id: every `/clients/{id}…`
//! route (the client, its permissions, secrets, revoke-tokens, trust policies) and group
//! members, exercised through `castellan admin` with a client_id full of URL characters.

use crate::helpers::{spawn_app, Backend, API};
use crate::on_both_backends;

on_both_backends!(cli_a_client_id_works_wherever_the_admin_api_takes_a_client);

async fn cli_a_client_id_works_wherever_the_admin_api_takes_a_client(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    // A client_id with characters that mean something in a URL.
    let cid = "team/a%2F?x#y";
    let created = app
        .cli_json(&[
            "clients",
            "create",
            cid,
            "--name",
            "odd",
            "--audiences",
            API,
        ])
        .await;
    let row_id = created["id"].as_str().unwrap().to_string();
    let group = app.cli_json(&["groups", "create", "--name", "g"]).await;
    let group = group["id"].as_str().unwrap().to_string();
    let jwks_uri = "https://issuer.example/jwks";
    for who in [cid, row_id.as_str()] {
        assert_eq!(
            app.cli_json(&["clients", "get", who]).await["id"],
            row_id.as_str()
        );
        let perms = app.cli_json(&["clients", "permissions", who]).await;
        assert_eq!(perms["audiences"][0]["value"], API, "{perms}");
        let s = app.cli_json(&["secrets", "add", who]).await;
        let listed = app.cli_json(&["secrets", "list", who]).await;
        assert!(listed.to_string().contains(s["id"].as_str().unwrap()));
        app.cli(&["secrets", "revoke", who, s["id"].as_str().unwrap()])
            .await
            .ok();
        app.cli_json(&["revoke-tokens", who]).await;
        let p = app
            .cli_json(&[
                "trust-policies",
                "create",
                who,
                "--issuer",
                "https://issuer.example",
                "--audience",
                "castellan",
                "--subject",
                "w",
                "--jwks-uri",
                jwks_uri,
            ])
            .await;
        let p = p["id"].as_str().unwrap();
        let got = app.cli_json(&["trust-policies", "get", who, p]).await;
        assert_eq!(got["id"], p);
        app.cli(&["trust-policies", "delete", who, p]).await.ok();
        let member = app
            .cli_json(&["groups", "members", "add", &group, who])
            .await;
        assert_eq!(member["principal"], cid);
        app.cli(&["groups", "members", "remove", &group, who])
            .await
            .ok();
        let renamed = app
            .cli_json(&["clients", "update", who, "--name", who])
            .await;
        assert_eq!(renamed["id"], row_id.as_str());
    }
    app.cli(&["clients", "delete", cid]).await.ok();
    app.cli(&["clients", "get", &row_id]).await.exits(1);
}
