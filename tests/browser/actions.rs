//! What a test does in the browser: go to a page, wait for an element, read it, fill a field,
//! click a button or a link, read the clipboard, take a screenshot. Each helper panics with a
//! message that says what it was looking for.

use std::path::Path;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::Locator;
use serde_json::json;

use crate::harness::{Browser, WAIT, WINDOW};

impl Browser {
    /// Opens a URL and waits for the page to load.
    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("goto {url}: {e}"));
    }

    /// The URL the browser is on now.
    pub async fn current_url(&self) -> url::Url {
        self.client.current_url().await.expect("current url")
    }

    /// The first element matching a CSS selector, waiting up to [`WAIT`] for it.
    pub async fn wait_for(&self, css: &str) -> Element {
        self.wait_for_within(css, WAIT).await
    }

    /// The first element matching a CSS selector, waiting up to `timeout` for it.
    pub async fn wait_for_within(&self, css: &str, timeout: Duration) -> Element {
        self.client
            .wait()
            .at_most(timeout)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element `{css}` within {timeout:?}: {e}"))
    }

    /// Whether an element matches the CSS selector now (no waiting).
    pub async fn exists(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .expect("find")
            .is_empty()
    }

    /// The visible text of the first element matching a CSS selector (waits for it).
    pub async fn text(&self, css: &str) -> String {
        self.wait_for(css).await.text().await.expect("element text")
    }

    /// Waits until the element matching `css` shows text containing `needle`; returns the text.
    pub async fn wait_for_text(&self, css: &str, needle: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let text = match self.client.find(Locator::Css(css)).await {
                Ok(element) => element.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if text.contains(needle) {
                return text;
            }
            if Instant::now() > deadline {
                panic!("`{css}` did not show {needle:?} within {WAIT:?} (shows {text:?})");
            }
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Types into the form field named `name` (input, textarea), replacing what it held.
    pub async fn fill(&self, name: &str, value: &str) {
        let field = self.wait_for(&format!("[name={}]", css_string(name))).await;
        field.clear().await.expect("clear field");
        field.send_keys(value).await.expect("type into field");
    }

    /// Clicks the element with id `label`, else the button (`<button>`, `<input type=submit>`,
    /// `role=button`) whose text is `label`; waits for it to appear.
    pub async fn click_button(&self, label: &str) {
        let l = xpath_string(label);
        let xpath = format!(
            "//*[@id={l}] | //button[normalize-space(.)={l}] \
             | //input[(@type='submit' or @type='button' or @type='reset') and @value={l}] \
             | //*[@role='button' and normalize-space(.)={l}]"
        );
        self.click_xpath(&xpath, label).await;
    }

    /// Clicks the link whose text is `text`.
    pub async fn click_link(&self, text: &str) {
        let xpath = format!("//a[normalize-space(.)={}]", xpath_string(text));
        self.click_xpath(&xpath, text).await;
    }

    async fn click_xpath(&self, xpath: &str, what: &str) {
        let element = self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::XPath(xpath))
            .await
            .unwrap_or_else(|e| panic!("nothing to click called {what:?} within {WAIT:?}: {e}"));
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {what:?}: {e}"));
    }

    /// Grants the page a permission (`clipboard-read`, `clipboard-write`, `notifications`...)
    /// through chromedriver's WebDriver permissions extension.
    pub async fn grant(&self, permission: &str) {
        let session = self.client.session_id().await.expect("session id");
        let session = session.expect("a session");
        let res = reqwest::Client::new()
            .post(format!(
                "{}/session/{session}/permissions",
                self.driver_url()
            ))
            .json(&json!({"descriptor": {"name": permission}, "state": "granted"}))
            .send()
            .await
            .expect("set permission");
        assert!(
            res.status().is_success(),
            "grant {permission}: {:?}",
            res.text().await
        );
    }

    /// What the page put on the clipboard (e.g. with a copy button), read as the page would.
    pub async fn clipboard_text(&self) -> String {
        self.grant("clipboard-read").await;
        let read = "const done = arguments[arguments.length - 1];\
                    navigator.clipboard.readText().then((t) => done({ ok: t }), \
                    (e) => done({ error: String(e) }));";
        let answer = self.client.execute_async(read, vec![]).await.expect("read");
        match answer["ok"].as_str() {
            Some(text) => text.to_string(),
            None => panic!("the clipboard could not be read: {answer}"),
        }
    }

    /// Saves what the window shows as a PNG (parent directories created).
    pub async fn screenshot(&self, path: impl AsRef<Path>) {
        let path = path.as_ref();
        let png = self.client.screenshot().await.expect("screenshot");
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n"),
            "screenshot is not a PNG"
        );
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("screenshot directory");
        }
        std::fs::write(path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }

    /// Saves the whole page (not only the viewport) as a PNG: the viewport is grown to the
    /// page's height for the shot, then put back.
    pub async fn screenshot_full_page(&self, path: impl AsRef<Path>) {
        let height = self
            .client
            .execute("return document.documentElement.scrollHeight", vec![])
            .await
            .expect("page height")
            .as_u64()
            .unwrap_or(u64::from(WINDOW.1));
        let height = u32::try_from(height).unwrap_or(WINDOW.1).max(WINDOW.1);
        self.set_viewport(WINDOW.0, height).await;
        self.screenshot(path).await;
        self.set_viewport(WINDOW.0, WINDOW.1).await;
    }
}

/// A CSS string literal.
fn css_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// An XPath 1.0 string literal for any text (XPath has no escapes: quotes go through concat).
fn xpath_string(s: &str) -> String {
    if !s.contains('\'') {
        format!("'{s}'")
    } else if !s.contains('"') {
        format!("\"{s}\"")
    } else {
        let parts: Vec<String> = s.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}
