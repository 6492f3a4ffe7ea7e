//! The browser harness itself: chromium opens a running Castellan's sign-in page and saves a
//! screenshot; the helpers drive a form; the accessibility check tells a bad page from a good
//! one under a strict Content-Security-Policy like the console's.

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpResponse, HttpServer};

use crate::harness::{assert_accessible, axe_violations, serious_violations, Browser, WINDOW};
use crate::helpers::{spawn_app, Backend};
use crate::on_both_backends;

on_both_backends!(a_real_browser_opens_the_console_sign_in_page_and_saves_a_png_screenshot);

async fn a_real_browser_opens_the_console_sign_in_page_and_saves_a_png_screenshot(
    backend: Backend,
) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let Some(browser) = Browser::start().await else {
        return;
    };
    // /console/login sends the browser through /oauth2/authorize to the sign-in form; what the
    // form does is the console tests' business.
    browser.goto(&app.url("/console/login")).await;
    browser.wait_for("form input[type=password]").await;
    assert_eq!(browser.current_url().await.path(), "/oauth2/authorize");
    assert_accessible(&browser, "the sign-in page").await;

    let shot = app.dir.path().join("shots/sign-in.png");
    browser.screenshot(&shot).await;
    let png = std::fs::read(&shot).expect("screenshot written");
    assert_eq!(png_size(&png), WINDOW);
    browser.close().await;
}

/// Width and height from a PNG's IHDR.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let be = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

/// What the console will send: no inline script or style, nothing from elsewhere.
const STRICT_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                          img-src 'self' data:; connect-src 'self'; form-action 'self'; \
                          frame-ancestors 'none'; base-uri 'none'";
const DOT: &str = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///ywAAAAAAQABAAACAUwAOw==";

fn page(title: &str, body: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Content-Security-Policy", STRICT_CSP))
        .body(format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <title>{title}</title></head><body><main><h1>{title}</h1>{body}</main></body></html>"
        ))
}

/// A secret and a copy button, as the console shows a new secret (script from 'self' only).
const COPY_PAGE: &str = "<label>Secret <input id=\"secret\" value=\"s3cr3t-0\" readonly></label>\
                         <button type=\"button\" id=\"copy\">Copy</button>\
                         <p id=\"copied\" hidden>Copied</p><script src=\"/copy.js\"></script>";
const COPY_JS: &str = "document.getElementById('copy').addEventListener('click', () => \
    navigator.clipboard.writeText(document.getElementById('secret').value)\
    .then(() => { document.getElementById('copied').hidden = false; }, (e) => { const c = document.getElementById('copied'); c.hidden = false; c.textContent = 'Error ' + e; }));";

/// A form, a button that does nothing, and a list long enough to scroll, then a link.
fn form_page() -> HttpResponse {
    let rows: String = (1..=80).map(|i| format!("<li>Row {i}</li>")).collect();
    page(
        "Form",
        &format!(
            "<form method=\"get\" action=\"/hello\"><label>Name \
             <input name=\"who\" value=\"someone\"></label>\
             <button type=\"submit\">Say hello</button></form>\
             <button type=\"button\" id=\"inert\">Nothing</button>\
             <ol>{rows}</ol><a href=\"/good\">The good page</a>"
        ),
    )
}

