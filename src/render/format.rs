//! Number and text formatting for the reports: units, percentages, p-values, escaping. Pure.
//!
//! Every number a reader sees is formatted here, so the three renderers agree and templates
//! never format numbers themselves.

/// Shown where a value does not exist (no baseline side, no test, no measurement).
pub const MISSING: &str = "—";

/// How many significant digits a measured value gets: enough to see a 1% change, few enough
/// that run-to-run noise does not look like precision.
const DIGITS: usize = 3;

/// The steps a unit scales through, smallest first: (size in the base unit, suffix).
type Scales = &'static [(f64, &'static str)];

const TIME_SCALES: Scales = &[(1.0, "ns"), (1e3, "µs"), (1e6, "ms"), (1e9, "s")];
const BYTE_SCALES: Scales = &[(1.0, "B"), (1024.0, "KiB"), (1048576.0, "MiB"), (1073741824.0, "GiB")];
const BYTE_RATE_SCALES: Scales = &[(1.0, "B/s"), (1e3, "KB/s"), (1e6, "MB/s"), (1e9, "GB/s"), (1e12, "TB/s")];
const ELEMENT_RATE_SCALES: Scales =
    &[(1.0, "elem/s"), (1e3, "Kelem/s"), (1e6, "Melem/s"), (1e9, "Gelem/s"), (1e12, "Telem/s")];
const BIT_RATE_SCALES: Scales = &[(1.0, "bit/s"), (1e3, "Kbit/s"), (1e6, "Mbit/s"), (1e9, "Gbit/s"), (1e12, "Tbit/s")];

/// The scales of `unit`. `ns` and `bytes` scale only when `scale_time` is set: a gate's value
/// is read in the unit its metric name carries, so `mean_ns` stays in ns and `peak_rss_bytes` in
/// bytes there.
fn scales(unit: &str, scale_time: bool) -> Option<Scales> {
    match unit {
        "ns" if scale_time => Some(TIME_SCALES),
        "ns" => Some(&[(1.0, "ns")]),
        "bytes" if scale_time => Some(BYTE_SCALES),
        "us" | "µs" => Some(&[(1.0, "µs")]),
        "ms" => Some(&[(1.0, "ms")]),
        "s" => Some(&[(1.0, "s")]),
        "bytes/s" => Some(BYTE_RATE_SCALES),
        "elements/s" => Some(ELEMENT_RATE_SCALES),
        "bits/s" => Some(BIT_RATE_SCALES),
        _ => None,
    }
}

/// The largest scale not larger than `magnitude`, or the smallest one.
fn pick(scales: Scales, magnitude: f64) -> (f64, &'static str) {
    scales.iter().rev().find(|(size, _)| magnitude >= *size).copied().unwrap_or(scales[0])
}

fn non_finite(x: f64) -> String {
    if x.is_nan() {
        "NaN".to_owned()
    } else if x > 0.0 {
        "∞".to_owned()
    } else {
        "-∞".to_owned()
    }
}

/// Decimal exponent and value of `x` rounded to `digits` significant digits. Rounding through
/// the exponent notation rounds in decimal, which `log10`/`powi` arithmetic cannot do exactly.
fn round_significant(x: f64, digits: usize) -> (i32, f64) {
    let text = format!("{:.*e}", digits.saturating_sub(1), x);
    let exponent = text.split_once('e').and_then(|(_, e)| e.parse().ok()).unwrap_or(0);
    (exponent, text.parse().unwrap_or(x))
}

/// `x` with `digits` significant digits in plain notation (`0.00123`, `12.3`). Numbers of at
/// least `digits` integer digits keep them all (`1234`, not `1230`): trailing zeros would
/// pretend a precision that is not there.
fn significant(x: f64, digits: usize) -> String {
    if !x.is_finite() {
        return non_finite(x);
    }
    if x == 0.0 {
        return "0".to_owned();
    }
    let (exponent, rounded) = round_significant(x, digits);
    if exponent >= digits as i32 - 1 {
        return format!("{x:.0}");
    }
    let decimals = (digits as i32 - 1 - exponent).max(0) as usize;
    format!("{rounded:.decimals$}")
}

