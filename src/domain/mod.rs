//! The domain core: every rule, transaction, audit write and cache update. HTTP adapters
//! (`oauth/`, `admin/`) call it; it calls storage; it never reads the clock itself (`now` is
//! passed in).

pub mod callers;
pub mod clients;
mod core;
pub mod directory;
pub mod error;
pub mod groups;
pub mod holdings;
pub mod orgs;
pub mod people;
pub mod powers;
pub mod revocations;
pub mod tenancy;
pub mod tokens;
pub mod users;
pub mod workload;

pub use core::Core;
pub use error::DomainError;
pub use powers::{Acting, Powers};
