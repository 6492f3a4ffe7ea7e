use super::*;
use crate::console::testing::{check_page, chrome, EVIL};

#[test]
fn the_group_list_escapes_and_offers_the_create_form() {
    let now = Utc::now();
    let group = Group {
        id: "g1".into(),
        org_id: "org-1".into(),
        name: EVIL.into(),
        description: EVIL.into(),
        scopes: vec!["deploy:write".into()],
        audiences: vec!["https://api.example.com".into()],
        created_at: now,
        updated_at: now,
    };
    let html = GroupsPage {
        chrome: chrome("groups"),
        groups: vec![GroupLine::new(&group, &[])],
        orgs: Vec::new(),
        filter_org: String::new(),
        pager: Pager::default(),
        draft: GroupDraft::default(),
        fb: Feedback::default(),
        can_write: true,
    }
    .render()
    .unwrap();
    check_page(&html);
    assert!(html.contains("href=\"/console/groups/g1\""));
    assert!(html.contains("id=\"create-group\""));
    // Without the organizations to offer, the form asks for a slug or id.
    assert!(html.contains("<input type=\"text\" id=\"create-org_id\" name=\"org_id\""));
}
