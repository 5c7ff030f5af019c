//! A tiny library to benchmark: the kind of byte-crunching helpers a real crate might have.
//!
//! `benches/demo_bench.rs` measures these functions with criterion; `cargo perf-gate` then reads
//! what criterion wrote and gates on it.

/// Adler-32 checksum of `data` (RFC 1950), as zlib computes it.
///
/// ```
/// assert_eq!(demo::adler32(b"Wikipedia"), 0x11E6_0398);
/// ```
pub fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65_521;
    // 5552 is the largest n for which the sums cannot overflow a u32 before the modulo.
    const CHUNK: usize = 5_552;

    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(CHUNK) {
        for &byte in chunk {
            a += u32::from(byte);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

/// Parses unsigned decimal numbers separated by commas, spaces or newlines.
///
/// Returns `None` on any other byte or on a number that does not fit in a `u32`.
///
/// ```
/// assert_eq!(demo::parse_numbers(b"1,22, 333\n4"), Some(vec![1, 22, 333, 4]));
/// assert_eq!(demo::parse_numbers(b"1,x"), None);
/// ```
pub fn parse_numbers(input: &[u8]) -> Option<Vec<u32>> {
    let mut numbers = Vec::new();
    let mut current: Option<u32> = None;
    for &byte in input {
        match byte {
            b'0'..=b'9' => {
                let digit = u32::from(byte - b'0');
                let value = current.unwrap_or(0).checked_mul(10)?.checked_add(digit)?;
                current = Some(value);
            }
            b',' | b' ' | b'\n' | b'\r' | b'\t' => numbers.extend(current.take()),
            _ => return None,
        }
    }
    numbers.extend(current);
    Some(numbers)
}

/// Sorts `values` in place with insertion sort: fast for short or nearly sorted input,
/// quadratic otherwise. The benches compare it with the standard library's sort.
///
/// ```
/// let mut v = [3, 1, 2];
/// demo::insertion_sort(&mut v);
/// assert_eq!(v, [1, 2, 3]);
/// ```
pub fn insertion_sort(values: &mut [u32]) {
    for i in 1..values.len() {
        let mut j = i;
        while j > 0 && values[j - 1] > values[j] {
            values.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// Number of distinct values in `values`, which need not be sorted.
///
/// ```
/// assert_eq!(demo::count_distinct(&[5, 1, 5, 2, 1]), 3);
/// ```
pub fn count_distinct(values: &[u32]) -> usize {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    sorted.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adler32_of_empty_input_is_one() {
        assert_eq!(adler32(b""), 1);
    }

    #[test]
    fn adler32_handles_more_than_one_chunk() {
        // 64 KiB of 0xFF would overflow the sums without the per-chunk modulo.
        assert_eq!(adler32(&[0xFF; 65_536]), 0x7797_0EF2);
    }

    #[test]
    fn parse_numbers_rejects_overflow() {
        assert_eq!(parse_numbers(b"4294967295"), Some(vec![u32::MAX]));
        assert_eq!(parse_numbers(b"4294967296"), None);
    }

    #[test]
    fn insertion_sort_matches_std() {
        let mut values: Vec<u32> = (0..100).map(|i| (i * 7919) % 101).collect();
        let mut expected = values.clone();
        expected.sort();
        insertion_sort(&mut values);
        assert_eq!(values, expected);
    }
}
