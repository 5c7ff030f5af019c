//! `slo` and `slo validate`: the objectives in effect, and one value judged by hand.

use super::{default_config_path, load_config, print_stdout, slo_environment, to_json};
use crate::cli::{SloArgs, SloCommand, SloCommon, SloFormat};
use crate::config::Config;
use crate::error::Error;
use crate::exit_code;
use crate::metric_name::MetricName;
use crate::slo::{self, Effective, Status};

/// `slo [validate CATEGORY METRIC VALUE]`.
pub fn slo_command(args: SloArgs) -> Result<u8, Error> {
    match args.validate {
        None => {
            let effective = effective(&args.common)?;
            match args.format {
                SloFormat::Table => print_stdout(&effective.table()),
                SloFormat::Json => print_stdout(&String::from_utf8_lossy(&to_json(&effective))),
            }
            Ok(exit_code::OK)
        }
        Some(SloCommand::Validate { category, metric, value, common }) => {
            let effective = effective(&common)?;
            let (objective, grade) = effective.judge(&category, &metric, value).map_err(Error::Usage)?;
            let unit = if objective.unit.is_empty() { String::new() } else { format!(" {}", objective.unit) };
            let degradation = grade.degradation_percent.map_or_else(|| "—".to_owned(), |d| format!("{d:+.1}%"));
            print_stdout(&format!(
                "{category} {metric} = {value}{unit}\n  target       {} {}{unit} (as configured {} {}{unit}; environment {})\n  status       {}\n  level        {}\n  degradation  {degradation}\n",
                objective.operator,
                objective.effective_target,
                objective.operator,
                objective.target,
                effective.environment_words(),
                grade.status.as_str(),
                grade.level.as_str(),
            ));
            Ok(if grade.status == Status::Pass { exit_code::OK } else { exit_code::GATE_FAILED })
        }
    }
}

/// The objectives in effect: the config `--config` names (else benchmark-config.json here,
/// else at the workspace root) in the environment `--environment` names.
fn effective(common: &SloCommon) -> Result<Effective, Error> {
    let config_path = common.config.clone().unwrap_or_else(default_config_path);
    if common.config.is_none() && !config_path.is_file() {
        return Err(Error::Usage(format!(
            "no config file at {}: pass --config FILE, or write one with `cargo perf-gate config init`",
            config_path.display()
        )));
    }
    let config = load_config(Some(&config_path), &config_path, &mut Vec::new())?;
    let environment = slo_environment(&config, common.environment.as_deref())?;
    Ok(slo::effective(&config.slos, environment, &config.custom_metrics(), |metric| unit(&config, metric)))
}

/// The unit a metric name carries: a built-in one's, else the custom metric's declared unit.
fn unit(config: &Config, metric: &MetricName) -> String {
    let built_in = metric.unit(None);
    if !built_in.is_empty() {
        return built_in;
    }
    let name = metric.to_string();
    config.declared_metrics().find(|(declared, _)| **declared == name).map(|(_, m)| m.unit.clone()).unwrap_or_default()
}
