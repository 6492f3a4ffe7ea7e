//! `castellan admin …`: the admin API (`/admin/v1`) from the command line, over HTTP, with a
//! client_credentials token. Unlike the local commands (`keys`, `bootstrap`, `migrate`) it never
//! opens the database and reads no configuration file: the server, the client_id and the secret
//! come from flags or the environment, or the secret from a file named explicitly.
//!
//! Exit codes (docs/cli.md): 0 done, 1 the admin API refused the call (4xx), 2 a usage error,
//! 3 the server can't be reached or failed (5xx), 4 authentication failed.

mod audit;
mod client_fields;
mod clients;
mod credentials;
mod failure;
mod fields;
mod groups;
mod http;
mod keys;
mod orgs;
mod output;
mod secrets;
mod trust;
mod users;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};

pub use credentials::Secret;
pub use failure::Failure;

/// `castellan admin`: where the server is, who calls, how to print, and what to do.
#[derive(Debug, Args)]
pub struct AdminArgs {
    /// The server and the credentials.
    #[command(flatten)]
    pub connection: Connection,
    /// What to do.
    #[command(subcommand)]
    pub command: AdminCommand,
}

/// How to reach the admin API and as whom. Never read from a file unless one is named.
#[derive(Debug, Args)]
#[command(next_help_heading = "Connection and output (any command; flags or environment)")]
pub struct Connection {
    /// The server's base URL, e.g. https://castellan.example.com (http only on a loopback
    /// address, unless --allow-http).
    #[arg(long, env = "CASTELLAN_SERVER", global = true, value_name = "URL")]
    pub server: Option<String>,
    /// The admin service account's client_id.
    #[arg(long, env = "CASTELLAN_CLIENT_ID", global = true, value_name = "ID")]
    pub client_id: Option<String>,
    /// Its secret. Prefer the environment variable or --client-secret-file: a command line
    /// is visible to other users of the machine.
    #[arg(
        long,
        env = "CASTELLAN_CLIENT_SECRET",
        hide_env_values = true,
        allow_hyphen_values = true,
        global = true,
        value_name = "SECRET"
    )]
    pub client_secret: Option<Secret>,
    /// Read the secret from this file (its first line); wins over --client-secret and
    /// CASTELLAN_CLIENT_SECRET.
    #[arg(long, global = true, value_name = "FILE")]
    pub client_secret_file: Option<PathBuf>,
    /// The audience the token is asked for: the server's `admin.audience`.
    #[arg(
        long,
        env = "CASTELLAN_ADMIN_AUDIENCE",
        default_value = "urn:castellan:admin",
        global = true,
        value_name = "AUDIENCE"
    )]
    pub admin_audience: String,
    /// The scopes to ask for, space-separated (default: the client's default scopes).
    #[arg(long, global = true, value_name = "SCOPES")]
    pub token_scope: Option<String>,
    /// `table` for people, `json` for scripts (the API's JSON as it came).
    #[arg(long, short = 'o', value_enum, default_value_t = Output::Table, global = true)]
    pub output: Output,
    /// Allow plain http to a host that is not a loopback address (the secret and the token
    /// then cross the network in clear).
    #[arg(long, global = true)]
    pub allow_http: bool,
    /// Seconds to wait for the server on each request.
    #[arg(long, default_value_t = 30, global = true, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
}

/// How answers are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Aligned columns (lists) or one field a line (a single item).
    Table,
    /// The admin API's JSON, unchanged; nothing for an answer without a body.
    Json,
}

/// `castellan admin …`.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Organizations.
    #[command(subcommand, visible_alias = "orgs")]
    Organizations(orgs::OrgsCommand),
    /// Clients (service accounts and applications).
    #[command(subcommand)]
    Clients(clients::ClientsCommand),
    /// A client's secrets.
    #[command(subcommand)]
    Secrets(secrets::SecretsCommand),
    /// Refuse every token issued to a client until now.
    RevokeTokens {
        /// The client (its client_id or id).
        client: String,
    },
    /// Groups, and their members.
    #[command(subcommand)]
    Groups(groups::GroupsCommand),
    /// A service account's trust policies (workload identity).
    #[command(subcommand, name = "trust-policies", visible_alias = "trust")]
    TrustPolicies(trust::TrustCommand),
    /// Users (people).
    #[command(subcommand)]
    Users(users::UsersCommand),
    /// Signing keys.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// The audit trail.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
}

