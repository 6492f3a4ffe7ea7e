//! How a command ends when it does not do what it was asked, with its exit code, and the
//! server's refusals in one line each. No message ever carries a secret or a token.

use std::fmt;

use reqwest::StatusCode;
use serde_json::Value;

use super::output;

/// Why a command did not do what it was asked: each kind is one exit code.
#[derive(Debug)]
pub enum Failure {
    /// 1: the admin API refused the call (a 4xx other than 401).
    Refused(String),
    /// 2: the command line does not say enough, or says something impossible.
    Usage(String),
    /// 3: the server can't be reached, or failed (5xx).
    Unreachable(String),
    /// 4: the token request was refused, or the admin API refused the token (401).
    Authentication(String),
}

impl Failure {
    /// The process exit code for this failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Refused(_) => 1,
            Failure::Usage(_) => 2,
            Failure::Unreachable(_) => 3,
            Failure::Authentication(_) => 4,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Refused(m)
            | Failure::Usage(m)
            | Failure::Unreachable(m)
            | Failure::Authentication(m) => f.write_str(m),
        }
    }
}

/// `: error (description)` from an RFC 6749 §5.2 body, or nothing.
pub fn oauth_error(body: &Value) -> String {
    match (body["error"].as_str(), body["error_description"].as_str()) {
        (Some(e), Some(d)) => format!(": {e} ({d})"),
        (Some(e), None) => format!(": {e}"),
        _ => String::new(),
    }
}

/// A refusal in one line (plus one per broken rule): from an RFC 9457 problem document, or
/// the status and the start of the body.
pub fn problem(status: StatusCode, text: &str) -> String {
    let Ok(doc) = serde_json::from_str::<Value>(text) else {
        let start: String = text.chars().take(200).collect();
        return format!("{status} {}", output::clean(start.trim()));
    };
    let mut line = status.to_string();
    if let Some(title) = doc["title"].as_str() {
        line = format!("{} {}", status.as_u16(), output::clean(title));
    }
    if let Some(detail) = doc["detail"].as_str() {
        line.push_str(": ");
        line.push_str(&output::clean(detail));
    }
    for rule in doc["errors"].as_array().into_iter().flatten() {
        let rule = rule
            .as_str()
            .map_or_else(|| rule.to_string(), str::to_string);
        line.push_str("\n  - ");
        line.push_str(&output::clean(&rule));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_document_reads_as_one_line_per_rule() {
        let text = r#"{"title":"Unprocessable","detail":"2 rules","errors":["a","b"]}"#;
        let line = problem(StatusCode::UNPROCESSABLE_ENTITY, text);
        assert_eq!(line, "422 Unprocessable: 2 rules\n  - a\n  - b");
    }
}
