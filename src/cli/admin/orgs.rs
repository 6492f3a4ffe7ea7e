//! `castellan admin organizations …` (`/admin/v1/orgs`).

use clap::Subcommand;
use reqwest::Method;
use serde_json::json;

use super::fields::{Body, PageArgs};
use super::http::{Api, Failure};
use super::output::{self, Column};
use super::Output;

const COLUMNS: &[Column] = &[
    ("SLUG", "slug"),
    ("NAME", "name"),
    ("ACTIVE", "active"),
    ("ID", "id"),
    ("PARENT_ID", "parent_id"),
];
const FIRST: &[&str] = &["id", "slug", "name", "parent_id", "active"];

/// `castellan admin organizations …`.
#[derive(Debug, Subcommand)]
pub enum OrgsCommand {
    /// The caller's organization and those below it, root first.
    List {
        #[command(flatten)]
        page: PageArgs,
    },
    /// One organization.
    Get {
        /// Its id or slug.
        org: String,
    },
    /// Create an organization (below the caller's, unless --parent).
    Create {
        /// Lowercase a-z, 0-9 and -, 1 to 63 characters; unique.
        #[arg(long)]
        slug: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// The parent organization (id or slug); default: the caller's.
        #[arg(long, value_name = "ID_OR_SLUG")]
        parent: Option<String>,
        /// Create it disabled.
        #[arg(long)]
        disabled: bool,
    },
    /// Rename an organization.
    Update {
        /// Its id or slug.
        org: String,
        /// The new display name.
        #[arg(long)]
        name: String,
    },
    /// Disable an organization: everyone in it and below it is shut out at once.
    Disable {
        /// Its id or slug.
        org: String,
    },
    /// Enable an organization again.
    Enable {
        /// Its id or slug.
        org: String,
    },
    /// Delete an empty organization.
    Delete {
        /// Its id or slug.
        org: String,
    },
}

/// Runs one `organizations` command.
pub async fn run(api: &mut Api, out: Output, cmd: OrgsCommand) -> Result<(), Failure> {
    let one = |v: &serde_json::Value| output::record(v, FIRST);
    match cmd {
        OrgsCommand::List { page } => {
            let mut query = Vec::new();
            page.push(&mut query);
            let answer = api.get(&["orgs"], &query).await?;
            output::show(out, &answer, |v| output::list(v, COLUMNS))
        }
        OrgsCommand::Get { org } => {
            let answer = api.get(&["orgs", &org], &[]).await?;
            output::show(out, &answer, one)
        }
        OrgsCommand::Create {
            slug,
            name,
            parent,
            disabled,
        } => {
            let mut body = Body::default();
            body.set("slug", Some(slug))
                .set("name", Some(name))
                .set("parent_id", parent)
                .set("active", disabled.then_some(false));
            let body = body.into_value();
            let answer = api.call(Method::POST, &["orgs"], &[], Some(&body)).await?;
            output::show(out, &answer, one)
        }
        OrgsCommand::Update { org, name } => patch(api, out, &org, json!({"name": name})).await,
        OrgsCommand::Disable { org } => patch(api, out, &org, json!({"active": false})).await,
        OrgsCommand::Enable { org } => patch(api, out, &org, json!({"active": true})).await,
        OrgsCommand::Delete { org } => {
            api.call(Method::DELETE, &["orgs", &org], &[], None).await?;
            output::done(out, &format!("organization {org} deleted"));
            Ok(())
        }
    }
}

async fn patch(
    api: &mut Api,
    out: Output,
    org: &str,
    body: serde_json::Value,
) -> Result<(), Failure> {
    let answer = api
        .call(Method::PATCH, &["orgs", org], &[], Some(&body))
        .await?;
    output::show(out, &answer, |v| output::record(v, FIRST))
}
