//! A partial update: fields not sent keep their values.

use super::Client;

/// The fields a PATCH may send; `None` keeps the current value.
#[derive(Debug, Default, Clone)]
pub struct ClientPatch {
    /// Can't change; accepted only when equal to the current value.
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
    /// Default audiences; `Some(None)` returns to "all of them".
    pub default_audiences: Option<Option<Vec<String>>>,
    /// Token lifetime; `Some(None)` returns to the server default.
    pub token_ttl_seconds: Option<Option<i64>>,
    /// How it authenticates.
    pub token_endpoint_auth_method: Option<String>,
    /// Service account flag.
    pub is_service_account: Option<bool>,
    /// Admin service account flag.
    pub is_admin_service_account: Option<bool>,
    /// Public keys; `Some(None)` removes them.
    pub jwks: Option<Option<serde_json::Value>>,
    /// Enabled.
    pub active: Option<bool>,
    /// Can't change; accepted only when equal to the current value.
    pub org_id: Option<String>,
    /// Redirect URIs.
    pub redirect_uris: Option<Vec<String>>,
    /// Where its keys are fetched; `Some(None)` removes it.
    pub jwks_uri: Option<Option<String>>,
}

impl ClientPatch {
    /// The client with this patch applied (not yet validated).
    pub fn apply(self, mut c: Client) -> Result<Client, Vec<String>> {
        if self.client_id.as_ref().is_some_and(|id| *id != c.client_id) {
            return Err(vec!["client_id cannot change".into()]);
        }
        if self.org_id.as_ref().is_some_and(|o| *o != c.org_id) {
            return Err(vec![
                "org_id cannot change: a principal's organization is fixed at creation".into(),
            ]);
        }
        macro_rules! merge {
            ($($field:ident),*) => { $( if let Some(v) = self.$field { c.$field = v; } )* };
        }
        merge!(
            name,
            description,
            client_type,
            grant_types,
            scopes,
            default_scopes,
            audiences,
            default_audiences,
            token_ttl_seconds,
            token_endpoint_auth_method,
            is_service_account,
            is_admin_service_account,
            active,
            jwks,
            redirect_uris,
            jwks_uri
        );
        Ok(c)
    }
}
