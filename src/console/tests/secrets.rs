use super::*;
use crate::console::testing::{check_page, chrome, EVIL, EVIL_ESCAPED};

fn row() -> SecretRow {
    SecretRow {
        id: "s1".into(),
        client_pk: "pk".into(),
        name: EVIL.into(),
        secret_hash: Vec::new(),
        hash_scheme: "hmac-sha256".into(),
        created_at: Utc::now().naive_utc(),
        expires_at: None,
        last_used_at: None,
        revoked_at: None,
        last_four: Some("wxyz".into()),
    }
}

#[test]
fn the_new_secret_is_shown_once_in_a_readonly_field_with_a_copy_button() {
    let client = Client::service_account("svc-1", EVIL, Utc::now());
    let shown = Shown::created(&client, &row(), format!("s3cr3t{EVIL}"));
    let html = ShownPage {
        chrome: chrome("clients"),
        shown,
    }
    .render()
    .unwrap();
    check_page(&html);
    assert!(html.contains(&format!(
        "id=\"new-secret\" name=\"client_secret\" value=\"s3cr3t{EVIL_ESCAPED}\" readonly"
    )));
    assert!(html.contains("id=\"copy-secret\""));
    assert!(html.contains("will not be shown again"));
    assert!(html.contains("role=\"status\""));
}

#[test]
fn the_shown_once_answer_is_never_cached() {
    // The same headers as the page a caller gets (no caller needed to check them).
    let client = Client::service_account("svc-1", "n", Utc::now());
    let page = ShownPage {
        chrome: chrome("clients"),
        shown: Shown::promoted(&client, &row(), "x".into()),
    };
    let res = render(StatusCode::OK, &page);
    assert_eq!(res.headers().get("cache-control").unwrap(), "no-store");
}

#[test]
fn expiry_reads_a_datetime_local_field_as_utc_or_rfc3339() {
    assert_eq!(expiry("").unwrap(), None);
    let t = expiry("2030-01-31T12:00").unwrap().unwrap();
    assert_eq!(t.to_rfc3339(), "2030-01-31T12:00:00+00:00");
    let t = expiry("2030-01-31T12:00:00+02:00").unwrap().unwrap();
    assert_eq!(t.to_rfc3339(), "2030-01-31T10:00:00+00:00");
    assert!(matches!(expiry("tomorrow"), Err(DomainError::Invalid(_))));
}
