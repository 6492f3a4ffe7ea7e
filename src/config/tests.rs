//! Tests of loading and validating the settings.

use super::*;

#[test]
fn shipped_defaults_parse_and_validate() {
    let s = Settings::defaults().unwrap();
    s.validate().unwrap();
    assert_eq!(s.listen, "127.0.0.1:8080");
    assert_eq!(s.issuer(), "http://127.0.0.1:8080");
    assert_eq!(s.token.default_ttl_seconds, 300);
    assert_eq!(s.signing.algorithm, "ES256");
}

#[test]
#[allow(clippy::result_large_err)] // figment::Jail's own error type
fn configured_clients_and_sections_load_from_a_file() {
    // In a jail: other tests set CASTELLAN_* variables in this same process.
    figment::Jail::expect_with(|_jail| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("castellan.toml");
        std::fs::write(
            &path,
            r#"
    listen = "127.0.0.1:9999"
    [[clients]]
    client_id = "usage-reporter"
    name = "Usage reporter"
    secret_env = "USAGE_SECRET"
    token_ttl_seconds = 600
    scopes = ["account:usage:read"]
    audiences = ["https://api.example.com"]
    
    [token]
    default_ttl_seconds = 120
    max_ttl_seconds = 3600
    leeway_seconds = 30
"#,
        )
        .unwrap();
        let s = Settings::load(Some(&path)).unwrap();
        assert_eq!(s.listen, "127.0.0.1:9999");
        assert_eq!(s.clients.len(), 1);
        assert_eq!(s.clients[0].client_id, "usage-reporter");
        assert_eq!(s.clients[0].scopes, ["account:usage:read"]);
        assert_eq!(s.token.default_ttl_seconds, 120);
        // Defaults still fill what the file leaves out.
        assert_eq!(s.signing.algorithm, "ES256");
        Ok(())
    });
}

#[test]
#[allow(clippy::result_large_err)] // figment::Jail's own error type
fn unknown_keys_in_a_file_fail_loudly() {
    // In a jail: other tests set CASTELLAN_* variables in this same process.
    figment::Jail::expect_with(|_jail| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("castellan.toml");
        std::fs::write(&path, "listn = \"127.0.0.1:1\"\n").unwrap();
        let err = Settings::load(Some(&path)).unwrap_err().to_string();
        assert!(err.contains("listn"), "{err}");
        assert!(Settings::load(Some(&dir.path().join("missing.toml"))).is_err());
        Ok(())
    });
}

#[test]
fn secrets_do_not_print() {
    let s = SecretString::new("hunter2-hunter2");
    assert_eq!(format!("{s:?}"), "[redacted]");
}
