//! The I/O edge that produces results: running benches and reading what they wrote.

pub mod canary;
pub mod cargo;
pub mod command;
pub mod criterion;
pub mod environment;
pub mod service;
