//! The wire types of `/admin/v1/clients`: request and answer bodies, and what a request
//! becomes in the domain.

use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::domain::clients::Client;
use crate::domain::clients::ClientPatch;
use crate::storage::new_row_id;

/// `POST /admin/v1/clients` body. Omitted fields take the defaults shown.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClientRequest {
    /// Generated (a UUID) when omitted.
    pub client_id: Option<String>,
    /// Display name.
    pub name: String,
    /// Free text (default empty).
    pub description: Option<String>,
    /// `confidential` (default) or `public`.
    pub client_type: Option<String>,
    /// Default `["client_credentials"]`.
    pub grant_types: Option<Vec<String>>,
    /// Scopes it may ask for (default none).
    pub scopes: Option<Vec<String>>,
    /// Scopes granted when a request names none (default none).
    pub default_scopes: Option<Vec<String>>,
    /// Audiences it may ask for (default none).
    pub audiences: Option<Vec<String>>,
    /// Audiences used when a request names none (default: all of `audiences`).
    pub default_audiences: Option<Vec<String>>,
    /// Token lifetime (default: the server's).
    pub token_ttl_seconds: Option<i64>,
    /// Default `client_secret_basic` (confidential) or `none` (public).
    pub token_endpoint_auth_method: Option<String>,
    /// Default true: Castellan is for machine identities.
    pub is_service_account: Option<bool>,
    /// Default false.
    pub is_admin_service_account: Option<bool>,
    /// Public keys (JWKS) for `private_key_jwt`.
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<serde_json::Value>,
    /// Default true.
    pub active: Option<bool>,
    /// Its organization (an id or slug inside the caller's reach); default: the caller's.
    pub org_id: Option<String>,
    /// Redirect URIs for the authorization_code grant (exact match).
    pub redirect_uris: Option<Vec<String>>,
    /// For `private_key_jwt`: where the client's public keys are fetched (https, or http on a
    /// loopback host), instead of `jwks`.
    pub jwks_uri: Option<String>,
}

/// `PATCH /admin/v1/clients/{id}` body: fields not sent keep their values.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateClientRequest {
    /// Cannot change; accepted only when equal to the current value.
    pub client_id: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// `confidential` or `public`.
    pub client_type: Option<String>,
    /// Grant types.
    pub grant_types: Option<Vec<String>>,
    /// Scopes it may ask for.
    pub scopes: Option<Vec<String>>,
    /// Default scopes.
    pub default_scopes: Option<Vec<String>>,
    /// Audiences it may ask for.
    pub audiences: Option<Vec<String>>,
    /// Audiences used when a request names none; `null` returns to "all of `audiences`".
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Vec<String>>)]
    pub default_audiences: Option<Option<Vec<String>>>,
    /// Token lifetime; `null` returns to the server default.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub token_ttl_seconds: Option<Option<i64>>,
    /// How it authenticates.
    pub token_endpoint_auth_method: Option<String>,
    /// Service account flag.
    pub is_service_account: Option<bool>,
    /// Admin service account flag.
    pub is_admin_service_account: Option<bool>,
    /// Public keys (JWKS) for `private_key_jwt`; `null` removes them.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<Option<serde_json::Value>>,
    /// Enabled.
    pub active: Option<bool>,
    /// Can't change: accepted only when equal to the current value (else 422).
    pub org_id: Option<String>,
    /// Redirect URIs for the authorization_code grant (exact match).
    pub redirect_uris: Option<Vec<String>>,
    /// Where the client's public keys are fetched; `null` removes it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub jwks_uri: Option<Option<String>>,
}

/// Tells "absent" (outer None) from "null" (Some(None)).
pub(super) fn double_option<'de, D, T>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}

/// A client just created or promoted; its new secret appears here, once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedClientResponse {
    /// The client.
    #[serde(flatten)]
    pub client: Client,
    /// The new secret (a confidential client's first, or the one a promotion gives). Shown
    /// once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Its id, for rotation and revocation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret_id: Option<String>,
}

impl From<crate::domain::clients::WithSecret> for CreatedClientResponse {
    fn from(w: crate::domain::clients::WithSecret) -> Self {
        let (client_secret_id, client_secret) = match w.secret {
            Some((row, plain)) => (Some(row.id), Some(plain)),
            None => (None, None),
        };
        CreatedClientResponse {
            client: w.client,
            client_secret,
            client_secret_id,
        }
    }
}

/// `POST /admin/v1/clients/{id}/revoke-tokens` answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RevokeTokensResponse {
    /// Tokens issued at or before this instant are refused.
    pub tokens_revoked_before: chrono::DateTime<Utc>,
}

impl From<UpdateClientRequest> for ClientPatch {
    fn from(r: UpdateClientRequest) -> Self {
        ClientPatch {
            client_id: r.client_id,
            name: r.name,
            description: r.description,
            client_type: r.client_type,
            grant_types: r.grant_types,
            scopes: r.scopes,
            default_scopes: r.default_scopes,
            audiences: r.audiences,
            default_audiences: r.default_audiences,
            token_ttl_seconds: r.token_ttl_seconds,
            token_endpoint_auth_method: r.token_endpoint_auth_method,
            is_service_account: r.is_service_account,
            is_admin_service_account: r.is_admin_service_account,
            jwks: r.jwks,
            active: r.active,
            org_id: r.org_id,
            redirect_uris: r.redirect_uris,
            jwks_uri: r.jwks_uri,
        }
    }
}

impl CreateClientRequest {
    /// The client it asks for, with the defaults filled in.
    pub(super) fn into_client(self, now: chrono::DateTime<Utc>) -> Client {
        let client_type = self.client_type.unwrap_or_else(|| "confidential".into());
        let default_method = if client_type == "public" {
            "none"
        } else {
            "client_secret_basic"
        };
        Client {
            id: new_row_id(),
            client_id: self
                .client_id
                .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string()),
            name: self.name,
            description: self.description.unwrap_or_default(),
            token_endpoint_auth_method: self
                .token_endpoint_auth_method
                .unwrap_or_else(|| default_method.into()),
            client_type,
            grant_types: self
                .grant_types
                .unwrap_or_else(|| vec!["client_credentials".into()]),
            scopes: self.scopes.unwrap_or_default(),
            default_scopes: self.default_scopes.unwrap_or_default(),
            audiences: self.audiences.unwrap_or_default(),
            default_audiences: self.default_audiences,
            token_ttl_seconds: self.token_ttl_seconds,
            is_service_account: self.is_service_account.unwrap_or(true),
            is_admin_service_account: self.is_admin_service_account.unwrap_or(false),
            active: self.active.unwrap_or(true),
            tokens_revoked_before: None,
            created_at: now,
            updated_at: now,
            managed_by: "api".into(),
            jwks: self.jwks,
            // Set by the domain from `org_id` (or the caller's organization).
            org_id: String::new(),
            redirect_uris: self.redirect_uris.unwrap_or_default(),
            jwks_uri: self.jwks_uri,
        }
    }
}
