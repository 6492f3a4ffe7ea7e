//! The fields of `clients create` and `clients update`, typed where the API takes one of a
//! few values, and what they become in a request body.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::failure::Failure;
use super::fields::{optional_json_file, Body};

/// The fields `create` and `update` share. Lists are space-separated; `""` is the empty list.
#[derive(Debug, Args)]
pub struct ClientFields {
    /// Free text.
    #[arg(long)]
    pub description: Option<String>,
    /// confidential (the default) or public.
    #[arg(long, value_enum)]
    pub client_type: Option<ClientType>,
    /// The grant types, comma-separated (default client_credentials).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "GRANTS")]
    pub grant_types: Option<Vec<GrantType>>,
    /// The scopes it may ask for, space-separated.
    #[arg(long, value_name = "SCOPES")]
    pub scopes: Option<String>,
    /// The scopes a request that names none gets.
    #[arg(long, value_name = "SCOPES")]
    pub default_scopes: Option<String>,
    /// The audiences it may ask for, space-separated.
    #[arg(long, value_name = "AUDIENCES")]
    pub audiences: Option<String>,
    /// The audiences a request that names none gets (default: all of --audiences).
    #[arg(long, value_name = "AUDIENCES")]
    pub default_audiences: Option<String>,
    /// Its own token lifetime in seconds (at most the server's maximum).
    #[arg(long, value_name = "SECONDS")]
    pub ttl: Option<i64>,
    /// How it authenticates at the token endpoint.
    #[arg(long, value_enum)]
    pub auth_method: Option<AuthMethod>,
    /// Whether it is a service account (default true).
    #[arg(long, value_name = "BOOL")]
    pub service_account: Option<bool>,
    /// Whether it may call the admin API (default false).
    #[arg(long, value_name = "BOOL")]
    pub admin_service_account: Option<bool>,
    /// Redirect URIs for the authorization_code grant, space-separated.
    #[arg(long, value_name = "URIS")]
    pub redirect_uris: Option<String>,
    /// Its public keys for private_key_jwt: a JWKS document in this file.
    #[arg(long, value_name = "FILE")]
    pub jwks_file: Option<PathBuf>,
    /// Or where its public keys are fetched (https).
    #[arg(long, value_name = "URL")]
    pub jwks_uri: Option<String>,
}

/// `client_type`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ClientType {
    /// Holds a secret or a key.
    Confidential,
    /// Holds nothing (a browser or native application).
    Public,
}

/// `token_endpoint_auth_method`.
#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum AuthMethod {
    /// HTTP Basic with the secret.
    ClientSecretBasic,
    /// The secret in the form.
    ClientSecretPost,
    /// A JWT signed with its registered key.
    PrivateKeyJwt,
    /// A public client.
    None,
}

/// A grant type.
#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum GrantType {
    /// client_credentials.
    ClientCredentials,
    /// authorization_code.
    AuthorizationCode,
    /// refresh_token.
    RefreshToken,
    /// urn:ietf:params:oauth:grant-type:token-exchange.
    #[value(name = "token_exchange")]
    TokenExchange,
}

impl GrantType {
    fn wire(self) -> &'static str {
        match self {
            GrantType::ClientCredentials => "client_credentials",
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
            GrantType::TokenExchange => "urn:ietf:params:oauth:grant-type:token-exchange",
        }
    }
}

fn wire_name(v: impl ValueEnum) -> Option<String> {
    v.to_possible_value().map(|p| p.get_name().to_string())
}

impl ClientFields {
    /// Adds the fields given to a request body.
    pub fn fill(&self, body: &mut Body) -> Result<(), Failure> {
        let grants = self
            .grant_types
            .as_ref()
            .map(|g| g.iter().map(|g| g.wire()).collect::<Vec<_>>());
        body.set("description", self.description.clone())
            .set("client_type", self.client_type.and_then(wire_name))
            .set("grant_types", grants)
            .list("scopes", self.scopes.as_ref())
            .list("default_scopes", self.default_scopes.as_ref())
            .list("audiences", self.audiences.as_ref())
            .list("default_audiences", self.default_audiences.as_ref())
            .set("token_ttl_seconds", self.ttl)
            .set(
                "token_endpoint_auth_method",
                self.auth_method.and_then(wire_name),
            )
            .set("is_service_account", self.service_account)
            .set("is_admin_service_account", self.admin_service_account)
            .list("redirect_uris", self.redirect_uris.as_ref())
            .set(
                "jwks",
                optional_json_file("--jwks-file", self.jwks_file.as_ref())?,
            )
            .set("jwks_uri", self.jwks_uri.clone());
        Ok(())
    }
}