/// `x` in the best scale of `scales`, with `digits` significant digits.
fn scaled(x: f64, scales: Scales, digits: usize) -> String {
    if !x.is_finite() {
        return format!("{} {}", non_finite(x), scales[0].1);
    }
    // Pick the scale after rounding, so that 999.6 ns becomes 1.00 µs rather than 1000 ns.
    let (_, rounded) = round_significant(x, digits);
    let (size, suffix) = pick(scales, rounded.abs());
    format!("{} {suffix}", significant(x / size, digits))
}

fn with_unit(number: String, unit: &str) -> String {
    if unit.is_empty() {
        number
    } else {
        format!("{number} {unit}")
    }
}

/// A duration in nanoseconds, scaled to ns, µs, ms or s: `456 ns`, `1.23 µs`, `12.3 ms`.
pub fn time(ns: f64) -> String {
    scaled(ns, TIME_SCALES, DIGITS)
}

/// A measured value in its metric unit, scaled for reading: time in `ns` to µs/ms/s, rates
/// to K/M/G (decimal). Unknown units are printed as they are.
pub fn measurement(value: f64, unit: &str) -> String {
    if unit == "ns" {
        return time(value);
    }
    match scales(unit, true) {
        Some(scales) => scaled(value, scales, DIGITS),
        None => with_unit(grouped(significant(value, DIGITS)), unit),
    }
}

/// A whole number of five digits or more with its thousands apart (`1,522,000`): an
/// instruction count is read digit by digit. Anything else as it is.
fn grouped(number: String) -> String {
    let digits = number.strip_prefix('-').unwrap_or(&number);
    if digits.len() < 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return number;
    }
    let mut out = String::with_capacity(number.len() + digits.len() / 3);
    if number.starts_with('-') {
        out.push('-');
    }
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A gate's measured value in the gate's own unit with `digits` significant digits (`2.35 ms`,
/// `1234 ns`, rates scaled).
fn gate_value_with(value: f64, unit: &str, digits: usize) -> String {
    match scales(unit, false) {
        Some(scales) => scaled(value, scales, digits),
        None => with_unit(significant(value, digits), unit),
    }
}

/// A gate's threshold as configured, in the gate's unit: `1000 ms`, `2.5 µs`, `1 GB/s`. Not
/// rounded: the threshold is the user's own number.
pub fn gate_threshold(threshold: f64, unit: &str) -> String {
    match scales(unit, false) {
        Some(scales) if threshold.is_finite() => {
            let (size, suffix) = pick(scales, threshold.abs());
            format!("{} {suffix}", exact(threshold / size))
        }
        Some(scales) => format!("{} {}", non_finite(threshold), scales[0].1),
        None => with_unit(exact(threshold), unit),
    }
}

/// A gate's value, with more digits when three would round it onto the threshold: a failed
/// `< 2 ms` gate must not read `2.00 ms < 2 ms`.
pub fn gate_value_against(value: f64, threshold: f64, unit: &str) -> String {
    let digits = (DIGITS..=8).find(|&d| value == threshold || round_significant(value, d).1 != threshold);
    gate_value_with(value, unit, digits.unwrap_or(8))
}

/// The shortest text that reads back as `x` (`0.05`, `1000`, `2.5`).
pub fn exact(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        non_finite(x)
    }
}

/// A relative change with its sign and two decimals: `+12.34%`, `-3.10%`.
pub fn percent_change(percent: f64) -> String {
    if percent.is_finite() {
        format!("{percent:+.2}%")
    } else {
        MISSING.to_owned()
    }
}

/// A change with one decimal, for figures that are estimates of estimates: `+12.4%`.
pub fn percent_change_short(percent: f64) -> String {
    if percent.is_finite() {
        format!("{percent:+.1}%")
    } else {
        MISSING.to_owned()
    }
}

/// A size in percent with one decimal, without a sign: `6.6%`.
pub fn percent_short(percent: f64) -> String {
    if percent.is_finite() {
        format!("{percent:.1}%")
    } else {
        MISSING.to_owned()
    }
}

