//! Castellan's integration tests: one binary, a real server per test, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admin_clients;
mod admin_misc;
mod admin_support;
mod assertions;
mod at_rest;
mod auth_budgets;
mod client_keys;
mod configured;
mod environment;
mod hardening;
mod helpers;
mod identifiers;
mod keys;
mod lifecycle;
mod openapi;
mod operations;
mod private_key_jwt;
mod rules_powers;
mod rules_races;
mod rules_support;
mod rules_time;
mod startup;
mod token;
