use super::*;
use crate::config::Config;
use crate::model::{fixtures, Benchmark, Metric};

fn levels() -> SloLevels {
    SloLevels { warning_percent: 10.0, critical_percent: 25.0 }
}

/// A service scenario's recorded metrics, one value each.
fn service(id: &str, metrics: &[(&str, &str, Better, f64)]) -> Benchmark {
    let mut benchmark = fixtures::benchmark(id, Better::Lower, &[1.0e6, 1.1e6]);
    benchmark.metrics.clear();
    for (name, unit, better, value) in metrics {
        benchmark.metrics.insert((*name).to_owned(), Metric::from_samples(*unit, *better, false, vec![*value]));
    }
    benchmark
}

fn config(json: &str) -> Config {
    Config::parse(json).unwrap()
}

#[test]
fn the_seed_example_passes_four_percent_under_its_target() {
    let g = grade(Some(2400.0), 2500.0, Better::Lower, &levels());
    assert_eq!((g.status, g.level), (Status::Pass, Level::Ok));
    assert!((g.degradation_percent.unwrap() + 4.0).abs() < 1e-12);
}

#[test]
fn each_level_boundary() {
    let at = |value: f64| grade(Some(value), 2500.0, Better::Lower, &levels());
    // At the target: a pass, degradation 0.
    assert_eq!(
        (at(2500.0).status, at(2500.0).level, at(2500.0).degradation_percent),
        (Status::Pass, Level::Ok, Some(0.0))
    );
    // Just beyond: a failed check, but not yet a warning.
    assert_eq!((at(2500.5).status, at(2500.5).level), (Status::Fail, Level::Ok));
    assert_eq!(at(2749.9).level, Level::Ok);
    // Exactly 10 % beyond is a warning, exactly 25 % still one, beyond that critical.
    assert_eq!((at(2750.0).level, at(2750.0).degradation_percent), (Level::Warning, Some(10.0)));
    assert_eq!((at(3125.0).level, at(3125.0).degradation_percent), (Level::Warning, Some(25.0)));
    assert_eq!(at(3125.5).level, Level::Critical);
    // Higher is better: 10 % short of a minimum of 100 is a warning.
    let short = grade(Some(90.0), 100.0, Better::Higher, &levels());
    assert_eq!((short.status, short.level, short.degradation_percent), (Status::Fail, Level::Warning, Some(10.0)));
    // No value: a failure, critical, never a pass.
    assert_eq!(grade(None, 1.0, Better::Lower, &levels()).level, Level::Critical);
    assert_eq!(grade(Some(f64::NAN), 1.0, Better::Lower, &levels()).status, Status::Fail);
}

#[test]
fn slack_loosens_in_the_worse_direction() {
    assert_eq!(loosened(2500.0, Better::Lower, 2.0), 5000.0, "a latency limit doubles");
    assert_eq!(loosened(10.0, Better::Higher, 2.0), 5.0, "a throughput minimum halves");
    assert_eq!(loosened(95.0, Better::Higher, 1.0), 95.0);
}

const SLOS: &str = r#"{
  "commands": [{"name": "generate", "command": ["true"],
                "metrics": {"tokens_per_sec": {"unit": "tokens/s", "better": "higher"}}}],
  "slos": {
    "categories": {
      "interactive": {"benchmarks": ["api/*", "missing/*"],
                      "objectives": {"p95_ms": 2500, "success_rate": 95}},
      "code_gen": {"commands": ["generate"], "objectives": {"tokens_per_sec": 10}}
    },
    "environments": {"development": {"slack_factor": 2.0, "sample_size_multiplier": 0.5},
                     "production": {"slack_factor": 1.0}},
    "min_compliance_percent": 90
  }
}"#;

fn run() -> Results {
    fixtures::results(vec![
        service("api/search", &[("p95_ms", "ms", Better::Lower, 3000.0), ("success_rate", "%", Better::Higher, 99.0)]),
        service("api/chat", &[("p95_ms", "ms", Better::Lower, 2000.0), ("success_rate", "%", Better::Higher, 93.0)]),
        service("generate", &[("tokens_per_sec", "tokens/s", Better::Higher, 6.0)]),
    ])
}

fn evaluated(environment: Option<&str>) -> SloReport {
    let config = config(SLOS);
    let applied = AppliedEnvironment::of(&config.slos, environment).unwrap();
    evaluate(&config.slos, applied, &config.custom_metrics(), &run()).unwrap()
}

#[test]
fn production_holds_the_targets_as_written() {
    let report = evaluated(Some("production"));
    let interactive = &report.categories[1];
    assert_eq!(interactive.name, "interactive");
    let by = |benchmark: &str, metric: &str| {
        interactive.objectives.iter().find(|o| o.benchmark.as_deref() == Some(benchmark) && o.metric == metric).unwrap()
    };
    // 3000 against 2500: 20 % beyond, a warning.
    assert_eq!(
        (by("api/search", "p95_ms").grade.status, by("api/search", "p95_ms").grade.level),
        (Status::Fail, Level::Warning)
    );
    assert_eq!(by("api/chat", "p95_ms").grade.status, Status::Pass);
    // 93 % success against 95 %: about 2 % short, failed but OK.
    assert_eq!(
        (by("api/chat", "success_rate").grade.status, by("api/chat", "success_rate").grade.level),
        (Status::Fail, Level::Ok)
    );
    // `missing/*` matches nothing, but `api/*` records both metrics: no extra failure.
    assert_eq!(interactive.objectives.len(), 4);
    assert_eq!((interactive.compliance.passed, interactive.compliance.total), (2, 4));
    // 6 tokens/s against a minimum of 10: 40 % short, critical; the run fails.
    let code_gen = &report.categories[0];
    assert_eq!(code_gen.objectives[0].grade.level, Level::Critical);
    assert_eq!((report.compliance.passed, report.compliance.total), (2, 5));
    assert_eq!(report.severity(), Some(Severity::Blocking));
}

