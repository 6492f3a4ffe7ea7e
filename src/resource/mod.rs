//! The resource-server side lives in its own crate, `castellan-resource` (crates/resource),
//! usable by any actix-web service without this server's storage. This module re-exports it and
//! adds what only the authorization server has: its key ring as a [`KeySource::Local`] and a
//! [`PrincipalDirectory`] over its store.

mod store_directory;

#[cfg(test)]
mod tests;

pub use castellan_resource::*;
pub use store_directory::{OwnKeys, StoreDirectory};