/// A throwaway server with a good page, a bad page and a form; returns its base URL.
async fn serve_pages() -> (String, ServerHandle) {
    let server = HttpServer::new(|| {
        App::new()
            .route(
                "/good",
                web::get()
                    .to(|| async { page("Good", &format!("<img src=\"{DOT}\" alt=\"A dot\">")) }),
            )
            .route(
                "/bad",
                web::get().to(|| async { page("Bad", &format!("<img src=\"{DOT}\">")) }),
            )
            .route("/form", web::get().to(|| async { form_page() }))
            .route("/copy", web::get().to(|| async { page("Copy", COPY_PAGE) }))
            .route(
                "/copy.js",
                web::get().to(|| async {
                    HttpResponse::Ok()
                        .content_type("text/javascript")
                        .body(COPY_JS)
                }),
            )
            .route(
                "/hello",
                web::get().to(
                    |q: web::Query<std::collections::HashMap<String, String>>| async move {
                        let who: String = q.get("who").cloned().unwrap_or_default();
                        let who = who.replace('&', "&amp;").replace('<', "&lt;");
                        page("Hello", &format!("<p id=\"greeting\">Hello, {who}!</p>"))
                    },
                ),
            )
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .expect("bind");
    let base = format!("http://127.0.0.1:{}", server.addrs()[0].port());
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    (base, handle)
}

#[actix_web::test]
async fn the_helpers_fill_click_follow_read_screenshot_and_read_the_clipboard() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let (base, server) = serve_pages().await;
    browser.goto(&format!("{base}/form")).await;
    assert_eq!(browser.text("h1").await, "Form");
    let dir = tempfile::tempdir().unwrap();
    browser
        .screenshot_full_page(dir.path().join("form.png"))
        .await;
    let (width, height) = png_size(&std::fs::read(dir.path().join("form.png")).unwrap());
    assert!(width == WINDOW.0 && height > WINDOW.1, "{width}x{height}");
    browser.click_link("The good page").await;
    assert_eq!(browser.text("h1").await, "Good");
    browser.client.back().await.unwrap();
    browser.screenshot(dir.path().join("after.png")).await;
    assert_eq!(
        png_size(&std::fs::read(dir.path().join("after.png")).unwrap()),
        WINDOW
    );
    assert!(browser.exists("#inert").await);
    browser.click_button("inert").await; // by id: a button that does nothing
    browser.fill("who", "Ada \"O'Neil\"").await; // replaces the value it held
    browser.click_button("Say hello").await; // by text
    let text = browser.wait_for_text("#greeting", "Hello").await;
    assert_eq!(text, "Hello, Ada \"O'Neil\"!");
    assert_eq!(browser.current_url().await.path(), "/hello");
    assert!(!browser.exists("form").await);

    browser.goto(&format!("{base}/copy")).await;
    browser.click_button("Copy").await;
    browser.wait_for_text("#copied", "Copied").await;
    assert_eq!(browser.clipboard_text().await, "s3cr3t-0");
    browser.close().await;
    server.stop(false).await;
}

#[actix_web::test]
async fn the_accessibility_check_fails_an_image_without_alt_and_passes_a_good_page() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let (base, server) = serve_pages().await;

    browser.goto(&format!("{base}/good")).await;
    let Some(good) = axe_violations(&browser).await else {
        return; // axe-core could not be had (SKIPPED outside CI)
    };
    assert!(serious_violations(&good).is_empty(), "good page: {good:#?}");
    assert_accessible(&browser, "the good page").await;

    browser.goto(&format!("{base}/bad")).await;
    let bad = axe_violations(&browser).await.expect("axe ran before");
    let image_alt = bad.iter().find(|v| v.id == "image-alt").expect("image-alt");
    assert_eq!(image_alt.impact.as_deref(), Some("critical"));
    assert_eq!(image_alt.nodes.len(), 1);
    assert_eq!(image_alt.nodes[0].target, "img");
    // assert_accessible fails, naming the page and the rule.
    let client = browser.client.clone();
    let failed =
        actix_web::rt::spawn(async move { assert_accessible(&client, "the bad page").await })
            .await
            .expect_err("assert_accessible must fail on the bad page");
    let message = failed.into_panic();
    let message = message.downcast_ref::<String>().expect("a panic message");
    assert!(message.contains("the bad page"), "{message}");
    assert!(message.contains("[critical] image-alt"), "{message}");
    assert!(message.contains("<img src="), "{message}");
    browser.close().await;
    server.stop(false).await;
}
