//! How long alternating rounds run: how many rounds, and criterion's measurement and warm-up
//! time in each, from the flags, a time budget, and what the suite holds. Pure: no I/O.

use std::time::Duration;

/// Rounds when neither `--rounds` nor a time budget says otherwise.
pub const DEFAULT_ROUNDS: usize = 16;
/// Fewest rounds a paired test can say anything with (3 degrees of freedom).
pub const MIN_ROUNDS: usize = 4;
/// Most rounds a time budget is spent on before it lengthens the measurement instead.
const MAX_DERIVED_ROUNDS: usize = 30;
/// Short: most of the noise on a shared machine is between processes, not within one, so a
/// budget buys more from rounds than from longer measurements.
const DEFAULT_MEASUREMENT: Duration = Duration::from_millis(300);
/// Below this criterion's per-sample timing gets coarse against the timer's resolution.
const MIN_MEASUREMENT: Duration = Duration::from_millis(50);
/// Criterion's own default: a larger budget buys rounds, not longer ones.
const MAX_MEASUREMENT: Duration = Duration::from_secs(5);
/// Criterion's analysis and reporting per benchmark and run, on top of its measurement, with
/// the resampling cut down to [`RESAMPLES`] (measured on the demo: 40-60 ms).
const OVERHEAD: Duration = Duration::from_millis(50);
/// Samples per benchmark and round: each round is reduced to its median, so fewer samples of
/// more iterations each lose nothing.
const SAMPLE_SIZE: usize = 20;
/// Criterion's bootstrap only feeds its own report, which perf-gate does not read.
const RESAMPLES: usize = 1000;
/// Criterion options each round sets, which the user's bench arguments must leave alone.
pub const RESERVED_ARGS: [&str; 4] = ["--measurement-time", "--warm-up-time", "--sample-size", "--nresamples"];

/// What bounds the rounds' time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// [`DEFAULT_ROUNDS`] rounds of the default measurement time, however long that takes.
    Default,
    /// About this long (`--time-budget`): the rounds it affords, with the measurement time
    /// that fills it.
    Fill(Duration),
    /// At most this long (`--time-limit`, the Action's `time-budget`): the default plan when it
    /// fits, else fewer and shorter rounds that do.
    Limit(Duration),
}

/// A duration in whole seconds, at least one, for plans and estimates (`1m 10s`).
pub fn whole_seconds(duration: Duration) -> String {
    humantime::format_duration(Duration::from_secs(duration.as_secs().max(1))).to_string()
}

/// A first round this many times longer than planned re-plans the rest.
const OVERRUN: f64 = 1.5;

/// The rounds to run after the first, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replan {
    pub rounds: usize,
    pub note: String,
}

/// A budget no plan fits in. The message leaves the budget to the caller, which names the flag.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{rounds} rounds of {benchmarks} benchmark{}{} on {sides} side{} need at least {}; raise the budget, lower --rounds, or select fewer benches with --bench", plural(*benchmarks), if *others { " (and the services and commands)" } else { "" }, plural(*sides), humantime::format_duration(*needed))]
    TooShort { rounds: usize, benchmarks: usize, sides: usize, others: bool, needed: Duration },
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// How long an interleaved measurement runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    pub rounds: usize,
    /// Criterion's measurement time per benchmark, side and round.
    pub measurement: Duration,
    pub warm_up: Duration,
    pub benchmarks: usize,
    pub sides: usize,
    /// What the services and commands cost per side.
    pub others: OtherCost,
}

/// What services and commands cost one side: services load for their whole scenarios every
/// round, commands share their minimum time out over the rounds.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct OtherCost {
    pub per_round: Duration,
    pub in_total: Duration,
}

impl Plan {
    /// The plan for `benchmarks` benchmarks on `sides` sides, `rounds` as given or as `budget`
    /// says.
    pub fn derive(
        rounds: Option<usize>,
        budget: Budget,
        benchmarks: usize,
        sides: usize,
        others: OtherCost,
    ) -> Result<Plan, PlanError> {
        match budget {
            Budget::Default => {
                Ok(Plan::with(rounds.unwrap_or(DEFAULT_ROUNDS), DEFAULT_MEASUREMENT, benchmarks, sides, others))
            }
            Budget::Fill(budget) => Plan::filling(rounds, budget, benchmarks, sides, others),
            Budget::Limit(limit) => {
                let default = Plan::derive(rounds, Budget::Default, benchmarks, sides, others)?;
                if default.estimate() <= limit {
                    Ok(default)
                } else {
                    Plan::filling(rounds, limit, benchmarks, sides, others)
                }
            }
        }
    }

