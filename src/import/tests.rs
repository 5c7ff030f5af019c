use super::*;

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
