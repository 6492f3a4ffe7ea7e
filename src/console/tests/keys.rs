use super::*;
use crate::console::testing::{check_page, chrome};

#[test]
fn the_keys_page_lists_states_and_offers_rotation_to_root() {
    let now = Utc::now();
    let info = |kid: &str, state| KeyInfo {
        kid: kid.into(),
        alg: "EdDSA".into(),
        state,
        created_at: now,
        activates_at: now,
        retired_at: None,
        unpublish_at: None,
    };
    let page = |can_rotate| KeysPage {
        chrome: chrome("keys"),
        keys: vec![
            KeyLine::from(&info("k1", KeyState::Current)),
            KeyLine::from(&info("k2", KeyState::Retiring)),
        ],
        fb: Feedback::default(),
        can_rotate,
    };
    let html = page(true).render().unwrap();
    check_page(&html);
    assert!(html.contains(">Current<") && html.contains(">Retiring<"));
    assert!(html.contains("id=\"rotate-keys\""));
    let html = page(false).render().unwrap();
    check_page(&html);
    assert!(!html.contains("id=\"rotate-keys\""));
}
