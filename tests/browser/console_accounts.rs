//! CONTRACT ("People: sign-in and the console"): what a person does to a service account in a
//! real browser: rotate with overlap (a second secret, shown once), revoke the first, revoke
//! its tokens, disable it; the admin flag with its warning beside the toggle (no modal); the
//! audit trail filtered by action.

use fantoccini::Locator;

use crate::console_support::{
    active, click_in_row, create_service_account, fact, person, row_text, shown_secret_name,
    sign_in, submit, token, token_for, value_of,
};
use crate::harness::Browser;
use crate::helpers::{spawn_app, Backend};
use crate::on_both_backends;

on_both_backends!(
    a_person_rotates_revokes_and_disables_a_service_account_and_filters_the_audit_trail,
    the_admin_flag_warning_stands_beside_the_toggle_and_setting_the_flag_shows_a_new_secret_once,
);

async fn a_person_rotates_revokes_and_disables_a_service_account_and_filters_the_audit_trail(
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
    let id = "nightly-sync";
    let first = create_service_account(&browser, &app, "Nightly sync", id).await;
    let first_name = shown_secret_name(&browser).await;
    browser.click_button("secret-done").await;
    let account = browser.current_url().await;

    // A second secret, shown once, beside the first: both work (rotation with overlap).
    browser.wait_for("#add-secret").await;
    browser.fill("name", "second").await;
    browser.click_button("Add secret").await;
    let second = value_of(&browser, "#new-secret").await;
    assert_eq!(browser.text("h1").await, "New secret");
    assert_ne!(second, first);
    browser.goto(account.as_str()).await;
    assert!(row_text(&browser, "secrets-table", &first_name)
        .await
        .contains("Active"));
    assert!(row_text(&browser, "secrets-table", "second")
        .await
        .contains("Active"));
    token(&app, id, &first).await;
    token(&app, id, &second).await;

    // Revoking the first: its row says so; it gets no token, the second still does.
    click_in_row(&browser, "secrets-table", &first_name).await;
    let row = row_text(&browser, "secrets-table", &first_name).await;
    assert!(row.contains("Revoked"), "{row}");
    assert!(row_text(&browser, "secrets-table", "second")
        .await
        .contains("Active"));
    let (status, body) = token_for(&app, id, &first).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let older = token(&app, id, &second).await;
    assert!(active(&app, id, &second, &older).await);

    // Revoking its tokens: the older token stops being accepted; its secrets keep working.
    assert_eq!(fact(&browser, "Tokens revoked before").await, "never");
    submit(&browser, "revoke-tokens").await;
    assert_ne!(fact(&browser, "Tokens revoked before").await, "never");
    assert!(!active(&app, id, &second, &older).await);
    let newer = token(&app, id, &second).await;
    assert!(active(&app, id, &second, &newer).await);

    // Disabling: no token any more, with the secret that worked.
    submit(&browser, "toggle-active").await;
    assert!(browser.text(".subtitle").await.contains("Disabled"));
    assert_eq!(
        browser.text("#toggle-active").await,
        "Enable service account"
    );
    let (status, body) = token_for(&app, id, &second).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );

    // The audit trail, filtered by action, shows only the matching rows.
    browser.goto(&app.url("/console/audit")).await;
    let all = actions(&browser).await;
    for action in ["client.created", "secret.created", "secret.revoked"] {
        assert!(all.iter().any(|a| a == action), "{action} in {all:?}");
    }
    browser.fill("action", "secret.revoked").await;
    submit(&browser, "Filter").await;
    assert_eq!(actions(&browser).await, ["secret.revoked"]);
    assert!(browser.text("#audit-events").await.contains(id));
    assert_eq!(value_of(&browser, "#filter-action").await, "secret.revoked");
    let url = browser.current_url().await;
    assert!(
        url.query().unwrap_or("").contains("action=secret.revoked"),
        "{url}"
    );
    browser.fill("action", "org.deleted").await;
    submit(&browser, "Filter").await;
    assert!(browser.exists("#audit-empty").await, "no row matches");
    assert!(!browser.exists("#audit-events").await);
    browser.close().await;
}

/// The action column of every row the audit table shows.
async fn actions(browser: &Browser) -> Vec<String> {
    browser.wait_for("#audit-events").await;
    let cells = browser
        .client
        .find_all(Locator::Css("#audit-events tbody tr td:nth-child(3)"))
        .await
        .unwrap();
    let mut texts = Vec::new();
    for cell in cells {
        texts.push(cell.text().await.unwrap());
    }
    texts
}

async fn the_admin_flag_warning_stands_beside_the_toggle_and_setting_the_flag_shows_a_new_secret_once(
    backend: Backend,
) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    // CONTRACT (settled): a person holding the full `admin` scope may give the admin flag.
    person(&app, "ada", &["admin"]).await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    sign_in(&browser, &app, "ada").await;
    let id = "report-builder";
    let first = create_service_account(&browser, &app, "Report builder", id).await;
    browser.click_button("secret-done").await;

    // Before any click: the warning is shown beside the toggle, and no modal is on the page.
    let toggle = browser.wait_for("#admin-flag").await;
    let warning = browser.wait_for("#admin-flag-warning").await;
    assert!(warning.is_displayed().await.unwrap());
    assert!(!toggle.is_selected().await.unwrap());
    let text = warning.text().await.unwrap();
    assert!(text.contains("admin API"), "{text}");
    assert_eq!(
        toggle.attr("aria-describedby").await.unwrap().as_deref(),
        Some("admin-flag-warning")
    );
    let beside = "const t = document.getElementById('admin-flag').getBoundingClientRect();\
                  const w = document.getElementById('admin-flag-warning').getBoundingClientRect();\
                  return w.top < t.bottom + 80 && t.top < w.bottom + 80 \
                      && w.left < t.right + 700 && w.right > t.left;";
    assert_eq!(
        browser.execute(beside, vec![]).await.unwrap(),
        true,
        "the warning stands next to the toggle"
    );
    assert!(
        !browser
            .exists("dialog, [role=dialog], [role=alertdialog]")
            .await
    );

    // Ticking the box opens nothing: no dialog, no alert; the warning is still there.
    toggle.click().await.unwrap();
    assert!(toggle.is_selected().await.unwrap());
    assert!(browser.get_alert_text().await.is_err(), "no alert");
    assert!(
        !browser
            .exists("dialog, [role=dialog], [role=alertdialog]")
            .await
    );
    assert!(warning.is_displayed().await.unwrap());

    // Saving: a promotion, whose one new secret is shown once; the older one is revoked.
    browser.click_button("save-admin-flag").await;
    let promoted = value_of(&browser, "#new-secret").await;
    assert_eq!(browser.text("h1").await, "Admin flag set: new secret");
    assert_ne!(promoted, first);
    let (status, _) = token_for(&app, id, &first).await;
    assert_eq!(status, 401, "the older secret was revoked");
    token(&app, id, &promoted).await;
    browser.click_button("secret-done").await;
    assert!(browser
        .text(".subtitle")
        .await
        .contains("Admin service account"));
    assert!(browser
        .wait_for("#admin-flag")
        .await
        .is_selected()
        .await
        .unwrap());
    assert!(!browser.exists("#new-secret").await, "shown once");
    browser.refresh().await.unwrap();
    browser.wait_for("#admin-flag").await;
    assert!(!browser.exists("#new-secret").await, "shown once");
    browser.close().await;
}
