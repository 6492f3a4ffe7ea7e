//! What the console's template tests share: sample data with hostile text in it, and the
//! checks every page must pass (escaping, no inline script or style, one `<h1>`, labels tied
//! to their controls, unique ids).

use super::page::Chrome;

/// Hostile text: must appear escaped, never as markup.
pub const EVIL: &str = "<script>alert(1)</script>";

/// `EVIL` as the templates must write it.
pub const EVIL_ESCAPED: &str = "&#60;script&#62;alert(1)&#60;/script&#62;";

/// The frame of a page in `section`, for a person with a hostile name.
pub fn chrome(section: &'static str) -> Chrome {
    Chrome {
        username: EVIL.into(),
        csrf: "csrf-token-1".into(),
        section,
    }
}

/// The `id="…"` values of a page.
fn ids(html: &str) -> Vec<&str> {
    html.split(" id=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .collect()
}

/// The opening tags named `name` (`<input …>`), as written.
fn tags<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    html.split(&format!("<{name}"))
        .skip(1)
        .filter(|s| s.starts_with([' ', '>', '\n']))
        .filter_map(|s| s.split('>').next())
        .collect()
}

/// Whether an attribute like ` onclick="` appears.
fn has_handler(html: &str) -> bool {
    html.split(" on").skip(1).any(|rest| {
        let name: String = rest.chars().take_while(char::is_ascii_lowercase).collect();
        !name.is_empty() && rest[name.len()..].starts_with("=")
    })
}

/// The checks every page must pass: hostile text escaped, no inline script or style, the
/// layout's landmarks, one `<h1>`, every visible control labelled, ids unique, every form
/// that posts carries the CSRF token.
pub fn check_page(html: &str) {
    assert!(!html.contains(EVIL), "unescaped hostile text in:\n{html}");
    assert!(
        html.contains(EVIL_ESCAPED),
        "hostile text not shown escaped"
    );
    assert!(html.contains("<html lang=\"en\">"));
    assert_eq!(html.matches("<h1").count(), 1, "one <h1> per page");
    assert_eq!(html.matches("<main").count(), 1, "one <main> per page");
    assert!(!html.contains("<style"), "no inline style element");
    assert!(!html.contains(" style="), "no style attribute");
    assert!(!has_handler(html), "no inline event handler");
    for script in tags(html, "script") {
        assert!(
            script.contains(" src=\"/console/static/"),
            "inline script: {script}"
        );
    }
    let all = ids(html);
    for id in &all {
        assert_eq!(
            all.iter().filter(|i| *i == id).count(),
            1,
            "duplicate id {id}"
        );
    }
    for control in tags(html, "input").into_iter().chain(tags(html, "select")) {
        if control.contains("type=\"hidden\"") {
            continue;
        }
        let id = control
            .split("id=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or_else(|| panic!("control without id: {control}"));
        assert!(
            html.contains(&format!("<label for=\"{id}\"")),
            "control {id} has no label"
        );
    }
    let posts = html.matches("method=\"post\"").count();
    assert_eq!(
        html.matches("name=\"csrf\" value=\"csrf-token-1\"").count(),
        posts,
        "every form that posts carries the CSRF token"
    );
    assert!(html.contains("id=\"sign-out\""));
}
