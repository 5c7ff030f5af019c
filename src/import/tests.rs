use super::*;
use crate::model::{Basis, Benchmark, DeclaredThroughput, Source, ThroughputUnit, THROUGHPUT_METRIC, TIME_METRIC};

/// `import` with a file name and no other option: the format read and the benchmarks.
fn import(format: Format, text: &str, file: &str) -> Result<(Format, Vec<Benchmark>), Problem> {
    let imported = super::import(format, text, &Options { file, name: "load", higher_is_better: &[] })?;
    Ok((imported.format, imported.benchmarks))
}

fn with(format: Format, text: &str, higher_is_better: &[String]) -> Result<Imported, Problem> {
    super::import(format, text, &Options { file: "f", name: "load", higher_is_better })
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/fixtures/import/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn a_real_hyperfine_export_becomes_benchmarks_with_every_run_as_a_sample() {
    let (format, benchmarks) = import(Format::Auto, &fixture("hyperfine-1.15.json"), "hf.json").unwrap();
    assert_eq!(format, Format::Hyperfine, "detected");
    let ids: Vec<&str> = benchmarks.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(ids, ["sleep/5ms", "exits/3"]);
    let sleep = &benchmarks[0];
    let time = &sleep.metrics[TIME_METRIC];
    assert_eq!((time.unit.as_str(), time.samples.len(), time.compared), ("ns", 10, true));
    assert!(time.summary.median > 5e6 && time.summary.median < 5e7, "{:?}", time.summary);
    assert_eq!(sleep.metrics["exit_failures"].value, Some(0.0));
    assert!(!sleep.metrics.contains_key("peak_rss_bytes"), "1.15 records no memory");
    assert_eq!(benchmarks[1].metrics["exit_failures"].value, Some(10.0), "every run exited 3");
    let Source::Hyperfine(source) = &sleep.source else { panic!("{:?}", sleep.source) };
    assert_eq!((source.file.as_str(), source.runs, source.failed_runs), ("hf.json", 10, 0));
}

#[test]
fn hyperfine_1_20_adds_memory_and_a_signal_is_a_failed_run() {
    let (_, benchmarks) = import(Format::Hyperfine, &fixture("hyperfine-1.20.json"), "hf.json").unwrap();
    let peak = &benchmarks[0].metrics["peak_rss_bytes"];
    assert_eq!((peak.value, peak.compared), (Some(1843200.0), false), "a running maximum: its peak, not compared");
    assert_eq!(benchmarks[0].metrics["exit_failures"].value, Some(1.0), "the null exit code");
    assert_eq!(benchmarks[0].metrics["user_ms"].unit, "ms");
}

#[test]
fn malformed_files_say_where_and_what_was_expected() {
    let cases = [
        ("", "", "not JSON"),
        ("[]", "", "cannot tell the format"),
        (r#"{"results": [{"command": "a"}]}"#, "", "cannot tell the format"),
        (r#"{"results": []}"#, "", "holds no benchmark"),
        (
            r#"{"results": [{"command": "a", "times": [1.0], "user": "x", "system": 0, "exit_codes": [0]}]}"#,
            "results[0].user",
            "not hyperfine's format",
        ),
        (
            r#"{"results": [{"command": "a", "times": [], "user": 0, "system": 0, "exit_codes": []}]}"#,
            "results[0].times",
            "every run's time",
        ),
        (
            r#"{"results": [{"command": "a", "times": [1], "user": 0, "system": 0, "exit_codes": [0]},
                         {"command": "a", "times": [1], "user": 0, "system": 0, "exit_codes": [0]}]}"#,
            "results[1].command",
            "is also results[0]",
        ),
        (
            r#"{"results": [{"command": " ", "times": [1], "user": 0, "system": 0, "exit_codes": [0]}]}"#,
            "results[0].command",
            "--command-name",
        ),
    ];
    for (text, at, message) in cases {
        let error = import(Format::Auto, text, "f").unwrap_err();
        assert_eq!(error.at, at, "{text}: {error}");
        assert!(error.message.contains(message), "{text}: {error}");
    }
    // A truncated file, and another format given as hyperfine.
    let truncated = &fixture("hyperfine-1.15.json")[..200];
    assert!(import(Format::Hyperfine, truncated, "f").unwrap_err().message.contains("EOF"));
    let criterion = r#"{"group_id": "a", "function_id": null}"#;
    let error = import(Format::Hyperfine, criterion, "f").unwrap_err();
    assert!(error.message.starts_with("not hyperfine's format: missing field `results`"), "{error}");
}

#[test]
fn cargo_criterions_messages_become_benchmarks_with_their_samples_and_throughput() {
    let text = fixture("cargo-criterion-1.1.jsonl");
    let (format, benchmarks) = import(Format::Auto, &text, "cc.jsonl").unwrap();
    assert_eq!(format, Format::CargoCriterion, "detected");
    let ids: Vec<&str> = benchmarks.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(
        ids,
        ["adler32_4k", "sort/insertion/256", "sort/std_unstable/256", "parse/numbers", "count_distinct/1000"]
    );
    let adler = &benchmarks[0].metrics[TIME_METRIC];
    assert_eq!((adler.unit.as_str(), adler.samples.len(), adler.compared), ("ns", 100, true));
    // The first sample: 193817 ns over 165 iterations.
    assert!((adler.samples[0] - 193817.0 / 165.0).abs() < 1e-9, "{}", adler.samples[0]);
    let parse = &benchmarks[3];
    let rate = &parse.metrics[crate::model::THROUGHPUT_METRIC];
    assert_eq!((rate.unit.as_str(), rate.compared), ("bytes/s", false));
    let Source::CargoCriterion(source) = &parse.source else { panic!("{:?}", parse.source) };
    assert_eq!(source.throughput, Some(DeclaredThroughput { unit: ThroughputUnit::Bytes, per_iteration: 11747 }));
    assert!(source.report_directory.ends_with("target/criterion/reports/parse/numbers"), "{}", source.report_directory);
}

#[test]
fn malformed_cargo_criterion_messages_name_the_line() {
    let good = fixture("cargo-criterion-1.1.jsonl");
    let first = good.lines().next().unwrap();
    let cases = [
        (format!("{first}\nnot json"), "line 2", "one JSON message a line"),
        (r#"{"reason": "benchmark-complete", "id": "a"}"#.to_owned(), "line 1", "missing field `report_directory`"),
        (
            r#"{"reason": "benchmark-complete", "id": "a", "report_directory": "r", "iteration_count": [1, 2], "measured_values": [5], "unit": "ns"}"#.to_owned(),
            "line 1",
            "2 iteration counts and 1 measured values",
        ),
        (
            r#"{"reason": "benchmark-complete", "id": "a", "report_directory": "r", "iteration_count": [1], "measured_values": ["x"], "unit": "ns"}"#.to_owned(),
            "line 1, measured_values[0]",
            "not cargo-criterion's format",
        ),
        (format!("{first}\n{first}"), "line 2, id", "completes twice"),
        (r#"{"reason": "group-complete", "group_name": "g", "benchmarks": [], "report_directory": "r"}"#.to_owned(), "", "holds no benchmark"),
    ];
    for (text, at, message) in cases {
        let error = import(Format::CargoCriterion, &text, "f").unwrap_err();
        assert_eq!(error.at, at, "{error}");
        assert!(error.message.contains(message), "{error}");
    }
    // A hyperfine file given as cargo-criterion.
    let error = import(Format::CargoCriterion, &fixture("hyperfine-1.15.json"), "f").unwrap_err();
    assert!(error.message.contains("one JSON message a line with a `reason`"), "{error}");
}

/// The spread a summary metric states, or `None`.
fn spread(metric: &crate::model::Metric) -> Option<(f64, f64)> {
    match &metric.basis {
        Basis::Summary { spread } => spread.as_ref().map(|s| (s.lower, s.upper)),
        other => panic!("not a summary: {other:?}"),
    }
}

#[test]
fn libtests_text_is_one_summary_per_bench_with_its_stated_spread() {
    // Written by rustc 1.95's libtest (RUSTC_BOOTSTRAP=1 cargo bench): two-decimal figures.
    let imported = with(Format::Auto, &fixture("libtest-1.95.txt"), &[]).unwrap();
    assert_eq!(imported.format, Format::Libtest, "detected");
    let ids: Vec<&str> = imported.benchmarks.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(ids, ["tests::bench_copy", "tests::bench_noop", "tests::bench_sum", "tests::nested::bench_vec_push"]);
    let copy = &imported.benchmarks[0];
    let time = &copy.metrics[TIME_METRIC];
    assert_eq!((time.unit.as_str(), time.samples.as_slice(), time.compared), ("ns", [147.5].as_slice(), true));
    // +/- 247.07 around 147.50: the lower bound stops at zero.
    assert_eq!(spread(time), Some((0.0, 147.5 + 247.07)));
    let rate = &copy.metrics[THROUGHPUT_METRIC];
    assert_eq!((rate.unit.as_str(), rate.gate_value(), rate.compared), ("bytes/s", 27863e6, false));
    assert!(!imported.benchmarks[1].metrics.contains_key(THROUGHPUT_METRIC));
    assert!(matches!(&copy.source, Source::Libtest(f) if f.file == "f"));
    // Thousands separators in two-decimal figures (rustc 1.95).
    let (_, slow) = import(Format::Libtest, &fixture("libtest-1.95-thousands-sep.txt"), "f").unwrap();
    assert_eq!(slow[0].metrics[TIME_METRIC].gate_value(), 14516.24);
    assert_eq!(spread(&slow[0].metrics[TIME_METRIC]), Some((14516.24 - 11079.89, 14516.24 + 11079.89)));
    // The older integer form, a failed bench, another harness's units.
    let text = "test a ... bench:       1,234 ns/iter (+/- 56)\n\
                test b ... FAILED\n\
                test c ... bench:       4,567 ns/iter (+/- 64) = 2189 MB/s\n\
                test cmov ... bench:        2835 cycles/iter (+/- 14)\n\
                test upload ... bench:        1911 MS/s (+/- 420)\n";
    let imported = with(Format::Libtest, text, &[]).unwrap();
    let a = &imported.benchmarks[0].metrics[TIME_METRIC];
    assert_eq!((a.gate_value(), spread(a)), (1234.0, Some((1178.0, 1290.0))));
    assert_eq!(imported.notes, ["line 2: `b` failed, so libtest gave no figure for it"]);
    let cycles = &imported.benchmarks[2].metrics["value"];
    assert_eq!((cycles.unit.as_str(), cycles.better), ("cycles", Better::Lower));
    let upload = &imported.benchmarks[3].metrics["value"];
    assert_eq!((upload.unit.as_str(), upload.better), ("MS/s", Better::Higher));
}

#[test]
fn libtests_json_events_are_read_like_its_text() {
    // rustc 1.95's `cargo bench -- -Z unstable-options --format json` (RUSTC_BOOTSTRAP=1).
    let imported = with(Format::Auto, &fixture("libtest-1.95.jsonl"), &[]).unwrap();
    assert_eq!((imported.format, imported.benchmarks.len()), (Format::Libtest, 4));
    let copy = &imported.benchmarks[0];
    let time = &copy.metrics[TIME_METRIC];
    assert!((time.gate_value() - 164.1437753832045).abs() < 1e-9);
    assert!(spread(time).is_some());
    assert_eq!(copy.metrics[THROUGHPUT_METRIC].gate_value(), 24975e6);
}

#[test]
fn malformed_libtest_output_names_the_line() {
    let cases = [
        ("test a ... bench: x ns/iter (+/- 1)", "line 1", "expected `test NAME ... bench: N ns/iter (+/- D)`"),
        ("test a ... bench: 5 ns/iter", "line 1", "expected `test NAME"),
        ("test a ... bench: 5 ns/iter (+/- 1) = fast", "line 1", "expected `test NAME"),
        ("test a ... bench: 5 parsecs (+/- 1)", "line 1", "the unit is `ns/iter`"),
        ("test a ... bench: 5 ns/iter (+/- 1)\ntest a ... bench: 6 ns/iter (+/- 1)", "line 2", "is also on line 1"),
        ("running 0 tests\n\ntest result: ok.", "", "holds no benchmark"),
        ("", "", "holds no benchmark"),
        (
            "{\"type\": \"bench\", \"name\": \"a\", \"median\": 5}",
            "line 1, deviation",
            "needs `name`, `median` and `deviation`",
        ),
        (
            "{\"type\": \"bench\", \"name\": \"a\", \"median\": \"5\", \"deviation\": 1}",
            "line 1",
            "not libtest's --format json",
        ),
        ("{\"type\": \"suite\"}\nnot json", "line 2", "not libtest's --format json"),
    ];
    for (text, at, message) in cases {
        let error = with(Format::Libtest, text, &[]).unwrap_err();
        assert_eq!(error.at, at, "{text}: {error}");
        assert!(error.message.contains(message), "{text}: {error}");
    }
    // Truncated in the middle of a bench line.
    let text = fixture("libtest-1.95.txt");
    let cut = text.find("(+/- 247").unwrap() + 4;
    let error = with(Format::Libtest, &text[..cut], &[]).unwrap_err();
    assert_eq!((error.at.as_str(), error.message.contains("expected `test NAME")), ("line 4", true), "{error}");
    // A hyperfine file given as libtest has no bench line.
    let error = with(Format::Libtest, &fixture("hyperfine-1.15.json"), &[]).unwrap_err();
    assert!(error.message.contains("not libtest's --format json"), "{error}");
}

#[test]
fn gungrauns_summaries_are_exact_callgrind_counts() {
    // gungraun 0.20.0's --output-format=json (a second run: new and old counts) and one of its
    // summary.json files, valgrind 3.19.
    let imported = with(Format::Auto, &fixture("gungraun-0.20.0.jsonl"), &[]).unwrap();
    assert_eq!(imported.format, Format::Gungraun, "detected");
    let ids: Vec<&str> = imported.benchmarks.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "my_bench::my_group::bench_fibonacci.short",
            "my_bench::my_group::bench_fibonacci.long",
            "my_bench::my_group::bench_sum_to"
        ]
    );
    let short = &imported.benchmarks[0];
    let instructions = &short.metrics["instructions"];
    // The new count (1522), not the old (1792).
    assert_eq!(
        (instructions.gate_value(), &instructions.basis, instructions.compared),
        (1522.0, &Basis::Deterministic, true)
    );
    assert_eq!(short.metrics["estimated_cycles"].gate_value(), 2385.0);
    assert!(!short.metrics["d1_read_misses"].compared);
    let Source::Gungraun(source) = &short.source else { panic!("{:?}", short.source) };
    assert_eq!(
        (source.schema_version.as_str(), source.module_path.as_str()),
        ("7", "my_bench::my_group::bench_fibonacci")
    );
    let (format, one) = import(Format::Auto, &fixture("gungraun-0.20.0-summary.json"), "f").unwrap();
    assert_eq!((format, one.len()), (Format::Gungraun, 1));
    assert_eq!(one[0], *short, "one summary.json reads as its line does");
}

#[test]
fn older_iai_callgrind_summaries_are_read_too_and_bad_ones_say_where() {
    // iai-callgrind 0.16.1 (schema 6) on the same benches and the same change as the gungraun
    // fixture: the same ids and instruction counts, from `Both: [new, old]` (the estimated
    // cycles of `long` differ by 38 of 274,936 between the two runners, a cause not looked into).
    let old = with(Format::Auto, &fixture("iai-callgrind-0.16.1.jsonl"), &[]).unwrap();
    let new = with(Format::Gungraun, &fixture("gungraun-0.20.0.jsonl"), &[]).unwrap();
    assert_eq!(old.format, Format::Gungraun, "detected");
    let counts = |imported: &Imported| -> Vec<(String, f64)> {
        imported.benchmarks.iter().map(|b| (b.id.clone(), b.metrics["instructions"].gate_value())).collect()
    };
    assert_eq!(counts(&old), counts(&new));
    assert!(matches!(&old.benchmarks[0].source, Source::Gungraun(s) if s.schema_version == "6"));
    // A first run has `Left` alone (from the documented schema).
    let v6 = r#"{"version": "6", "module_path": "b::g::f", "id": "x", "profiles": [{"tool": "Callgrind",
        "summaries": {"parts": [], "total": {"summary": {"Callgrind": {
            "Ir": {"metrics": {"Both": [{"Int": 900}, {"Int": 1000}]}, "diffs": null},
            "EstimatedCycles": {"metrics": {"Left": {"Float": 1500.0}}, "diffs": null}}}, "regressions": []}}}]}"#;
    let (_, benchmarks) = import(Format::Gungraun, v6, "f").unwrap();
    assert_eq!(benchmarks[0].id, "b::g::f.x");
    assert_eq!(benchmarks[0].metrics["instructions"].gate_value(), 900.0);
    assert_eq!(benchmarks[0].metrics["estimated_cycles"].gate_value(), 1500.0);
    let cases = [
        (r#"{"version": "4", "module_path": "m", "profiles": []}"#, "version", "versions 5 to 7"),
        (r#"{"version": "7", "profiles": []}"#, "module_path", "names the benchmark"),
        (r#"{"version": "7", "module_path": "m", "profiles": []}"#, "profiles", "no Callgrind totals"),
        (
            r#"{"version": "7", "module_path": "m", "profiles": [{"tool": "Callgrind", "data": {"total": {"metrics": {"Ir": {"values": {"old": 5}}}}}}]}"#,
            "profiles.Callgrind.total.Ir",
            "no new count",
        ),
        ("{\"version\": \"7\"\nnot json", "line 1", "one JSON summary a line"),
    ];
    for (text, at, message) in cases {
        let error = with(Format::Gungraun, text, &[]).unwrap_err();
        assert_eq!(error.at, at, "{text}: {error}");
        assert!(error.message.contains(message), "{text}: {error}");
    }
    let truncated = &fixture("gungraun-0.20.0-summary.json")[..300];
    assert!(with(Format::Gungraun, truncated, &[]).is_err());
    assert!(with(Format::Gungraun, "", &[]).unwrap_err().message.contains("holds no benchmark"));
    let error = with(Format::Gungraun, &fixture("hyperfine-1.15.json"), &[]).unwrap_err();
    assert!(error.message.contains("not gungraun's summary"), "{error}");
}

#[test]
fn bmf_measures_become_metrics_with_their_bounds() {
    let text = r#"{
        "sort/1000": {"latency": {"value": 88.0, "lower_value": 87.42, "upper_value": 88.88},
                      "throughput": {"value": 11363.0}},
        "parse": {"instructions": {"value": 123456789}, "file-size": {"value": 4096}},
        "startup-bencher-ignore": {"boot-ms": {"value": "7"}}
    }"#
    .replace(r#""7""#, "7");
    let imported = with(Format::Auto, &text, &["boot-ms".to_owned()]).unwrap();
    assert_eq!(imported.format, Format::Bmf, "detected");
    let ids: Vec<&str> = imported.benchmarks.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(ids, ["parse", "sort/1000", "startup"]);
    let sort = &imported.benchmarks[1];
    let time = &sort.metrics[TIME_METRIC];
    assert_eq!((time.unit.as_str(), time.gate_value(), spread(time)), ("ns", 88.0, Some((87.42, 88.88))));
    let throughput = &sort.metrics["throughput"];
    assert_eq!((throughput.better, throughput.compared, spread(throughput)), (Better::Higher, true, None));
    let parse = &imported.benchmarks[0];
    assert_eq!(parse.metrics["instructions"].basis, Basis::Deterministic);
    assert_eq!(parse.metrics["file-size"].unit, "bytes");
    // `-bencher-ignore` is taken off the name and keeps the benchmark out of the comparison.
    let boot = &imported.benchmarks[2].metrics["boot-ms"];
    assert_eq!((boot.better, boot.compared), (Better::Higher, false));
    assert_eq!(imported.notes, ["1 named with `-bencher-ignore`: gated, not compared (startup)"]);
    let cases = [
        (r#"{"a": {"latency": {"value": "x"}}}"#, "a.latency.value", "not bmf's format"),
        (r#"{"a": {"latency": {"lower_value": 1}}}"#, "a.latency", "missing field `value`"),
        (r#"{"a": {"latency": {"value": 1, "lower": 1}}}"#, "a.latency.lower", "unknown field `lower`"),
        (r#"{"a": {"latency": {"value": 5, "lower_value": 6}}}"#, "a.latency", "`lower_value` <= `value`"),
        (r#"{"a": {}}"#, "a", "at least one measure"),
        (r#"{"": {"latency": {"value": 1}}}"#, "", "needs a name"),
        (
            r#"{"a": {"latency": {"value": 1}}, "a-bencher-ignore": {"latency": {"value": 1}}}"#,
            "a-bencher-ignore",
            "named twice",
        ),
        ("{}", "", "holds no benchmark"),
        (r#"[{"a": 1}]"#, ".", "not bmf's format"),
    ];
    for (text, at, message) in cases {
        let error = with(Format::Bmf, text, &[]).unwrap_err();
        assert_eq!(error.at, at, "{text}: {error}");
        assert!(error.message.contains(message), "{text}: {error}");
    }
    assert!(with(Format::Bmf, &text[..40], &[]).unwrap_err().message.contains("EOF"));
    let gab = r#"[{"name": "a", "unit": "ns", "value": 1}]"#;
    assert!(with(Format::Bmf, gab, &[]).unwrap_err().message.contains("not bmf's format: invalid type: sequence"));
}

#[test]
fn github_action_benchmark_entries_become_values_with_their_range() {
    // The shapes of github-action-benchmark's own test data: a string range, a numeric one, none.
    let text = r#"[
        {"name": "No instrumentation", "unit": "ns", "value": 90.9439, "range": 0.519165},
        {"name": "Free memory", "unit": "Megabytes", "value": "150", "range": "3", "extra": "x"},
        {"name": "Throughput", "unit": "req/s", "value": 70, "range": "± 5%"},
        {"name": "Odd", "unit": "s", "value": 1, "range": "about a second"}
    ]"#;
    let imported = with(Format::Auto, text, &[]).unwrap();
    assert_eq!(imported.format, Format::Gab, "detected");
    let value = |i: usize| &imported.benchmarks[i].metrics["value"];
    assert_eq!((value(0).unit.as_str(), value(0).better), ("ns", Better::Lower));
    assert_eq!(spread(value(0)), Some((90.9439 - 0.519165, 90.9439 + 0.519165)));
    assert_eq!((value(1).gate_value(), spread(value(1))), (150.0, Some((147.0, 153.0))));
    assert_eq!(spread(value(2)), Some((66.5, 73.5)));
    assert_eq!(spread(value(3)), None);
    assert_eq!(
        imported.notes,
        ["[3].range: range `about a second` is not `± N`, `+/- N` or `N%`; `Odd` is compared without it"]
    );
    assert!(with(Format::Gab, &text[..50], &[]).unwrap_err().message.contains("EOF"));
    // customBiggerIsBetter.
    let bigger = with(Format::Gab, text, &["value".to_owned()]).unwrap();
    assert_eq!(bigger.benchmarks[0].metrics["value"].better, Better::Higher);
    let cases = [
        (r#"[{"name": "a", "unit": "ns", "value": "fast"}]"#, "[0].value", "is not a number"),
        (r#"[{"name": "a", "value": 1}]"#, "[0]", "missing field `unit`"),
        (r#"[{"name": " ", "unit": "ns", "value": 1}]"#, "[0].name", "needs a name"),
        (
            r#"[{"name": "a", "unit": "ns", "value": 1}, {"name": "a", "unit": "ns", "value": 2}]"#,
            "[1].name",
            "is also [0]",
        ),
        ("[]", "", "holds no benchmark"),
        (r#"{"name": "a"}"#, ".", "not gab's format"),
    ];
    for (text, at, message) in cases {
        let error = with(Format::Gab, text, &[]).unwrap_err();
        assert_eq!(error.at, at, "{text}: {error}");
        assert!(error.message.contains(message), "{text}: {error}");
    }
}

#[test]
fn a_k6_summary_is_one_benchmark_named_as_a_service_scenario_is() {
    // k6 1.1.0's --summary-export of a run against a loopback server (two thresholds, two checks).
    let imported = with(Format::Auto, &fixture("k6-1.1.0-summary.json"), &[]).unwrap();
    assert_eq!((imported.format, imported.benchmarks.len()), (Format::K6, 1), "detected");
    let load = &imported.benchmarks[0];
    assert_eq!(load.id, "load", "named by the option");
    let m = |name: &str| load.metrics[name].gate_value();
    assert_eq!((m("p50_ms"), m("p95_ms"), m("mean_ms")), (6.860104, 39.942558999999996, 11.203408369999998));
    assert!(load.metrics["p50_ms"].compared && load.metrics["p95_ms"].compared && !load.metrics["p90_ms"].compared);
    assert_eq!((m("rps"), m("success_rate"), m("error_count")), (336.0113640656181, 100.0, 0.0));
    assert_eq!((m("failed_checks"), m("failed_thresholds")), (0.0, 0.0));
    assert_eq!(spread(&load.metrics["p50_ms"]), None);
    assert!(matches!(&load.source, Source::K6(s) if s.requests == Some(200)));
}

#[test]
fn k6s_handle_summary_data_is_read_too_and_crossed_thresholds_counted() {
    // The shape of handleSummary's `data` (k6's documentation): statistics under `values`,
    // thresholds as {"ok": bool}; a failed rate of 2 %.
    let text = r#"{"state": {"testRunDurationMs": 60000}, "metrics": {
        "http_req_duration": {"type": "trend", "contains": "time",
            "values": {"avg": 123.4, "med": 100.0, "p(90)": 300.0, "p(95)": 450.0, "p(99)": 890.0, "max": 1200.0, "min": 3.0},
            "thresholds": {"p(95)<400": {"ok": false}, "p(99)<1000": {"ok": true}}},
        "http_req_failed": {"type": "rate", "contains": "default", "values": {"rate": 0.02, "passes": 20, "fails": 980}},
        "http_reqs": {"type": "counter", "contains": "default", "values": {"count": 1000, "rate": 16.6}},
        "checks": {"type": "rate", "contains": "default", "values": {"passes": 990, "fails": 10, "rate": 0.99}}}}"#;
    let load = &with(Format::Auto, text, &[]).unwrap().benchmarks[0];
    let m = |name: &str| load.metrics[name].gate_value();
    assert_eq!((m("p99_ms"), m("max_ms")), (890.0, 1200.0));
    assert!(load.metrics["p99_ms"].compared && !load.metrics["p95_ms"].compared, "the highest percentile present");
    assert!((m("success_rate") - 98.0).abs() < 1e-9);
    assert_eq!((m("error_count"), m("failed_checks"), m("failed_thresholds")), (20.0, 10.0, 1.0));
    let cases = [
        (r#"{"metrics": 5, "state": {}}"#, "metrics", "has a `metrics` object"),
        (r#"{"metrics": {}, "state": {}}"#, "metrics.http_req_duration", "no HTTP request was timed"),
        (
            r#"{"metrics": {"http_req_duration": {"med": "fast"}}, "state": {}}"#,
            "metrics.http_req_duration.med",
            "is not a number",
        ),
        (
            r#"{"metrics": {"http_req_duration": {"values": 1}}, "state": {}}"#,
            "metrics.http_req_duration.values",
            "an object",
        ),
        (
            r#"{"metrics": {"http_req_duration": {"med": 1, "thresholds": {"med<5": "yes"}}}, "state": {}}"#,
            "metrics.http_req_duration.thresholds.med<5",
            "a boolean",
        ),
        ("{\"metrics\": {", "", "not JSON"),
    ];
    for (text, at, message) in cases {
        let error = with(Format::K6, text, &[]).unwrap_err();
        assert_eq!(error.at, at, "{text}: {error}");
        assert!(error.message.contains(message), "{text}: {error}");
    }
    let error = with(Format::K6, &fixture("hyperfine-1.15.json"), &[]).unwrap_err();
    assert!(error.message.contains("has a `metrics` object"), "{error}");
}

#[test]
fn an_oha_run_is_one_benchmark_with_latencies_in_milliseconds() {
    // oha 1.16.0 against python's http.server on loopback: 2000 requests, all 200.
    let imported = with(Format::Auto, &fixture("oha-1.16.0.json"), &[]).unwrap();
    assert_eq!((imported.format, imported.benchmarks.len()), (Format::Oha, 1), "detected");
    let load = &imported.benchmarks[0];
    let m = |name: &str| load.metrics[name].gate_value();
    assert!((m("p50_ms") - 4.665322).abs() < 1e-9 && (m("p99_ms") - 9.598792).abs() < 1e-9);
    assert!((m("max_ms") - 1035.84331).abs() < 1e-6, "oha's slowest");
    assert_eq!((m("success_rate"), m("error_count")), (100.0, 0.0));
    assert!(load.metrics["p50_ms"].compared && load.metrics["p99_ms"].compared && !load.metrics["p95_ms"].compared);
    assert!(matches!(&load.source, Source::Oha(s) if s.requests == Some(2000)));
    // 14 answered 200, 8 answered 404, 28 refused: oha says 44 % succeeded; a 404 fails here.
    let errors = &with(Format::Oha, &fixture("oha-1.16.0-errors.json"), &[]).unwrap().benchmarks[0];
    assert!((errors.metrics["success_rate"].gate_value() - 28.0).abs() < 1e-9);
    assert_eq!(errors.metrics["error_count"].gate_value(), 36.0);
    let cases = [
        (
            r#"{"summary": {"requestsPerSec": 1}, "latencyPercentiles": {}}"#,
            "statusCodeDistribution",
            "no request was sent",
        ),
        (
            r#"{"summary": {"requestsPerSec": "x"}, "latencyPercentiles": {}}"#,
            "summary.requestsPerSec",
            "not oha's format",
        ),
        (r#"{"summary": {"requestsPerSec": 1}}"#, ".", "missing field `latencyPercentiles`"),
    ];
    for (text, at, message) in cases {
        let error = with(Format::Oha, text, &[]).unwrap_err();
        assert_eq!(error.at, at, "{text}: {error}");
        assert!(error.message.contains(message), "{text}: {error}");
    }
    assert!(with(Format::Oha, "", &[]).unwrap_err().message.contains("EOF"));
    let truncated = &fixture("oha-1.16.0.json")[..100];
    assert!(with(Format::Oha, truncated, &[]).unwrap_err().message.contains("EOF"));
    let error = with(Format::Oha, &fixture("k6-1.1.0-summary.json"), &[]).unwrap_err();
    assert!(error.message.contains("missing field `summary`"), "{error}");
}

#[test]
fn bencher_mocks_output_reads_as_bmf_with_its_bounds() {
    // `bencher mock --seed 42` from the bencher CLI 0.6.12: five latencies, each +/- 10 %.
    let imported = with(Format::Auto, &fixture("bmf-bencher-mock.json"), &[]).unwrap();
    assert_eq!((imported.format, imported.benchmarks.len()), (Format::Bmf, 5), "detected");
    let time = &imported.benchmarks[0].metrics[TIME_METRIC];
    let (low, high) = spread(time).unwrap();
    assert!(low < time.gate_value() && time.gate_value() < high);
    assert_eq!(imported.benchmarks[0].id, "bencher::mock_0", "sorted");
}

#[test]
fn a_failing_k6_run_counts_its_crossed_thresholds() {
    // k6 1.1.0 exiting 99: its thresholds crossed.
    let load = &with(Format::K6, &fixture("k6-1.1.0-summary-failing.json"), &[]).unwrap().benchmarks[0];
    // `checks` rate>0.99 and `http_req_failed` rate<0.01 crossed, `p(95)<500` held.
    assert_eq!(load.metrics["failed_thresholds"].gate_value(), 2.0);
    assert!(load.metrics["success_rate"].gate_value() < 100.0);
}
