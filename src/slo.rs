//! Service-level objectives judged on one run. Each objective of each category compiles to
//! gate checks (one per glob of the category's selection, the target loosened by the
//! environment's slack), the gate engine evaluates them, and each outcome is graded: PASS or
//! FAIL, how far beyond the target (degradation) and how bad (level). Pure.

use serde::{Deserialize, Serialize};

use crate::condition::{Operator, Severity};
use crate::config::Config;
use crate::config::{Gate, SloLevels, Slos};
use crate::gates::{self, GateStatus};
use crate::matching::{no_such, Glob};
use crate::metric_name::{MetricName, MetricPath};
use crate::model::{AppliedEnvironment, Better, Results};

/// How bad a result is against its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Level {
    /// Within the target, or less than `warning_percent` beyond it.
    Ok,
    /// `warning_percent` to `critical_percent` beyond the target: the run warns.
    Warning,
    /// More than `critical_percent` beyond the target, or no value at all: the run fails.
    Critical,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Ok => "OK",
            Level::Warning => "WARNING",
            Level::Critical => "CRITICAL",
        }
    }
}

/// Whether a value met its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Pass,
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
        }
    }
}

/// One value graded against its (loosened) target.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Grade {
    pub status: Status,
    /// How far beyond the target the value is, in percent of the target: positive is worse,
    /// negative is that much better. `None` without a value.
    pub degradation_percent: Option<f64>,
    pub level: Level,
}

/// Grades `value` against `target` (already loosened), whichever way is `better`.
pub fn grade(value: Option<f64>, target: f64, better: Better, levels: &SloLevels) -> Grade {
    let Some(value) = value.filter(|v| v.is_finite()) else {
        return Grade { status: Status::Fail, degradation_percent: None, level: Level::Critical };
    };
    // The difference first, then the ratio: a value exactly 10 % over gives exactly 10.
    let beyond = match better {
        Better::Lower => value - target,
        Better::Higher => target - value,
    };
    let degradation = beyond / target * 100.0;
    let level = if degradation > levels.critical_percent {
        Level::Critical
    } else if degradation >= levels.warning_percent && degradation > 0.0 {
        Level::Warning
    } else {
        Level::Ok
    };
    let status = if beyond <= 0.0 { Status::Pass } else { Status::Fail };
    Grade { status, degradation_percent: Some(degradation), level }
}

/// `target` loosened by `slack` in its worse direction.
pub fn loosened(target: f64, better: Better, slack: f64) -> f64 {
    match better {
        Better::Lower => target * slack,
        Better::Higher => target / slack,
    }
}

impl AppliedEnvironment {
    /// The environment named `name` (else the config's default), or why it cannot apply.
    pub fn of(slos: &Slos, name: Option<&str>) -> Result<AppliedEnvironment, String> {
        Ok(match slos.environment(name)? {
            Some((name, environment)) => AppliedEnvironment {
                name: Some(name.to_owned()),
                slack_factor: environment.slack_factor,
                sample_size_multiplier: environment.sample_size_multiplier,
            },
            None => AppliedEnvironment::default(),
        })
    }
}

/// The smallest sample criterion accepts.
const MIN_CRITERION_SAMPLES: f64 = 10.0;

impl AppliedEnvironment {
    /// Criterion's sample size in this environment: its default of 100 scaled, at least 10;
    /// `None` when nothing is scaled.
    pub fn criterion_sample_size(&self) -> Option<usize> {
        (self.sample_size_multiplier != 1.0)
            .then(|| (100.0 * self.sample_size_multiplier).round().max(MIN_CRITERION_SAMPLES) as usize)
    }

    /// `config` with its services' rounds and its commands' runs (and their time to run)
    /// scaled by the sample-size multiplier, each kept at its smallest useful value and within
    /// the config's bounds.
    pub fn scaled(&self, mut config: Config) -> Config {
        let m = self.sample_size_multiplier;
        if m == 1.0 {
            return config;
        }
        let scale = |n: usize, low: usize, high: usize| ((n as f64 * m).round() as usize).clamp(low, high);
        for scenario in config.services.iter_mut().flat_map(|s| &mut s.scenarios) {
            scenario.rounds = scale(scenario.rounds, 2, crate::config::MAX_ROUNDS);
        }
        for command in &mut config.commands {
            command.runs = scale(command.runs, 2, crate::config::MAX_COMMAND_RUNS);
            command.max_runs = scale(command.max_runs, command.runs, crate::config::MAX_COMMAND_RUNS);
            command.min_time_s = (command.min_time_s * m).min(crate::config::MAX_SECONDS);
        }
        config
    }
}

