//! Criterion benches for the demo crate.
//!
//! Each benchmark shows one way of naming or sizing a benchmark in criterion, and so one shape of
//! the directory tree it writes under `target/criterion/`:
//!
//! | benchmark               | written with                                           | directory                |
//! |-------------------------|--------------------------------------------------------|--------------------------|
//! | `adler32_4k`            | `c.bench_function`                                     | `adler32_4k/`            |
//! | `sort/insertion/256`    | `BenchmarkId::new(function, parameter)`                | `sort/insertion/256/`    |
//! | `sort/std_unstable/256` | `BenchmarkId::new(function, parameter)`                | `sort/std_unstable/256/` |
//! | `parse/numbers`         | `group.bench_function` + `Throughput::Bytes`           | `parse/numbers/`         |
//! | `count_distinct/1000`   | `BenchmarkId::from_parameter` + `Throughput::Elements` | `count_distinct/1000/`   |
//!
//! Run them with `cargo bench`, or through `cargo perf-gate`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};

/// Deterministic pseudo-random numbers (xorshift32), so that every run measures the same input.
fn pseudo_random(count: usize, mut state: u32) -> Vec<u32> {
    (0..count)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        })
        .collect()
}

/// A plain benchmark: one function, one input, no group.
fn bench_checksum(c: &mut Criterion) {
    let data: Vec<u8> = pseudo_random(4096, 1).into_iter().map(|x| x as u8).collect();
    c.bench_function("adler32_4k", |b| b.iter(|| demo::adler32(black_box(&data))));
}

/// A group comparing two functions on the same input: `BenchmarkId::new(function, parameter)`
/// gives the ids `sort/insertion/256` and `sort/std_unstable/256`.
fn bench_sort(c: &mut Criterion) {
    let mut group = c.benchmark_group("sort");
    let len = 256;
    let input = pseudo_random(len, 7);
    // Sorting works in place, so every iteration gets a fresh copy; the copy is not timed.
    group.bench_with_input(BenchmarkId::new("insertion", len), &input, |b, input| {
        b.iter_batched_ref(|| input.clone(), |v| demo::insertion_sort(v), BatchSize::SmallInput)
    });
    group.bench_with_input(BenchmarkId::new("std_unstable", len), &input, |b, input| {
        b.iter_batched_ref(|| input.clone(), |v| v.sort_unstable(), BatchSize::SmallInput)
    });
    group.finish();
}

/// A throughput in bytes: criterion also reports bytes per second for `parse/numbers`.
fn bench_parse(c: &mut Criterion) {
    let text = pseudo_random(2000, 3).iter().map(|n| (n % 100_000).to_string()).collect::<Vec<_>>().join(",");
    let input = text.into_bytes();

    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.bench_function("numbers", |b| b.iter(|| demo::parse_numbers(black_box(&input))));
    group.finish();
}

/// A throughput in elements, and an id made of the parameter only: `count_distinct/1000`.
fn bench_distinct(c: &mut Criterion) {
    let mut group = c.benchmark_group("count_distinct");
    let len = 1000;
    // Values below 500, so about half of them repeat.
    let values: Vec<u32> = pseudo_random(len, 11).into_iter().map(|x| x % 500).collect();
    group.throughput(Throughput::Elements(len as u64));
    group.bench_with_input(BenchmarkId::from_parameter(len), &values, |b, values| {
        b.iter(|| demo::count_distinct(black_box(values)))
    });
    group.finish();
}

/// Short runs, so the whole suite takes about 15 seconds: 0.5 s warm-up and 2 s of measurement
/// per benchmark instead of criterion's default 3 s and 5 s. A CI gate wants more samples; a
/// demo wants to be quick.
fn config() -> Criterion {
    Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_checksum, bench_sort, bench_parse, bench_distinct
}
criterion_main!(benches);
