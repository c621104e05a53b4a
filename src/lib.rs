//! launch: renders an Erlang/Elixir release's configuration from the
//! environment, then runs the release as a container's init. The binary is
//! `main.rs`; this library holds every stage of the data flow (see
//! ARCHITECTURE.md), so that tests and fuzz targets can drive each one.

pub mod cli;
pub mod diag;
pub mod env_file;
pub mod format;
pub mod input;
pub mod output;
pub mod placeholder;
pub mod release;
pub mod resolve;
pub mod supervise;
pub mod templates;
pub mod types;
pub mod vars;
