use super::*;
use crate::console::testing::{check_page, chrome, EVIL};
use crate::domain::DomainError;

fn page(clients: Vec<ClientLine>, fb: Feedback, draft: ClientDraft) -> ClientsPage {
    ClientsPage {
        chrome: chrome("clients"),
        clients,
        orgs: vec![OrgOption {
            id: "org-1".into(),
            label: EVIL.into(),
        }],
        filter_org: String::new(),
        pager: Pager {
            prev: None,
            next: Some("/console/clients?offset=50".into()),
        },
        draft,
        fb,
        can_write: true,
    }
}

#[test]
fn the_list_escapes_names_and_links_each_account() {
    let client = Client::service_account("svc-1", EVIL, Utc::now());
    let line = ClientLine::new(&client, &[]);
    let html = page(vec![line], Feedback::default(), ClientDraft::default())
        .render()
        .unwrap();
    check_page(&html);
    assert!(html.contains(&format!("href=\"/console/clients/{}\"", client.id)));
    assert!(html.contains("id=\"create-client\""));
    assert!(html.contains("name=\"client_id\""));
    assert!(html.contains("name=\"scopes\""));
    assert!(html.contains("name=\"audiences\""));
    assert!(html.contains("name=\"org_id\""));
    assert!(html.contains("rel=\"next\""));
}

#[test]
fn a_refused_create_says_why_beside_the_field_and_keeps_what_was_typed() {
    let fb = Feedback::of(Problem::new(
        "create",
        FIELDS,
        DomainError::Conflict("client_id \"svc-1\" is taken".into()),
    ));
    let draft = ClientDraft {
        client_id: "svc-1".into(),
        name: EVIL.into(),
        ..ClientDraft::default()
    };
    let html = page(Vec::new(), fb, draft).render().unwrap();
    check_page(&html);
    assert!(html.contains("id=\"create-client_id-error\""));
    assert!(html.contains("value=\"svc-1\""));
    assert!(html.contains("This can&#39;t be done:") || html.contains("This can't be done:"));
}
