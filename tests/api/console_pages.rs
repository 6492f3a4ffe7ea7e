//! CONTRACT ("The console"): pages served by the binary under a strict Content-Security-Policy
//! (no inline script, nothing from elsewhere), every form guarded by the session's CSRF
//! token, a new secret shown once, refusals said beside the form, never a 500 for a person's
//! mistake. (The browser tests drive the same pages in chromium.)

use reqwest::redirect::Policy;

use crate::console_signin::console_browser;
use crate::helpers::{spawn_app, Backend, TestApp, API};
use crate::on_both_backends;
use crate::people_support::{setup, Browser, Page};

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

on_both_backends!(
    console_static_files_carry_the_security_headers_and_a_long_cache,
    console_pages_without_a_session_send_the_person_to_sign_in,
    a_person_creates_a_service_account_and_sees_its_secret_once,
    a_console_form_without_the_session_csrf_token_changes_nothing,
);

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// The headers every console answer carries.
fn assert_security_headers(res: &reqwest::Response) {
    let h = |name: &str| {
        res.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };
    assert_eq!(h("content-security-policy").as_deref(), Some(CSP));
    assert_eq!(h("x-frame-options").as_deref(), Some("DENY"));
    assert_eq!(h("referrer-policy").as_deref(), Some("no-referrer"));
    assert_eq!(h("x-content-type-options").as_deref(), Some("nosniff"));
}

/// The same request as `b` would send, with its cookies, to read the headers.
async fn raw(
    app: &TestApp,
    b: &Browser,
    path: &str,
    form: Option<&[(&str, &str)]>,
) -> reqwest::Response {
    let cookie = b
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let req = match form {
        Some(f) => no_redirects().post(app.url(path)).form(f),
        None => no_redirects().get(app.url(path)),
    };
    req.header("cookie", cookie).send().await.unwrap()
}

/// The value of the element with `id` (an input's `value`).
pub fn value_of(page: &Page, id: &str) -> String {
    let marker = format!("id=\"{id}\"");
    let at = page
        .body
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id} in {}", page.body));
    let rest = &page.body[at..];
    let start = rest.find("value=\"").unwrap() + "value=\"".len();
    rest[start..start + rest[start..].find('"').unwrap()].to_string()
}

/// The service account page a shown-once page links to.
pub fn detail_link(page: &Page) -> String {
    let end = page.body.find("\" id=\"secret-done\"").unwrap();
    let start = page.body[..end].rfind("href=\"").unwrap() + "href=\"".len();
    page.body[start..end].to_string()
}

/// A person holding the full `admin` scope (so it may give any scope), signed in.
pub async fn signed_in(app: &TestApp, name: &str) -> (Browser, String) {
    setup(app, name, &["admin"]).await;
    let mut b = console_browser(app, name).await;
    let page = b.get(&app.url("/console/clients")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page
        .hidden("csrf")
        .expect("every page carries the CSRF token");
    (b, csrf)
}

async fn console_static_files_carry_the_security_headers_and_a_long_cache(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    for (path, kind) in [
        ("/console/static/console.css", "text/css"),
        ("/console/static/console.js", "text/javascript"),
    ] {
        let res = no_redirects().get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_security_headers(&res);
        let ct = res.headers()["content-type"].to_str().unwrap();
        assert!(ct.starts_with(kind), "{path}: {ct}");
        let cc = res.headers()["cache-control"].to_str().unwrap();
        assert!(cc.contains("max-age=31536000"), "{path}: {cc}");
    }
    let missing = no_redirects()
        .get(app.url("/console/static/other.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_security_headers(&missing);
}

async fn console_pages_without_a_session_send_the_person_to_sign_in(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let res = no_redirects()
        .get(app.url("/console/clients"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/console/login");
    assert_security_headers(&res);
    // A form sent without a session changes nothing either.
    let post = no_redirects()
        .post(app.url("/console/clients"))
        .form(&[("name", "x"), ("csrf", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 303);
    assert_eq!(post.headers()["location"], "/console/login");
}

async fn a_person_creates_a_service_account_and_sees_its_secret_once(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (b, csrf) = signed_in(&app, "erin").await;
    let list = raw(&app, &b, "/console/clients", None).await;
    assert_security_headers(&list);
    assert_eq!(list.headers()["cache-control"], "no-store");
    let form = [
        ("csrf", csrf.as_str()),
        ("name", "<script>alert(1)</script>"),
        ("client_id", "svc-console"),
        ("scopes", "read write"),
        ("audiences", API),
    ];
    let res = raw(&app, &b, "/console/clients", Some(&form)).await;
    assert_eq!(res.status(), 201);
    assert_security_headers(&res);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let shown = Page {
        status: 201,
        location: None,
        body: res.text().await.unwrap(),
    };
    assert!(!shown.body.contains("<script>alert"), "names are escaped");
    assert!(shown.body.contains("id=\"copy-secret\""));
    let secret = value_of(&shown, "new-secret");
    // The secret shown is the account's: it gets a token with it.
    app.access_token("svc-console", &secret, &[("scope", "read")])
        .await;
    // Shown once: the account's page never shows it again.
    let mut b = b;
    let detail = b.get(&app.url(&detail_link(&shown))).await;
    assert_eq!(detail.status, 200, "{}", detail.body);
    assert!(detail.body.contains("svc-console"));
    assert!(
        !detail.body.contains(&secret),
        "the secret is shown only once"
    );
}

async fn a_console_form_without_the_session_csrf_token_changes_nothing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (mut b, _) = signed_in(&app, "erin").await;
    for csrf in ["", "not-the-token"] {
        let page = b
            .post(
                &app.url("/console/clients"),
                &[
                    ("csrf", csrf),
                    ("name", "forged"),
                    ("client_id", "svc-forged"),
                ],
            )
            .await;
        assert_eq!(page.status, 403, "{}", page.body);
    }
    let list = b.get(&app.url("/console/clients")).await;
    assert!(!list.body.contains("svc-forged"), "nothing was created");
}
