//! CONTRACT ("The console"): what a person does to a service account through the console
//! pages (rotate with overlap, revoke, disable, the admin flag, the audit filter), and every
//! refusal said beside the form it concerns, never a 500 for a person's mistake.

use crate::console_pages::{detail_link, signed_in, value_of};
use crate::helpers::{spawn_app, Backend, API};
use crate::on_both_backends;
use crate::people_support::Page;

on_both_backends!(
    a_refused_console_form_says_why_beside_the_field_never_a_500,
    a_person_rotates_revokes_and_disables_through_the_console,
);

async fn a_refused_console_form_says_why_beside_the_field_never_a_500(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (mut b, csrf) = signed_in(&app, "erin").await;
    let url = app.url("/console/clients");
    let blank = b.post(&url, &[("csrf", &csrf), ("name", "")]).await;
    assert_eq!(blank.status, 422, "{}", blank.body);
    assert!(
        blank.body.contains("id=\"create-name-error\""),
        "{}",
        blank.body
    );
    let first = b
        .post(
            &url,
            &[("csrf", &csrf), ("name", "A"), ("client_id", "svc-dup")],
        )
        .await;
    assert_eq!(first.status, 201);
    let again = b
        .post(
            &url,
            &[("csrf", &csrf), ("name", "B"), ("client_id", "svc-dup")],
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(again.body.contains("id=\"create-errors\""));
    assert!(
        again.body.contains("value=\"svc-dup\""),
        "what was typed stays"
    );
    // An organization outside the person's reach: 404, said beside the form.
    let far = b
        .post(
            &url,
            &[("csrf", &csrf), ("name", "C"), ("org_id", "nowhere")],
        )
        .await;
    assert_eq!(far.status, 404, "{}", far.body);
    // CONTRACT (settled): only an admin, a service account flagged so or a person holding the
    // full `admin` scope, gives the admin flag; a narrower person is refused beside the toggle.
    let id = detail_link(&Page {
        status: 201,
        location: None,
        body: first.body,
    });
    crate::people_support::setup(&app, "nina", &["admin:clients:read", "admin:clients:write"])
        .await;
    let mut narrow = crate::console_signin::console_browser(&app, "nina").await;
    let page = narrow.get(&app.url(&id)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let narrow_csrf = page.hidden("csrf").unwrap();
    let flag = narrow
        .post(
            &app.url(&format!("{id}/admin-flag")),
            &[("csrf", &narrow_csrf), ("is_admin_service_account", "true")],
        )
        .await;
    assert_eq!(flag.status, 403, "{}", flag.body);
    assert!(flag.body.contains("id=\"admin-flag-errors\""));
    assert!(flag.body.contains("id=\"admin-flag-warning\""));
    // The full admin may: setting the flag is a promotion, whose new secret is shown once.
    let flag = b
        .post(
            &app.url(&format!("{id}/admin-flag")),
            &[("csrf", &csrf), ("is_admin_service_account", "true")],
        )
        .await;
    assert!(
        flag.status == 200 || flag.status == 201,
        "{} {}",
        flag.status,
        flag.body
    );
    assert!(flag.body.contains("id=\"new-secret\""), "{}", flag.body);
    let missing = b.get(&app.url("/console/clients/no-such-client")).await;
    assert_eq!(missing.status, 404);
}

async fn a_person_rotates_revokes_and_disables_through_the_console(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (mut b, csrf) = signed_in(&app, "erin").await;
    let form = [
        ("csrf", csrf.as_str()),
        ("name", "Rotating"),
        ("client_id", "svc-rotate"),
        ("scopes", "read"),
        ("audiences", API),
    ];
    let created = b.post(&app.url("/console/clients"), &form).await;
    let (first, id) = (value_of(&created, "new-secret"), detail_link(&created));
    let second = b
        .post(
            &app.url(&format!("{id}/secrets")),
            &[
                ("csrf", &csrf),
                ("name", "second"),
                ("expires_at", "2099-01-01T00:00"),
            ],
        )
        .await;
    assert_eq!(second.status, 201, "{}", second.body);
    let second = value_of(&second, "new-secret");
    // Overlap: both secrets work until the first is revoked.
    app.access_token("svc-rotate", &first, &[]).await;
    app.access_token("svc-rotate", &second, &[]).await;
    let detail = b.get(&app.url(&id)).await;
    let marker = "/revoke\" class=\"inline\"";
    let end = detail.body.find(marker).expect("a revoke button");
    let start = detail.body[..end].rfind("action=\"").unwrap() + "action=\"".len();
    let revoke = format!("{}/revoke", &detail.body[start..end]);
    let done = b.post(&app.url(&revoke), &[("csrf", &csrf)]).await;
    assert_eq!(
        (done.status, done.location.as_deref()),
        (303, Some(id.as_str()))
    );
    let res = app.token_basic(
        "svc-rotate",
        &first,
        &[("grant_type", "client_credentials")],
    );
    assert_eq!(res.await.status(), 401, "the revoked secret is refused");
    app.access_token("svc-rotate", &second, &[]).await;
    let off = b
        .post(
            &app.url(&format!("{id}/active")),
            &[("csrf", &csrf), ("active", "false")],
        )
        .await;
    assert_eq!(off.status, 303);
    let res = app.token_basic(
        "svc-rotate",
        &second,
        &[("grant_type", "client_credentials")],
    );
    assert_eq!(res.await.status(), 401, "a disabled account gets no token");
    let audit = b
        .get(&app.url("/console/audit?action=client.created&target=svc-rotate"))
        .await;
    assert_eq!(audit.status, 200);
    assert!(
        audit.body.contains("<code>client.created</code>"),
        "{}",
        audit.body
    );
    assert!(audit.body.contains("<code>svc-rotate</code>"));
    let none = b
        .get(&app.url("/console/audit?action=no.such.action"))
        .await;
    assert!(none.body.contains("id=\"audit-empty\""));
}