/// A confidence interval of a change: `[+1.70%, +11.56%]`.
pub fn percent_interval([low, high]: [f64; 2]) -> String {
    format!("[{}, {}]", percent_change(low), percent_change(high))
}

/// A tick label on a percent axis: `0%`, `+5%`, `-0.5%`.
pub fn axis_percent(percent: f64) -> String {
    if percent == 0.0 {
        "0%".to_owned()
    } else {
        format!("{percent:+}%")
    }
}

/// A p-value: `p = 0.0123`, or `p < 0.0001` below what four decimals can show.
pub fn p_value(p: f64) -> String {
    if !p.is_finite() {
        MISSING.to_owned()
    } else if p < 1e-4 {
        "p < 0.0001".to_owned()
    } else {
        format!("p = {p:.4}")
    }
}

/// A workflow command's message, escaped as GitHub's toolkit does: `%`, CR and LF.
pub fn workflow_command_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// A workflow command's property value: the message's escapes plus `:` and `,`.
pub fn workflow_command_property(text: &str) -> String {
    workflow_command_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// An age in the largest whole unit: `45 seconds`, `3 hours`, `2 days`.
pub fn age(seconds: u64) -> String {
    let (value, unit) = match seconds {
        0..60 => (seconds, "second"),
        60..3_600 => (seconds / 60, "minute"),
        3_600..86_400 => (seconds / 3_600, "hour"),
        _ => (seconds / 86_400, "day"),
    };
    format!("{value} {unit}{}", if value == 1 { "" } else { "s" })
}

/// The abbreviated commit, as git and GitHub show it.
pub fn short_sha(commit: &str) -> String {
    commit.chars().take(7).collect()
}

/// Axis tick labels for `ticks`, all in one scale of `unit` (chosen by the largest tick), with
/// as many decimals as `step` needs in that scale.
pub fn axis_labels(ticks: &[f64], step: f64, unit: &str) -> Vec<String> {
    let largest = ticks.iter().fold(0.0_f64, |m, t| m.max(t.abs()));
    let (size, suffix) = match scales(unit, true) {
        Some(scales) => pick(scales, largest),
        None => (1.0, unit),
    };
    let scaled_step = step / size;
    // A nice step is 1, 2 or 5 times a power of ten; the epsilon keeps 0.1 from reading as 0.1000001.
    let decimals = if scaled_step > 0.0 && scaled_step.is_finite() {
        (-scaled_step.log10() - 1e-9).ceil().max(0.0) as usize
    } else {
        0
    };
    ticks
        .iter()
        .map(|tick| {
            // Ticks are multiples of the step; print -0.0 (an artifact of the multiplication) as 0.
            let value = if tick.abs() < step * 1e-9 { 0.0 } else { tick / size };
            with_unit(format!("{value:.decimals$}"), suffix)
        })
        .collect()
}

/// Text escaped for GitHub-flavoured markdown inside a table cell: `|` would end the cell and
/// a newline the row. Code spans (`` `...` ``) are kept as code; only `|` is escaped in them,
/// which GFM tables undo before reading the span.
pub fn markdown_cell(text: &str) -> String {
    escape_markdown(text, true)
}

/// Text escaped for GitHub-flavoured markdown in a paragraph or list item; code spans are kept.
pub fn markdown_text(text: &str) -> String {
    escape_markdown(text, false)
}

fn escape_markdown(text: &str, in_table: bool) -> String {
    // An unpaired backtick is literal text to a markdown reader, and so is everything after it:
    // only trust code spans when backticks pair up.
    let keep_code = text.chars().filter(|&c| c == '`').count() % 2 == 0;
    let mut out = String::with_capacity(text.len() + 8);
    let mut in_code = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        match c {
            '`' if keep_code => {
                in_code = !in_code;
                out.push(c);
            }
            '|' if in_table => out.push_str("\\|"),
            '\r' => {}
            '\n' if in_code => out.push(' '),
            '\n' => out.push_str("<br>"),
            _ if in_code => out.push(c),
            '\\' | '`' | '*' | '_' | '[' | ']' | '~' | '$' => {
                out.push('\\');
                out.push(c);
            }
            // `<` starts inline HTML only before a tag name, `/`, `!` or `?`; `a < b` stays readable.
            '<' if next.is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!' | '?')) => out.push_str("\\<"),
            // `&` starts an entity only before a name or `#`.
            '&' if next.is_some_and(|n| n.is_ascii_alphanumeric() || n == '#') => out.push_str("\\&"),
            _ => out.push(c),
        }
    }
    out
}

