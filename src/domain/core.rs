//! What the HTTP adapters share: the store, the keys and the in-memory clients, and the
//! services over them. Built by the composition root (`app`), handed to handlers as
//! `web::Data<Core>`.

use std::sync::Arc;

use crate::config::Settings;
use crate::domain::clients::ClientRegistry;
use crate::domain::directory::Directory;
use crate::keys::{KeyRing, MasterKey};
use crate::storage::Db;

use super::clients::{ClientRules, ClientService};
use super::groups::GroupService;
use super::orgs::OrgService;
use super::people::PeopleService;
use super::users::UserService;

/// The domain's shared state.
pub struct Core {
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
    /// The organization tree and the groups' grants in memory.
    pub directory: Arc<Directory>,
    /// Outside issuers' keys (workload identity), fetched and cached.
    pub outside: Arc<crate::resource::OutsideKeys>,
}

impl Core {
    /// The client service over this store and registry.
    pub fn client_service(&self) -> ClientService {
        ClientService::new(
            self.db.clone(),
            self.master.clone(),
            self.clients.clone(),
            self.client_rules(),
        )
    }

    /// The organization service over this store and directory.
    pub fn org_service(&self) -> OrgService {
        OrgService::new(self.db.clone(), self.directory.clone())
    }

    /// The group service over this store, directory and registry.
    pub fn group_service(&self) -> GroupService {
        GroupService::new(
            self.db.clone(),
            self.directory.clone(),
            self.clients.clone(),
        )
    }

    /// The people service (sign-in, codes, refresh tokens) over this store.
    pub fn people(&self) -> PeopleService {
        PeopleService::new(self.db.clone(), self.master.clone())
    }

    /// The user service over this store.
    pub fn user_service(&self) -> UserService {
        UserService::new(self.db.clone())
    }

    /// The rules every client keeps, from the configuration.
    pub fn client_rules(&self) -> ClientRules {
        ClientRules {
            max_ttl_seconds: self.settings.token.max_ttl_seconds,
            admin_audience: self.settings.admin.audience.clone(),
        }
    }
}
