use super::*;
use crate::console::testing::{check_page, chrome, EVIL, EVIL_ESCAPED};

#[test]
fn the_refusal_page_escapes_what_it_shows() {
    let html = RefusedPage {
        chrome: chrome("clients"),
        title: "Not found".into(),
        message: format!("no such client {EVIL}"),
        back: "/console/clients".into(),
    }
    .render()
    .unwrap();
    check_page(&html);
    assert!(html.contains(&format!("no such client {EVIL_ESCAPED}")));
    assert!(html.contains("role=\"alert\""));
}

#[test]
fn a_domain_message_goes_beside_the_field_it_names() {
    let p = Problem::new(
        "create",
        &["name", "scopes"],
        DomainError::Invalid(vec![
            "name must be 1 to 200 characters".into(),
            "scope \"a b\" is not a valid scope token".into(),
            "something else".into(),
        ]),
    );
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fb = Feedback::of(p);
    assert_eq!(fb.field("create", "name").len(), 1);
    assert_eq!(fb.field("create", "scopes").len(), 1);
    assert!(fb.field("other", "name").is_empty());
    assert_eq!(fb.at("create").unwrap().general, vec!["something else"]);
}

#[test]
fn refusals_keep_their_status_and_never_say_what_failed_inside() {
    let status = |e| Problem::new("f", &[], e).status;
    assert_eq!(
        status(DomainError::NotFound("client")),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(DomainError::Conflict("x".into())),
        StatusCode::CONFLICT
    );
    assert_eq!(
        status(DomainError::Forbidden("x".into())),
        StatusCode::FORBIDDEN
    );
    let internal = Problem::new("f", &[], DomainError::Internal("secret detail".into()));
    assert_eq!(internal.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!internal.general.concat().contains("secret detail"));
}

#[test]
fn list_fields_split_on_spaces_and_commas() {
    assert_eq!(
        words(" read, write  deploy:write "),
        vec!["read", "write", "deploy:write"]
    );
    assert_eq!(optional("  "), None);
    let q = ListQuery {
        org: "acme & co".into(),
        offset: "50".into(),
    };
    let pager = q.pager("/console/clients", 50);
    assert_eq!(
        pager.prev.as_deref(),
        Some("/console/clients?org=acme+%26+co&offset=0")
    );
    assert_eq!(
        pager.next.as_deref(),
        Some("/console/clients?org=acme+%26+co&offset=100")
    );
    let bad = ListQuery {
        org: String::new(),
        offset: "-5x".into(),
    };
    assert_eq!(bad.offset(), 0);
}