/// Runs `castellan admin …` and returns its exit code. `config` is the global `--config`,
/// which names the server's settings: refused here rather than ignored.
pub fn run(args: AdminArgs, config: Option<&std::path::Path>) -> ExitCode {
    if let Some(path) = config {
        return report(&Failure::Usage(format!(
            "castellan admin reads no configuration file (--config {}): give --server, \
             --client-id and the secret (docs/cli.md)",
            path.display()
        )));
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return report(&Failure::Unreachable(format!("cannot start: {e}"))),
    };
    match runtime.block_on(execute(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => report(&failure),
    }
}

fn report(failure: &Failure) -> ExitCode {
    eprintln!("castellan: {failure}");
    ExitCode::from(failure.exit_code())
}

async fn execute(args: AdminArgs) -> Result<(), Failure> {
    let mut api = http::Api::new(&args.connection)?;
    let out = args.connection.output;
    match args.command {
        AdminCommand::Organizations(cmd) => orgs::run(&mut api, out, cmd).await,
        AdminCommand::Clients(cmd) => clients::run(&mut api, out, cmd).await,
        AdminCommand::Secrets(cmd) => secrets::run(&mut api, out, cmd).await,
        AdminCommand::RevokeTokens { client } => {
            secrets::revoke_tokens(&mut api, out, &client).await
        }
        AdminCommand::Groups(cmd) => groups::run(&mut api, out, cmd).await,
        AdminCommand::TrustPolicies(cmd) => trust::run(&mut api, out, cmd).await,
        AdminCommand::Users(cmd) => users::run(&mut api, out, cmd).await,
        AdminCommand::Keys(cmd) => keys::run(&mut api, out, cmd).await,
        AdminCommand::Audit(cmd) => audit::run(&mut api, out, cmd).await,
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::*;

    #[derive(Debug, Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: AdminArgs,
    }

    /// A subcommand's own `client_id` (as a flag, or as an argument with that id) would
    /// silently replace the caller's credentials.
    #[test]
    fn no_subcommand_argument_shadows_a_connection_argument() {
        let root = Wrapper::command();
        let globals: Vec<(String, Option<String>)> = root
            .get_arguments()
            .filter(|a| a.is_global_set())
            .map(|a| (a.get_id().to_string(), a.get_long().map(str::to_string)))
            .collect();
        assert!(globals.iter().any(|(id, _)| id == "client_id"));
        fn walk(cmd: &clap::Command, globals: &[(String, Option<String>)], path: &str) {
            for sub in cmd.get_subcommands() {
                let here = format!("{path} {}", sub.get_name());
                for arg in sub.get_arguments().filter(|a| !a.is_global_set()) {
                    for (id, long) in globals {
                        assert_ne!(arg.get_id().as_str(), id, "{here}");
                        assert!(
                            arg.get_long().is_none() || arg.get_long() != long.as_deref(),
                            "{here}: {id}"
                        );
                    }
                }
                walk(sub, globals, &here);
            }
        }
        walk(&root, &globals, "admin");
    }

    #[test]
    fn a_new_client_id_is_not_taken_for_the_callers() {
        let parsed = Wrapper::try_parse_from([
            "admin",
            "--client-id",
            "caller",
            "clients",
            "create",
            "new-one",
            "--name",
            "n",
        ]);
        let Ok(Wrapper { args }) = parsed else {
            panic!("does not parse: {parsed:?}");
        };
        assert_eq!(args.connection.client_id.as_deref(), Some("caller"));
    }
}
