//! Castellan in a real browser: Debian's chromium, headless, through chromedriver, against a
//! real server on SQLite and PostgreSQL (the api tests' harness, shared by path).
//! Without chromium and chromedriver these tests skip loudly outside CI and fail under CI.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accessibility;
mod actions;
mod console_accounts;
mod console_flows;
mod console_pages;
mod console_support;
mod harness;
#[allow(dead_code, unused_imports)]
#[path = "../api/helpers.rs"]
mod helpers;
mod smoke;
#[allow(dead_code)]
#[path = "../api/test_db.rs"]
mod test_db;
#[allow(dead_code)]
#[path = "../api/wire.rs"]
mod wire;
