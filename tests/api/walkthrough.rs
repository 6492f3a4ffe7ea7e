//! The README's walk-through of organizations and groups runs as written: its shell block,
//! against a fresh server, prints exactly the output the README shows.

use std::process::Command;

use crate::helpers::{spawn_app, Backend, ADMIN_ID, ADMIN_SECRET};
use crate::on_both_backends;

const README: &str = include_str!("../../README.md");
const MARKER: &str = "<!-- walkthrough:orgs -->";

/// The shell block after the marker, and the indented output block after "Its output:".
fn walkthrough() -> (String, Vec<String>) {
    let after = README
        .split_once(MARKER)
        .expect("the README marks its walk-through")
        .1;
    let script = after
        .split_once("```sh\n")
        .and_then(|(_, rest)| rest.split_once("\n```"))
        .expect("a sh block follows the marker")
        .0
        .to_string();
    let output = after
        .split_once("Its output:\n\n")
        .expect("the README shows the output")
        .1
        .lines()
        .take_while(|l| l.starts_with("    "))
        .map(|l| l.trim_start().to_string())
        .collect();
    (script, output)
}

/// curl and jq, which the walk-through uses: missing outside CI, it says so and skips; under
/// CI, a missing tool fails.
fn tools_present() -> bool {
    let present = ["curl", "jq"].iter().all(|tool| {
        Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if !present {
        let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
        assert!(
            !ci,
            "curl and jq are needed to run the README's walk-through"
        );
        eprintln!("SKIPPED: the README walk-through needs curl and jq");
    }
    present
}

async fn the_readme_walkthrough_of_organizations_and_groups_runs_as_written(backend: Backend) {
    if !tools_present() {
        return;
    }
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (script, expected) = walkthrough();
    let base = app.url("").trim_end_matches('/').to_string();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("bash")
            .args(["-eu", "-o", "pipefail", "-c", &script])
            .env("BASE", base)
            .env("ADMIN_ID", ADMIN_ID)
            .env("ADMIN_SECRET", ADMIN_SECRET)
            .output()
            .expect("bash runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the walk-through failed: {}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        got, expected,
        "the README shows another output than the walk-through prints"
    );
}

on_both_backends!(the_readme_walkthrough_of_organizations_and_groups_runs_as_written);
