use super::*;
use crate::console::testing::{check_page, chrome, EVIL};

fn entry(id: &str, name: &str, depth: usize, active: bool) -> OrgEntry {
    OrgEntry {
        id: id.into(),
        slug: format!("{id}-slug"),
        name: name.into(),
        depth,
        active,
        created: "2026-01-01 00:00:00 UTC".into(),
    }
}

#[test]
fn the_tree_indents_children_and_escapes_names() {
    let page = OrgsPage {
        chrome: chrome("orgs"),
        orgs: vec![
            entry("root", "Root", 0, true),
            entry("acme", EVIL, 1, true),
            entry("shop", "Shop", 2, false),
        ],
        draft: OrgDraft {
            slug: EVIL.into(),
            ..OrgDraft::default()
        },
        fb: Feedback::of(Problem::new(
            "create",
            &["slug", "name", "parent_id"],
            DomainError::Invalid(vec!["slug \"X\" must be 1 to 63 characters".into()]),
        )),
        can_write: true,
    };
    let html = page.render().unwrap();
    check_page(&html);
    assert!(html.contains("class=\"tree depth-1\""));
    assert!(html.contains("class=\"tree depth-2\""));
    assert!(html.contains("action=\"/console/orgs/shop/active\""));
    assert!(html.contains("id=\"create-slug-error\""));
    assert!(html.contains("aria-invalid=\"true\""));
    assert!(html.contains("aria-current=\"page\">Organizations"));
}

#[test]
fn without_write_there_is_no_form() {
    let page = OrgsPage {
        chrome: chrome("orgs"),
        orgs: vec![entry("root", EVIL, 0, true)],
        draft: OrgDraft::default(),
        fb: Feedback::default(),
        can_write: false,
    };
    let html = page.render().unwrap();
    check_page(&html);
    assert!(!html.contains("id=\"create-org\""));
}

#[test]
fn children_follow_their_parent() {
    let org = |id: &str, parent: Option<&str>| Org {
        id: id.into(),
        slug: id.into(),
        name: id.into(),
        parent_id: parent.map(str::to_string),
        active: true,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    };
    let all = vec![
        org("root", None),
        org("a", Some("root")),
        org("b", Some("root")),
        org("a1", Some("a")),
        org("b1", Some("b")),
    ];
    let order: Vec<(String, usize)> = arrange(&all).into_iter().map(|e| (e.id, e.depth)).collect();
    let expected = [("root", 0), ("a", 1), ("a1", 2), ("b", 1), ("b1", 2)];
    assert_eq!(order, expected.map(|(i, d)| (i.to_string(), d)).to_vec());
}
