use super::*;
use crate::console::testing::{check_page, chrome, EVIL};

#[test]
fn the_audit_table_escapes_and_keeps_the_filters() {
    let row = AuditRow {
        id: "e1".into(),
        occurred_at: chrono::Utc::now().naive_utc(),
        actor: EVIL.into(),
        actor_kind: "user".into(),
        action: "client.created".into(),
        target: "svc-1".into(),
        target_kind: "client".into(),
        ip: Some("127.0.0.1".into()),
        details: serde_json::json!({"after": {"name": EVIL}}).to_string(),
        org_id: Some("org-1".into()),
    };
    let q = AuditQuery {
        action: "client.created".into(),
        actor: EVIL.into(),
        ..AuditQuery::default()
    };
    let html = AuditPage {
        chrome: chrome("audit"),
        events: vec![EventLine::new(row, &[])],
        pager: Pager::new("/console/audit", &q.query_string(), 0, 50),
        orgs: Vec::new(),
        q,
        problem: Vec::new(),
    }
    .render()
    .unwrap();
    check_page(&html);
    assert!(html.contains("id=\"audit-filter\""));
    assert!(html.contains("method=\"get\" action=\"/console/audit\" id=\"audit-filter\""));
    assert!(html.contains("value=\"client.created\""));
    assert!(html.contains("action=client.created"));
    assert!(html.contains("id=\"audit-events\""));
}
