//! `castellan admin trust-policies …` (`/admin/v1/clients/{id}/trust-policies`): the outside
//! issuers whose workload tokens stand for a service account.

use std::path::PathBuf;

use clap::{ArgGroup, Subcommand};
use reqwest::Method;
use serde_json::{Map, Value};

use super::fields::{json_file, Body};
use super::http::{Api, Failure};
use super::output::{self, Column};
use super::Output;

const COLUMNS: &[Column] = &[
    ("ID", "id"),
    ("ISSUER", "issuer"),
    ("SUBJECT", "subject"),
    ("AUDIENCE", "audience"),
    ("JWKS_URI", "jwks_uri"),
];
const FIRST: &[&str] = &["id", "issuer", "subject", "audience", "jwks_uri", "jwks"];

/// `castellan admin trust-policies …`.
#[derive(Debug, Subcommand)]
pub enum TrustCommand {
    /// A service account's trust policies.
    List {
        /// The service account (its client_id or id).
        client: String,
    },
    /// One trust policy.
    Get {
        /// The service account (its client_id or id).
        client: String,
        /// The policy's id.
        policy_id: String,
    },
    /// Trust an outside issuer's tokens for one workload.
    #[command(group(ArgGroup::new("keys").required(true).args(["jwks_uri", "jwks_file"])))]
    Create {
        /// The service account (its client_id or id).
        client: String,
        /// The issuer (`iss`), exactly.
        #[arg(long)]
        issuer: String,
        /// Must be among the workload token's `aud`.
        #[arg(long)]
        audience: String,
        /// The workload's `sub`, exactly.
        #[arg(long)]
        subject: String,
        /// Where the issuer's keys are fetched (https).
        #[arg(long, value_name = "URL")]
        jwks_uri: Option<String>,
        /// Or the issuer's keys, pinned: a JWKS document in this file.
        #[arg(long, value_name = "FILE")]
        jwks_file: Option<PathBuf>,
        /// A claim the token must carry: a JSON Pointer and a string, /repository=org/repo.
        #[arg(long, value_name = "POINTER=TEXT")]
        claim: Vec<String>,
        /// The same with a JSON value: /run_attempt=1, /protected=true.
        #[arg(long, value_name = "POINTER=JSON")]
        claim_json: Vec<String>,
        /// The oldest `iat` accepted, in seconds (the server's default: 3600).
        #[arg(long, value_name = "SECONDS")]
        max_token_age: Option<i64>,
    },
    /// Delete a trust policy: that workload's tokens are refused at once.
    Delete {
        /// The service account (its client_id or id).
        client: String,
        /// The policy's id.
        policy_id: String,
    },
}

/// Runs one `trust-policies` command.
pub async fn run(api: &mut Api, out: Output, cmd: TrustCommand) -> Result<(), Failure> {
    match cmd {
        TrustCommand::List { client } => {
            let answer = api
                .get(&["clients", &client, "trust-policies"], &[])
                .await?;
            output::show(out, &answer, |v| output::list(v, COLUMNS))
        }
        TrustCommand::Get { client, policy_id } => {
            // The API lists a client's policies; one is picked from the list.
            let answer = api
                .get(&["clients", &client, "trust-policies"], &[])
                .await?;
            let list = answer.json()?;
            let found = list
                .as_array()
                .into_iter()
                .flatten()
                .find(|p| p["id"] == policy_id.as_str())
                .ok_or_else(|| {
                    Failure::Refused(format!(
                        "404 Not found: {} has no trust policy {}",
                        output::clean(&client),
                        output::clean(&policy_id)
                    ))
                })?;
            match out {
                Output::Json => output::print(&found.to_string()),
                Output::Table => output::print(&output::record(found, FIRST)),
            }
            Ok(())
        }
        TrustCommand::Create {
            client,
            issuer,
            audience,
            subject,
            jwks_uri,
            jwks_file,
            claim,
            claim_json,
            max_token_age,
        } => {
            let jwks = jwks_file
                .map(|p| json_file("--jwks-file", &p))
                .transpose()?;
            let mut body = Body::default();
            body.set("issuer", Some(issuer))
                .set("audience", Some(audience))
                .set("subject", Some(subject))
                .set("jwks_uri", jwks_uri)
                .set("jwks", jwks)
                .set("claims", Some(claims(&claim, &claim_json)?))
                .set("max_token_age_seconds", max_token_age);
            let body = body.into_value();
            let answer = api
                .call(
                    Method::POST,
                    &["clients", &client, "trust-policies"],
                    &[],
                    Some(&body),
                )
                .await?;
            output::show(out, &answer, |v| output::record(v, FIRST))
        }
        TrustCommand::Delete { client, policy_id } => {
            api.call(
                Method::DELETE,
                &["clients", &client, "trust-policies", &policy_id],
                &[],
                None,
            )
            .await?;
            output::done(
                out,
                &format!("trust policy {policy_id} of {client} deleted"),
            );
            Ok(())
        }
    }
}

/// `--claim` and `--claim-json` as the policy's `claims` object.
fn claims(text: &[String], json: &[String]) -> Result<Value, Failure> {
    let mut map = Map::new();
    let split = |flag: &str, s: &str| -> Result<(String, String), Failure> {
        s.split_once('=')
            .map(|(p, v)| (p.to_string(), v.to_string()))
            .ok_or_else(|| Failure::Usage(format!("{flag} {s:?}: write POINTER=VALUE")))
    };
    for c in text {
        let (pointer, value) = split("--claim", c)?;
        map.insert(pointer, Value::String(value));
    }
    for c in json {
        let (pointer, value) = split("--claim-json", c)?;
        let value = serde_json::from_str(&value)
            .map_err(|e| Failure::Usage(format!("--claim-json {c:?}: not JSON ({e})")))?;
        map.insert(pointer, value);
    }
    Ok(Value::Object(map))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_are_strings_unless_given_as_json() {
        let c = claims(
            &["/repository=org/repo=x".into()],
            &["/run_attempt=1".into(), "/ok=true".into()],
        );
        let expected =
            serde_json::json!({"/repository": "org/repo=x", "/run_attempt": 1, "/ok": true});
        assert!(matches!(c, Ok(v) if v == expected));
        assert!(claims(&["no-equals".into()], &[]).is_err());
        assert!(claims(&[], &["/x=not json".into()]).is_err());
    }
}
