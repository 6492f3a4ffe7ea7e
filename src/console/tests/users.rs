use super::*;
use crate::console::testing::{check_page, chrome, EVIL};
use crate::domain::DomainError;

#[test]
fn the_user_list_escapes_and_never_shows_a_password_again() {
    let now = Utc::now();
    let user = User {
        id: "u1".into(),
        username: "alice".into(),
        display_name: EVIL.into(),
        email: None,
        active: false,
        has_password: true,
        created_at: now,
        updated_at: now,
        org_id: "org-1".into(),
    };
    let fb = Feedback::of(Problem::new(
        "create",
        FIELDS,
        DomainError::Invalid(vec!["password must be 12 to 1024 characters".into()]),
    ));
    let html = UsersPage {
        chrome: chrome("users"),
        users: vec![UserLine::new(&user, &[])],
        orgs: Vec::new(),
        filter_org: String::new(),
        pager: Pager::default(),
        // What a refused create shows again: the password is cleared before rendering.
        draft: UserDraft {
            username: EVIL.into(),
            ..UserDraft::default()
        },
        fb,
        can_write: true,
    }
    .render()
    .unwrap();
    check_page(&html);
    assert!(html.contains("action=\"/console/users/u1/active\""));
    assert!(html.contains(">Enable<"));
    assert!(html.contains("id=\"create-password-error\""));
    assert!(html.contains("type=\"password\" id=\"create-password\" name=\"password\" value=\"\""));
}
