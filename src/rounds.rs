//! The paired mode's rounds, without I/O: in what order the bench processes, services and
//! commands run, what each round collects, and the re-plan after the first round. The
//! processes themselves run behind [`Executor`], so all of this is tested in-process with
//! fake criterion output.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::model::{Basis, Benchmark, Metric};
use crate::plan::{Budget, Plan};
use crate::stats;

/// A filter longer than this is split over several processes: Linux refuses a single argument
/// over 128 KiB (`MAX_ARG_STRLEN`), and each id's escaped form is at most twice its length.
const FILTER_BYTES: usize = 64 * 1024;

/// A bench target whose process start-up (its `--list` run: loading, and the set-up code
/// outside criterion's timing loops) takes more than this share of one benchmark's planned run
/// runs once a round with all its benchmarks, rather than once per benchmark.
pub const STARTUP_SHARE: f64 = 0.25;

/// One side as the rounds see it.
pub struct Side {
    /// "baseline" or "current", for messages.
    pub name: &'static str,
    /// Benchmark id -> index of the side's bench target that holds it.
    pub targets: BTreeMap<String, usize>,
    /// The bench targets' names, by index, for messages.
    pub target_names: Vec<String>,
    /// By index, the bench targets too slow to start to run once per benchmark (see
    /// [`STARTUP_SHARE`]).
    pub slow_start: Vec<bool>,
    /// Whether the services and commands run on this side.
    pub others: bool,
}

/// One bench process of a round: some benchmarks of one side's bench target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchRun {
    pub side: usize,
    pub target: usize,
    pub ids: Vec<String>,
}

/// Benchmarks that alternate as one: in a round each side runs its `runs`, one side right
/// after the other.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Unit {
    /// Per side, its processes (none when the side lacks these benchmarks).
    runs: Vec<Vec<BenchRun>>,
}

/// The order of a round's bench processes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    units: Vec<Unit>,
    /// Whether each side runs the services and commands.
    others: Vec<bool>,
}

impl Schedule {
    /// Each benchmark alone: the two sides of a pair run one right after the other, which
    /// cancels a changing machine best (docs/performance.md, "One process per benchmark or per
    /// target"). A benchmark of a target too slow to start (on either side) runs instead with
    /// the others it shares a target with on every side, once a round.
    pub fn new(sides: &[Side]) -> Schedule {
        let ids: BTreeSet<&String> = sides.iter().flat_map(|side| side.targets.keys()).collect();
        let mut groups: BTreeMap<Vec<Option<usize>>, Vec<String>> = BTreeMap::new();
        let mut units = Vec::new();
        for id in ids {
            let place: Vec<Option<usize>> = sides.iter().map(|side| side.targets.get(id).copied()).collect();
            let slow = place.iter().zip(sides).any(|(target, side)| {
                target.is_some_and(|target| side.slow_start.get(target).copied().unwrap_or(false))
            });
            if slow {
                groups.entry(place).or_default().push(id.clone());
            } else {
                units.push(Unit::of(&place, vec![id.clone()]));
            }
        }
        for (place, ids) in groups {
            units.extend(chunks(ids).map(|ids| Unit::of(&place, ids)));
        }
        // In the order of their first ids, as criterion lists them within a target.
        units.sort_by(|a, b| a.first_id().cmp(&b.first_id()));
        Schedule { units, others: sides.iter().map(|side| side.others).collect() }
    }

    /// The benchmark runs and service/command runs of one round, counted for progress.
    pub fn steps_per_round(&self) -> usize {
        let benches: usize = self.units.iter().flat_map(|unit| unit.runs.iter().flatten()).map(|r| r.ids.len()).sum();
        benches + self.others.iter().filter(|&&others| others).count()
    }
}

impl Unit {
    fn first_id(&self) -> Option<&String> {
        self.runs.iter().flatten().next().and_then(|run| run.ids.first())
    }

