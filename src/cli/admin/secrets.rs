//! `castellan admin secrets …` (`/admin/v1/clients/{id}/secrets`) and
//! `castellan admin revoke-tokens`. `add` prints the new secret once; listings never hold one.

use chrono::{Duration, Utc};
use clap::Subcommand;
use reqwest::Method;
use serde_json::Value;

use super::fields::{parse_duration, parse_time, Body};
use super::http::{Api, Failure};
use super::output::{self, Column};
use super::Output;

const COLUMNS: &[Column] = &[
    ("ID", "id"),
    ("NAME", "name"),
    ("CREATED_AT", "created_at"),
    ("EXPIRES_AT", "expires_at"),
    ("LAST_USED_AT", "last_used_at"),
    ("REVOKED_AT", "revoked_at"),
];

/// `castellan admin secrets …`.
#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Add a secret beside the client's others (rotation); it is printed once.
    Add {
        /// The client (its client_id or id).
        client: String,
        /// A name for people (the server's default: secret).
        #[arg(long)]
        name: Option<String>,
        /// It stops working after this long: 90d, 12h, 30m, 2w, 1d12h …
        #[arg(long, value_name = "DURATION", value_parser = parse_duration,
              conflicts_with = "expires_at")]
        expires_in: Option<Duration>,
        /// It stops working at this time (RFC 3339, e.g. 2027-01-31T00:00:00Z).
        #[arg(long, value_name = "TIME", value_parser = parse_time)]
        expires_at: Option<chrono::DateTime<Utc>>,
    },
    /// A client's secrets (metadata only, revoked ones included).
    List {
        /// The client (its client_id or id).
        client: String,
    },
    /// Revoke one secret: it stops working at once.
    Revoke {
        /// The client (its client_id or id).
        client: String,
        /// The secret's id (from `secrets list`).
        secret_id: String,
    },
}

/// Runs one `secrets` command.
pub async fn run(api: &mut Api, out: Output, cmd: SecretsCommand) -> Result<(), Failure> {
    match cmd {
        SecretsCommand::Add {
            client,
            name,
            expires_in,
            expires_at,
        } => {
            let expires_at = expires_at.or_else(|| expires_in.map(|d| Utc::now() + d));
            let mut body = Body::default();
            body.set("name", name).set(
                "expires_at",
                expires_at.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            );
            let body = body.into_value();
            let answer = api
                .call(
                    Method::POST,
                    &["clients", &client, "secrets"],
                    &[],
                    Some(&body),
                )
                .await?;
            output::show(out, &answer, |v| {
                output::note("The secret is shown once: store it now.");
                output::record(v, &["id", "name", "created_at", "expires_at", "secret"])
            })
        }
        SecretsCommand::List { client } => {
            let answer = api.get(&["clients", &client, "secrets"], &[]).await?;
            output::show(out, &answer, |v| output::list(v, COLUMNS))
        }
        SecretsCommand::Revoke { client, secret_id } => {
            api.call(
                Method::DELETE,
                &["clients", &client, "secrets", &secret_id],
                &[],
                None,
            )
            .await?;
            output::done(out, &format!("secret {secret_id} of {client} revoked"));
            Ok(())
        }
    }
}

/// `castellan admin revoke-tokens CLIENT`.
pub async fn revoke_tokens(api: &mut Api, out: Output, client: &str) -> Result<(), Failure> {
    let answer = api
        .call(
            Method::POST,
            &["clients", client, "revoke-tokens"],
            &[],
            None,
        )
        .await?;
    output::show(out, &answer, |v: &Value| {
        format!(
            "every token issued to {} until {} is refused",
            output::clean(client),
            output::cell(&v["tokens_revoked_before"])
        )
    })
}
