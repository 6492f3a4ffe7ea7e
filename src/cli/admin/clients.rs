//! `castellan admin clients …` (`/admin/v1/clients`). `create` prints the new client's secret
//! once; so does an `update` that promotes a client to admin (the server revokes its old
//! secrets and gives one new one).

use clap::Subcommand;
use reqwest::Method;
use serde_json::{json, Value};

use super::client_fields::ClientFields;
use super::fields::{Body, OrgFilter, PageArgs};
use super::http::{Api, Failure};
use super::output::{self, Column};
use super::Output;

const COLUMNS: &[Column] = &[
    ("CLIENT_ID", "client_id"),
    ("NAME", "name"),
    ("TYPE", "client_type"),
    ("ACTIVE", "active"),
    ("ADMIN", "is_admin_service_account"),
    ("SCOPES", "scopes"),
];
const FIRST: &[&str] = &["client_id", "id", "name", "org_id", "active"];

/// `castellan admin clients …`.
#[derive(Debug, Subcommand)]
pub enum ClientsCommand {
    /// The clients the caller may see, oldest first.
    List {
        #[command(flatten)]
        org: OrgFilter,
        #[command(flatten)]
        page: PageArgs,
    },
    /// One client.
    Get {
        /// Its client_id or id.
        client: String,
    },
    /// What a client holds, and where each scope and audience comes from.
    Permissions {
        /// Its client_id or id.
        client: String,
    },
    /// Create a client; a confidential client's first secret is printed once.
    Create {
        /// Its client_id (printable ASCII, no spaces); generated when omitted. (Not
        /// --client-id: that flag names the caller.)
        #[arg(value_name = "CLIENT_ID")]
        new_client_id: Option<String>,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Its organization (id or slug); default: the caller's.
        #[arg(long, value_name = "ID_OR_SLUG")]
        org: Option<String>,
        /// Create it disabled.
        #[arg(long)]
        disabled: bool,
        #[command(flatten)]
        fields: ClientFields,
    },
    /// Change a client: only the fields given change.
    Update {
        /// Its client_id or id.
        client: String,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        fields: ClientFields,
        /// Back to the server's token lifetime.
        #[arg(long, conflicts_with = "ttl")]
        clear_ttl: bool,
        /// Back to "all of its audiences" when a request names none.
        #[arg(long, conflicts_with = "default_audiences")]
        clear_default_audiences: bool,
        /// Remove its registered public keys.
        #[arg(long, conflicts_with = "jwks_file")]
        clear_jwks: bool,
        /// Remove its JWKS URL.
        #[arg(long, conflicts_with = "jwks_uri")]
        clear_jwks_uri: bool,
    },
    /// Disable a client: its tokens are refused from the next call on.
    Disable {
        /// Its client_id or id.
        client: String,
    },
    /// Enable a client again.
    Enable {
        /// Its client_id or id.
        client: String,
    },
    /// Delete a client.
    Delete {
        /// Its client_id or id.
        client: String,
    },
}

/// Runs one `clients` command.
pub async fn run(api: &mut Api, out: Output, cmd: ClientsCommand) -> Result<(), Failure> {
    match cmd {
        ClientsCommand::List { org, page } => {
            output::list_collection(api, out, "clients", &org, &page, COLUMNS).await
        }
        ClientsCommand::Get { client } => {
            let answer = api.get(&["clients", &client], &[]).await?;
            output::show(out, &answer, |v| output::record(v, FIRST))
        }
        ClientsCommand::Permissions { client } => {
            let answer = api.get(&["clients", &client, "permissions"], &[]).await?;
            output::show(out, &answer, output::permissions)
        }
        ClientsCommand::Create {
            new_client_id,
            name,
            org,
            disabled,
            fields,
        } => {
            let mut body = Body::default();
            body.set("name", Some(name))
                .set("client_id", new_client_id)
                .set("org_id", org)
                .set("active", disabled.then_some(false));
            fields.fill(&mut body)?;
            let body = body.into_value();
            let answer = api
                .call(Method::POST, &["clients"], &[], Some(&body))
                .await?;
            output::show(out, &answer, with_secret)
        }
        ClientsCommand::Update {
            client,
            name,
            fields,
            clear_ttl,
            clear_default_audiences,
            clear_jwks,
            clear_jwks_uri,
        } => {
            let mut body = Body::default();
            body.set("name", name)
                .clear("token_ttl_seconds", clear_ttl)
                .clear("default_audiences", clear_default_audiences)
                .clear("jwks", clear_jwks)
                .clear("jwks_uri", clear_jwks_uri);
            fields.fill(&mut body)?;
            if body.is_empty() {
                return Err(Failure::Usage(
                    "nothing to change: give at least one field (see --help)".into(),
                ));
            }
            patch(api, out, &client, body.into_value()).await
        }
        ClientsCommand::Disable { client } => {
            patch(api, out, &client, json!({"active": false})).await
        }
        ClientsCommand::Enable { client } => {
            patch(api, out, &client, json!({"active": true})).await
        }
        ClientsCommand::Delete { client } => {
            api.call(Method::DELETE, &["clients", &client], &[], None)
                .await?;
            output::done(out, &format!("client {client} deleted"));
            Ok(())
        }
    }
}

async fn patch(api: &mut Api, out: Output, client: &str, body: Value) -> Result<(), Failure> {
    let answer = api
        .call(Method::PATCH, &["clients", client], &[], Some(&body))
        .await?;
    output::show(out, &answer, with_secret)
}

/// A client, and after it the secret it came with (if any), once, with a warning.
fn with_secret(v: &Value) -> String {
    let mut client = v.clone();
    let secret = client
        .as_object_mut()
        .and_then(|m| {
            m.remove("client_secret_id");
            m.remove("client_secret")
        })
        .filter(|s| !s.is_null());
    let mut text = output::record(&client, FIRST);
    if let Some(secret) = secret {
        text.push_str(&format!(
            "\n\nclient_secret_id: {}\nclient_secret:    {}",
            output::cell(&v["client_secret_id"]),
            output::cell(&secret)
        ));
        output::note("The client secret is shown once: store it now.");
    }
    text
}