/// One objective judged on one benchmark (or on none, when no benchmark records it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectiveOutcome {
    /// The metric name, e.g. `p95_ms`.
    pub metric: String,
    /// The benchmark judged; `None` when none of the category records the metric.
    pub benchmark: Option<String>,
    pub value: Option<f64>,
    pub unit: String,
    pub better: Better,
    /// The target as configured.
    pub target: f64,
    /// The target after the environment's slack: what the value was judged against.
    pub effective_target: f64,
    #[serde(flatten)]
    pub grade: Grade,
    /// Why there is no value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Passed checks of all checks, in percent.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Compliance {
    pub passed: usize,
    pub total: usize,
    /// `passed / total`, exactly; 100 for no checks.
    pub percent: f64,
    /// The worst level among the checks.
    pub worst_level: Level,
}

impl Compliance {
    fn of<'a>(outcomes: impl Iterator<Item = &'a ObjectiveOutcome>) -> Compliance {
        let (mut passed, mut total, mut worst_level) = (0, 0, Level::Ok);
        for outcome in outcomes {
            total += 1;
            passed += usize::from(outcome.grade.status == Status::Pass);
            worst_level = worst_level.max(outcome.grade.level);
        }
        let percent = if total == 0 { 100.0 } else { passed as f64 * 100.0 / total as f64 };
        Compliance { passed, total, percent, worst_level }
    }
}

/// One category's outcomes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryOutcome {
    pub name: String,
    pub compliance: Compliance,
    pub objectives: Vec<ObjectiveOutcome>,
}

/// The SLO section of a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SloReport {
    pub environment: AppliedEnvironment,
    pub levels: SloLevels,
    pub min_compliance_percent: f64,
    /// Across every category.
    pub compliance: Compliance,
    pub categories: Vec<CategoryOutcome>,
}

impl SloReport {
    /// What the SLOs do to the run: a CRITICAL objective or compliance below the minimum fails
    /// it, a WARNING warns; `None` when they pass.
    pub fn severity(&self) -> Option<Severity> {
        if self.compliance.worst_level == Level::Critical || self.compliance.percent < self.min_compliance_percent {
            Some(Severity::Blocking)
        } else if self.compliance.worst_level == Level::Warning {
            Some(Severity::Warning)
        } else {
            None
        }
    }
}

/// Judges `slos` on `results` with `environment`'s slack; `None` without categories.
pub fn evaluate(
    slos: &Slos,
    environment: AppliedEnvironment,
    custom: &[(String, Option<Better>)],
    results: &Results,
) -> Option<SloReport> {
    if slos.categories.is_empty() {
        return None;
    }
    let categories: Vec<CategoryOutcome> = slos
        .categories
        .iter()
        .map(|(name, category)| {
            let selection = category.selection();
            let objectives = category
                .objectives
                .0
                .iter()
                .flat_map(|objective| {
                    // Validated configs give every objective a direction.
                    let better = objective.metric.better(custom).unwrap_or(Better::Lower);
                    let target = Target {
                        category: name,
                        metric: &objective.metric,
                        written: objective.target,
                        effective: loosened(objective.target, better, environment.slack_factor),
                        better,
                    };
                    judge(&target, &selection, &slos.levels, results)
                })
                .collect::<Vec<_>>();
            CategoryOutcome { name: name.clone(), compliance: Compliance::of(objectives.iter()), objectives }
        })
        .collect();
    Some(SloReport {
        environment,
        levels: slos.levels.clone(),
        min_compliance_percent: slos.min_compliance_percent,
        compliance: Compliance::of(categories.iter().flat_map(|c| &c.objectives)),
        categories,
    })
}

/// An objective of a category, with its target as written and as loosened.
#[derive(Clone, Copy)]
struct Target<'a> {
    category: &'a str,
    metric: &'a MetricName,
    written: f64,
    effective: f64,
    better: Better,
}

/// One objective as gate checks, one per glob of the selection, evaluated and graded. The
/// category's benchmarks are judged together: a glob that matches nothing counts only when no
/// glob found the metric, and then once.
fn judge(target: &Target<'_>, selection: &[Glob], levels: &SloLevels, results: &Results) -> Vec<ObjectiveOutcome> {
    let Target { category, metric, written, effective, better } = *target;
    let operator = match better {
        Better::Lower => Operator::LessThanOrEqual,
        Better::Higher => Operator::GreaterThanOrEqual,
    };
    let checks: Vec<Gate> = selection
        .iter()
        .map(|glob| Gate {
            comment: None,
            name: Some(format!("{category}: {metric}")),
            metric: MetricPath::new(glob.clone(), metric.clone()),
            operator,
            threshold: effective,
            severity: Severity::Blocking,
        })
        .collect();
    let outcomes = gates::evaluate(&checks, results);
    let judged: Vec<_> = outcomes.iter().filter(|o| o.benchmark.is_some()).collect();
    let kept: Vec<_> = if judged.is_empty() { outcomes.iter().take(1).collect() } else { judged };
    kept.into_iter()
        .map(|outcome| {
            // A check that failed with a message has no value to grade.
            let value = outcome.value.filter(|_| outcome.message.is_none() || outcome.status == GateStatus::Passed);
            ObjectiveOutcome {
                metric: metric.to_string(),
                benchmark: outcome.benchmark.clone(),
                value,
                unit: outcome.unit.clone(),
                better,
                target: written,
                effective_target: effective,
                grade: grade(value, effective, better, levels),
                message: outcome.message.clone(),
            }
        })
        .collect()
}

