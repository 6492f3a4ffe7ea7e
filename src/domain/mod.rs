//! The domain core: every rule, transaction, audit write and cache update. HTTP adapters
//! (`oauth/`, `admin/`) call it; it calls storage; it never reads the clock itself (`now` is
//! passed in).

pub mod clients;
mod core;
pub mod error;
pub mod powers;
pub mod tokens;
pub mod users;

pub use core::Core;
pub use error::DomainError;
pub use powers::{Acting, Powers};
