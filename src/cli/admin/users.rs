//! `castellan admin users …` (`/admin/v1/users`). A password is never a command-line argument:
//! it is read from a file named on the command line, or from standard input.

use std::io::Read;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::{json, Value};

use super::fields::{Body, OrgFilter, PageArgs};
use super::http::{Api, Failure};
use super::output::{self, Column};
use super::Output;

const COLUMNS: &[Column] = &[
    ("USERNAME", "username"),
    ("DISPLAY_NAME", "display_name"),
    ("EMAIL", "email"),
    ("ACTIVE", "active"),
    ("ID", "id"),
];
const FIRST: &[&str] = &[
    "username",
    "id",
    "display_name",
    "email",
    "org_id",
    "active",
];

/// `castellan admin users …`.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// The users the caller may see.
    List {
        #[command(flatten)]
        org: OrgFilter,
        #[command(flatten)]
        page: PageArgs,
    },
    /// One user.
    Get {
        /// Its username or id.
        user: String,
    },
    /// What a user holds (through its groups), and from which group.
    Permissions {
        /// Its username or id.
        user: String,
    },
    /// Create a user.
    Create {
        /// Its username (RFC 8265; stored case-mapped).
        #[arg(long)]
        username: String,
        /// The name shown to people.
        #[arg(long)]
        display_name: Option<String>,
        /// A contact address.
        #[arg(long)]
        email: Option<String>,
        /// Its organization (id or slug); default: the caller's.
        #[arg(long, value_name = "ID_OR_SLUG")]
        org: Option<String>,
        /// Create it disabled.
        #[arg(long)]
        disabled: bool,
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// Change a user: only the fields given change.
    Update {
        /// Its username or id.
        user: String,
        /// The name shown to people.
        #[arg(long)]
        display_name: Option<String>,
        /// A contact address.
        #[arg(long, conflicts_with = "clear_email")]
        email: Option<String>,
        /// Remove its contact address.
        #[arg(long)]
        clear_email: bool,
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// Disable a user: signed out of new sessions, its tokens refused.
    Disable {
        /// Its username or id.
        user: String,
    },
    /// Enable a user again.
    Enable {
        /// Its username or id.
        user: String,
    },
    /// Delete a user.
    Delete {
        /// Its username or id.
        user: String,
    },
}

/// Where a password comes from: never the command line itself.
#[derive(Debug, Args)]
pub struct PasswordArgs {
    /// Read the password from this file (its first line).
    #[arg(long, value_name = "FILE", conflicts_with = "password_stdin")]
    pub password_file: Option<PathBuf>,
    /// Read the password from standard input (its first line).
    #[arg(long)]
    pub password_stdin: bool,
}

impl PasswordArgs {
    fn read(&self) -> Result<Option<String>, Failure> {
        let text = if let Some(path) = &self.password_file {
            std::fs::read_to_string(path).map_err(|e| {
                Failure::Usage(format!(
                    "--password-file {}: cannot read it: {}",
                    path.display(),
                    e.kind()
                ))
            })?
        } else if self.password_stdin {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| Failure::Usage(format!("cannot read standard input: {}", e.kind())))?;
            s
        } else {
            return Ok(None);
        };
        let line = text.lines().next().unwrap_or("").trim_end_matches('\r');
        if line.is_empty() {
            return Err(Failure::Usage("the password is empty".into()));
        }
        Ok(Some(line.to_string()))
    }
}

/// Runs one `users` command.
pub async fn run(api: &mut Api, out: Output, cmd: UsersCommand) -> Result<(), Failure> {
    let one = |v: &Value| output::record(v, FIRST);
    match cmd {
        UsersCommand::List { org, page } => {
            output::list_collection(api, out, "users", &org, &page, COLUMNS).await
        }
        UsersCommand::Get { user } => {
            let answer = api.get(&["users", &user], &[]).await?;
            output::show(out, &answer, one)
        }
        UsersCommand::Permissions { user } => {
            let answer = api.get(&["users", &user, "permissions"], &[]).await?;
            output::show(out, &answer, output::permissions)
        }
        UsersCommand::Create {
            username,
            display_name,
            email,
            org,
            disabled,
            password,
        } => {
            let mut body = Body::default();
            body.set("username", Some(username))
                .set("display_name", display_name)
                .set("email", email)
                .set("org_id", org)
                .set("active", disabled.then_some(false))
                .set("password", password.read()?);
            let body = body.into_value();
            let answer = api.call(Method::POST, &["users"], &[], Some(&body)).await?;
            output::show(out, &answer, one)
        }
        UsersCommand::Update {
            user,
            display_name,
            email,
            clear_email,
            password,
        } => {
            let mut body = Body::default();
            body.set("display_name", display_name)
                .set("email", email)
                .clear("email", clear_email)
                .set("password", password.read()?);
            if body.is_empty() {
                return Err(Failure::Usage(
                    "nothing to change: give at least one field (see --help)".into(),
                ));
            }
            patch(api, out, &user, body.into_value()).await
        }
        UsersCommand::Disable { user } => patch(api, out, &user, json!({"active": false})).await,
        UsersCommand::Enable { user } => patch(api, out, &user, json!({"active": true})).await,
        UsersCommand::Delete { user } => {
            api.call(Method::DELETE, &["users", &user], &[], None)
                .await?;
            output::done(out, &format!("user {user} deleted"));
            Ok(())
        }
    }
}

async fn patch(api: &mut Api, out: Output, user: &str, body: Value) -> Result<(), Failure> {
    let answer = api
        .call(Method::PATCH, &["users", user], &[], Some(&body))
        .await?;
    output::show(out, &answer, |v| output::record(v, FIRST))
}
