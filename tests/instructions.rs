//! `run --measure instructions` through the real binary: real crates' unchanged criterion
//! benches, built against perf-gate's stand-in for criterion and counted under callgrind.
//! Needs valgrind (`.ci/run` installs it); without it every test says "skipped" unless `CI` is
//! set, where its absence fails them.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

/// Whether valgrind can run here; in CI it must.
fn valgrind() -> bool {
    let found = std::process::Command::new("valgrind").arg("--version").output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(std::env::var_os("CI").is_none(), "valgrind is missing in CI: .ci/run installs it");
        eprintln!("skipped: valgrind is not installed");
    }
    found
}

fn count(project: &Path, out: &str, extra: &[&str]) -> std::process::Output {
    perf_gate(project).args(["--quiet", "--measure", "instructions", "--out-dir", out]).args(extra).output().unwrap()
}

fn results(project: &Path, out: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(project.join(out).join("results.json")).unwrap()).unwrap()
}

/// Each benchmark's instruction count.
fn instructions(results: &Value) -> Vec<(String, f64)> {
    results["benchmarks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["id"].as_str().unwrap().to_owned(), b["metrics"]["instructions"]["samples"][0].as_f64().unwrap()))
        .collect()
}

#[test]
fn the_demo_counts_the_same_twice_and_a_slower_function_alone_regresses() {
    if !valgrind() {
        return;
    }
    let demo = demo_copy("instructions", |dir| std::fs::write(dir.join("benchmark-config.json"), "{}").unwrap());
    let lock = std::fs::read(demo.path().join("Cargo.lock")).unwrap();
    // Out dirs of other lengths: no path the bench sees may shift its memory layout.
    let long = "two-in-an-out-dir-with-a-much-longer-name";
    for out in ["one", long] {
        let output = count(demo.path(), out, &["--bench", "demo_bench"]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    }
    assert_eq!(std::fs::read(demo.path().join("Cargo.lock")).unwrap(), lock, "the lock file is as it was");
    let (one, two) = (results(demo.path(), "one"), results(demo.path(), long));
    let every_count = |results: &Value| -> Vec<(String, String, f64)> {
        let mut all = Vec::new();
        for benchmark in results["benchmarks"].as_array().unwrap() {
            for (name, metric) in benchmark["metrics"].as_object().unwrap() {
                let id = benchmark["id"].as_str().unwrap().to_owned();
                all.push((id, name.clone(), metric["samples"][0].as_f64().unwrap()));
            }
        }
        all
    };
    assert_eq!(every_count(&one), every_count(&two), "every count, the cache's too, is the same");
    // Nor does perf-gate's own environment reach the bench: another HOME, TMPDIR and a longer
    // PATH, the same counts.
    let scratch = tempfile::tempdir().unwrap();
    let path = format!("/a/directory/that/is/not/there:{}", std::env::var("PATH").unwrap());
    let output = perf_gate(demo.path())
        .args(["--quiet", "--measure", "instructions", "--out-dir", "three", "--bench", "demo_bench"])
        .env("HOME", "/home/someone-with-a-much-longer-name")
        .env("TMPDIR", scratch.path())
        .env("PATH", path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(every_count(&one), every_count(&results(demo.path(), "three")), "the environment is the bench's own");
    let ids: Vec<String> = instructions(&one).into_iter().map(|(id, _)| id).collect();
    assert_eq!(
        ids,
        ["adler32_4k", "count_distinct/1000", "parse/numbers", "sort/insertion/256", "sort/std_unstable/256"]
    );
    let first = &one["benchmarks"][0];
    assert_eq!(first["source"]["kind"], "callgrind");
    assert_eq!(first["metrics"]["instructions"]["basis"]["kind"], "deterministic");
    assert!(one["environment"]["callgrind"].as_str().unwrap().starts_with("valgrind-3."), "{}", one["environment"]);
    let parse = one["benchmarks"].as_array().unwrap().iter().find(|b| b["id"] == "parse/numbers").unwrap();
    assert_eq!(parse["source"]["throughput"]["unit"], "bytes", "the declared throughput is kept");

    // parse_numbers doing its work three times: it alone regresses, by the counts.
    slower_parse_numbers(demo.path());
    let baseline = demo.path().join("one/results.json");
    let output = count(demo.path(), "slow", &["--bench", "demo_bench", "--baseline", baseline.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(demo.path().join("slow/report.json")).unwrap()).unwrap();
    let verdicts: Vec<(String, String)> = report["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["metric"] == "instructions")
        .map(|c| (c["id"].as_str().unwrap().to_owned(), c["verdict"].as_str().unwrap().to_owned()))
        .collect();
    let regressed: Vec<&str> = verdicts.iter().filter(|(_, v)| v == "regressed").map(|(id, _)| id.as_str()).collect();
    assert_eq!(regressed, ["parse/numbers"], "{verdicts:?}");
    assert!(verdicts.iter().all(|(id, v)| id == "parse/numbers" || v == "unchanged"), "{verdicts:?}");
}

#[test]
fn criterion_04_benches_compile_against_the_stand_in_and_iter_custom_is_skipped_with_a_note() {
    the_apis_corners_are_counted_on("0.4");
}

#[test]
fn criterion_05_benches_compile_against_the_stand_in_and_iter_custom_is_skipped_with_a_note() {
    the_apis_corners_are_counted_on("0.5");
}

#[test]
fn criterion_08_benches_compile_against_the_stand_in_and_iter_custom_is_skipped_with_a_note() {
    the_apis_corners_are_counted_on("0.8");
}

/// A crate on criterion `version` using the API's corners: a group with throughput, a
/// parameterised id, `iter_batched`, `iter_with_large_drop`, and an `iter_custom` bench, skipped
/// with a note.
fn the_apis_corners_are_counted_on(version: &str) {
    if !valgrind() {
        return;
    }
    let temp = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let path = temp.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "Cargo.toml",
        "[package]\nname = \"counted_05\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [dev-dependencies]\ncriterion = { version = \"VERSION\", default-features = false }\n\n\
         [[bench]]\nname = \"b\"\nharness = false\n\n[workspace]\n"
            .replace("VERSION", version)
            .as_str(),
    );
    write("src/lib.rs", "pub fn sum(v: &[u64]) -> u64 { v.iter().sum() }\n");
    write("benchmark-config.json", "{}");
    write(
        "benches/b.rs",
        r#"use criterion::{black_box, criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use std::time::Instant;

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("sum");
    for n in [100u64, 1000] {
        let v: Vec<u64> = (0..n).collect();
        group.throughput(Throughput::Elements(n));
        group.bench_with_input(BenchmarkId::new("slice", n), &v, |b, v| b.iter(|| counted_05::sum(v)));
    }
    group.bench_function("batched", |b| {
        b.iter_batched(|| (0..500u64).collect::<Vec<_>>(), |v| counted_05::sum(&v), BatchSize::SmallInput)
    });
    group.bench_function("large_drop", |b| b.iter_with_large_drop(|| vec![1u8; 4096]));
    group.bench_function("custom", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                black_box(counted_05::sum(&[1, 2, 3]));
            }
            start.elapsed()
        })
    });
    group.finish();
}

criterion_group! {
    name = g;
    config = Criterion::default().sample_size(20);
    targets = benches
}
criterion_main!(g);
"#,
    );
    let output = count(temp.path(), "out", &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let results = results(temp.path(), "out");
    let locked = results["environment"]["criterion"].as_str().unwrap_or_default().to_owned();
    assert!(locked.starts_with(&format!("{version}.")), "{locked}");
    let counted = instructions(&results);
    let ids: Vec<&str> = counted.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["sum/batched", "sum/large_drop", "sum/slice/100", "sum/slice/1000"]);
    // Summing ten times the numbers costs more instructions.
    let of = |id: &str| counted.iter().find(|(i, _)| i == id).unwrap().1;
    assert!(of("sum/slice/1000") > 5.0 * of("sum/slice/100"), "{counted:?}");
    let note = stderr(&output);
    assert!(note.contains("`sum/custom` (bench `b`) was not counted: iter_custom times its own iterations"), "{note}");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(temp.path().join("out/report.json")).unwrap()).unwrap();
    assert!(report["notes"].to_string().contains("sum/custom"), "the note reaches the reports: {}", report["notes"]);
}

