//! `patron backup`: declarative backups a Kubernetes CronJob runs. The configuration is
//! Tergum's `tergum.yml` (schema version 3), read strictly ([`config`]); stored backups are
//! named as Tergum names them and pruned by a retention policy ([`retention`]).

pub mod config;
pub mod crypt;
pub mod manifest;
pub mod metrics;
pub mod notify;
pub mod restore;
pub mod retention;
pub mod run;
pub mod source;

pub use config::{Config, ConfigError, expand_env};

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests;
