//! `cargo-perf-gate`: everything lives in the library; see `cargo_perf_gate::app`.

fn main() -> std::process::ExitCode {
    cargo_perf_gate::app::main()
}
