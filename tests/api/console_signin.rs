//! CONTRACT: the console is a first-party client of the authorization_code + PKCE flow; a
//! person's console session follows what it holds, live; sign-out ends it.

use crate::helpers::{spawn_app, Backend};
use crate::on_both_backends;
use crate::people_support::{setup, Browser, PASSWORD};

/// Signs `name` in to the console through the whole flow; returns the browser.
pub async fn console_browser(app: &crate::helpers::TestApp, name: &str) -> Browser {
    let mut b = Browser::default();
    let start = b.get(&app.url("/console/login")).await;
    assert_eq!(start.status, 303);
    let to = start.location.clone().unwrap();
    assert!(to.starts_with("/oauth2/authorize?"), "{to}");
    let page = b.get(&app.url(&to)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let done = b.sign_in(app, &page, name, PASSWORD).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let callback = done.location.clone().unwrap();
    assert!(callback.contains("/console/callback?"), "{callback}");
    let landed = b.get(&callback).await;
    assert_eq!(landed.status, 303, "{}", landed.body);
    assert_eq!(landed.location.as_deref(), Some("/console"));
    b
}

async fn the_console_signs_people_in_through_the_code_flow_and_checks_them_live(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let erin = setup(&app, "erin", &["admin:clients:read", "admin:clients:write"]).await;
    // Without a session, a console page sends the person to sign in.
    let mut stranger = Browser::default();
    let page = stranger.get(&app.url("/console/clients")).await;
    assert_eq!(
        (page.status, page.location.as_deref()),
        (303, Some("/console/login"))
    );
    let mut b = console_browser(&app, "erin").await;
    let page = b.get(&app.url("/console/clients")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains(crate::helpers::ADMIN_ID),
        "the list shows the clients"
    );
    // Live: disabling the person ends what the console lets it do at once.
    let admin = app.admin_token().await;
    let off = app
        .admin(
            "PATCH",
            &format!("/users/{erin}"),
            Some(&admin),
            Some(serde_json::json!({"active": false})),
        )
        .await;
    assert_eq!(off.status, 200);
    let page = b.get(&app.url("/console/clients")).await;
    assert_eq!(
        (page.status, page.location.as_deref()),
        (303, Some("/console/login"))
    );
}

async fn signing_out_of_the_console_needs_the_csrf_token_and_ends_both_sessions(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    setup(&app, "frank", &["admin:clients:read"]).await;
    let mut b = console_browser(&app, "frank").await;
    let page = b.get(&app.url("/console/clients")).await;
    assert_eq!(page.status, 200);
    let refused = b
        .post(&app.url("/console/logout"), &[("csrf", "forged")])
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(b.get(&app.url("/console/clients")).await.status, 200);
    let csrf = page
        .hidden("csrf")
        .expect("every console page carries the csrf token");
    let out = b
        .post(&app.url("/console/logout"), &[("csrf", &csrf)])
        .await;
    assert_eq!(out.status, 200, "{}", out.body);
    let page = b.get(&app.url("/console/clients")).await;
    assert_eq!(
        (page.status, page.location.as_deref()),
        (303, Some("/console/login"))
    );
    // The sign-in session ended too: the flow asks for the password again.
    let start = b.get(&app.url("/console/login")).await;
    let page = b.get(&app.url(start.location.as_deref().unwrap())).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("name=\"password\""));
}

on_both_backends!(
    the_console_signs_people_in_through_the_code_flow_and_checks_them_live,
    signing_out_of_the_console_needs_the_csrf_token_and_ends_both_sessions
);
