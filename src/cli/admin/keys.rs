//! `castellan admin keys …` (`/admin/v1/keys`): the same as the local `castellan keys …`, but
//! through a running server's admin API (only administrators in root rotate and revoke).

use clap::Subcommand;
use reqwest::Method;

use super::fields::Body;
use super::http::{Api, Failure};
use super::output::{self, Column};
use super::Output;

const COLUMNS: &[Column] = &[
    ("KID", "kid"),
    ("ALG", "alg"),
    ("STATE", "state"),
    ("CREATED_AT", "created_at"),
    ("ACTIVATES_AT", "activates_at"),
    ("RETIRED_AT", "retired_at"),
    ("UNPUBLISH_AT", "unpublish_at"),
];

/// `castellan admin keys …`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// The signing keys: next, current, retiring.
    List,
    /// Publish a new signing key now and switch to it after a delay (the server's default
    /// 60 s), so that verifiers caching the JWKS hold it first.
    Rotate {
        /// Switch at once (verifiers that cached the JWKS refuse its tokens until they
        /// refetch); for a compromised key use `keys revoke`.
        #[arg(long)]
        now: bool,
        /// Seconds the new key is published before it signs (0 to 86400).
        #[arg(long, value_name = "SECONDS", conflicts_with = "now",
              value_parser = clap::value_parser!(i64).range(0..=86_400))]
        delay: Option<i64>,
    },
    /// Revoke a (compromised) key: it leaves signing, the JWKS and every check at once.
    Revoke {
        /// The key id; a kid may begin with `-`.
        #[arg(allow_hyphen_values = true)]
        kid: String,
    },
}

/// Runs one `keys` command.
pub async fn run(api: &mut Api, out: Output, cmd: KeysCommand) -> Result<(), Failure> {
    match cmd {
        KeysCommand::List => {
            let answer = api.get(&["keys"], &[]).await?;
            output::show(out, &answer, |v| output::list(&v["keys"], COLUMNS))
        }
        KeysCommand::Rotate { now, delay } => {
            let mut body = Body::default();
            body.set("now", now.then_some(true))
                .set("delay_seconds", delay);
            let body = (!body.is_empty()).then(|| body.into_value());
            let answer = api
                .call(Method::POST, &["keys", "rotate"], &[], body.as_ref())
                .await?;
            output::show(out, &answer, |v| {
                output::record(v, &["kid", "alg", "state", "activates_at"])
            })
        }
        KeysCommand::Revoke { kid } => {
            let answer = api
                .call(Method::POST, &["keys", &kid, "revoke"], &[], None)
                .await?;
            output::show(out, &answer, |v| {
                output::record(v, &["kid", "revoked_now", "revoked_at", "replaced_by"])
            })
        }
    }
}