    fn with(rounds: usize, measurement: Duration, benchmarks: usize, sides: usize, others: OtherCost) -> Plan {
        Plan { rounds, measurement, warm_up: measurement / 2, benchmarks, sides, others }
    }

    /// The rounds `budget` affords at the default measurement time (unless `rounds` is given),
    /// and the measurement time that fills it.
    fn filling(
        rounds: Option<usize>,
        budget: Duration,
        benchmarks: usize,
        sides: usize,
        others: OtherCost,
    ) -> Result<Plan, PlanError> {
        let runs = (benchmarks * sides) as f64;
        // Warm-up is half the measurement, so one run of one benchmark costs 1.5 x + overhead.
        let cost = |measurement: f64| 1.5 * measurement + OVERHEAD.as_secs_f64();
        let sides_f = sides as f64;
        let per_round_others = others.per_round.as_secs_f64() * sides_f;
        let for_rounds = budget.as_secs_f64() - others.in_total.as_secs_f64() * sides_f;
        let affordable = (for_rounds / (runs * cost(DEFAULT_MEASUREMENT.as_secs_f64()) + per_round_others)) as usize;
        let rounds = rounds.unwrap_or_else(|| affordable.clamp(MIN_ROUNDS, MAX_DERIVED_ROUNDS));
        let per_round = for_rounds / rounds as f64 - per_round_others;
        // With nothing but services and commands there is no measurement time to set.
        let measurement = if benchmarks == 0 {
            DEFAULT_MEASUREMENT.as_secs_f64()
        } else {
            (per_round / runs - OVERHEAD.as_secs_f64()) / 1.5
        };
        if measurement < MIN_MEASUREMENT.as_secs_f64() || per_round < 0.0 {
            let needed = Plan::with(rounds, MIN_MEASUREMENT, benchmarks, sides, others).estimate();
            return Err(PlanError::TooShort {
                rounds,
                benchmarks,
                sides,
                others: others != OtherCost::default(),
                needed: Duration::from_secs(needed.as_secs_f64().ceil() as u64),
            });
        }
        let measurement = Duration::from_secs_f64(measurement).min(MAX_MEASUREMENT);
        // Whole milliseconds keep the plan and criterion's arguments readable.
        Ok(Plan::with(rounds, Duration::from_millis(measurement.as_millis() as u64), benchmarks, sides, others))
    }

    /// What the plan should take: every run's measurement, warm-up and overhead, and the
    /// services' and commands' time on every side.
    pub fn estimate(&self) -> Duration {
        let benches = (self.measurement + self.warm_up + OVERHEAD) * (self.rounds * self.benchmarks) as u32;
        (benches + self.others.per_round * self.rounds as u32 + self.others.in_total) * self.sides as u32
    }

    /// After the first round took `observed`: when that is well over what the plan gave a
    /// round (criterion settings in the benches' code, such as `measurement_time`, override
    /// the ones perf-gate passes), the rounds that keep to `budget`, never fewer than
    /// [`MIN_ROUNDS`] nor more than planned, and a note saying so. With no budget, or rounds
    /// fixed by `--rounds`, the rounds stay and the note gives the new estimate. `None` when
    /// the round took about what was planned.
    pub fn after_first_round(&self, observed: Duration, budget: Budget, rounds_fixed: bool) -> Option<Replan> {
        let planned = self.estimate() / self.rounds.max(1) as u32;
        if observed.as_secs_f64() <= planned.as_secs_f64() * OVERRUN {
            return None;
        }
        let why = format!(
            "round 1 took {} against the {} planned: criterion settings in the benches' code (measurement_time, warm_up_time, sample_size) override the ones perf-gate passes",
            whole_seconds(observed),
            whole_seconds(planned)
        );
        let limit = match budget {
            Budget::Fill(limit) | Budget::Limit(limit) if !rounds_fixed => limit,
            _ => {
                let total = observed * self.rounds as u32;
                return Some(Replan {
                    rounds: self.rounds,
                    note: format!("{why}; the {} rounds take about {} in all", self.rounds, whole_seconds(total)),
                });
            }
        };
        let affordable = (limit.as_secs_f64() / observed.as_secs_f64()) as usize;
        let rounds = affordable.clamp(MIN_ROUNDS, self.rounds);
        let total = observed * rounds as u32;
        let keeping = if total <= limit {
            format!("to keep to the time budget of {}", whole_seconds(limit))
        } else {
            format!("the fewest a paired test can use, over the time budget of {}", whole_seconds(limit))
        };
        Some(Replan {
            rounds,
            note: format!(
                "{why}; {rounds} rounds instead of {}, {keeping} (about {} in all)",
                self.rounds,
                whole_seconds(total)
            ),
        })
    }

