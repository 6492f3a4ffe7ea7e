//! Castellan's integration tests: one binary, a real server per test, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;
mod keys;
mod startup;
mod token;