    fn of(place: &[Option<usize>], ids: Vec<String>) -> Unit {
        let runs = place
            .iter()
            .enumerate()
            .map(|(side, target)| {
                target.map(|target| BenchRun { side, target, ids: ids.clone() }).into_iter().collect()
            })
            .collect();
        Unit { runs }
    }
}

/// `ids` in runs of consecutive ids whose filter fits in one argument.
fn chunks(ids: Vec<String>) -> impl Iterator<Item = Vec<String>> {
    let mut chunks: Vec<Vec<String>> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut bytes = 0;
    for id in ids {
        let cost = 2 * id.len() + 1;
        if bytes + cost > FILTER_BYTES && !current.is_empty() {
            chunks.push(std::mem::take(&mut current));
            bytes = 0;
        }
        bytes += cost;
        current.push(id);
    }
    chunks.push(current);
    chunks.into_iter().filter(|chunk| !chunk.is_empty())
}

/// Why the rounds cannot go on.
#[derive(Debug, thiserror::Error)]
pub enum RoundsError {
    #[error("benchmark id `{id}` is produced twice on the {side} side (by two bench targets, or a bench and a command or service): give one of them another name")]
    Duplicate { side: &'static str, id: String },
    #[error("benchmark `{id}` of the {side} side wrote results in {seen} of {rounds} rounds: a benchmark that runs only sometimes cannot be paired; select benchmarks that always run")]
    MissingRounds { side: &'static str, id: String, seen: usize, rounds: usize },
    /// A benchmark that `--list` names wrote nothing in a round.
    #[error("benchmark `{id}` of bench `{bench}` ({side} side) wrote no criterion results in round {round}, though `--list` names it: is it a criterion bench with `harness = false`?")]
    WroteNothing { id: String, bench: String, side: &'static str, round: usize },
}

/// Runs what the rounds ask for. `Err` ends the rounds.
pub trait Executor {
    type Error: From<RoundsError>;

    /// Runs `run` once (round `round`, counted from 0) and returns the benchmarks it wrote.
    fn bench(&mut self, run: &BenchRun, round: usize) -> Result<Vec<Benchmark>, Self::Error>;

    /// Runs side `side`'s services and commands once; returns their benchmarks and warnings.
    fn others(&mut self, side: usize, round: usize) -> Result<(Vec<Benchmark>, Vec<String>), Self::Error>;

    /// Called before the first round and after each; returns the time since the first call.
    fn checkpoint(&mut self) -> Duration;

    /// Round `round` of `rounds` starts, with the sides in `order`.
    fn starting(&mut self, _round: usize, _rounds: usize, _order: &[usize]) {}

    /// `steps` more of [`Schedule::steps_per_round`] are done.
    fn done(&mut self, _steps: usize) {}

    /// The rest was re-planned after the first round: `rounds` in all, for the reason `note`.
    fn replanned(&mut self, _note: &str, _rounds: usize) {}
}

/// What the rounds measured.
#[derive(Debug)]
pub struct Rounds {
    /// Per side, one benchmark per id with its samples pooled over the rounds and each round's
    /// median kept.
    pub benchmarks: Vec<Vec<Benchmark>>,
    /// The services' and commands' warnings, and the re-plan's note.
    pub warnings: BTreeSet<String>,
}

/// Runs `plan.rounds` rounds of `schedule`: in each, every unit on every side that has it, one
/// side right after the other in the round's order, then the services and commands. After the
/// first round the rest is re-planned when the round took far longer than planned (see
/// [`Plan::after_first_round`]); `plan.rounds` then says how many ran.
pub fn run<E: Executor>(
    plan: &mut Plan,
    (budget, rounds_fixed): (Budget, bool),
    sides: &[Side],
    schedule: &Schedule,
    executor: &mut E,
) -> Result<Rounds, E::Error> {
    let mut collected: Vec<Collected> = sides.iter().map(|_| Collected::default()).collect();
    let mut warnings = BTreeSet::new();
    executor.checkpoint();
    let mut round = 0;
    while round < plan.rounds {
        let order = plan.order(round);
        executor.starting(round, plan.rounds, &order);
        for unit in &schedule.units {
            for &side in &order {
                for run in &unit.runs[side] {
                    let written = executor.bench(run, round)?;
                    collected[side].add_run(&sides[side], run, round, written)?;
                    executor.done(run.ids.len());
                }
            }
        }
        for &side in order.iter().filter(|&&side| sides[side].others) {
            let (benchmarks, others_warnings) = executor.others(side, round)?;
            for benchmark in benchmarks {
                collected[side].add(round, sides[side].name, benchmark)?;
            }
            warnings.extend(others_warnings);
            executor.done(1);
        }
        let elapsed = executor.checkpoint();
        if round == 0 {
            if let Some(replan) = plan.after_first_round(elapsed, budget, rounds_fixed) {
                executor.replanned(&replan.note, replan.rounds);
                plan.rounds = replan.rounds;
                warnings.insert(replan.note);
            }
        }
        round += 1;
    }
    let benchmarks = collected
        .into_iter()
        .zip(sides)
        .map(|(collected, side)| collected.finish(plan.rounds, side.name))
        .collect::<Result<_, _>>()?;
    Ok(Rounds { benchmarks, warnings })
}

/// What one side's rounds have collected, per benchmark id.
#[derive(Default)]
struct Collected {
    benchmarks: BTreeMap<String, Accumulated>,
}

struct Accumulated {
    /// The latest round's benchmark, for its source and metric descriptions.
    latest: Benchmark,
    rounds_seen: usize,
    /// Per metric: every sample of every round, and each round's median.
    metrics: BTreeMap<String, (Vec<f64>, Vec<f64>)>,
}

impl Collected {
    /// Adds what `run` wrote: each of its ids must be there; anything else it wrote (criterion
    /// output of benchmarks it was not asked for) is not this round's.
    fn add_run(
        &mut self,
        side: &Side,
        run: &BenchRun,
        round: usize,
        written: Vec<Benchmark>,
    ) -> Result<(), RoundsError> {
        let mut written: BTreeMap<String, Benchmark> = written.into_iter().map(|b| (b.id.clone(), b)).collect();
        for id in &run.ids {
            let Some(benchmark) = written.remove(id) else {
                return Err(RoundsError::WroteNothing {
                    id: id.clone(),
                    bench: side.target_names.get(run.target).cloned().unwrap_or_default(),
                    side: side.name,
                    round: round + 1,
                });
            };
            self.add(round, side.name, benchmark)?;
        }
        Ok(())
    }

    fn add(&mut self, round: usize, side: &'static str, benchmark: Benchmark) -> Result<(), RoundsError> {
        let entry = self.benchmarks.entry(benchmark.id.clone()).or_insert_with(|| Accumulated {
            latest: benchmark.clone(),
            rounds_seen: 0,
            metrics: BTreeMap::new(),
        });
        if entry.rounds_seen == round + 1 {
            return Err(RoundsError::Duplicate { side, id: benchmark.id });
        }
        if entry.rounds_seen != round {
            return Err(RoundsError::MissingRounds {
                side,
                id: benchmark.id,
                seen: entry.rounds_seen,
                rounds: round + 1,
            });
        }
        for (name, metric) in &benchmark.metrics {
            let (pooled, medians) = entry.metrics.entry(name.clone()).or_default();
            pooled.extend(&metric.samples);
            medians.push(stats::median(&metric.samples));
        }
        entry.rounds_seen = round + 1;
        entry.latest = benchmark;
        Ok(())
    }

    /// One benchmark per id, its samples pooled over the rounds and each round's median kept.
    fn finish(self, rounds: usize, side: &'static str) -> Result<Vec<Benchmark>, RoundsError> {
        self.benchmarks
            .into_iter()
            .map(|(id, accumulated)| {
                if accumulated.rounds_seen != rounds {
                    return Err(RoundsError::MissingRounds { side, id, seen: accumulated.rounds_seen, rounds });
                }
                let mut benchmark = accumulated.latest;
                for (name, (pooled, medians)) in accumulated.metrics {
                    let Some(latest) = benchmark.metrics.get(&name) else { continue };
                    let mut metric = Metric::from_samples(latest.unit.clone(), latest.better, latest.compared, pooled);
                    metric.rounds = Some(medians);
                    // An exact count stays exact; another tool's summaries, one a round, are
                    // now repeated measurements: samples the paired test reads.
                    if latest.basis == Basis::Deterministic {
                        metric.basis = Basis::Deterministic;
                    }
                    benchmark.metrics.insert(name, metric);
                }
                Ok(benchmark)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures;
    use crate::model::Better;
    use crate::plan::OtherCost;

    fn benchmark(id: &str, samples: &[f64]) -> Benchmark {
        fixtures::benchmark(id, Better::Lower, samples)
    }

    /// Another tool's summary, one a round, becomes a sample per round (the paired test reads
    /// them); an exact count stays exact.
    #[test]
    fn summaries_of_rounds_become_samples_and_counts_stay_exact() {
        let mut collected = Collected::default();
        for (round, (median, count)) in [(100.0, 5.0), (110.0, 5.0), (105.0, 5.0)].into_iter().enumerate() {
            let mut one = benchmark("tool", &[1.0]);
            one.metrics.insert("time".into(), Metric::summary("ns", Better::Lower, median, None));
            one.metrics.insert("instructions".into(), Metric::deterministic("instructions", Better::Lower, count));
            collected.add(round, "current", one).unwrap();
        }
        let pooled = collected.finish(3, "current").unwrap().remove(0);
        let time = &pooled.metrics["time"];
        assert_eq!((time.samples.as_slice(), &time.basis), ([100.0, 110.0, 105.0].as_slice(), &Basis::Samples));
        assert_eq!(time.rounds.as_deref(), Some([100.0, 110.0, 105.0].as_slice()));
        assert_eq!(pooled.metrics["instructions"].basis, Basis::Deterministic);
    }

    fn side(name: &'static str, targets: &[(&str, usize)], others: bool) -> Side {
        Side {
            name,
            targets: targets.iter().map(|&(id, target)| (id.to_owned(), target)).collect(),
            target_names: vec!["first".to_owned(), "second".to_owned()],
            slow_start: vec![false, false],
            others,
        }
    }

    /// `side`, with every bench target slow to start.
    fn slow(mut side: Side) -> Side {
        side.slow_start = vec![true, true];
        side
    }

    /// Criterion's output made up: each benchmark takes `time[id] * factor[side]`, so the
    /// paired differences are known; `skip` makes a benchmark write nothing in one round.
    #[derive(Default)]
    struct Fake {
        log: Vec<String>,
        factor: Vec<f64>,
        clock: Duration,
        /// What the fake clock advances by each round.
        round_time: Duration,
        skip: Option<(String, usize)>,
        extra: bool,
    }

    impl Executor for Fake {
        type Error = RoundsError;

        fn bench(&mut self, run: &BenchRun, round: usize) -> Result<Vec<Benchmark>, RoundsError> {
            self.log.push(format!("r{round} s{} t{} {}", run.side, run.target, run.ids.join(",")));
            let mut written: Vec<Benchmark> = run
                .ids
                .iter()
                .filter(|id| self.skip.as_ref() != Some(&((*id).clone(), round)))
                .map(|id| benchmark(id, &[(10.0 + round as f64) * self.factor[run.side]; 3]))
                .collect();
            if self.extra {
                // Output a filter let through by accident is not this round's.
                written.push(benchmark("stray", &[1.0]));
            }
            Ok(written)
        }

        fn others(&mut self, side: usize, round: usize) -> Result<(Vec<Benchmark>, Vec<String>), RoundsError> {
            self.log.push(format!("r{round} s{side} others"));
            Ok((vec![benchmark("service", &[2.0 * self.factor[side]])], vec!["slow start".to_owned()]))
        }

        fn checkpoint(&mut self) -> Duration {
            let elapsed = self.clock;
            self.clock += self.round_time;
            elapsed
        }
    }

    /// The bench processes of one round.
    fn processes_per_round(schedule: &Schedule) -> usize {
        schedule.units.iter().map(|unit| unit.runs.iter().map(Vec::len).sum::<usize>()).sum()
    }

    fn plan(rounds: usize, benchmarks: usize) -> Plan {
        Plan::derive(Some(rounds), Budget::Default, benchmarks, 2, OtherCost::default()).unwrap()
    }

    #[test]
    fn per_benchmark_the_sides_alternate_on_each_benchmark_and_swap_who_goes_first() {
        let sides = [side("baseline", &[("a", 0), ("b", 0)], false), side("current", &[("a", 0), ("b", 0)], true)];
        let schedule = Schedule::new(&sides);
        assert_eq!((processes_per_round(&schedule), schedule.steps_per_round()), (4, 5));
        let mut fake = Fake { factor: vec![1.0, 1.1], ..Fake::default() };
        let rounds = run(&mut plan(2, 2), (Budget::Default, true), &sides, &schedule, &mut fake).unwrap();
        assert_eq!(
            fake.log,
            [
                "r0 s0 t0 a",
                "r0 s1 t0 a",
                "r0 s0 t0 b",
                "r0 s1 t0 b",
                "r0 s1 others",
                "r1 s1 t0 a",
                "r1 s0 t0 a",
                "r1 s1 t0 b",
                "r1 s0 t0 b",
                "r1 s1 others",
            ]
        );
        let ids: Vec<Vec<&str>> = rounds.benchmarks.iter().map(|b| b.iter().map(|b| b.id.as_str()).collect()).collect();
        assert_eq!(ids, [vec!["a", "b"], vec!["a", "b", "service"]]);
        let current = &rounds.benchmarks[1][0].metrics["time"];
        assert_eq!(current.rounds.as_ref().unwrap().len(), 2);
        assert!((current.rounds.as_ref().unwrap()[1] - 12.1).abs() < 1e-9);
        assert_eq!(rounds.warnings, BTreeSet::from(["slow start".to_owned()]));
    }

    #[test]
    fn a_target_slow_to_start_runs_once_a_round_on_each_side() {
        // `moved` changed targets, `new` is only on the current side: each alternates apart.
        let sides = [
            slow(side("baseline", &[("a", 0), ("b", 0), ("moved", 0), ("x", 1)], false)),
            side("current", &[("a", 1), ("b", 1), ("moved", 0), ("new", 1), ("x", 0)], false),
        ];
        let schedule = Schedule::new(&sides);
        let mut fake = Fake { factor: vec![1.0, 1.0], ..Fake::default() };
        run(&mut plan(2, 5), (Budget::Default, true), &sides, &schedule, &mut fake).unwrap();
        assert_eq!(
            fake.log,
            [
                "r0 s0 t0 a,b",
                "r0 s1 t1 a,b",
                "r0 s0 t0 moved",
                "r0 s1 t0 moved",
                "r0 s1 t1 new",
                "r0 s0 t1 x",
                "r0 s1 t0 x",
                "r1 s1 t1 a,b",
                "r1 s0 t0 a,b",
                "r1 s1 t0 moved",
                "r1 s0 t0 moved",
                "r1 s1 t1 new",
                "r1 s1 t0 x",
                "r1 s0 t1 x",
            ]
        );
    }

    #[test]
    fn a_target_whose_filter_would_not_fit_one_argument_runs_in_several_processes() {
        let ids: Vec<String> = (0..2000).map(|i| format!("group/a_fairly_long_benchmark_name/{i:05}")).collect();
        let targets: Vec<(&str, usize)> = ids.iter().map(|id| (id.as_str(), 0)).collect();
        let sides = [slow(side("baseline", &targets, false)), slow(side("current", &targets, false))];
        let schedule = Schedule::new(&sides);
        let per_side = processes_per_round(&schedule) / 2;
        assert!(per_side > 1, "{per_side}");
        for unit in &schedule.units {
            let bytes: usize = unit.runs[0][0].ids.iter().map(|id| 2 * id.len() + 1).sum();
            assert!(bytes <= FILTER_BYTES);
        }
        assert_eq!(schedule.steps_per_round(), 4000);
    }

    #[test]
    fn a_benchmark_that_writes_nothing_in_a_round_stops_the_rounds_and_strays_are_ignored() {
        let sides =
            [side("baseline", &[("a", 1), ("b", 1)], false), slow(side("current", &[("a", 1), ("b", 1)], false))];
        let schedule = Schedule::new(&sides);
        let mut fake = Fake { factor: vec![1.0, 1.0], skip: Some(("b".to_owned(), 1)), extra: true, ..Fake::default() };
        let error = run(&mut plan(3, 2), (Budget::Default, true), &sides, &schedule, &mut fake).unwrap_err();
        assert_eq!(
            error.to_string(),
            "benchmark `b` of bench `second` (current side) wrote no criterion results in round 2, though `--list` names it: is it a criterion bench with `harness = false`?"
        );
        // Round 2 starts with the current side (B A), which is where it stopped.
        assert_eq!(fake.log.last().unwrap(), "r1 s1 t1 a,b");
    }

    #[test]
    fn a_first_round_far_over_plan_cuts_the_rest() {
        let sides = [side("baseline", &[("a", 0)], false), side("current", &[("a", 0)], false)];
        let schedule = Schedule::new(&sides);
        let mut planned = plan(16, 1);
        // The plan's round is 1 x 2 x 0.45 s; the benches' own settings make it 60 s.
        let mut fake = Fake { factor: vec![1.0, 1.0], round_time: Duration::from_secs(60), ..Fake::default() };
        let limit = Budget::Limit(Duration::from_secs(300));
        let rounds = run(&mut planned, (limit, false), &sides, &schedule, &mut fake).unwrap();
        assert_eq!(planned.rounds, 5);
        assert_eq!(fake.log.len(), 10);
        assert_eq!(rounds.benchmarks[0][0].metrics["time"].rounds.as_ref().unwrap().len(), 5);
        assert!(rounds.warnings.iter().any(|w| w.contains("5 rounds instead of 16")), "{:?}", rounds.warnings);
    }

    #[test]
    fn rounds_pool_samples_and_keep_each_rounds_median() {
        let mut collected = Collected::default();
        collected.add(0, "current", benchmark("a", &[1.0, 2.0, 9.0])).unwrap();
        collected.add(1, "current", benchmark("a", &[4.0, 5.0, 6.0])).unwrap();
        let benchmarks = collected.finish(2, "current").unwrap();
        let time = &benchmarks[0].metrics["time"];
        assert_eq!(time.samples, vec![1.0, 2.0, 9.0, 4.0, 5.0, 6.0]);
        assert_eq!(time.rounds, Some(vec![2.0, 5.0]));
        assert_eq!(time.summary.n, 6);
    }

    #[test]
    fn a_benchmark_missing_from_a_round_or_twice_in_one_is_an_error() {
        let mut collected = Collected::default();
        collected.add(0, "current", benchmark("a", &[1.0])).unwrap();
        let twice = collected.add(0, "current", benchmark("a", &[1.0])).unwrap_err().to_string();
        assert!(twice.contains("two bench targets"), "{twice}");
        let skipped = collected.add(2, "current", benchmark("a", &[1.0])).unwrap_err().to_string();
        assert!(skipped.contains("1 of 3 rounds"), "{skipped}");
        let short = collected.finish(2, "baseline").unwrap_err().to_string();
        assert!(short.contains("`a` of the baseline side wrote results in 1 of 2 rounds"), "{short}");
    }
}
