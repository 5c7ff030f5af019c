//! Callgrind's counts as perf-gate's metrics, for `run --measure instructions` (callgrind's own
//! dump files) and for gungraun's summaries (`import`). Pure: text in, metrics out.
//!
//! Every count is exact (`Basis::Deterministic`): the same binary, inputs and environment
//! give the same counts. The estimated cycles are gungraun's: L1 hits + 5 x LL hits + 35 x
//! RAM accesses.

use std::collections::BTreeMap;

use crate::model::{Better, Metric};

/// The cache geometry every count is simulated with, whatever the host's: counts from two
/// machines then differ only by the code they ran.
pub const CACHE_ARGS: [&str; 3] = ["--I1=32768,8,64", "--D1=32768,8,64", "--LL=8388608,16,64"];

/// Callgrind's event names, the metric each becomes, and whether the regression check compares
/// it: the instruction count only. The cache's counts, and the estimated cycles built on them,
/// move with the memory layout (one cold line is 34 estimated cycles: ±10 % on a small
/// benchmark whose code did not change, measured in docs/performance.md), so they are shown
/// and gated, not compared.
pub const EVENTS: [(&str, &str, bool); 14] = [
    ("Ir", "instructions", true),
    ("EstimatedCycles", "estimated_cycles", false),
    ("Dr", "data_reads", false),
    ("Dw", "data_writes", false),
    ("I1mr", "i1_misses", false),
    ("D1mr", "d1_read_misses", false),
    ("D1mw", "d1_write_misses", false),
    ("ILmr", "ll_instruction_misses", false),
    ("DLmr", "ll_read_misses", false),
    ("DLmw", "ll_write_misses", false),
    ("L1hits", "l1_hits", false),
    ("LLhits", "ll_hits", false),
    ("RamHits", "ram_hits", false),
    ("TotalRW", "total_accesses", false),
];

/// The unit of an event's metric.
fn unit(event: &str) -> &'static str {
    match event {
        "Ir" => "instructions",
        "EstimatedCycles" => "cycles",
        "Dr" | "Dw" | "TotalRW" | "L1hits" | "LLhits" | "RamHits" => "accesses",
        _ => "misses",
    }
}

/// The metrics of callgrind's events by name. The hits, the total and the estimated cycles are
/// worked out from the cache simulation's counts where the events lack them (callgrind's own
/// dumps do; gungraun's summaries have them).
pub fn metrics(events: &BTreeMap<String, f64>) -> BTreeMap<String, Metric> {
    let mut events = events.clone();
    derive_cache_events(&mut events);
    EVENTS
        .iter()
        .filter_map(|(event, name, compared)| {
            let mut metric = Metric::deterministic(unit(event), Better::Lower, *events.get(*event)?);
            metric.compared = *compared;
            Some(((*name).to_owned(), metric))
        })
        .collect()
}

/// L1 hits, LL hits, RAM accesses, all accesses and the estimated cycles from the raw counts,
/// when the cache was simulated (the miss events are there) and they are not given.
fn derive_cache_events(events: &mut BTreeMap<String, f64>) {
    let get = |name: &str| events.get(name).copied();
    let (Some(ir), Some(dr), Some(dw)) = (get("Ir"), get("Dr"), get("Dw")) else { return };
    let (Some(i1), Some(d1r), Some(d1w), Some(ili), Some(dlr), Some(dlw)) =
        (get("I1mr"), get("D1mr"), get("D1mw"), get("ILmr"), get("DLmr"), get("DLmw"))
    else {
        return;
    };
    let accesses = ir + dr + dw;
    let l1_misses = i1 + d1r + d1w;
    let ram = ili + dlr + dlw;
    let derived = [
        ("TotalRW", accesses),
        ("L1hits", accesses - l1_misses),
        ("LLhits", l1_misses - ram),
        ("RamHits", ram),
        ("EstimatedCycles", (accesses - l1_misses) + 5.0 * (l1_misses - ram) + 35.0 * ram),
    ];
    for (name, value) in derived {
        events.entry(name.to_owned()).or_insert(value);
    }
}

/// One of callgrind's dump files: what triggered it and its total counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Dump {
    /// The string of a `CALLGRIND_DUMP_STATS_AT` client request (the benchmark's id); `None`
    /// for a dump at program termination or another trigger.
    pub client_request: Option<String>,
    pub events: BTreeMap<String, f64>,
}