#[test]
fn development_loosens_both_ways() {
    let report = evaluated(Some("development"));
    assert_eq!(report.environment.name.as_deref(), Some("development"));
    let all: Vec<&ObjectiveOutcome> = report.categories.iter().flat_map(|c| &c.objectives).collect();
    let p95 = all.iter().find(|o| o.metric == "p95_ms").unwrap();
    assert_eq!((p95.target, p95.effective_target), (2500.0, 5000.0));
    let tokens = all.iter().find(|o| o.metric == "tokens_per_sec").unwrap();
    assert_eq!((tokens.effective_target, tokens.grade.status), (5.0, Status::Pass));
    assert!(all.iter().all(|o| o.grade.status == Status::Pass), "{all:#?}");
    assert_eq!((report.compliance.percent, report.severity()), (100.0, None));
}

#[test]
fn compliance_below_the_minimum_blocks_even_without_a_critical_level() {
    let mut report = evaluated(Some("development"));
    // 9 of 10 is exactly the minimum: it holds; just under it does not.
    report.compliance = Compliance { passed: 9, total: 10, percent: 90.0, worst_level: Level::Ok };
    assert_eq!(report.severity(), None);
    report.compliance = Compliance { passed: 8999, total: 10000, percent: 89.99, worst_level: Level::Ok };
    assert_eq!(report.severity(), Some(Severity::Blocking));
    report.compliance = Compliance { passed: 10, total: 10, percent: 100.0, worst_level: Level::Warning };
    assert_eq!(report.severity(), Some(Severity::Warning));
}

#[test]
fn an_objective_no_benchmark_records_is_a_clear_failure() {
    let config = config(
        r#"{"slos": {"categories": {"interactive": {"benchmarks": ["api/*"], "objectives": {"peak_rss_bytes": 1000}}}}}"#,
    );
    let report = evaluate(&config.slos, AppliedEnvironment::of(&config.slos, None).unwrap(), &[], &run()).unwrap();
    let outcome = &report.categories[0].objectives[0];
    assert_eq!((outcome.benchmark.as_deref(), outcome.value), (None, None));
    assert_eq!((outcome.grade.status, outcome.grade.level), (Status::Fail, Level::Critical));
    assert!(outcome.message.as_deref().unwrap().contains("no `peak_rss_bytes` metric"), "{:?}", outcome.message);
    assert_eq!(report.severity(), Some(Severity::Blocking));
    // And a category whose globs match nothing at all.
    let config = config_of_missing();
    let report = evaluate(&config.slos, AppliedEnvironment::of(&config.slos, None).unwrap(), &[], &run()).unwrap();
    assert!(report.categories[0].objectives[0].message.as_deref().unwrap().contains("matches no benchmark"));
}

fn config_of_missing() -> Config {
    config(r#"{"slos": {"categories": {"search": {"benchmarks": ["search/*"], "objectives": {"p99_ms": 100}}}}}"#)
}

#[test]
fn an_unknown_environment_names_the_known_ones() {
    let config = config(SLOS);
    let error = AppliedEnvironment::of(&config.slos, Some("developement")).unwrap_err();
    assert!(error.contains("did you mean `development`?") && error.contains("development, production"), "{error}");
    assert_eq!(AppliedEnvironment::of(&config.slos, None).unwrap().name, None, "no default: none applies");
}

#[test]
fn the_multiplier_scales_rounds_runs_and_criterion_samples_within_their_bounds() {
    let config = config(
        r#"{"commands": [{"name": "c", "command": ["true"], "runs": 10, "max_runs": 40, "min_time_s": 2}],
            "services": [{"name": "s", "start": {"command": ["true"], "ready": {"http": "http://127.0.0.1:{port}/"}},
                          "scenarios": [{"name": "a", "rounds": 3, "users": 1, "duration_s": 1, "requests": [{"url": "http://127.0.0.1:{port}/"}]}]}]}"#,
    );
    let half = AppliedEnvironment { name: Some("dev".to_owned()), slack_factor: 2.0, sample_size_multiplier: 0.5 };
    let scaled = half.scaled(config.clone());
    let command = &scaled.commands[0];
    assert_eq!((command.runs, command.max_runs, command.min_time_s), (5, 20, 1.0));
    assert_eq!(scaled.services[0].scenarios[0].rounds, 2, "3 x 0.5 rounds to 2, and never fewer than 2");
    assert_eq!(half.criterion_sample_size(), Some(50));
    let tiny = AppliedEnvironment { sample_size_multiplier: 0.01, ..half.clone() };
    assert_eq!(tiny.criterion_sample_size(), Some(10), "criterion needs 10 at least");
    assert_eq!(tiny.scaled(config.clone()).commands[0].runs, 2);
    assert_eq!(AppliedEnvironment::default().criterion_sample_size(), None);
    assert_eq!(AppliedEnvironment::default().scaled(config.clone()), config);
}
