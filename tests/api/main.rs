//! Castellan's integration tests: one binary, a real server per test, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admin_clients;
mod admin_misc;
mod admin_support;
mod configured;
mod helpers;
mod key_revocation;
mod keys;
mod lifecycle;
mod nodes;
mod nodes_support;
mod operations;
mod private_key_jwt;
mod startup;
mod time_claims;
mod token;
