//! The automated accessibility check: axe-core (from npm) run inside the page by the same
//! headless chromium. WebDriver scripts are not subject to the page's Content-Security-Policy,
//! so the check works on pages that forbid inline scripts.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use fantoccini::Client;
use serde::Deserialize;
use serde_json::Value;

use crate::harness::skip_or_fail;

/// One rule axe-core found broken, with every element that breaks it.
#[derive(Debug, Clone, Deserialize)]
pub struct Violation {
    /// The axe rule, e.g. `image-alt`, `color-contrast`, `label`.
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub impact: Option<String>,
    pub help: String,
    #[serde(rename = "helpUrl")]
    pub help_url: String,
    pub nodes: Vec<ViolationNode>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ViolationNode {
    /// The element's CSS selector.
    pub target: String,
    pub html: String,
    /// What to fix.
    pub summary: String,
}

/// Where axe-core is installed: `CASTELLAN_AXE_DIR`, else `target/axe` (as `.ci/run` does).
fn axe_dir() -> PathBuf {
    std::env::var_os("CASTELLAN_AXE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target/axe")))
}

/// axe.min.js, installed with npm the first time it is wanted (once per test process).
fn axe_source() -> Result<&'static str, String> {
    static SOURCE: OnceLock<Result<String, String>> = OnceLock::new();
    SOURCE
        .get_or_init(|| {
            let dir = axe_dir();
            let file = dir.join("node_modules/axe-core/axe.min.js");
            if !file.is_file() {
                let status = Command::new("npm")
                    .arg("install")
                    .arg("--prefix")
                    .arg(&dir)
                    .args(["--no-audit", "--no-fund", "--silent", "axe-core@4"])
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .status();
                match status {
                    Ok(s) if s.success() => {}
                    Ok(s) => return Err(format!("`npm install axe-core@4` failed ({s})")),
                    Err(e) => return Err(format!("npm is needed to install axe-core: {e}")),
                }
            }
            std::fs::read_to_string(&file)
                .map_err(|e| format!("axe-core not readable at {}: {e}", file.display()))
        })
        .as_ref()
        .map(String::as_str)
        .map_err(Clone::clone)
}

/// Runs axe-core on the page (a fresh copy per call) and maps each violation to plain data.
const RUN: &str = r#"
const done = arguments[arguments.length - 1];
const target = (t) => Array.isArray(t) ? t.join(" >>> ") : String(t);
axe.run(document, { resultTypes: ["violations"] }).then(
  (r) => done({ ok: r.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({
      target: n.target.map(target).join(", "), html: n.html, summary: n.failureSummary || "",
    })),
  })) }),
  (e) => done({ error: String((e && e.stack) || e) }),
);
"#;

/// Every axe-core violation on the page the browser shows; `None` (after `SKIPPED:`) when
/// axe-core cannot be had and CI is not set.
pub async fn axe_violations(client: &Client) -> Option<Vec<Violation>> {
    let source = match axe_source() {
        Ok(source) => source,
        Err(e) => {
            skip_or_fail(&format!("the accessibility check needs axe-core: {e}"));
            return None;
        }
    };
    client
        .execute(source, vec![])
        .await
        .expect("inject axe-core");
    let answer = client.execute_async(RUN, vec![]).await.expect("run axe");
    match answer {
        Value::Object(mut o) if o.contains_key("ok") => {
            Some(serde_json::from_value(o.remove("ok").unwrap_or_default()).expect("axe result"))
        }
        other => panic!("axe-core failed in the page: {other}"),
    }
}

/// The violations of impact `serious` or `critical`.
pub fn serious_violations(violations: &[Violation]) -> Vec<&Violation> {
    violations
        .iter()
        .filter(|v| matches!(v.impact.as_deref(), Some("serious" | "critical")))
        .collect()
}

/// Fails, listing each one, if the page shows a serious or critical accessibility violation.
/// `page` names the page in the message.
pub async fn assert_accessible(client: &Client, page: &str) {
    let Some(violations) = axe_violations(client).await else {
        return;
    };
    let bad = serious_violations(&violations);
    if bad.is_empty() {
        return;
    }
    let mut report = String::new();
    for v in &bad {
        report.push_str(&format!(
            "- [{}] {}: {} ({})\n",
            v.impact.as_deref().unwrap_or("?"),
            v.id,
            v.help,
            v.help_url
        ));
        for n in &v.nodes {
            let summary = n.summary.replace('\n', "\n      ");
            report.push_str(&format!(
                "    at {}: {}\n      {summary}\n",
                n.target, n.html
            ));
        }
    }
    panic!(
        "{page}: {} serious or critical accessibility violation(s) (axe-core):\n{report}",
        bad.len()
    );
}
