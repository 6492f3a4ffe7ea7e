//! The environment, through the binary (CONTRACT "Sharper rules", Environment): a
//! `CASTELLAN_*` variable that is not a setting is one warning line naming it, never a failed
//! start; a malformed value of a real setting stops start-up with a message naming the
//! variable as written.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::startup::{spawn_serve, BIN};

/// What a Kubernetes Service named `castellan` puts into every pod of its namespace.
const SERVICE_VARIABLES: &[(&str, &str)] = &[
    ("CASTELLAN_PORT", "tcp://10.0.0.1:8080"),
    ("CASTELLAN_SERVICE_HOST", "10.0.0.1"),
    ("CASTELLAN_SERVICE_PORT", "8080"),
    ("CASTELLAN_PORT_8080_TCP", "tcp://10.0.0.1:8080"),
    ("CASTELLAN_PORT_8080_TCP_ADDR", "10.0.0.1"),
    ("CASTELLAN_PORT_8080_TCP_PORT", "8080"),
    ("CASTELLAN_PORT_8080_TCP_PROTO", "tcp"),
];

#[actix_web::test]
async fn kubernetes_service_variables_are_one_warning_each_and_serve_starts() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = vec![("CASTELLAN_LISTEN", "127.0.0.1:0")];
    env.extend_from_slice(SERVICE_VARIABLES);
    let (mut child, rx) = spawn_serve(dir.path(), &env);
    let mut lines = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut port = None;
    while port.is_none() && Instant::now() < deadline {
        let Ok(line) = rx.recv_timeout(Duration::from_secs(1)) else {
            continue;
        };
        if let Some(rest) = line.split("(port ").nth(1) {
            port = rest.split(')').next().map(str::to_string);
        }
        lines.push(line);
    }
    let result = async {
        let port = port.unwrap_or_else(|| panic!("serve did not start: {lines:#?}"));
        let res = reqwest::get(format!("http://127.0.0.1:{port}/healthz"))
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        for (name, _) in SERVICE_VARIABLES {
            let warnings: Vec<&String> = lines
                .iter()
                .filter(|l| l.contains("WARN") && l.contains(&format!(" {name}:")))
                .collect();
            assert_eq!(warnings.len(), 1, "{name}: {lines:#?}");
            // The name, never the value: a value could be anything.
            assert!(!warnings[0].contains("10.0.0.1"), "{}", warnings[0]);
        }
    }
    .await;
    let _ = child.kill();
    let _ = child.wait();
    result
}

#[test]
fn a_malformed_value_stops_start_up_naming_the_variable_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("CASTELLAN_LISTEN", "not-an-address"),
        ("CASTELLAN_MANAGEMENT_LISTEN", "127.0.0.1"),
        ("CASTELLAN_TOKEN__MAX_TTL_SECONDS", "an hour"),
        ("CASTELLAN_AUDIT__RETENTION_DAYS", "forever"),
        ("castellan_limits__connections_per_address", "many"),
    ];
    for (name, value) in cases {
        let out = Command::new(BIN)
            .arg("migrate")
            .current_dir(dir.path())
            .env_clear()
            .env(name, value)
            // A service variable beside it changes nothing.
            .env("CASTELLAN_SERVICE_HOST", "10.0.0.1")
            .output()
            .unwrap();
        assert!(!out.status.success(), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("configuration: {name}:")),
            "{name}: {err}"
        );
    }
}
