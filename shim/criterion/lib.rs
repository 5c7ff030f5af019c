//! cargo-perf-gate's stand-in for criterion (0.4 to 0.8), patched in for `run --measure
//! instructions`: the same API, but instead of timing, each benchmark's routine runs a few
//! times unmeasured, then exactly once between callgrind client requests (zero the counts,
//! start instrumenting, the routine, stop, dump the counts under the benchmark's id).
//! Outside valgrind the client requests do nothing, so the benches still run.
//!
//! With `PERF_GATE_SHIM=1`, one line per benchmark goes to stderr, `perf-gate-shim: ` and a
//! JSON object: its id, whether it was counted (and why not), and its declared throughput.
//! stderr, not a file perf-gate names: a path's length would shift the heap and the stack
//! between two runs of the same code, and with them the counts.

#![allow(clippy::all)]

use std::fmt::{self, Display, Write as _};
use std::io::Write as _;
use std::marker::PhantomData;
use std::time::Duration;

/// Unmeasured runs of the routine before the counted one: code paths warmed (lazy statics,
/// first-call allocations), as criterion's warm-up would.
const WARM_UP_RUNS: usize = 3;

pub fn black_box<T>(dummy: T) -> T {
    std::hint::black_box(dummy)
}

/// Callgrind's client requests: a fixed instruction sequence that is a no-op on a real CPU and
/// that valgrind recognises (valgrind.h).
mod callgrind {
    const BASE: usize = ((b'C' as usize) << 24) | ((b'T' as usize) << 16);
    const ZERO_STATS: usize = BASE + 1;
    const DUMP_STATS_AT: usize = BASE + 3;
    const START_INSTRUMENTATION: usize = BASE + 4;
    const STOP_INSTRUMENTATION: usize = BASE + 5;

    #[inline(always)]
    fn request(code: usize, argument: usize) -> usize {
        let args: [usize; 6] = [code, argument, 0, 0, 0, 0];
        #[allow(unused_mut)]
        let mut result: usize = 0;
        #[cfg(target_arch = "x86_64")]
        unsafe {
            core::arch::asm!(
                "rol rdi, 3",
                "rol rdi, 13",
                "rol rdi, 61",
                "rol rdi, 51",
                "xchg rbx, rbx",
                inout("rdx") result,
                in("rax") args.as_ptr(),
                inout("rdi") 0usize => _,
            );
        }
        #[cfg(target_arch = "aarch64")]
        unsafe {
            core::arch::asm!(
                "ror x12, x12, #3",
                "ror x12, x12, #13",
                "ror x12, x12, #51",
                "ror x12, x12, #61",
                "orr x10, x10, x10",
                inout("x3") result,
                in("x4") args.as_ptr(),
                inout("x12") 0usize => _,
            );
        }
        std::hint::black_box(&args);
        result
    }

    #[inline(always)]
    pub fn start() {
        request(ZERO_STATS, 0);
        request(START_INSTRUMENTATION, 0);
    }

    #[inline(always)]
    pub fn stop_and_dump(id: &str) {
        request(STOP_INSTRUMENTATION, 0);
        let mut name = id.as_bytes().to_vec();
        name.push(0);
        request(DUMP_STATS_AT, name.as_ptr() as usize);
    }
}

/// What happened to one benchmark, for perf-gate.
fn report(id: &str, counted: Result<(), &str>, throughput: Option<&Throughput>) {
    if std::env::var_os("PERF_GATE_SHIM").is_none() {
        return;
    }
    let mut line = format!("perf-gate-shim: {{\"id\":{}", json_string(id));
    match counted {
        Ok(()) => line.push_str(",\"counted\":true"),
        Err(reason) => {
            let _ = write!(line, ",\"counted\":false,\"reason\":{}", json_string(reason));
        }
    }
    if let Some(throughput) = throughput {
        let (unit, per_iteration) = match throughput {
            Throughput::Bits(n) => ("bits", *n),
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) => ("bytes", *n),
            Throughput::Elements(n) | Throughput::ElementsAndBytes { elements: n, .. } => ("elements", *n),
        };
        let _ = write!(line, ",\"throughput\":{{\"unit\":\"{unit}\",\"per_iteration\":{per_iteration}}}");
    }
    line.push_str("}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
}

fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub mod measurement {
    //! The measurement API, kept so that benches generic over it compile; counting ignores it.
    use super::Throughput;
    use std::time::{Duration, Instant};

    pub trait ValueFormatter {
        fn format_value(&self, value: f64) -> String {
            format!("{value}")
        }
        fn format_throughput(&self, _throughput: &Throughput, value: f64) -> String {
            format!("{value}")
        }
        fn scale_values(&self, typical_value: f64, values: &mut [f64]) -> &'static str;
        fn scale_throughputs(&self, typical_value: f64, throughput: &Throughput, values: &mut [f64]) -> &'static str;
        fn scale_for_machines(&self, values: &mut [f64]) -> &'static str;
    }

    pub trait Measurement {
        type Intermediate;
        type Value;
        fn start(&self) -> Self::Intermediate;
        fn end(&self, i: Self::Intermediate) -> Self::Value;
        fn add(&self, v1: &Self::Value, v2: &Self::Value) -> Self::Value;
        fn zero(&self) -> Self::Value;
        fn to_f64(&self, value: &Self::Value) -> f64;
        fn formatter(&self) -> &dyn ValueFormatter;
    }

    pub struct WallTime;

    struct Nanoseconds;

    impl ValueFormatter for Nanoseconds {
        fn scale_values(&self, _typical_value: f64, _values: &mut [f64]) -> &'static str {
            "ns"
        }
        fn scale_throughputs(&self, _typical: f64, _throughput: &Throughput, _values: &mut [f64]) -> &'static str {
            "elem/s"
        }
        fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
            "ns"
        }
    }

    impl Measurement for WallTime {
        type Intermediate = Instant;
        type Value = Duration;
        fn start(&self) -> Instant {
            Instant::now()
        }
        fn end(&self, i: Instant) -> Duration {
            i.elapsed()
        }
        fn add(&self, v1: &Duration, v2: &Duration) -> Duration {
            *v1 + *v2
        }
        fn zero(&self) -> Duration {
            Duration::ZERO
        }
        fn to_f64(&self, value: &Duration) -> f64 {
            value.as_nanos() as f64
        }
        fn formatter(&self) -> &dyn ValueFormatter {
            &Nanoseconds
        }
    }
}

pub mod profiler {
    //! The profiler hook, kept so that benches that install one compile; it is not called.
    use std::path::Path;

    pub trait Profiler {
        fn start_profiling(&mut self, benchmark_id: &str, benchmark_dir: &Path);
        fn stop_profiling(&mut self, benchmark_id: &str, benchmark_dir: &Path);
    }
}