/// `text` as an inline code span for a markdown table cell: literal whatever it holds.
pub fn markdown_code_cell(text: &str) -> String {
    let longest_run = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    // A span that starts or ends with a backtick needs a space so the fence stays separate;
    // markdown strips one space from each side again.
    let pad = if text.starts_with('`') || text.ends_with('`') { " " } else { "" };
    let body = text.replace('|', "\\|").replace(['\r', '\n'], " ");
    format!("{fence}{pad}{body}{pad}{fence}")
}

/// `text` escaped for HTML, with its `` `code` `` spans as `<code>` elements: messages quote
/// metric paths in backticks, and a page should show them as code, not as backticks.
pub fn html_with_code_spans(text: &str) -> String {
    // As in markdown, an unpaired backtick is just a character.
    let keep_code = text.chars().filter(|&c| c == '`').count() % 2 == 0;
    let mut out = String::with_capacity(text.len() + 16);
    let mut in_code = false;
    for c in text.chars() {
        match c {
            '`' if keep_code => {
                out.push_str(if in_code { "</code>" } else { "<code>" });
                in_code = !in_code;
            }
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Control characters other than line breaks and tabs shown as `\u{1b}`: an id or message the
/// pull request chose cannot drive the reader's terminal (colours, titles, the clipboard).
pub fn terminal_safe(text: &str) -> String {
    escape_controls(text, |c| c == '\n' || c == '\t')
}

/// A value of the terminal summary on one line: its newlines shown escaped as well, so that an
/// id cannot start a line of its own that reads like perf-gate's.
pub fn single_line(text: &str) -> String {
    escape_controls(text, |_| false)
}

fn escape_controls(text: &str, keep: impl Fn(char) -> bool) -> String {
    text.chars()
        .map(|c| if c.is_control() && !keep(c) { c.escape_unicode().to_string() } else { c.to_string() })
        .collect()
}

/// `text` left-aligned in `width` characters, for terminal columns.
pub fn pad_right(text: &str, width: usize) -> String {
    let fill = width.saturating_sub(text.chars().count());
    format!("{text}{}", " ".repeat(fill))
}

/// `text` right-aligned in `width` characters, for numeric terminal columns.
pub fn pad_left(text: &str, width: usize) -> String {
    let fill = width.saturating_sub(text.chars().count());
    format!("{}{text}", " ".repeat(fill))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_scales_with_three_significant_digits() {
        assert_eq!(time(456.0), "456 ns");
        assert_eq!(time(1234.0), "1.23 µs");
        assert_eq!(time(12_345_678.0), "12.3 ms");
        assert_eq!(time(2.5e9), "2.50 s");
        assert_eq!(time(45.67), "45.7 ns");
    }

    #[test]
    fn counts_keep_every_digit_with_the_thousands_apart() {
        assert_eq!(measurement(1_522_000.0, "instructions"), "1,522,000 instructions");
        assert_eq!(measurement(186_839.0, "instructions"), "186,839 instructions");
        assert_eq!(measurement(-12_345.0, "cycles"), "-12,345 cycles");
        assert_eq!(measurement(1234.0, "runs"), "1234 runs");
        assert_eq!(measurement(12.5, "%"), "12.5 %");
    }

    #[test]
    fn time_rounding_carries_into_the_next_unit() {
        assert_eq!(time(999.6), "1.00 µs");
        assert_eq!(time(999_960.0), "1.00 ms");
        assert_eq!(time(999.4), "999 ns");
    }

    #[test]
    fn time_extremes() {
        assert_eq!(time(0.0), "0 ns");
        assert_eq!(time(0.5), "0.500 ns");
        assert_eq!(time(0.001234), "0.00123 ns");
        assert_eq!(time(4321e9), "4321 s");
        assert_eq!(time(f64::NAN), "NaN ns");
        assert_eq!(time(f64::INFINITY), "∞ ns");
    }

    #[test]
    fn rates_scale_decimally() {
        assert_eq!(measurement(1.23e9, "bytes/s"), "1.23 GB/s");
        assert_eq!(measurement(4.56e6, "elements/s"), "4.56 Melem/s");
        assert_eq!(measurement(2e9, "bits/s"), "2.00 Gbit/s");
        assert_eq!(measurement(512.0, "bytes/s"), "512 B/s");
        assert_eq!(measurement(12_340.0, "bytes/s"), "12.3 KB/s");
    }

    #[test]
    fn measurement_scales_time_and_keeps_unknown_units() {
        assert_eq!(measurement(1234.0, "ns"), "1.23 µs");
        assert_eq!(measurement(12.345, "widgets"), "12.3 widgets");
        assert_eq!(measurement(12.345, ""), "12.3");
    }

    fn gate_value(value: f64, unit: &str) -> String {
        gate_value_with(value, unit, DIGITS)
    }

    #[test]
    fn gate_values_stay_in_the_gate_unit() {
        assert_eq!(gate_value(1234.0, "ns"), "1234 ns");
        assert_eq!(gate_value(0.5, "us"), "0.500 µs");
        assert_eq!(gate_value(12.345, "ms"), "12.3 ms");
        assert_eq!(gate_value(1.5, "s"), "1.50 s");
        assert_eq!(gate_value(8.12e8, "bytes/s"), "812 MB/s");
    }

    #[test]
    fn gate_thresholds_are_exact() {
        assert_eq!(gate_threshold(1000.0, "ms"), "1000 ms");
        assert_eq!(gate_threshold(2.5, "us"), "2.5 µs");
        assert_eq!(gate_threshold(1e9, "bytes/s"), "1 GB/s");
        assert_eq!(gate_threshold(1.5e6, "elements/s"), "1.5 Melem/s");
        assert_eq!(gate_threshold(0.125, ""), "0.125");
    }

    #[test]
    fn gate_values_never_round_onto_the_threshold() {
        assert_eq!(gate_value_against(2.0004, 2.0, "ms"), "2.0004 ms");
        assert_eq!(gate_value_against(2.345, 2.0, "ms"), "2.35 ms");
        assert_eq!(gate_value_against(2.0, 2.0, "ms"), "2.00 ms");
    }

    #[test]
    fn percent_change_has_a_sign_and_two_decimals() {
        assert_eq!(percent_change(12.3449), "+12.34%");
        assert_eq!(percent_change(-3.1), "-3.10%");
        assert_eq!(percent_change(0.0), "+0.00%");
        assert_eq!(percent_change(f64::NAN), MISSING);
    }

    #[test]
    fn intervals_and_axis_percentages() {
        assert_eq!(percent_interval([1.7, 11.556]), "[+1.70%, +11.56%]");
        assert_eq!(percent_interval([-4.0, f64::NAN]), "[-4.00%, —]");
        assert_eq!(axis_percent(0.0), "0%");
        assert_eq!(percent_change_short(12.44), "+12.4%");
        assert_eq!(percent_short(6.61), "6.6%");
        assert_eq!(axis_percent(-0.5), "-0.5%");
        assert_eq!(axis_percent(200.0), "+200%");
    }

    #[test]
    fn p_values() {
        assert_eq!(p_value(0.0123), "p = 0.0123");
        assert_eq!(p_value(0.05), "p = 0.0500");
        assert_eq!(p_value(0.00001), "p < 0.0001");
        assert_eq!(p_value(0.0), "p < 0.0001");
        assert_eq!(p_value(f64::NAN), MISSING);
    }

    #[test]
    fn sizes_scale_in_binary_units_except_in_gates() {
        assert_eq!(measurement(118_643_370.0, "bytes"), "113 MiB");
        assert_eq!(measurement(512.0, "bytes"), "512 B");
        assert_eq!(gate_threshold(150_000_000.0, "bytes"), "150000000 bytes");
    }

    #[test]
    fn single_line_values_show_their_line_breaks() {
        assert_eq!(single_line("a\nb\r\tc"), "a\\u{a}b\\u{d}\\u{9}c");
    }

    #[test]
    fn terminal_text_cannot_carry_escape_sequences() {
        let hostile = "bench\u{1b}]52;c;cGF5bG9hZA==\u{7}\r\u{1b}[2Jend\n\tnext";
        assert_eq!(terminal_safe(hostile), "bench\\u{1b}]52;c;cGF5bG9hZA==\\u{7}\\u{d}\\u{1b}[2Jend\n\tnext");
    }

    #[test]
    fn workflow_commands_are_escaped_like_the_toolkit() {
        assert_eq!(workflow_command_data("50% a\r\nb: c, d"), "50%25 a%0D%0Ab: c, d");
        assert_eq!(workflow_command_property("50% a\nb: c, d"), "50%25 a%0Ab%3A c%2C d");
    }

    #[test]
    fn ages_use_the_largest_whole_unit() {
        assert_eq!(age(1), "1 second");
        assert_eq!(age(59), "59 seconds");
        assert_eq!(age(3 * 3_600 + 120), "3 hours");
        assert_eq!(age(86_400), "1 day");
        assert_eq!(age(40 * 86_400), "40 days");
    }

    #[test]
    fn exact_and_short_sha() {
        assert_eq!(exact(0.05), "0.05");
        assert_eq!(exact(5.0), "5");
        assert_eq!(short_sha("0123456789abcdef"), "0123456");
        assert_eq!(short_sha("abc"), "abc");
    }

    #[test]
    fn axis_labels_share_one_scale() {
        let labels = axis_labels(&[1000.0, 1500.0, 2000.0], 500.0, "ns");
        assert_eq!(labels, ["1.0 µs", "1.5 µs", "2.0 µs"]);
        assert_eq!(axis_labels(&[0.0, 2e6, 4e6], 2e6, "ns"), ["0 ms", "2 ms", "4 ms"]);
        assert_eq!(axis_labels(&[-0.0, 0.1], 0.1, "widgets"), ["0.0 widgets", "0.1 widgets"]);
        assert_eq!(axis_labels(&[1.2e9, 1.25e9], 0.05e9, "bytes/s"), ["1.20 GB/s", "1.25 GB/s"]);
    }

    #[test]
    fn markdown_cells_escape_pipes_and_newlines() {
        assert_eq!(markdown_cell("a|b\nc"), "a\\|b<br>c");
        assert_eq!(markdown_cell("a\r\nb"), "a<br>b");
        assert_eq!(markdown_text("a|b"), "a|b");
    }

    #[test]
    fn markdown_keeps_code_spans_and_escapes_the_rest() {
        assert_eq!(markdown_cell("use `x|y_z` here"), "use `x\\|y_z` here");
        assert_eq!(markdown_text("<b>bold</b> & *x* a < b &amp;"), "\\<b>bold\\</b> & \\*x\\* a < b \\&amp;");
        assert_eq!(markdown_text("snake_case [link]"), "snake\\_case \\[link\\]");
        assert_eq!(markdown_text("one ` tick"), "one \\` tick");
    }

    #[test]
    fn markdown_code_cells_hold_anything() {
        assert_eq!(markdown_code_cell("encode/<b>"), "`encode/<b>`");
        assert_eq!(markdown_code_cell("a|b"), "`a\\|b`");
        assert_eq!(markdown_code_cell("a`b"), "``a`b``");
        assert_eq!(markdown_code_cell("`x"), "`` `x ``");
    }

    #[test]
    fn html_code_spans_are_escaped_inside_and_out() {
        assert_eq!(html_with_code_spans("`a<b>` & \"x\""), "<code>a&lt;b&gt;</code> &amp; &quot;x&quot;");
        assert_eq!(html_with_code_spans("it's ` alone <i>"), "it&#39;s ` alone &lt;i&gt;");
    }

    #[test]
    fn padding_counts_characters_not_bytes() {
        assert_eq!(pad_right("µs", 4), "µs  ");
        assert_eq!(pad_left("1.2 µs", 8), "  1.2 µs");
        assert_eq!(pad_right("toolong", 3), "toolong");
    }
}
