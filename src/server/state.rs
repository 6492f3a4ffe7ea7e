//! What every handler shares.

use std::sync::Arc;

use crate::clients::ClientRegistry;
use crate::config::Settings;
use crate::keys::{KeyRing, MasterKey};
use crate::oauth::ratelimit::RateLimiter;
use crate::server::metrics::Metrics;
use crate::storage::Db;

/// Application state, in `web::Data`.
pub struct AppState {
    /// Configuration.
    pub settings: Settings,
    /// Issuer URL (no trailing slash).
    pub issuer: String,
    /// The store.
    pub db: Db,
    /// Master key (sealing, secret hashes).
    pub master: Arc<MasterKey>,
    /// Signing keys in memory.
    pub keys: Arc<KeyRing>,
    /// Clients in memory.
    pub clients: Arc<ClientRegistry>,
    /// Prometheus metrics of this server (its own registry).
    pub metrics: Arc<Metrics>,
    /// The token endpoint's rate limits.
    pub rate_limit: Arc<RateLimiter>,
}

impl AppState {
    /// The client service over this state's store and registry.
    pub fn client_service(&self) -> crate::domain::clients::ClientService {
        crate::domain::clients::ClientService::new(
            self.db.clone(),
            self.master.clone(),
            self.clients.clone(),
            self.client_rules(),
        )
    }

    /// The user service over this state's store.
    pub fn user_service(&self) -> crate::domain::users::UserService {
        crate::domain::users::UserService::new(self.db.clone())
    }

    /// The rules every client keeps, from the configuration.
    pub fn client_rules(&self) -> crate::domain::clients::ClientRules {
        crate::domain::clients::ClientRules {
            max_ttl_seconds: self.settings.token.max_ttl_seconds,
            admin_audience: self.settings.admin.audience.clone(),
        }
    }
}
