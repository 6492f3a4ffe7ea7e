use super::*;
use crate::console::feedback::Problem;
use crate::console::testing::{check_page, chrome, EVIL};

#[test]
fn the_group_page_lists_members_with_a_remove_button_each() {
    let line = GroupLine {
        id: "g1".into(),
        name: EVIL.into(),
        org: EVIL.into(),
        scopes: "deploy:write".into(),
        audiences: String::new(),
    };
    let member = Member {
        kind: "service_account".into(),
        id: "c1".into(),
        principal: EVIL.into(),
        added_at: Utc::now(),
    };
    let fb = Feedback::of(Problem::new(
        "add-member",
        &["principal"],
        DomainError::NotFound("principal"),
    ));
    let html = GroupPage {
        chrome: chrome("groups"),
        group: line,
        description: String::new(),
        members: vec![MemberLine::from(&member)],
        draft: MemberDraft {
            csrf: String::new(),
            principal: EVIL.into(),
        },
        fb,
        can_write: true,
    }
    .render()
    .unwrap();
    check_page(&html);
    assert!(html.contains("action=\"/console/groups/g1/members/c1/remove\""));
    assert!(html.contains("id=\"add-member\""));
    assert!(html.contains("name=\"principal\""));
    assert!(html.contains("no such principal"));
}