    /// Which sides run in `round`, in order: A B, then B A, so neither side always goes first.
    pub fn order(&self, round: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.sides).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        order
    }

    /// Criterion's options for one round, after the user's own bench arguments.
    pub fn criterion_args(&self, whole_seconds: bool) -> Vec<String> {
        let seconds = |d: Duration| {
            if whole_seconds {
                d.as_secs_f64().ceil().max(1.0).to_string()
            } else {
                format!("{}", d.as_secs_f64())
            }
        };
        vec![
            "--measurement-time".to_owned(),
            seconds(self.measurement),
            "--warm-up-time".to_owned(),
            seconds(self.warm_up),
            "--sample-size".to_owned(),
            SAMPLE_SIZE.to_string(),
            "--nresamples".to_owned(),
            RESAMPLES.to_string(),
            "--noplot".to_owned(),
        ]
    }

    pub fn describe(&self) -> String {
        format!(
            "{} rounds x {} benchmark{} x {} side{}, {} ms measurement + {} ms warm-up each{}, about {} (--rounds, --time-budget, --time-limit)",
            self.rounds,
            self.benchmarks,
            if self.benchmarks == 1 { "" } else { "s" },
            self.sides,
            if self.sides == 1 { "" } else { "s" },
            self.measurement.as_millis(),
            self.warm_up.as_millis(),
            if self.others == OtherCost::default() { "" } else { ", with the services and commands" },
            whole_seconds(self.estimate())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_budget_the_defaults_apply() {
        let plan = Plan::derive(None, Budget::Default, 5, 2, OtherCost::default()).unwrap();
        assert_eq!((plan.rounds, plan.measurement, plan.warm_up), (16, DEFAULT_MEASUREMENT, DEFAULT_MEASUREMENT / 2));
        assert_eq!(Plan::derive(Some(6), Budget::Default, 5, 2, OtherCost::default()).unwrap().rounds, 6);
        // 16 rounds x 5 benchmarks x 2 sides x (0.3 + 0.15 + 0.05) s.
        assert_eq!(plan.estimate(), Duration::from_secs(80));
    }

    #[test]
    fn a_budget_sets_rounds_and_measurement_that_fill_it() {
        let budget = Duration::from_secs(120);
        let plan = Plan::derive(None, Budget::Fill(budget), 5, 2, OtherCost::default()).unwrap();
        assert_eq!(plan.rounds, 24);
        assert!(plan.estimate() <= budget && plan.estimate() > budget * 9 / 10, "{plan:?}");
        let fixed = Plan::derive(Some(4), Budget::Fill(budget), 5, 2, OtherCost::default()).unwrap();
        assert_eq!(fixed.rounds, 4);
        assert!(fixed.measurement > plan.measurement);
        assert!(fixed.estimate() <= budget);
    }

    #[test]
    fn a_small_budget_still_runs_the_fewest_rounds_or_says_what_it_needs() {
        let plan = Plan::derive(None, Budget::Fill(Duration::from_secs(6)), 2, 2, OtherCost::default()).unwrap();
        assert_eq!(plan.rounds, MIN_ROUNDS);
        let error = Plan::derive(None, Budget::Fill(Duration::from_secs(2)), 5, 2, OtherCost::default()).unwrap_err();
        let error = error.to_string();
        assert!(error.starts_with("4 rounds of 5 benchmarks on 2 sides need at least 5s"), "{error}");
    }

    #[test]
    fn a_large_budget_buys_rounds_then_longer_ones_up_to_criterions_default() {
        let plan = Plan::derive(None, Budget::Fill(Duration::from_secs(3600)), 1, 2, OtherCost::default()).unwrap();
        assert_eq!((plan.rounds, plan.measurement), (MAX_DERIVED_ROUNDS, MAX_MEASUREMENT));
    }

    #[test]
    fn services_and_commands_take_their_share_of_the_budget_first() {
        let others = OtherCost { per_round: Duration::from_secs(2), in_total: Duration::from_secs(3) };
        let budget = Duration::from_secs(100);
        let plan = Plan::derive(Some(10), Budget::Fill(budget), 2, 2, others).unwrap();
        // 100 s - 2 sides x (3 s + 10 x 2 s) leaves 54 s for 10 x 2 x 2 runs.
        assert_eq!(plan.measurement, Duration::from_millis(866));
        assert!(plan.estimate() <= budget && plan.estimate() > budget * 9 / 10, "{plan:?}");
        let error = Plan::derive(Some(10), Budget::Fill(Duration::from_secs(40)), 2, 2, others).unwrap_err();
        assert!(error.to_string().contains("and the services and commands"), "{error}");
        let only_others = Plan::derive(None, Budget::Default, 0, 2, others).unwrap();
        assert_eq!(only_others.estimate(), Duration::from_secs(2 * (3 + 16 * 2)));
    }

    #[test]
    fn rounds_alternate_which_side_goes_first() {
        let plan = Plan::derive(Some(4), Budget::Default, 1, 2, OtherCost::default()).unwrap();
        let orders: Vec<Vec<usize>> = (0..4).map(|r| plan.order(r)).collect();
        assert_eq!(orders, vec![vec![0, 1], vec![1, 0], vec![0, 1], vec![1, 0]]);
        assert_eq!(Plan::derive(Some(4), Budget::Default, 1, 1, OtherCost::default()).unwrap().order(1), vec![0]);
    }

    #[test]
    fn criterion_gets_fractional_or_whole_seconds() {
        let plan = Plan::derive(Some(4), Budget::Default, 1, 2, OtherCost::default()).unwrap();
        let args = plan.criterion_args(false);
        assert_eq!(args[..4], ["--measurement-time", "0.3", "--warm-up-time", "0.15"]);
        assert_eq!(plan.criterion_args(true)[..4], ["--measurement-time", "1", "--warm-up-time", "1"]);
    }

    #[test]
    fn a_limit_keeps_the_default_plan_when_it_fits_and_cuts_it_when_not() {
        let default = Plan::derive(None, Budget::Default, 5, 2, OtherCost::default()).unwrap();
        assert_eq!(default.estimate(), Duration::from_secs(80));
        // A generous limit is not filled: the default plan runs.
        assert_eq!(
            Plan::derive(None, Budget::Limit(Duration::from_secs(3600)), 5, 2, OtherCost::default()).unwrap(),
            default
        );
        assert_eq!(
            Plan::derive(None, Budget::Limit(Duration::from_secs(80)), 5, 2, OtherCost::default()).unwrap(),
            default
        );
        let cut = Plan::derive(None, Budget::Limit(Duration::from_secs(40)), 5, 2, OtherCost::default()).unwrap();
        assert!(cut.estimate() <= Duration::from_secs(40), "{cut:?}");
        assert!(cut.rounds >= MIN_ROUNDS);
        assert!(Plan::derive(None, Budget::Limit(Duration::from_secs(2)), 5, 2, OtherCost::default()).is_err());
    }

    #[test]
    fn a_first_round_far_over_plan_cuts_the_rounds_to_the_budget() {
        let plan = Plan::derive(None, Budget::Default, 10, 2, OtherCost::default()).unwrap();
        // 10 benchmarks x 2 sides x 0.5 s: 10 s a round as planned.
        assert_eq!(plan.estimate() / 16, Duration::from_secs(10));
        assert_eq!(
            plan.after_first_round(Duration::from_secs(14), Budget::Limit(Duration::from_secs(600)), false),
            None
        );
        // measurement_time(3 s) in the benches' code: 70 s a round.
        let round = Duration::from_secs(70);
        let cut = plan.after_first_round(round, Budget::Limit(Duration::from_secs(600)), false).unwrap();
        assert_eq!(cut.rounds, 8);
        assert!(cut.note.starts_with("round 1 took 1m 10s against the 10s planned"), "{}", cut.note);
        assert!(
            cut.note.contains("8 rounds instead of 16, to keep to the time budget of 10m (about 9m 20s in all)"),
            "{}",
            cut.note
        );
        let floor = plan.after_first_round(round, Budget::Fill(Duration::from_secs(120)), false).unwrap();
        assert_eq!(floor.rounds, MIN_ROUNDS);
        assert!(floor.note.contains("the fewest a paired test can use, over the time budget of 2m"), "{}", floor.note);
        // Without a budget, or with --rounds, the rounds stay and the note says what they cost.
        for (budget, fixed) in [(Budget::Default, false), (Budget::Limit(Duration::from_secs(600)), true)] {
            let kept = plan.after_first_round(round, budget, fixed).unwrap();
            assert_eq!(kept.rounds, 16);
            assert!(kept.note.ends_with("the 16 rounds take about 18m 40s in all"), "{}", kept.note);
        }
    }
}
