//! The run-health canary: a fixed CPU workload timed at checkpoints of a run.
//!
//! The workload is the same integer mixing on every machine and in every version, so its time
//! moves only when the machine does: frequency scaling, a noisy neighbour, a slower runner.

use std::hint::black_box;
use std::time::Instant;

use crate::model::Canary;

/// Iterations of one timing: about 10 ms on a 2020s x86 core.
const ITERATIONS: u64 = 4_000_000;
/// Timings per checkpoint; the median is kept, so one preempted timing does not count.
const REPEATS: usize = 5;

/// Collects checkpoints as a run goes.
#[derive(Debug, Default)]
pub struct CanaryRecorder {
    checkpoints: Vec<f64>,
}

impl CanaryRecorder {
    /// Times the workload now and records the median, in ns per iteration.
    pub fn checkpoint(&mut self) {
        let mut timings: Vec<f64> = (0..REPEATS).map(|_| time_workload()).collect();
        timings.sort_by(f64::total_cmp);
        self.checkpoints.push(timings[REPEATS / 2]);
    }

    pub fn finish(self) -> Option<Canary> {
        (!self.checkpoints.is_empty()).then(|| Canary { unit: "ns".to_owned(), checkpoints: self.checkpoints })
    }
}

fn time_workload() -> f64 {
    let started = Instant::now();
    let mut state = black_box(0x9E37_79B9_7F4A_7C15u64);
    for i in 0..ITERATIONS {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state = state.wrapping_add(i);
    }
    black_box(state);
    started.elapsed().as_nanos() as f64 / ITERATIONS as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_one_positive_value_per_checkpoint() {
        let mut recorder = CanaryRecorder::default();
        assert!(CanaryRecorder::default().finish().is_none());
        recorder.checkpoint();
        recorder.checkpoint();
        let canary = recorder.finish().unwrap();
        assert_eq!(canary.checkpoints.len(), 2);
        assert!(canary.checkpoints.iter().all(|v| v.is_finite() && *v > 0.0), "{canary:?}");
    }
}
