//! `castellan admin groups …` (`/admin/v1/groups`) and `groups members …`.

use clap::Subcommand;
use reqwest::Method;
use serde_json::json;

use super::fields::{Body, OrgFilter, PageArgs};
use super::http::{Api, Failure};
use super::output::{self, Column};
use super::Output;

const COLUMNS: &[Column] = &[
    ("ID", "id"),
    ("NAME", "name"),
    ("ORG_ID", "org_id"),
    ("SCOPES", "scopes"),
    ("AUDIENCES", "audiences"),
];
const MEMBER_COLUMNS: &[Column] = &[
    ("PRINCIPAL", "principal"),
    ("KIND", "kind"),
    ("ID", "id"),
    ("ADDED_AT", "added_at"),
];
const FIRST: &[&str] = &["id", "name", "org_id", "description", "scopes", "audiences"];

/// `castellan admin groups …`. Lists are space-separated; `""` is the empty list.
#[derive(Debug, Subcommand)]
pub enum GroupsCommand {
    /// The groups the caller may see.
    List {
        #[command(flatten)]
        org: OrgFilter,
        #[command(flatten)]
        page: PageArgs,
    },
    /// One group.
    Get {
        /// Its id.
        group: String,
    },
    /// Create a group.
    Create {
        /// Unique in its organization.
        #[arg(long)]
        name: String,
        /// Its organization (id or slug); default: the caller's.
        #[arg(long, value_name = "ID_OR_SLUG")]
        org: Option<String>,
        /// Free text.
        #[arg(long)]
        description: Option<String>,
        /// The scopes it gives its members, space-separated.
        #[arg(long, value_name = "SCOPES")]
        scopes: Option<String>,
        /// The audiences it gives its members, space-separated.
        #[arg(long, value_name = "AUDIENCES")]
        audiences: Option<String>,
    },
    /// Change a group: only the fields given change.
    Update {
        /// Its id.
        group: String,
        /// A new name.
        #[arg(long)]
        name: Option<String>,
        /// Free text.
        #[arg(long)]
        description: Option<String>,
        /// The scopes it gives its members (replacing the list).
        #[arg(long, value_name = "SCOPES")]
        scopes: Option<String>,
        /// The audiences it gives its members (replacing the list).
        #[arg(long, value_name = "AUDIENCES")]
        audiences: Option<String>,
    },
    /// Delete a group.
    Delete {
        /// Its id.
        group: String,
    },
    /// A group's members.
    #[command(subcommand)]
    Members(MembersCommand),
}

/// `castellan admin groups members …`.
#[derive(Debug, Subcommand)]
pub enum MembersCommand {
    /// A group's members.
    List {
        /// The group's id.
        group: String,
    },
    /// Add a service account or a user of the group's organization.
    Add {
        /// The group's id.
        group: String,
        /// The member: a client_id or a username (or its id).
        #[arg(allow_hyphen_values = true)]
        principal: String,
    },
    /// Remove a member.
    Remove {
        /// The group's id.
        group: String,
        /// The member: a client_id or a username (or its id).
        #[arg(allow_hyphen_values = true)]
        principal: String,
    },
}

/// Runs one `groups` command.
pub async fn run(api: &mut Api, out: Output, cmd: GroupsCommand) -> Result<(), Failure> {
    let one = |v: &serde_json::Value| output::record(v, FIRST);
    match cmd {
        GroupsCommand::List { org, page } => {
            output::list_collection(api, out, "groups", &org, &page, COLUMNS).await
        }
        GroupsCommand::Get { group } => {
            let answer = api.get(&["groups", &group], &[]).await?;
            output::show(out, &answer, one)
        }
        GroupsCommand::Create {
            name,
            org,
            description,
            scopes,
            audiences,
        } => {
            let mut body = Body::default();
            body.set("name", Some(name))
                .set("org_id", org)
                .set("description", description)
                .list("scopes", scopes.as_ref())
                .list("audiences", audiences.as_ref());
            let body = body.into_value();
            let answer = api
                .call(Method::POST, &["groups"], &[], Some(&body))
                .await?;
            output::show(out, &answer, one)
        }
        GroupsCommand::Update {
            group,
            name,
            description,
            scopes,
            audiences,
        } => {
            let mut body = Body::default();
            body.set("name", name)
                .set("description", description)
                .list("scopes", scopes.as_ref())
                .list("audiences", audiences.as_ref());
            if body.is_empty() {
                return Err(Failure::Usage(
                    "nothing to change: give at least one field (see --help)".into(),
                ));
            }
            let body = body.into_value();
            let answer = api
                .call(Method::PATCH, &["groups", &group], &[], Some(&body))
                .await?;
            output::show(out, &answer, one)
        }
        GroupsCommand::Delete { group } => {
            api.call(Method::DELETE, &["groups", &group], &[], None)
                .await?;
            output::done(out, &format!("group {group} deleted"));
            Ok(())
        }
        GroupsCommand::Members(cmd) => members(api, out, cmd).await,
    }
}

async fn members(api: &mut Api, out: Output, cmd: MembersCommand) -> Result<(), Failure> {
    match cmd {
        MembersCommand::List { group } => {
            let answer = api.get(&["groups", &group, "members"], &[]).await?;
            output::show(out, &answer, |v| output::list(v, MEMBER_COLUMNS))
        }
        MembersCommand::Add { group, principal } => {
            let body = json!({ "principal": principal });
            let answer = api
                .call(
                    Method::POST,
                    &["groups", &group, "members"],
                    &[],
                    Some(&body),
                )
                .await?;
            output::show(out, &answer, |v| {
                output::record(v, &["principal", "kind", "id", "added_at"])
            })
        }
        MembersCommand::Remove { group, principal } => {
            api.call(
                Method::DELETE,
                &["groups", &group, "members", &principal],
                &[],
                None,
            )
            .await?;
            output::done(out, &format!("{principal} removed from group {group}"));
            Ok(())
        }
    }
}
