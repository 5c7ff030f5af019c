//! No child of perf-gate sees a secret: the pull request's build script, bench executable,
//! command benchmark and service each dump their environment, and the tokens given to perf-gate
//! (in `GITHUB_TOKEN`, `GH_TOKEN`, and a variable of the user's passed as `--github-token`) are
//! in none of the dumps, while an ordinary variable is in all of them.

mod common;

use std::path::Path;

use common::*;

const ENV_TOKEN: &str = "ghs_envTokenThatMustNotLeak0001";
const GH_TOKEN: &str = "ghp_ghCliTokenThatMustNotLeak002";
const FLAG_TOKEN: &str = "github_pat_flagTokenMustNotLeak3";

/// Writes every variable of its environment to `$PROBE_DIR/<who>.env`.
const DUMP: &str = r#"
fn dump_env(who: &str) {
    if let Ok(dir) = std::env::var("PROBE_DIR") {
        let text: String = std::env::vars().map(|(k, v)| format!("{k}={v}\n")).collect();
        std::fs::write(std::path::Path::new(&dir).join(format!("{who}.env")), text).unwrap();
    }
}
"#;

fn probe_everything(demo: &Path) {
    without_services(demo);
    let manifest = demo.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text.replacen("publish = false", "publish = false\nbuild = \"build.rs\"", 1)).unwrap();
    // Re-run whenever the probe dir changes, i.e. in every test run, despite the shared target.
    let build = format!(
        "{DUMP}\nfn main() {{\n    println!(\"cargo:rerun-if-env-changed=PROBE_DIR\");\n    dump_env(\"build-script\");\n}}\n"
    );
    std::fs::write(demo.join("build.rs"), build).unwrap();
    let bench = demo.join("benches/demo_bench.rs");
    let text = std::fs::read_to_string(&bench).unwrap();
    let text = text.replacen(
        "fn bench_checksum(c: &mut Criterion) {\n",
        "fn bench_checksum(c: &mut Criterion) {\n    dump_env(\"bench\");\n",
        1,
    );
    std::fs::write(&bench, format!("{text}\n{DUMP}")).unwrap();
    let config_path = demo.join("benchmark-config.json");
    let mut config: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&config_path).unwrap()).unwrap();
    config["gates"] = serde_json::json!([]);
    // The demo's SLOs name its service, which this config replaces.
    config.as_object_mut().unwrap().remove("slos");
    config["commands"] = serde_json::json!([{
        "name": "probe_command", "runs": 2, "warmup": 0, "min_time_s": 0,
        "command": ["sh", "-c", "env > \"$PROBE_DIR/command.env\""],
        "prepare": ["sh", "-c", "env > \"$PROBE_DIR/command-prepare.env\""]
    }]);
    config["services"] = serde_json::json!([{
        "name": "probe_service",
        "start": {
            "command": ["sh", "-c", "env > \"$PROBE_DIR/service.env\"; exec python3 -m http.server {port} --bind 127.0.0.1"],
            "ready": {"tcp": "127.0.0.1:{port}", "timeout_s": 30}
        },
        "scenarios": [{
            "name": "get", "rate_per_sec": 20, "duration_s": 1, "warmup_s": 0, "rounds": 2, "connections": 1,
            "requests": [{"method": "GET", "url": "http://127.0.0.1:{port}/"}]
        }]
    }]);
    std::fs::write(&config_path, serde_json::to_string_pretty(&config).unwrap()).unwrap();
}

#[test]
fn build_scripts_benches_commands_and_services_never_see_a_token() {
    let demo = demo_copy("secrets", probe_everything);
    let probes = tempfile::tempdir().unwrap();
    let output = perf_gate(demo.path())
        .args(["--quiet", "--out-dir", "out", "--github-token", FLAG_TOKEN])
        .args(["--", "adler32_4k", "--warm-up-time", "0.1", "--measurement-time", "0.2"])
        .env("CARGO_TARGET_DIR", shared_target_dir())
        .env("CRITERION_HOME", demo.path().join("criterion"))
        .env("PROBE_DIR", probes.path())
        .env("PROBE_VISIBLE", "an-ordinary-variable")
        .env("GITHUB_TOKEN", ENV_TOKEN)
        .env("GH_TOKEN", GH_TOKEN)
        .env("MY_PAT", FLAG_TOKEN)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    for who in ["build-script", "bench", "command", "command-prepare", "service"] {
        let path = probes.path().join(format!("{who}.env"));
        let dump = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{who} wrote no dump ({e})"));
        assert!(dump.contains("PROBE_VISIBLE=an-ordinary-variable"), "{who} did not see the ordinary variable");
        for token in [ENV_TOKEN, GH_TOKEN, FLAG_TOKEN] {
            assert!(!dump.contains(token), "{who} saw a token:\n{dump}");
        }
        for name in ["GITHUB_TOKEN=", "GH_TOKEN=", "MY_PAT="] {
            assert!(!dump.lines().any(|l| l.starts_with(name)), "{who} inherited {name}");
        }
    }
}