/// Reads a dump's header: `desc: Trigger: Client Request: ID`, `events: Ir Dr ...` and the
/// `totals:` (or `summary:`) line of the counts in that order.
pub fn parse_dump(text: &str) -> Result<Dump, String> {
    let mut names: Option<Vec<&str>> = None;
    let mut totals: Option<&str> = None;
    let mut client_request = None;
    for line in text.lines() {
        if let Some(trigger) = line.strip_prefix("desc: Trigger: ") {
            client_request = trigger.strip_prefix("Client Request: ").map(str::to_owned);
        } else if let Some(list) = line.strip_prefix("events:") {
            names = Some(list.split_whitespace().collect());
        } else if let Some(counts) = line.strip_prefix("totals:") {
            totals = Some(counts);
        } else if let Some(counts) = line.strip_prefix("summary:") {
            totals = totals.or(Some(counts));
        }
    }
    let names = names.ok_or("no `events:` line: not a callgrind dump")?;
    let counts = totals.ok_or("no `totals:` line: not a callgrind dump")?;
    let mut events = BTreeMap::new();
    // Missing trailing counts are zero, as callgrind's format says.
    let mut values = counts.split_whitespace();
    for name in names {
        let value = match values.next() {
            None => 0.0,
            Some(text) => text.parse::<f64>().map_err(|_| format!("`{text}` in the totals is not a count"))?,
        };
        events.insert(name.to_owned(), value);
    }
    Ok(Dump { client_request, events })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dump callgrind 3.19 wrote for `CALLGRIND_DUMP_STATS_AT("group/bench a")`.
    const DUMP: &str = "version: 1\ncreator: callgrind-3.19.0\npid: 28172\ncmd:  ./t\npart: 1\n\
        desc: I1 cache: 32768 B, 64 B, 8-way associative\ndesc: D1 cache: 32768 B, 64 B, 8-way associative\n\
        desc: LL cache: 8388608 B, 64 B, 16-way associative\ndesc: Timerange: Basic block 0 - 1004\n\
        desc: Trigger: Client Request: group/bench a\npositions: line\n\
        events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw\nsummary: 0\ntotals: 9008 1002 1002 3 1 1 3 1 1\n";

    #[test]
    fn a_dump_gives_its_benchmark_and_counts() {
        let dump = parse_dump(DUMP).unwrap();
        assert_eq!(dump.client_request.as_deref(), Some("group/bench a"));
        assert_eq!((dump.events["Ir"], dump.events["DLmw"]), (9008.0, 1.0));
        let termination = DUMP.replace("Client Request: group/bench a", "Program termination");
        assert_eq!(parse_dump(&termination).unwrap().client_request, None);
        assert!(parse_dump("version: 1\n").unwrap_err().contains("no `events:` line"));
        assert!(parse_dump("events: Ir\ntotals: many\n").unwrap_err().contains("`many`"));
        // Trailing zeros may be left out.
        assert_eq!(parse_dump("events: Ir Dr\ntotals: 5\n").unwrap().events["Dr"], 0.0);
    }

    #[test]
    fn estimated_cycles_are_gungrauns() {
        let metrics = metrics(&parse_dump(DUMP).unwrap().events);
        // 11012 accesses, 5 L1 misses, 5 of them from RAM: 11007 + 5 x 0 + 35 x 5.
        assert_eq!(metrics["total_accesses"].gate_value(), 11012.0);
        assert_eq!(metrics["l1_hits"].gate_value(), 11007.0);
        assert_eq!(metrics["ram_hits"].gate_value(), 5.0);
        assert_eq!(metrics["estimated_cycles"].gate_value(), 11007.0 + 35.0 * 5.0);
        assert!(metrics["instructions"].compared && !metrics["estimated_cycles"].compared);
        assert!(!metrics["d1_read_misses"].compared);
        // Without the cache simulation: instructions and reads only, nothing made up.
        let plain = super::metrics(&BTreeMap::from([("Ir".to_owned(), 100.0)]));
        assert_eq!(plain.keys().collect::<Vec<_>>(), ["instructions"]);
    }
}
