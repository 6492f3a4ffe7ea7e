//! CONTRACT ("People: sign-in and the console"): a person signs in to the console in a real
//! browser (a wrong password is refused on the sign-in page itself), signs out, and creates a
//! service account whose secret is shown once, copied exactly by the copy button, and works.

use crate::console_support::{
    create_service_account, person, sign_in, source_contains, submit, token, value_of, PASSWORD,
};
use crate::harness::{assert_accessible, Browser};
use crate::helpers::{spawn_app, Backend, API};
use crate::on_both_backends;

on_both_backends!(
    a_wrong_password_stays_on_the_sign_in_page_the_right_one_opens_the_console_and_sign_out_ends_it,
    a_new_service_account_secret_is_shown_once_copied_exactly_and_works_at_the_token_endpoint,
);

async fn a_wrong_password_stays_on_the_sign_in_page_the_right_one_opens_the_console_and_sign_out_ends_it(
    backend: Backend,
) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    person(&app, "ada", &["admin"]).await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    // A console page without a session leads to the sign-in page.
    browser.goto(&app.url("/console/clients")).await;
    browser.wait_for("#sign-in").await;
    assert_eq!(browser.current_url().await.path(), "/oauth2/authorize");

    // A wrong password: refused on the sign-in page itself, which says so.
    browser.fill("username", "ada").await;
    browser.fill("password", "not the password").await;
    submit(&browser, "sign-in").await;
    let refused = browser.text("#signin-error").await;
    assert!(!refused.is_empty(), "the refusal says something");
    assert_eq!(browser.current_url().await.path(), "/oauth2/authorize");
    assert!(browser.exists("input[type=password]").await);
    assert!(!browser.exists(".signed-in").await, "not signed in");
    assert_accessible(&browser, "the sign-in page with its error").await;
    // CONTRACT: one answer for an unknown user and a wrong password.
    browser.fill("username", "nobody-here").await;
    browser.fill("password", PASSWORD).await;
    submit(&browser, "sign-in").await;
    assert_eq!(browser.text("#signin-error").await, refused);
    assert!(!browser.exists(".signed-in").await);

    // The right password: the console, saying who is signed in.
    browser.fill("username", "ada").await;
    browser.fill("password", PASSWORD).await;
    browser.click_button("sign-in").await;
    let who = browser.text(".signed-in").await;
    assert_eq!(who, "Signed in as ada");
    assert!(browser.current_url().await.path().starts_with("/console"));
    assert!(!browser.exists("#signin-error").await);
    // The session holds: another console page opens without signing in again.
    browser.goto(&app.url("/console/audit")).await;
    assert_eq!(browser.text("h1").await, "Audit trail");

    // Sign-out ends the session: a console page leads to the sign-in page again.
    submit(&browser, "sign-out").await;
    assert_eq!(browser.text("h1").await, "Signed out");
    browser.goto(&app.url("/console/audit")).await;
    browser.wait_for("#sign-in").await;
    assert_eq!(browser.current_url().await.path(), "/oauth2/authorize");
    assert!(!browser.exists(".signed-in").await);
    browser.close().await;
}

async fn a_new_service_account_secret_is_shown_once_copied_exactly_and_works_at_the_token_endpoint(
    backend: Backend,
) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    person(&app, "ada", &["admin"]).await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    sign_in(&browser, &app, "ada").await;
    let secret = create_service_account(&browser, &app, "Billing export", "billing-export").await;
    let field = browser.wait_for("#new-secret").await;
    assert!(
        field.attr("readonly").await.unwrap().is_some(),
        "the secret is shown in a read-only field"
    );
    assert_eq!(
        browser.text("#new-secret-client-id").await,
        "billing-export"
    );

    // The copy button (revealed by the script) puts exactly the secret on the clipboard.
    let copy = browser.wait_for("#copy-secret").await;
    assert!(copy.is_displayed().await.unwrap(), "the script shows it");
    browser.grant("clipboard-write").await;
    copy.click().await.unwrap();
    browser.wait_for_text("#copy-status", "Copied").await;
    assert_eq!(browser.clipboard_text().await, secret);

    // The secret works at the token endpoint, for the audience the form gave it.
    let access = token(&app, "billing-export", &secret).await;
    let claims = app.verify(&access, API).await.expect("a valid token");
    assert_eq!(claims.sub, "billing-export");

    // The account's page, reached from the shown-once page, never shows it again.
    browser.click_button("secret-done").await;
    assert_eq!(browser.text("h1").await, "Billing export");
    let account = browser.current_url().await;
    assert!(account.path().starts_with("/console/clients/"), "{account}");
    for visit in ["followed", "reloaded", "revisited"] {
        match visit {
            "reloaded" => browser.refresh().await.unwrap(),
            "revisited" => browser.goto(account.as_str()).await,
            _ => {}
        }
        browser.wait_for("#secrets-table").await;
        assert!(!browser.exists("#new-secret").await, "{visit}");
        assert!(!source_contains(&browser, &secret).await, "{visit}");
        assert_eq!(value_of(&browser, "#add-secret-name").await, "", "{visit}");
    }
    // Nor does the list, nor going back in history to the page that showed it (no-store).
    browser.goto(&app.url("/console/clients")).await;
    browser.wait_for("#clients").await;
    assert!(!source_contains(&browser, &secret).await);
    for step in 1..=3 {
        browser.back().await.unwrap();
        assert!(
            !source_contains(&browser, &secret).await,
            "{step} step(s) back, at {}",
            browser.current_url().await
        );
    }
    browser.close().await;
}
