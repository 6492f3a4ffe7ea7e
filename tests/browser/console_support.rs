//! What the console tests share: a person who holds admin scopes through a group (set up with
//! the admin API, as the bootstrap admin), signing in through the real sign-in page, a service
//! account created in the console, and the token endpoint asked with a secret.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use serde_json::{json, Value};

use crate::harness::{Browser, WAIT};
use crate::helpers::TestApp;

/// The password every test person gets.
pub const PASSWORD: &str = "correct horse battery staple";
/// The admin API's audience (the default configuration's).
pub const ADMIN_AUD: &str = "urn:castellan:admin";

/// `POST /admin/v1{path}` as `token`; the answer's body, after checking it is a 201.
pub async fn admin_post(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let res = app
        .http
        .post(app.url(&format!("/admin/v1{path}")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("admin API");
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or_default();
    assert_eq!(status, 201, "POST {path}: {body}");
    body
}

/// A person `name` (password [`PASSWORD`]) in the root organization, member of a group
/// `{name}-group` giving `scopes` for the admin audience: a person holds admin scopes only
/// through a group.
pub async fn person(app: &TestApp, name: &str, scopes: &[&str]) {
    let admin = app.admin_token().await;
    admin_post(
        app,
        &admin,
        "/users",
        json!({"username": name, "password": PASSWORD}),
    )
    .await;
    let group = admin_post(
        app,
        &admin,
        "/groups",
        json!({"name": format!("{name}-group"), "description": format!("What {name} holds"),
               "scopes": scopes, "audiences": [ADMIN_AUD]}),
    )
    .await;
    let gid = group["id"].as_str().expect("group id");
    admin_post(
        app,
        &admin,
        &format!("/groups/{gid}/members"),
        json!({"principal": name}),
    )
    .await;
}

/// Opens the console, which sends the browser to the sign-in page; signs in as `name`; waits
/// for the console to show who is signed in.
pub async fn sign_in(browser: &Browser, app: &TestApp, name: &str) {
    browser.goto(&app.url("/console/login")).await;
    browser.fill("username", name).await;
    browser.fill("password", PASSWORD).await;
    browser.click_button("sign-in").await;
    let who = browser.text(".signed-in").await;
    assert!(
        who.contains(name),
        "signed in as {name}, the console shows {who:?}"
    );
}

/// Clicks the button `label` (an id or its text) and waits until a new page has loaded in
/// place of this one (the next page may hold the same elements, e.g. a redirect back).
pub async fn submit(browser: &Browser, label: &str) {
    mark_page(browser).await;
    browser.click_button(label).await;
    wait_new_page(browser, label).await;
}

/// Marks the page shown now, for [`wait_new_page`].
async fn mark_page(browser: &Browser) {
    browser
        .execute("window.castellanOldPage = true", vec![])
        .await
        .expect("mark the page");
}

/// Waits until the marked page has been replaced by a new one, fully loaded.
async fn wait_new_page(browser: &Browser, after: &str) {
    let fresh =
        "return window.castellanOldPage === undefined && document.readyState === 'complete'";
    let deadline = Instant::now() + WAIT;
    while !matches!(browser.execute(fresh, vec![]).await, Ok(Value::Bool(true))) {
        assert!(
            Instant::now() < deadline,
            "{after:?} loaded no new page within {WAIT:?}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The value of a form field (what the person sees in it).
pub async fn value_of(browser: &Browser, css: &str) -> String {
    browser
        .wait_for(css)
        .await
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default()
}

/// Whether the page's HTML contains `needle` anywhere (hidden fields included).
pub async fn source_contains(browser: &Browser, needle: &str) -> bool {
    browser
        .source()
        .await
        .expect("page source")
        .contains(needle)
}

/// A service account created through the console form, for the API audience with scope
/// `read`. Leaves the browser on the page that shows its first secret; returns that secret.
pub async fn create_service_account(
    browser: &Browser,
    app: &TestApp,
    name: &str,
    client_id: &str,
) -> String {
    browser.goto(&app.url("/console/clients")).await;
    browser.wait_for("#create-client").await;
    browser.fill("name", name).await;
    browser.fill("client_id", client_id).await;
    browser
        .fill("description", "Exports invoices every night")
        .await;
    browser.fill("scopes", "read").await;
    browser.fill("audiences", crate::helpers::API).await;
    browser.click_button("Create service account").await;
    let secret = value_of(browser, "#new-secret").await;
    assert_eq!(
        browser.text("h1").await,
        "Service account created",
        "the secret is shown on the page the form answers with"
    );
    assert!(secret.len() >= 32, "a long random secret: {secret:?}");
    secret
}

/// The name of the secret the shown-once page shows (its label reads `client_secret (name)`).
pub async fn shown_secret_name(browser: &Browser) -> String {
    let label = browser.text("label[for=new-secret]").await;
    label
        .trim_start_matches("client_secret (")
        .trim_end_matches(')')
        .to_string()
}

/// The token endpoint's answer to client_credentials with this secret (HTTP Basic).
pub async fn token_for(app: &TestApp, client_id: &str, secret: &str) -> (u16, Value) {
    let res = app
        .token_basic(client_id, secret, &[("grant_type", "client_credentials")])
        .await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or_default())
}

/// An access token for this secret; fails unless the token endpoint gives one.
pub async fn token(app: &TestApp, client_id: &str, secret: &str) -> String {
    let (status, body) = token_for(app, client_id, secret).await;
    assert_eq!(status, 200, "token for {client_id}: {body}");
    body["access_token"].as_str().expect("access_token").into()
}

/// Clicks the submit button inside the table row whose first cell reads `name`; waits for
/// the page it leads to.
pub async fn click_in_row(browser: &Browser, table: &str, name: &str) {
    let xpath = format!(
        "//table[@id='{table}']//tr[td[1][normalize-space(.)='{name}']]//button[@type='submit']"
    );
    let button = browser
        .client
        .wait()
        .for_element(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|e| panic!("no button in the row {name:?} of #{table}: {e}"));
    mark_page(browser).await;
    button.click().await.expect("click");
    wait_new_page(browser, name).await;
}

/// The text of the row of `table` whose first cell reads `name`.
pub async fn row_text(browser: &Browser, table: &str, name: &str) -> String {
    let xpath = format!("//table[@id='{table}']//tr[td[1][normalize-space(.)='{name}']]");
    browser
        .client
        .wait()
        .for_element(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|e| panic!("no row {name:?} in #{table}: {e}"))
        .text()
        .await
        .expect("row text")
}

/// What a fact of a details list (`<dt>label</dt><dd>value</dd>`) says.
pub async fn fact(browser: &Browser, label: &str) -> String {
    let xpath = format!("//dt[normalize-space(.)='{label}']/following-sibling::dd[1]");
    browser
        .client
        .find(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|e| panic!("no fact {label:?}: {e}"))
        .text()
        .await
        .expect("fact text")
}

/// Whether the token is active, asked at the introspection endpoint by `client_id`.
pub async fn active(app: &TestApp, client_id: &str, secret: &str, token: &str) -> bool {
    let res = app
        .http
        .post(app.url("/oauth2/introspect"))
        .header("Authorization", crate::helpers::basic(client_id, secret))
        .form(&[("token", token)])
        .send()
        .await
        .expect("introspect");
    assert_eq!(res.status(), 200, "introspection");
    let body: Value = res.json().await.expect("json");
    body["active"] == true
}
