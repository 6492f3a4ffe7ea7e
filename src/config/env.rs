//! The environment's part of the configuration. A `CASTELLAN_*` variable that names no setting
//! is left out with a warning, never an error: a Kubernetes Service named `castellan` puts
//! `CASTELLAN_PORT`, `CASTELLAN_SERVICE_HOST` and the like into every pod of its namespace. A
//! malformed value of a real setting still stops start-up, naming the variable as written.

use figment::Figment;
use serde_json::Value;

use super::{ConfigError, Settings};

/// The prefix of every variable that may be a setting.
pub const PREFIX: &str = "CASTELLAN_";

/// Every setting's key, as a JSON tree of the defaults (`null` for options unset by default).
pub fn shape() -> Result<Value, ConfigError> {
    let defaults = Settings::defaults()?;
    serde_json::to_value(defaults).map_err(|e| ConfigError(e.to_string()))
}

/// The dotted key a variable sets, lower case (`CASTELLAN_TOKEN__MAX_TTL_SECONDS` ->
/// `token.max_ttl_seconds`), as figment reads it; `None` without the prefix.
pub fn key_of(name: &str) -> Option<String> {
    let name = name.trim();
    let head = name.get(..PREFIX.len())?;
    if !head.eq_ignore_ascii_case(PREFIX) {
        return None;
    }
    Some(name[PREFIX.len()..].replace("__", ".").to_ascii_lowercase())
}

/// Variables for the test suite (`CASTELLAN_TEST_*`), which are not the server's business.
pub fn is_test_key(key: &str) -> bool {
    key.get(..5)
        .is_some_and(|p| p.eq_ignore_ascii_case("test_"))
}

/// Whether a dotted key names a setting: each step a section, the last one a setting.
pub fn is_setting(shape: &Value, key: &str) -> bool {
    let mut node = shape;
    for segment in key.split('.') {
        let Value::Object(map) = node else {
            return false;
        };
        match map.get(segment.to_ascii_lowercase().as_str()) {
            Some(next) => node = next,
            None => return false,
        }
    }
    true
}

/// The variables among `names` that carry the prefix but name no setting, as written.
pub fn unknown_variables(shape: &Value, names: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut unknown: Vec<String> = names
        .into_iter()
        .filter(|name| {
            key_of(name).is_some_and(|key| !is_test_key(&key) && !is_setting(shape, &key))
        })
        .collect();
    unknown.sort();
    unknown
}

/// The names of the process's environment variables.
pub fn variable_names() -> impl Iterator<Item = String> {
    std::env::vars_os().map(|(name, _)| name.to_string_lossy().into_owned())
}

/// The variable, as written in the environment, that sets this dotted key.
fn variable_for(key: &str) -> Option<String> {
    let found = variable_names().find(|name| key_of(name).is_some_and(|k| k == key));
    match found {
        Some(name) => Some(name),
        None if key == "database_url" && std::env::var_os("DATABASE_URL").is_some() => {
            Some("DATABASE_URL".into())
        }
        None => None,
    }
}

fn from_environment(metadata: Option<&figment::Metadata>) -> bool {
    metadata.is_some_and(|m| m.name.contains("environment variable"))
}

/// Where a top-level key's value came from: the variable as written, or the key itself.
pub fn source_of(figment: &Figment, key: &str) -> String {
    if from_environment(figment.find_metadata(key)) {
        if let Some(name) = variable_for(key) {
            return name;
        }
    }
    key.to_string()
}

/// figment's error, with each failure that came from the environment naming its variable.
pub fn name_the_variables(error: figment::Error) -> ConfigError {
    let lines: Vec<String> = error
        .into_iter()
        .map(|e| {
            let key = e.path.join(".");
            match from_environment(e.metadata.as_ref())
                .then(|| variable_for(&key))
                .flatten()
            {
                Some(name) => format!("{name}: {}", e.kind),
                None => e.to_string(),
            }
        })
        .collect();
    ConfigError(lines.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_read_the_way_figment_reads_them() {
        assert_eq!(key_of("CASTELLAN_LISTEN").as_deref(), Some("listen"));
        assert_eq!(
            key_of("castellan_token__MAX_TTL_SECONDS").as_deref(),
            Some("token.max_ttl_seconds")
        );
        assert_eq!(key_of("DATABASE_URL"), None);
        assert_eq!(key_of("CASTELL"), None);
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's own error type
    fn unknown_variables_never_stop_the_loader() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("CASTELLAN_PORT", "tcp://10.0.0.1:8080");
            jail.set_env("CASTELLAN_SERVICE_HOST", "10.0.0.1");
            jail.set_env("CASTELLAN_PORT_8080_TCP_ADDR", "10.0.0.1");
            jail.set_env("CASTELLAN_TOKEN__NOPE", "1");
            jail.set_env("CASTELLAN_LISTEN", "127.0.0.1:7001");
            jail.set_env("CASTELLAN_TOKEN__MAX_TTL_SECONDS", "1800");
            let settings = Settings::load(None).map_err(|e| e.to_string())?;
            assert_eq!(settings.listen, "127.0.0.1:7001");
            assert_eq!(settings.token.max_ttl_seconds, 1800);
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's own error type
    fn a_malformed_value_stops_the_loader_naming_its_variable() {
        let cases = [
            ("CASTELLAN_LISTEN", "not-an-address"),
            ("CASTELLAN_MANAGEMENT_LISTEN", "127.0.0.1:port"),
            ("CASTELLAN_TOKEN__MAX_TTL_SECONDS", "an hour"),
            ("CASTELLAN_LIMITS__BODY_TIMEOUT_SECONDS", "-1"),
            ("CASTELLAN_TOKEN", "5"),
        ];
        for (name, value) in cases {
            figment::Jail::expect_with(|jail| {
                jail.set_env(name, value);
                let err = Settings::load(None).expect_err(name).to_string();
                assert!(err.contains(name), "{name}: {err}");
                Ok(())
            });
        }
    }

    #[test]
    fn kubernetes_service_variables_are_not_settings() {
        let shape = shape().unwrap();
        let names = [
            "CASTELLAN_PORT",
            "CASTELLAN_SERVICE_HOST",
            "CASTELLAN_PORT_8080_TCP_ADDR",
            "CASTELLAN_LISTEN",
            "CASTELLAN_ISSUER",
            "CASTELLAN_MANAGEMENT_LISTEN",
            "CASTELLAN_TOKEN__MAX_TTL_SECONDS",
            "CASTELLAN_TOKEN__NOPE",
            "CASTELLAN_LISTEN__X",
            "CASTELLAN_TEST_POSTGRES_URL",
            "HOME",
        ]
        .map(String::from);
        assert_eq!(
            unknown_variables(&shape, names),
            [
                "CASTELLAN_LISTEN__X",
                "CASTELLAN_PORT",
                "CASTELLAN_PORT_8080_TCP_ADDR",
                "CASTELLAN_SERVICE_HOST",
                "CASTELLAN_TOKEN__NOPE",
            ]
        );
    }
}
