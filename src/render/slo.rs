//! The SLO section every format shows: the environment, overall compliance against the
//! minimum, a row per category (objectives met, compliance, worst level), and the objectives
//! that failed, worst first. Pure.

use serde::Serialize;

use super::format;
use crate::condition::Severity;
use crate::slo::{Compliance, Level, SloReport, Status};

/// The SLO section.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SloView {
    /// `production (slack x1)`, or `none (the targets as written)`.
    pub environment: String,
    /// `60.0% of 5 checks pass (needs 90%)`.
    pub compliance: String,
    /// What the SLOs do to the run, as a CSS class: `fail`, `warn` or `pass`.
    pub tone: &'static str,
    /// Whether the compliance is below the minimum (which fails the run on its own).
    pub below_minimum: bool,
    pub categories: Vec<SloCategoryRow>,
    /// The objectives that failed, worst first.
    pub failed: Vec<SloObjectiveRow>,
}

/// One category's line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SloCategoryRow {
    pub name: String,
    /// `3 of 4`.
    pub met: String,
    /// `75.0%`.
    pub compliance: String,
    /// `OK`, `WARNING` or `CRITICAL`.
    pub worst: &'static str,
    pub tone: &'static str,
}

/// One failed objective on one benchmark.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SloObjectiveRow {
    pub category: String,
    /// The benchmark judged, or `—` when none records the metric.
    pub benchmark: String,
    pub metric: String,
    pub value: String,
    /// `<= 2500 ms`, the target in effect.
    pub target: String,
    /// `+20.0%`, or `—` without a value.
    pub degradation: String,
    pub level: &'static str,
    pub tone: &'static str,
    /// Why there is no value.
    pub message: Option<String>,
}

/// A compliance percentage to one decimal, rounded down: 89.99 % shows as 89.9 %, never as a
/// 90.0 % that would seem to meet a 90 % minimum it missed.
pub fn compliance_percent(percent: f64) -> String {
    format!("{:.1}%", (percent * 10.0).floor() / 10.0)
}

fn tone(level: Level) -> &'static str {
    match level {
        Level::Ok => "pass",
        Level::Warning => "warn",
        Level::Critical => "fail",
    }
}

fn checks(compliance: &Compliance) -> String {
    format!("{} of {}", compliance.passed, compliance.total)
}

/// The section of `report`'s SLOs.
pub fn slo_view(slo: &SloReport) -> SloView {
    let environment = match &slo.environment.name {
        Some(name) => format!("{name} (slack x{})", format::exact(slo.environment.slack_factor)),
        None => "none (the targets as written)".to_owned(),
    };
    let mut failed: Vec<(&str, &crate::slo::ObjectiveOutcome)> = slo
        .categories
        .iter()
        .flat_map(|c| c.objectives.iter().map(move |o| (c.name.as_str(), o)))
        .filter(|(_, o)| o.grade.status == Status::Fail)
        .collect();
    // Worst first: by level, then by how far beyond; no value counts as farthest.
    let beyond = |o: &crate::slo::ObjectiveOutcome| o.grade.degradation_percent.unwrap_or(f64::INFINITY);
    failed.sort_by(|a, b| b.1.grade.level.cmp(&a.1.grade.level).then(beyond(b.1).total_cmp(&beyond(a.1))));
    SloView {
        environment,
        compliance: format!(
            "{} of {} checks pass (needs {}%)",
            compliance_percent(slo.compliance.percent),
            slo.compliance.total,
            format::exact(slo.min_compliance_percent)
        ),
        below_minimum: slo.compliance.percent < slo.min_compliance_percent,
        tone: match slo.severity() {
            Some(Severity::Blocking) => "fail",
            Some(Severity::Warning) => "warn",
            None => "pass",
        },
        categories: slo
            .categories
            .iter()
            .map(|c| SloCategoryRow {
                name: c.name.clone(),
                met: checks(&c.compliance),
                compliance: compliance_percent(c.compliance.percent),
                worst: c.compliance.worst_level.as_str(),
                tone: tone(c.compliance.worst_level),
            })
            .collect(),
        failed: failed
            .into_iter()
            .map(|(category, o)| SloObjectiveRow {
                category: category.to_owned(),
                benchmark: o.benchmark.clone().unwrap_or_else(|| format::MISSING.to_owned()),
                metric: o.metric.clone(),
                value: o.value.map_or_else(
                    || format::MISSING.to_owned(),
                    |v| format::gate_value_against(v, o.effective_target, &o.unit),
                ),
                target: format!(
                    "{} {}",
                    if o.better == crate::model::Better::Lower { "<=" } else { ">=" },
                    format::gate_threshold(o.effective_target, &o.unit)
                ),
                degradation: o
                    .grade
                    .degradation_percent
                    .map_or_else(|| format::MISSING.to_owned(), |d| format!("{d:+.1}%")),
                level: o.grade.level.as_str(),
                tone: tone(o.grade.level),
                message: o.message.clone(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compliance_is_rounded_down_so_a_miss_never_shows_as_the_minimum() {
        assert_eq!(compliance_percent(89.99), "89.9%");
        assert_eq!(compliance_percent(200.0 / 3.0), "66.6%");
        assert_eq!(compliance_percent(90.0), "90.0%");
        assert_eq!(compliance_percent(100.0), "100.0%");
        assert_eq!(compliance_percent(0.0), "0.0%");
    }
}
