//! `--confirm REF`: the run screened against a stored baseline, then the screen's suspects
//! (`crate::confirm`) re-measured against REF in alternating rounds, whose paired verdicts
//! replace the screen's for them.

use std::collections::BTreeSet;
use std::path::Path;

use super::interleave::{self, Others, Paired, Pairing};
use super::Console;
use crate::cli::RunArgs;
use crate::collect::cargo::Workspace;
use crate::collect::{environment, worktree};
use crate::compare::Window;
use crate::config::{CommandBench, Config, ServiceBench};
use crate::confirm::{self, Suspect};
use crate::error::Error;
use crate::model::{Results, Source};
use crate::{compare, report};

/// The suspects and both sides of their rounds.
pub(super) struct Confirmed {
    baseline: Results,
    current: Results,
    suspects: Vec<Suspect>,
    against: String,
}

impl Confirmed {
    /// The suspects' rounds merged from confirming shards (`check --paired-results
    /// --paired-baseline`), for the suspects of the whole suite's screen.
    pub fn merged(baseline: Results, current: Results, suspects: Vec<Suspect>) -> Confirmed {
        let commit = baseline
            .git
            .as_ref()
            .map_or_else(|| "the base commit".to_owned(), |g| worktree::short(&g.commit).to_owned());
        let rounds = baseline.interleaved.as_ref().map_or(0, |i| i.rounds);
        let against = format!("{commit}, merged from the shards' rounds (at least {rounds} each)");
        Confirmed { baseline, current, suspects, against }
    }

    /// The current side of the suspects' rounds, when they ran.
    pub fn rounds(&self) -> Option<&Results> {
        Some(&self.current).filter(|current| current.interleaved.is_some())
    }

    pub fn input(&self) -> report::Confirmation<'_> {
        report::Confirmation {
            baseline: &self.baseline,
            current: &self.current,
            suspects: &self.suspects,
            against: self.against.clone(),
        }
    }
}

/// Where the rounds run, as for `--baseline REF`.
pub(super) struct Place<'a> {
    pub workspace: &'a Workspace,
    pub args: &'a RunArgs,
    pub services: &'a [&'a ServiceBench],
    pub commands: &'a [&'a CommandBench],
    pub config_dir: &'a Path,
    pub criterion_home: &'a Path,
    pub out_dir: &'a Path,
}

/// Screens `current` against `screen_baseline` (one run, or a window's pooled runs with the
/// window), and re-measures the suspects against
/// `reference` in alternating rounds (none when the screen cleared everything).
pub(super) fn confirm(
    reference: &worktree::Resolved,
    screen_baseline: (&Results, Option<&Window>),
    current: &Results,
    config: &Config,
    place: &Place<'_>,
    console: &Console,
    notes: &mut Vec<String>,
) -> Result<Confirmed, Error> {
    let (stored, window) = screen_baseline;
    let screen = compare::compare_with_window(stored, window, current, &report::compare_settings(config));
    let suspects = confirm::suspects(&screen);
    let short = worktree::short(&reference.commit);
    let empty = || Results::new(environment::now_rfc3339(), None, current.environment.clone(), Vec::new());
    if suspects.is_empty() {
        console.status("Confirm: the screen cleared every comparison; nothing to re-measure");
        let against = format!("{} ({short}): nothing to re-measure", reference.name);
        return Ok(Confirmed { baseline: empty(), current: empty(), suspects, against });
    }
    let ids = confirm::ids(&suspects);
    console.status(&format!(
        "Confirm: {} of {} comparisons are suspects; re-measuring {} benchmark{} against {} ({short})",
        suspects.len(),
        screen.items.len(),
        ids.len(),
        if ids.len() == 1 { "" } else { "s" },
        reference.name
    ));
    let (criterion, services, commands) = owners(&ids, current, place);
    let others = Others { services: &services, commands: &commands, config_dir: place.config_dir };
    let pairing = Pairing { resolved: reference, only: Some(&criterion), may_decline: false, shard: None };
    let paired = interleave::measure(
        place.workspace,
        &pairing,
        place.args,
        !criterion.is_empty(),
        &others,
        place.criterion_home,
        place.out_dir,
        console,
        notes,
    )?;
    // A pairing that may not decline measures: `Declined` leaves the screen's verdicts.
    let Paired::Measured(measured) = paired else {
        let against = format!("{} ({short}): the rounds did not run", reference.name);
        return Ok(Confirmed { baseline: empty(), current: empty(), suspects: Vec::new(), against });
    };
    let baseline = measured.baseline.results.unwrap_or_else(empty);
    let mut paired_current =
        Results::new(environment::now_rfc3339(), current.git.clone(), current.environment.clone(), measured.current);
    paired_current.interleaved = Some(measured.interleaving.clone());
    let against = format!("{} ({short}) in {} rounds", reference.name, measured.interleaving.rounds);
    Ok(Confirmed { baseline, current: paired_current, suspects, against })
}

/// The suspects' criterion ids, and the services and commands whose benchmarks are suspects.
fn owners<'a>(
    ids: &BTreeSet<String>,
    current: &Results,
    place: &Place<'a>,
) -> (BTreeSet<String>, Vec<&'a ServiceBench>, Vec<&'a CommandBench>) {
    let by_id = current.by_id();
    let sources: Vec<(&String, Option<&Source>)> =
        ids.iter().map(|id| (id, by_id.get(id.as_str()).map(|b| &b.source))).collect();
    let criterion = sources
        .iter()
        .filter(|(_, source)| matches!(source, Some(Source::Criterion(_))))
        .map(|(id, _)| (*id).clone())
        .collect();
    let services = place
        .services
        .iter()
        .copied()
        .filter(|service| {
            sources.iter().any(|(_, s)| matches!(s, Some(Source::Service(x)) if x.service == service.name))
        })
        .collect();
    let commands = place
        .commands
        .iter()
        .copied()
        .filter(|command| sources.iter().any(|(id, s)| matches!(s, Some(Source::Command(_))) && **id == command.name))
        .collect();
    (criterion, services, commands)
}