use measurement::{Measurement, WallTime};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Throughput {
    Bits(u64),
    Bytes(u64),
    BytesDecimal(u64),
    Elements(u64),
    ElementsAndBytes { elements: u64, bytes: u64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BatchSize {
    SmallInput,
    LargeInput,
    PerIteration,
    NumBatches(u64),
    NumIterations(u64),
    #[doc(hidden)]
    __NonExhaustive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SamplingMode {
    Auto,
    Linear,
    Flat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AxisScale {
    Linear,
    Logarithmic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlottingBackend {
    Gnuplot,
    Plotters,
    None,
}

#[derive(Debug, Clone, Default)]
pub struct PlotConfiguration {
    _private: (),
}

impl PlotConfiguration {
    pub fn summary_scale(self, _new_scale: AxisScale) -> PlotConfiguration {
        self
    }
}

/// A benchmark's id within its group: a function name and a parameter, either optional.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BenchmarkId {
    function_name: Option<String>,
    parameter: Option<String>,
}

impl BenchmarkId {
    pub fn new<S: Into<String>, P: Display>(function_name: S, parameter: P) -> BenchmarkId {
        BenchmarkId { function_name: Some(function_name.into()), parameter: Some(parameter.to_string()) }
    }

    pub fn from_parameter<P: Display>(parameter: P) -> BenchmarkId {
        BenchmarkId { function_name: None, parameter: Some(parameter.to_string()) }
    }
}

mod private {
    pub trait Sealed {}
    impl Sealed for super::BenchmarkId {}
    impl<S: Into<String>> Sealed for S {}
}

pub trait IntoBenchmarkId: private::Sealed {
    fn into_benchmark_id(self) -> BenchmarkId;
}

impl IntoBenchmarkId for BenchmarkId {
    fn into_benchmark_id(self) -> BenchmarkId {
        self
    }
}

impl<S: Into<String>> IntoBenchmarkId for S {
    fn into_benchmark_id(self) -> BenchmarkId {
        BenchmarkId { function_name: Some(self.into()), parameter: None }
    }
}

/// The benchmarks to run: criterion's command line, of which the filter counts (a substring of
/// the id, as perf-gate passes it) and the rest is accepted and ignored.
#[derive(Debug, Clone, Default)]
struct Filter(Option<String>);

impl Filter {
    fn from_args() -> Filter {
        const WITH_VALUE: [&str; 16] = [
            "--sample-size", "--warm-up-time", "--measurement-time", "--nresamples", "--noise-threshold",
            "--confidence-level", "--significance-level", "--save-baseline", "--baseline", "--load-baseline",
            "--baseline-lenient", "--output-format", "--color", "--profile-time", "--plotting-backend", "--format",
        ];
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            if WITH_VALUE.contains(&arg.as_str()) {
                args.next();
            } else if !arg.starts_with('-') {
                return Filter(Some(arg));
            }
        }
        Filter(None)
    }

    fn accepts(&self, id: &str) -> bool {
        self.0.as_ref().map_or(true, |filter| id.contains(filter.as_str()))
    }
}

pub struct Criterion<M: Measurement = WallTime> {
    filter: Filter,
    /// Kept for the types: counting does not use it.
    #[allow(dead_code)]
    measurement: M,
}

impl Default for Criterion<WallTime> {
    fn default() -> Criterion<WallTime> {
        Criterion { filter: Filter::default(), measurement: WallTime }
    }
}

macro_rules! ignored_settings {
    ($($name:ident($($arg:ident: $type:ty),*)),* $(,)?) => {
        $(
            pub fn $name(self, $($arg: $type),*) -> Criterion<M> {
                $(let _ = $arg;)*
                self
            }
        )*
    };
}

impl<M: Measurement> Criterion<M> {
    ignored_settings!(
        sample_size(n: usize),
        warm_up_time(dur: Duration),
        measurement_time(dur: Duration),
        nresamples(n: usize),
        noise_threshold(threshold: f64),
        confidence_level(cl: f64),
        significance_level(sl: f64),
        plotting_backend(backend: PlottingBackend),
        save_baseline(baseline: String),
        retain_baseline(baseline: String, strict: bool),
        with_output_color(enabled: bool),
        output_directory(path: &std::path::Path),
        profile_time(profile_time: Option<Duration>),
    );

    pub fn with_plots(self) -> Criterion<M> {
        self
    }

    pub fn without_plots(self) -> Criterion<M> {
        self
    }

    pub fn with_filter<S: Into<String>>(mut self, filter: S) -> Criterion<M> {
        self.filter = Filter(Some(filter.into()));
        self
    }

    pub fn with_measurement<M2: Measurement>(self, measurement: M2) -> Criterion<M2> {
        Criterion { filter: self.filter, measurement }
    }

    pub fn with_profiler<P: profiler::Profiler + 'static>(self, _profiler: P) -> Criterion<M> {
        self
    }

    pub fn configure_from_args(mut self) -> Criterion<M> {
        let from_args = Filter::from_args();
        if from_args.0.is_some() {
            self.filter = from_args;
        }
        self
    }

    pub fn final_summary(&self) {}

    pub fn benchmark_group<S: Into<String>>(&mut self, group_name: S) -> BenchmarkGroup<'_, M> {
        BenchmarkGroup { criterion: self, name: group_name.into(), throughput: None }
    }

    pub fn bench_function<F>(&mut self, id: &str, f: F) -> &mut Criterion<M>
    where
        F: FnMut(&mut Bencher<'_, M>),
    {
        let mut group = self.benchmark_group(id);
        group.run(BenchmarkId { function_name: None, parameter: None }, f);
        self
    }

    pub fn bench_with_input<F, I: ?Sized>(&mut self, id: BenchmarkId, input: &I, mut f: F) -> &mut Criterion<M>
    where
        F: FnMut(&mut Bencher<'_, M>, &I),
    {
        let group_name = id.function_name.clone().expect(
            "Cannot use BenchmarkId::from_parameter with Criterion::bench_with_input. \
             Consider using a BenchmarkGroup or BenchmarkId::new instead.",
        );
        let mut group = self.benchmark_group(group_name);
        group.run(BenchmarkId { function_name: None, parameter: id.parameter }, |b| f(b, input));
        self
    }
}

pub struct BenchmarkGroup<'a, M: Measurement = WallTime> {
    criterion: &'a mut Criterion<M>,
    name: String,
    throughput: Option<Throughput>,
}

macro_rules! ignored_group_settings {
    ($($name:ident($arg:ident: $type:ty)),* $(,)?) => {
        $(
            pub fn $name(&mut self, $arg: $type) -> &mut Self {
                let _ = $arg;
                self
            }
        )*
    };
}

impl<'a, M: Measurement> BenchmarkGroup<'a, M> {
    ignored_group_settings!(
        sample_size(n: usize),
        warm_up_time(dur: Duration),
        measurement_time(dur: Duration),
        nresamples(n: usize),
        noise_threshold(threshold: f64),
        confidence_level(cl: f64),
        significance_level(sl: f64),
        plot_config(config: PlotConfiguration),
        sampling_mode(mode: SamplingMode),
    );

    pub fn throughput(&mut self, throughput: Throughput) -> &mut Self {
        self.throughput = Some(throughput);
        self
    }

    pub fn bench_function<ID: IntoBenchmarkId, F>(&mut self, id: ID, f: F) -> &mut Self
    where
        F: FnMut(&mut Bencher<'_, M>),
    {
        self.run(id.into_benchmark_id(), f);
        self
    }

    pub fn bench_with_input<ID: IntoBenchmarkId, F, I: ?Sized>(&mut self, id: ID, input: &I, mut f: F) -> &mut Self
    where
        F: FnMut(&mut Bencher<'_, M>, &I),
    {
        self.run(id.into_benchmark_id(), |b| f(b, input));
        self
    }

    pub fn finish(self) {}

    /// criterion's full id: the group, then the function and the parameter where given.
    fn full_id(&self, id: &BenchmarkId) -> String {
        let mut full = self.name.clone();
        for part in [&id.function_name, &id.parameter].into_iter().flatten() {
            full.push('/');
            full.push_str(part);
        }
        full
    }

    fn run<F>(&mut self, id: BenchmarkId, mut f: F)
    where
        F: FnMut(&mut Bencher<'_, M>),
    {
        let id = self.full_id(&id);
        if !self.criterion.filter.accepts(&id) {
            return;
        }
        let mut bencher = Bencher { id: &id, outcome: None, _measurement: PhantomData };
        f(&mut bencher);
        let outcome = bencher.outcome.unwrap_or(Err("the benchmark called none of Bencher's iter methods"));
        report(&id, outcome, self.throughput.as_ref());
    }
}

pub struct Bencher<'a, M: Measurement = WallTime> {
    id: &'a str,
    /// Set by the first iter method called: counted, or why not.
    outcome: Option<Result<(), &'static str>>,
    _measurement: PhantomData<M>,
}

impl<'a, M: Measurement> Bencher<'a, M> {
    /// Whether this call may count: only the first iter method of a benchmark does.
    fn first(&mut self) -> bool {
        self.outcome.is_none()
    }

    #[inline(never)]
    fn counted<O>(&mut self, run: impl FnOnce() -> O) -> O {
        callgrind::start();
        let output = black_box(run());
        callgrind::stop_and_dump(self.id);
        self.outcome = Some(Ok(()));
        output
    }

    #[inline(never)]
    pub fn iter<O, R>(&mut self, mut routine: R)
    where
        R: FnMut() -> O,
    {
        if !self.first() {
            return;
        }
        for _ in 0..WARM_UP_RUNS {
            black_box(routine());
        }
        // The output is dropped inside the count, as criterion's `iter` times its drop.
        self.counted(|| {
            black_box(routine());
        });
    }

    #[inline(never)]
    pub fn iter_with_large_drop<O, R>(&mut self, mut routine: R)
    where
        R: FnMut() -> O,
    {
        if !self.first() {
            return;
        }
        for _ in 0..WARM_UP_RUNS {
            black_box(routine());
        }
        let output = self.counted(&mut routine);
        drop(output);
    }

    #[inline(never)]
    pub fn iter_batched<I, O, S, R>(&mut self, mut setup: S, mut routine: R, _size: BatchSize)
    where
        S: FnMut() -> I,
        R: FnMut(I) -> O,
    {
        if !self.first() {
            return;
        }
        for _ in 0..WARM_UP_RUNS {
            let input = setup();
            black_box(routine(input));
        }
        let input = setup();
        let output = self.counted(|| routine(input));
        drop(output);
    }

    #[inline(never)]
    pub fn iter_batched_ref<I, O, S, R>(&mut self, mut setup: S, mut routine: R, _size: BatchSize)
    where
        S: FnMut() -> I,
        R: FnMut(&mut I) -> O,
    {
        if !self.first() {
            return;
        }
        for _ in 0..WARM_UP_RUNS {
            let mut input = setup();
            black_box(routine(&mut input));
        }
        let mut input = setup();
        let output = self.counted(|| routine(&mut input));
        drop(output);
        drop(input);
    }

    pub fn iter_with_setup<I, O, S, R>(&mut self, setup: S, routine: R)
    where
        S: FnMut() -> I,
        R: FnMut(I) -> O,
    {
        self.iter_batched(setup, routine, BatchSize::PerIteration);
    }

    /// Not counted: the routine times itself over `iters` iterations, so no single run of it
    /// can be put between the client requests.
    pub fn iter_custom<R>(&mut self, _routine: R)
    where
        R: FnMut(u64) -> M::Value,
    {
        if self.first() {
            self.outcome = Some(Err("iter_custom times its own iterations, so its instructions cannot be counted"));
        }
    }
}

impl fmt::Debug for Criterion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Criterion (cargo-perf-gate's instruction-counting stand-in)")
    }
}

#[macro_export]
macro_rules! criterion_group {
    (name = $name:ident; config = $config:expr; targets = $( $target:path ),+ $(,)*) => {
        pub fn $name() {
            let mut criterion: $crate::Criterion<_> = $config.configure_from_args();
            $(
                $target(&mut criterion);
            )+
        }
    };
    ($name:ident, $( $target:path ),+ $(,)*) => {
        $crate::criterion_group!{
            name = $name;
            config = $crate::Criterion::default();
            targets = $( $target ),+
        }
    }
}

#[macro_export]
macro_rules! criterion_main {
    ( $( $group:path ),+ $(,)* ) => {
        fn main() {
            $(
                $group();
            )+
        }
    }
}