#[test]
fn without_criterion_in_the_lock_counting_is_refused_with_the_reason() {
    if !valgrind() {
        return;
    }
    // A bench of its own harness, no criterion.
    let project = crate_without_benches("{}");
    let manifest = project.path().join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text.replace("[workspace]", "[[bench]]\nname = \"own\"\nharness = false\n\n[workspace]"))
        .unwrap();
    std::fs::create_dir_all(project.path().join("benches")).unwrap();
    std::fs::write(project.path().join("benches/own.rs"), "fn main() {}\n").unwrap();
    let output = count(project.path(), "out", &[]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("the lock file has no criterion"), "{}", stderr(&output));
}

fn git(dir: &Path, args: &[&str]) {
    let output = std::process::Command::new("git").arg("-C").arg(dir).args(args).output().unwrap();
    assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
}

/// `--baseline REF` counts the ref in perf-gate's worktree of it, in the same job: no stored
/// baseline, no other machine.
#[test]
fn a_git_ref_is_counted_in_the_same_job_and_the_slower_function_regresses() {
    if !valgrind() {
        return;
    }
    let demo = demo_copy("instructions_ref", |dir| {
        std::fs::write(dir.join("benchmark-config.json"), "{}").unwrap();
        std::fs::write(dir.join(".gitignore"), "target/\nout/\n").unwrap();
    });
    git(demo.path(), &["init", "--quiet", "--initial-branch", "main"]);
    git(demo.path(), &["add", "-A"]);
    git(demo.path(), &["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", "main"]);
    slower_parse_numbers(demo.path());
    let output = count(demo.path(), "out", &["--bench", "demo_bench", "--baseline", "main"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(demo.path().join("out/report.json")).unwrap()).unwrap();
    let regressed: Vec<&str> = report["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["metric"] == "instructions" && c["verdict"] == "regressed")
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(regressed, ["parse/numbers"]);
    assert!(
        report["baseline"]["origin"]["source"].as_str().unwrap().contains("counted here under callgrind"),
        "{}",
        report["baseline"]
    );
    let base = results(demo.path(), "out/baseline");
    assert_eq!(base["environment"]["callgrind"], results(demo.path(), "out")["environment"]["callgrind"]);
    // --confirm has no suspects to re-measure: the whole suite is counted against the ref.
    let stored = demo.path().join("out/baseline/results.json");
    std::fs::copy(&stored, demo.path().join("stored.json")).unwrap();
    let output =
        count(demo.path(), "confirmed", &["--bench", "demo_bench", "--baseline", "stored.json", "--confirm", "main"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report = std::fs::read_to_string(demo.path().join("confirmed/report.json")).unwrap();
    assert!(report.contains("counted against main rather than screened and confirmed"), "{report}");
}
