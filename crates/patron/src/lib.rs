//! The `patron` binary's library: the command line, the one place that builds the
//! application from settings ([`app::Application`]), `patron check`, and telemetry.

pub mod app;
pub mod backup;
pub mod check;
pub mod cli;
pub mod demo;
pub mod jobs;
pub mod probe;
pub mod relocate;
pub mod telemetry;

pub use app::{Application, Roles, StartupError};
