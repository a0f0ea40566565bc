//! Black-box tests of patron: a real server on a random port, a fresh database per test, on
//! SQLite and PostgreSQL alike. Logs are silent unless `TEST_LOG=1`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

mod feeds;
mod gpwebpay;
mod stripe;

mod account_mails;
mod accounts;
mod admin;
mod backup;
mod config;
mod creators;
mod csrf;
mod demo;
mod documents;
mod earnings;
mod events;
mod languages;
mod mail;
mod media;
mod ops;
mod pages;
mod payments;
mod payouts;
mod posts;
mod probe;
mod process;
mod rate_limit;
mod relocate;
mod self_service;
mod sessions;
mod shutdown;
mod telemetry;