/// An objective as an environment makes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EffectiveObjective {
    pub metric: String,
    pub better: Better,
    pub unit: String,
    /// `<=` for a maximum (lower is better), `>=` for a minimum.
    pub operator: &'static str,
    /// As configured.
    pub target: f64,
    /// After the environment's slack.
    pub effective_target: f64,
}

/// A category's objectives in an environment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EffectiveCategory {
    pub name: String,
    /// The benchmark ids it covers, as globs.
    pub covers: Vec<String>,
    pub objectives: Vec<EffectiveObjective>,
}

/// What `slo` prints: every objective in effect.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Effective {
    pub environment: AppliedEnvironment,
    pub levels: SloLevels,
    pub min_compliance_percent: f64,
    pub categories: Vec<EffectiveCategory>,
}

/// The objectives of `slos` as `environment` loosens them. `custom` gives the custom metrics'
/// directions and `unit` each metric's unit.
pub fn effective(
    slos: &Slos,
    environment: AppliedEnvironment,
    custom: &[(String, Option<Better>)],
    unit: impl Fn(&MetricName) -> String,
) -> Effective {
    let categories = slos
        .categories
        .iter()
        .map(|(name, category)| EffectiveCategory {
            name: name.clone(),
            covers: category.selection().iter().map(ToString::to_string).collect(),
            objectives: category
                .objectives
                .0
                .iter()
                .map(|objective| {
                    let better = objective.metric.better(custom).unwrap_or(Better::Lower);
                    EffectiveObjective {
                        metric: objective.metric.to_string(),
                        better,
                        unit: unit(&objective.metric),
                        operator: if better == Better::Lower { "<=" } else { ">=" },
                        target: objective.target,
                        effective_target: loosened(objective.target, better, environment.slack_factor),
                    }
                })
                .collect(),
        })
        .collect();
    Effective {
        environment,
        levels: slos.levels.clone(),
        min_compliance_percent: slos.min_compliance_percent,
        categories,
    }
}

impl Effective {
    /// One value judged against `category`'s objective on `metric`; `Err` names what is
    /// unknown, with the nearest names.
    pub fn judge(&self, category: &str, metric: &str, value: f64) -> Result<(&EffectiveObjective, Grade), String> {
        let names = self.categories.iter().map(|c| c.name.as_str());
        let Some(found) = self.categories.iter().find(|c| c.name == category) else {
            return Err(no_such("category", category, names));
        };
        let Some(objective) = found.objectives.iter().find(|o| o.metric == metric) else {
            let metrics = found.objectives.iter().map(|o| o.metric.as_str());
            return Err(no_such(&format!("objective of `{category}`"), metric, metrics));
        };
        Ok((objective, grade(Some(value), objective.effective_target, objective.better, &self.levels)))
    }

    /// The environment in words: `development (slack 2, sample size x0.5)`.
    pub fn environment_words(&self) -> String {
        match &self.environment.name {
            Some(name) => format!(
                "{name} (slack x{}, sample size x{})",
                self.environment.slack_factor, self.environment.sample_size_multiplier
            ),
            None => "none (the targets as written)".to_owned(),
        }
    }

    /// The objectives as an aligned table, with the environment and the rules above it.
    pub fn table(&self) -> String {
        let mut out = format!(
            "environment: {}
levels: WARNING from {}% beyond a target, CRITICAL beyond {}%; the run needs {}% of the checks to pass
",
            self.environment_words(),
            self.levels.warning_percent,
            self.levels.critical_percent,
            self.min_compliance_percent
        );
        if self.categories.is_empty() {
            out.push_str("no SLO categories: add `slos.categories` to the config\n");
            return out;
        }
        let mut rows = vec![["category", "covers", "metric", "target", "in effect"].map(str::to_owned)];
        for category in &self.categories {
            for (index, o) in category.objectives.iter().enumerate() {
                let first = index == 0;
                rows.push([
                    if first { category.name.clone() } else { String::new() },
                    if first { category.covers.join(", ") } else { String::new() },
                    o.metric.clone(),
                    format!("{} {} {}", o.operator, o.target, o.unit).trim_end().to_owned(),
                    format!("{} {} {}", o.operator, o.effective_target, o.unit).trim_end().to_owned(),
                ]);
            }
        }
        let widths: Vec<usize> = (0..5).map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0)).collect();
        out.push('\n');
        for row in rows {
            let cells: Vec<String> = row.iter().zip(&widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
            out.push_str(cells.join("  ").trim_end());
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests;
