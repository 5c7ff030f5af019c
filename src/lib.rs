//! cargo-perf-gate: a performance gate for Rust projects.
//!
//! The pipeline is collect -> model -> stats -> gates -> render -> publish; see ARCHITECTURE.md.

pub mod app;
pub mod callgrind;
pub mod cli;
pub mod collect;
pub mod compare;
pub mod condition;
pub mod config;
pub mod confirm;
pub mod csv;
pub mod error;
pub mod exit_code;
pub mod export;
pub mod gates;
pub mod github;
pub mod history;
pub mod import;
pub mod interrupt;
pub mod json_number;
pub mod matching;
pub mod metric_name;
pub mod model;
pub mod output;
pub mod plan;
pub mod render;
pub mod report;
pub mod rounds;
pub mod secrets;
pub mod slo;
pub mod stats;
#[cfg(test)]
mod test_alloc;
