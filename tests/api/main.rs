//! Castellan's integration tests: one binary, a real server per test, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admin_clients;
mod admin_misc;
mod admin_support;
mod assertions;
mod auth_budgets;
mod client_keys;
mod configured;
mod helpers;
mod keys;
mod lifecycle;
mod operations;
mod private_key_jwt;
mod startup;
mod token;
