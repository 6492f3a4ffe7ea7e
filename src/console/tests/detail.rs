use super::*;
use crate::console::testing::{check_page, chrome, EVIL};

fn secret(id: &str, revoked: bool) -> SecretRow {
    let now = Utc::now().naive_utc();
    SecretRow {
        id: id.into(),
        client_pk: "pk".into(),
        name: EVIL.into(),
        secret_hash: Vec::new(),
        hash_scheme: "hmac-sha256".into(),
        created_at: now,
        expires_at: None,
        last_used_at: Some(now),
        revoked_at: revoked.then_some(now),
        // An older secret (here the revoked one) has no last four kept.
        last_four: (!revoked).then(|| "wxyz".into()),
    }
}

fn page(fb: Feedback) -> ClientPage {
    let mut client = Client::service_account("svc-1", EVIL, Utc::now());
    client.scopes = vec![EVIL.into()];
    let now = Utc::now().naive_utc();
    ClientPage {
        chrome: chrome("clients"),
        facts: facts(&client, EVIL.into()),
        secrets: vec![
            SecretLine::new(&secret("s1", false), now),
            SecretLine::new(&secret("s2", true), now),
        ],
        client,
        draft: SecretDraft::default(),
        policies: vec![policy("p1", true), policy("p2", false)],
        policy: PolicyDraft::default(),
        fb,
        can_write: true,
    }
}

fn policy(id: &str, fetched: bool) -> PolicyLine {
    let mut claims = serde_json::Map::new();
    claims.insert("/repository".into(), EVIL.into());
    claims.insert("/ref_protected".into(), "true".into());
    PolicyLine::from(&crate::domain::workload::Policy {
        id: id.into(),
        issuer: EVIL.into(),
        jwks_uri: fetched.then(|| "https://issuer.example/jwks".into()),
        jwks: (!fetched).then(|| serde_json::json!({"keys": [{"kty": "EC"}, {"kty": "EC"}]})),
        audience: EVIL.into(),
        subject: EVIL.into(),
        claims,
        max_token_age_seconds: 600,
        created_at: Utc::now(),
    })
}

#[test]
fn the_trust_policies_are_listed_with_a_delete_button_and_an_add_form() {
    let html = page(Feedback::default()).render().unwrap();
    for path in ["/trust-policies/p1/delete\"", "/trust-policies/p2/delete\""] {
        assert!(html.contains(path), "{path} missing");
    }
    assert!(html.contains("<code>https://issuer.example/jwks</code>"));
    assert!(html.contains("pinned (2 keys)"));
    assert!(html.contains("<code>/ref_protected = &#34;true&#34;</code>"));
    assert!(html.contains("600 s"));
    for name in [
        "issuer", "jwks_uri", "jwks", "audience", "subject", "claims",
    ] {
        let id = format!("id=\"add-policy-{name}\"");
        assert!(html.contains(&id), "{name} missing");
        assert!(html.contains(&format!("<label for=\"add-policy-{name}\"")));
    }
    assert!(html.contains("value=\"3600\""), "the default max token age");
    assert!(
        html.contains("(/ref_protected = &#34;true&#34;)."),
        "the hint's quotes"
    );
}

#[test]
fn a_refused_trust_policy_is_said_beside_its_field() {
    let fb = Feedback::of(Problem::new(
        "add-policy",
        &["issuer", "jwks_uri"],
        crate::domain::DomainError::Invalid(vec![
            "jwks_uri: the JWKS URL must be https".into(),
            "give exactly one of jwks_uri and jwks".into(),
        ]),
    ));
    let html = page(fb).render().unwrap();
    check_page(&html);
    let field = html.find("id=\"add-policy-jwks_uri\"").unwrap();
    let error = html.find("id=\"add-policy-jwks_uri-error\"").unwrap();
    assert!(error > field && html[field..error].contains("aria-invalid=\"true\""));
    assert!(html.contains("id=\"add-policy-errors\""));
}

#[test]
fn the_detail_page_shows_secrets_and_every_action() {
    let html = page(Feedback::default()).render().unwrap();
    check_page(&html);
    assert!(html.contains("/secrets/s1/revoke\""));
    assert!(
        !html.contains("/secrets/s2/revoke\""),
        "a revoked secret has no revoke button"
    );
    for id in [
        "add-secret",
        "revoke-tokens",
        "toggle-active",
        "admin-flag",
        "admin-flag-warning",
        "save-admin-flag",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id} missing");
    }
    assert!(html.contains("name=\"is_admin_service_account\""));
    assert!(html.contains("name=\"expires_at\""));
}

#[test]
fn each_secret_shows_its_last_four_characters_or_that_they_were_not_kept() {
    let html = page(Feedback::default()).render().unwrap();
    let s1 = html.find("id=\"secret-s1\"").unwrap();
    let s2 = html.find("id=\"secret-s2\"").unwrap();
    assert!(html.contains("<th scope=\"col\">Ends with</th>"));
    assert!(html[s1..s2].contains("<code class=\"last-four\">…wxyz</code>"));
    assert!(html[s2..].contains("not kept"));
}

#[test]
fn the_flag_warning_is_beside_the_toggle_and_names_it() {
    let html = page(Feedback::default()).render().unwrap();
    let toggle = html.find("id=\"admin-flag\"").unwrap();
    let warning = html.find("id=\"admin-flag-warning\"").unwrap();
    assert!(warning > toggle && warning - toggle < 400);
    assert!(html.contains("aria-describedby=\"admin-flag-warning\""));
}

#[test]
fn a_refused_flag_change_is_said_in_its_section() {
    let fb = Feedback::of(Problem::new(
        "admin-flag",
        &[],
        crate::domain::DomainError::Forbidden(
            "only an admin service account may give or act on the admin flag".into(),
        ),
    ));
    let html = page(fb).render().unwrap();
    check_page(&html);
    let section = html.find("id=\"admin-flag-heading\"").unwrap();
    let errors = html.find("id=\"admin-flag-errors\"").unwrap();
    assert!(errors > section);
    assert!(html.contains("only an admin service account"));
}
