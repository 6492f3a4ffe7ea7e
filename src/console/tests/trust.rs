use super::*;

fn draft(claims: &str, jwks: &str, age: &str) -> PolicyDraft {
    PolicyDraft {
        issuer: " https://token.actions.githubusercontent.com ".into(),
        audience: "castellan".into(),
        subject: "repo:acme/shop:environment:prod".into(),
        claims: claims.into(),
        jwks: jwks.into(),
        max_token_age_seconds: age.into(),
        ..PolicyDraft::default()
    }
}

fn problems(d: &PolicyDraft) -> Vec<String> {
    match d.parse() {
        Err(DomainError::Invalid(list)) => list,
        other => panic!("not refused: {other:?}"),
    }
}

#[test]
fn claims_are_strings_unless_they_read_as_a_number_or_a_boolean() {
    let typed = "/repository = acme/shop\n\n  /run_attempt = 2\n/ref_protected = \"true\"\n\
                 /private = false\n/job = a = b\n/zero = 01";
    let new = draft(typed, "", "").parse().unwrap();
    let c = &new.claims;
    assert_eq!(c["/repository"], "acme/shop");
    assert_eq!(c["/run_attempt"], 2);
    assert_eq!(c["/ref_protected"], "true");
    assert_eq!(c["/private"], false);
    assert_eq!(c["/job"], "a = b");
    assert_eq!(c["/zero"], "01");
    assert_eq!(new.issuer, "https://token.actions.githubusercontent.com");
    assert_eq!(new.max_token_age_seconds, None, "empty: the default");
    assert_eq!(new.jwks, None);
}

#[test]
fn a_claim_is_shown_as_it_is_typed_back() {
    for typed in [
        "acme/shop",
        "2",
        "\"true\"",
        "false",
        "\"\"",
        "\"2\"",
        "a \"b\"",
    ] {
        let value = claim_value(typed);
        assert_eq!(claim_value(&shown(&value)), value, "{typed}");
    }
    assert_eq!(shown(&Value::String("true".into())), "\"true\"");
    assert_eq!(shown(&Value::String("acme/shop".into())), "acme/shop");
}

#[test]
fn a_form_that_is_not_even_well_formed_is_refused_field_by_field() {
    let list = problems(&draft(
        "/ok = 1\nno equals sign\n/empty =\n/ok = 2",
        "{",
        "1h",
    ));
    assert!(
        list.iter().any(|m| m.starts_with("claims line 2 ")),
        "{list:?}"
    );
    assert!(
        list.iter().any(|m| m.starts_with("claims line 3 ")),
        "{list:?}"
    );
    assert!(
        list.iter().any(|m| m.starts_with("claims key \"/ok\"")),
        "{list:?}"
    );
    assert!(
        list.iter().any(|m| m.starts_with("jwks is not JSON")),
        "{list:?}"
    );
    assert!(
        list.iter().any(|m| m.starts_with("max_token_age_seconds ")),
        "{list:?}"
    );
    let p = Problem::new("add-policy", FIELDS, DomainError::Invalid(list));
    assert!(
        p.general.is_empty(),
        "each message beside its field: {:?}",
        p.general
    );
}

#[test]
fn a_single_pinned_key_is_taken_as_a_set_of_one() {
    let key = r#"{"kty": "EC", "kid": "k1"}"#;
    let new = draft("", key, "600").parse().unwrap();
    assert_eq!(new.jwks.unwrap()["keys"][0]["kid"], "k1");
    assert_eq!(new.max_token_age_seconds, Some(600));
    let set = r#"{"keys": [{"kty": "EC", "kid": "k1"}]}"#;
    let new = draft("", set, "").parse().unwrap();
    assert_eq!(new.jwks.unwrap()["keys"][0]["kid"], "k1");
}

#[test]
fn the_domain_messages_go_beside_their_fields() {
    let new = NewPolicy {
        jwks_uri: Some("http://example.com/jwks".into()),
        claims: Map::from_iter([("repository".to_string(), Value::from("x"))]),
        ..draft("", "", "").parse().unwrap()
    };
    let list = new.validate().unwrap_err();
    let p = Problem::new("add-policy", FIELDS, DomainError::Invalid(list));
    let fields: Vec<_> = p.fields.iter().map(|(f, _)| *f).collect();
    assert_eq!(fields, ["jwks_uri", "claims"], "{p:?}");
}
