#!/usr/bin/env python3
"""Writes tests/reference/vectors.json: expected results for src/stats.rs, computed by an
independent implementation (scipy, numpy, statsmodels).

    python3 tests/reference/make_vectors.py

Needs scipy >= 1.11 (`trim=`, `alternative=`, `confidence_interval`), numpy and statsmodels
(`pip install scipy statsmodels`). CI does not run this script: the committed vectors.json is
the reference, and tests/stats_reference.rs only reads it. The output is deterministic for
given library versions, which are recorded in the file.

Conventions:
- Our `welch(baseline, current)` / `yuen(baseline, current, trim)` is
  `scipy.stats.ttest_ind(current, baseline, equal_var=False[, trim=trim])`: t is positive when
  `current` is larger; `p_greater` is scipy's `alternative="greater"` (current is larger).
- `paired(differences)` is `scipy.stats.ttest_1samp(differences, 0)`.
- Holm and Benjamini-Hochberg come from `statsmodels.stats.multitest.multipletests(p,
  method="holm" | "fdr_bh")[1]`, not from a re-implementation of their definitions.
- A p-value below the smallest normal double (2.2e-308: zero or subnormal, so not representable
  to full precision) is written as null, meaning "expected below 1e-300".
- `difference` and `standard_error` come from their textbook formulas in numpy, cross-checked
  here against what scipy reports; `mdd` is `(t.ppf(1 - alpha/2, df) + t.ppf(power, df)) * se`.
- Every input sample has at most 12 significant decimal digits, so that parsers which are not
  correctly rounded (serde_json without `float_roundtrip`) still read back the exact double.
  Cases sensitive to summation order (cancellation) use dyadic grids, where every partial sum
  is exact, so numpy's pairwise summation and a plain loop agree bit for bit.
"""

import json
import math
import platform
import re
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import scipy
import scipy.stats as st
import statsmodels
from statsmodels.stats.multitest import multipletests

SEED = 20_240_611
OUT = Path(__file__).resolve().parent / "vectors.json"
SMALLEST_NORMAL = sys.float_info.min

rng = np.random.default_rng(SEED)


def q(values, digits=12):
    """Rounds samples to `digits` significant decimal digits, as plain Python floats."""
    return [float(f"{float(x):.{digits}g}") for x in np.asarray(values, dtype=float)]


def grid(values, step):
    """Rounds samples to a multiple of the dyadic `step` (a power of two)."""
    assert math.frexp(step)[0] == 0.5, "step must be a power of two"
    return [float(np.round(x / step) * step) for x in np.asarray(values, dtype=float)]


def check_exactly_parseable(values):
    """A decimal with <= 15 significant digits and |exponent| <= 22 is parsed exactly even by a
    parser that multiplies the integer significand by a power of ten."""
    for x in values:
        text = repr(x)
        mantissa, _, exponent = text.partition("e")
        digits = mantissa.replace("-", "").replace(".", "").lstrip("0") or "0"
        fraction = len(mantissa.partition(".")[2])
        power = int(exponent or 0) - fraction
        assert len(digits) <= 15 and abs(power) <= 22, f"{text} may not parse exactly"


@contextmanager
def scipy_warnings(name, expected):
    """scipy warns of "precision loss" when a side is constant; anywhere else a warning is a bug
    in the case, so it stops the script."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    if caught and not expected:
        raise RuntimeError(f"{name}: unexpected warnings {[str(w.message) for w in caught]}")


def p_value(p):
    p = float(p)
    assert 0.0 <= p <= 1.0, p
    return p if p >= SMALLEST_NORMAL else None


def close(a, b, tol=1e-12):
    return abs(a - b) <= tol * max(abs(a), abs(b)) or (abs(a) < 1e-300 and abs(b) < 1e-300)


def test_fields(two_sided, greater, less, difference, se, ci_level=(0.95, 0.99)):
    """Common fields of one t-test: t, df, the three p-values, and the intervals."""
    t, df = float(two_sided.statistic), float(two_sided.df)
    assert math.isfinite(t) and df > 0
    assert float(greater.statistic) == t and float(less.statistic) == t
    # scipy's own estimate and standard error (private attributes) must agree with ours.
    assert close(float(two_sided._estimate), difference, 1e-10), (two_sided._estimate, difference)
    assert close(float(two_sided._standard_error), se, 1e-10), (two_sided._standard_error, se)
    fields = {
        "t": t,
        "df": df,
        "p_two_sided": p_value(two_sided.pvalue),
        "p_greater": p_value(greater.pvalue),
        "p_less": p_value(less.pvalue),
        "difference": difference,
        "standard_error": se,
        "intervals": [],
    }
    for level in ci_level:
        ci = two_sided.confidence_interval(level)
        fields["intervals"].append({"confidence": level, "low": float(ci.low), "high": float(ci.high)})
    alpha, power = 0.05, 0.8
    fields["mdd"] = {
        "alpha": alpha,
        "power": power,
        "value": float((st.t.ppf(1 - alpha / 2, df) + st.t.ppf(power, df)) * se),
    }
    return fields


def welch_case(name, baseline, current, note="", constant_side=False):
    check_exactly_parseable(baseline + current)
    b, c = np.array(baseline), np.array(current)
    with scipy_warnings(name, constant_side):
        runs = {alt: st.ttest_ind(c, b, equal_var=False, alternative=alt) for alt in ("two-sided", "greater", "less")}
    difference = float(np.mean(c) - np.mean(b))
    se = math.sqrt(np.var(b, ddof=1) / len(b) + np.var(c, ddof=1) / len(c))
    case = {"name": name, "note": note, "baseline": baseline, "current": current}
    case.update(test_fields(runs["two-sided"], runs["greater"], runs["less"], difference, se))
    return case


def trimmed_mean_and_se2(x, trim):
    """Yuen's trimmed mean and squared standard error, from the textbook definitions."""
    x = np.sort(np.asarray(x))
    n = len(x)
    g = int(trim * n)
    h = n - 2 * g
    mean = float(np.mean(x[g : n - g]))
    winsorized = np.clip(x, x[g], x[n - g - 1])
    ssd = float(np.sum((winsorized - np.mean(winsorized)) ** 2))
    return mean, ssd / (h * (h - 1))


def yuen_case(name, baseline, current, trim, note="", constant_side=False):
    check_exactly_parseable(baseline + current)
    b, c = np.array(baseline), np.array(current)
    with scipy_warnings(name, constant_side):
        runs = {
            alt: st.ttest_ind(c, b, equal_var=False, trim=trim, alternative=alt)
            for alt in ("two-sided", "greater", "less")
        }
    (mb, vb), (mc, vc) = trimmed_mean_and_se2(b, trim), trimmed_mean_and_se2(c, trim)
    assert close(mb, float(st.trim_mean(b, trim)), 1e-14) and close(mc, float(st.trim_mean(c, trim)), 1e-14)
    case = {"name": name, "note": note, "trim": trim, "baseline": baseline, "current": current}
    case.update(test_fields(runs["two-sided"], runs["greater"], runs["less"], mc - mb, math.sqrt(vb + vc)))
    return case


def paired_case(name, differences, note=""):
    check_exactly_parseable(differences)
    d = np.array(differences)
    with scipy_warnings(name, False):
        runs = {alt: st.ttest_1samp(d, 0.0, alternative=alt) for alt in ("two-sided", "greater", "less")}
    se = float(np.std(d, ddof=1) / math.sqrt(len(d)))
    case = {"name": name, "note": note, "differences": differences}
    case.update(test_fields(runs["two-sided"], runs["greater"], runs["less"], float(np.mean(d)), se))
    return case


def adjustment_case(name, p, note=""):
    holm = multipletests(np.array(p), method="holm")[1]
    bh = multipletests(np.array(p), method="fdr_bh")[1]
    return {"name": name, "note": note, "p": p, "holm": [float(x) for x in holm], "bh": [float(x) for x in bh]}


def summary_case(name, samples, note=""):
    check_exactly_parseable(samples)
    x = np.array(samples)
    return {
        "name": name,
        "note": note,
        "samples": samples,
        "n": len(samples),
        "mean": float(np.mean(x)),
        "median": float(np.median(x)),
        "std_dev": float(np.std(x, ddof=1)),
        "min": float(np.min(x)),
        "max": float(np.max(x)),
        "p95": float(np.percentile(x, 95, method="linear")),
        # scale = 1 / 1.4826: scipy divides by the scale.
        "mad": float(st.median_abs_deviation(x, scale=1 / 1.4826)),
    }


def error_case(name, test, error, baseline=None, current=None, trim=None, differences=None, note=""):
    """Inputs on which scipy has no answer (nan) and ours must return `Err(error)`."""
    with scipy_warnings(name, True):
        if test == "welch":
            res = st.ttest_ind(np.array(current), np.array(baseline), equal_var=False)
        elif test == "yuen":
            res = st.ttest_ind(np.array(current), np.array(baseline), equal_var=False, trim=trim)
        else:
            res = st.ttest_1samp(np.array(differences), 0.0)
    assert not math.isfinite(float(res.statistic)) or math.isnan(float(res.pvalue)), (name, res)
    case = {"name": name, "note": note, "test": test, "error": error}
    for key, value in (("baseline", baseline), ("current", current), ("trim", trim), ("differences", differences)):
        if value is not None:
            case[key] = value
    return case


def normal(mean, sd, n):
    return rng.normal(mean, sd, n)


def welch_cases():
    cases = []
    cases.append(
        welch_case(
            "unequal_sizes_and_variances", q(normal(100, 5, 15)), q(normal(104, 12, 40)), "n 15 vs 40, sd 5 vs 12"
        )
    )
    cases.append(welch_case("unequal_sizes_current_smaller", q(normal(100, 12, 40)), q(normal(96, 5, 15))))
    cases.append(welch_case("two_per_side", q(normal(10, 2, 2)), q(normal(13, 2, 2)), "df between 1 and 2"))
    cases.append(welch_case("two_vs_200", q(normal(50, 3, 2)), q(normal(52, 3, 200))))
    cases.append(welch_case("200_vs_two", q(normal(50, 3, 200)), q(normal(49, 3, 2))))
    cases.append(
        welch_case("two_vs_200_df_near_one", q(normal(50, 300, 2)), q(normal(52, 1, 200)), "the noisy pair dominates")
    )
    cases.append(
        welch_case(
            "huge_magnitude_1e12",
            q(1e12 * (1 + 0.02 * rng.standard_normal(25))),
            q(1.01e12 * (1 + 0.03 * rng.standard_normal(30))),
        )
    )
    cases.append(
        welch_case(
            "huge_magnitude_integer_nanoseconds",
            [float(x) for x in np.round(2.5e12 + rng.normal(0, 4e4, 20))],
            [float(x) for x in np.round(2.5e12 + 3e4 + rng.normal(0, 6e4, 24))],
            "integers near 2.5e12 with a spread of 1e4: exact sums, 1e8 condition",
        )
    )
    cases.append(welch_case("tiny_magnitude_1e-9", q(normal(1e-9, 1e-10, 18)), q(normal(1.1e-9, 2e-10, 22))))
    # Nearly equal means: dyadic grid, so every sum is exact; the sums then differ by one step.
    step = 2.0**-10
    base = grid(normal(50, 2, 30), step)
    cur = grid(normal(50, 2, 30), step)
    cur[0] += (sum(base) - sum(cur)) + step
    cases.append(welch_case("nearly_equal_means", base, cur, "sums differ by 2^-10: t ~ 1e-4"))
    base = grid(normal(7, 1, 9), 2.0**-10)
    cases.append(welch_case("equal_means_zero_t", base, list(reversed(base)), "same samples reversed: t = 0, p = 1"))
    base = q(normal(10, 0.1, 40))
    cases.append(welch_case("huge_t_p_1e-100", base, q(normal(13.63, 0.1, 40)), "p of order 1e-100"))
    cases.append(
        welch_case("huge_t_p_1e-250", q(normal(10, 0.1, 100)), q(normal(13.57, 0.1, 100)), "p of order 1e-250")
    )
    cases.append(welch_case("huge_negative_t", q(normal(10, 0.05, 60)), q(normal(9.5, 0.05, 60)), "p_less underflows"))
    cases.append(
        welch_case("huge_t_underflow", q(normal(10, 0.001, 150)), q(normal(11, 0.001, 150)), "every p below 1e-308")
    )
    cases.append(welch_case("baseline_constant", [5.0] * 10, q(normal(5.5, 0.5, 12)), "df = n_current - 1", True))
    cases.append(welch_case("current_constant", q(normal(5.0, 0.5, 8)), [4.25] * 6, "df = n_baseline - 1", True))
    raw_b, raw_c = rng.lognormal(math.log(100), 0.3, 40), rng.lognormal(math.log(110), 0.35, 45)
    cases.append(welch_case("lognormal_raw", q(raw_b), q(raw_c), "lognormal samples, raw scale"))
    cases.append(welch_case("lognormal_log_scale", q(np.log(raw_b)), q(np.log(raw_c)), "the same samples, logged"))
    base = np.concatenate([normal(100, 2, 27), [150.0, 180.0, 240.0]])
    cases.append(welch_case("outliers", q(base), q(np.concatenate([normal(101, 2, 24), [170.0]])), "slow outliers"))
    cases.append(welch_case("large_n_1000", q(normal(20, 4, 1000)), q(normal(20.3, 4, 1000)), "df near 2000"))
    cases.append(welch_case("mixed_signs", q(normal(-0.2, 1, 16)), q(normal(0.3, 1.5, 14)), "samples around zero"))
    return cases


def yuen_cases():
    cases = []
    base = np.concatenate([normal(100, 2, 18), [135.0, 190.0]])
    cur = np.concatenate([normal(102, 2, 22), [160.0, 170.0, 250.0]])
    for trim in (0.1, 0.2):
        cases.append(yuen_case(f"outliers_trim_{trim}", q(base), q(cur), trim, "n 20 vs 25 with slow outliers"))
    heavy_b, heavy_c = q(10 + st.t.rvs(2, size=30, random_state=rng)), q(11 + st.t.rvs(2, size=33, random_state=rng))
    for trim in (0.1, 0.2):
        cases.append(yuen_case(f"heavy_tails_trim_{trim}", heavy_b, heavy_c, trim, "Student t with 2 df"))
    cases.append(yuen_case("ten_each_trim_0.2", q(normal(5, 1, 10)), q(normal(6, 1.5, 10)), 0.2, "g = 2"))
    cases.append(yuen_case("five_each_trim_0.2", q(normal(5, 1, 5)), q(normal(6, 1, 5)), 0.2, "g = 1, h = 3"))
    cases.append(
        yuen_case("four_each_trim_0.2_is_welch", q(normal(5, 1, 4)), q(normal(6, 1, 4)), 0.2, "g = 0: Welch's test")
    )
    cases.append(yuen_case("two_vs_30_trim_0.1", q(normal(5, 1, 2)), q(normal(6, 1, 30)), 0.1, "g = 0 and 3"))
    cases.append(yuen_case("13_vs_37_trim_0.1", q(normal(80, 6, 13)), q(normal(77, 3, 37)), 0.1, "g = 1 and 3"))
    base = [5.0] * 8 + [0.5, 100.0]
    cases.append(
        yuen_case(
            "baseline_constant_after_winsorizing", base, q(normal(5.5, 0.5, 10)), 0.1, "winsorized variance 0", True
        )
    )
    raw_b, raw_c = rng.lognormal(math.log(100), 0.5, 50), rng.lognormal(math.log(120), 0.5, 50)
    cases.append(yuen_case("lognormal_raw_trim_0.2", q(raw_b), q(raw_c), 0.2))
    cases.append(yuen_case("lognormal_log_scale_trim_0.2", q(np.log(raw_b)), q(np.log(raw_c)), 0.2))
    cases.append(
        yuen_case("huge_t_trim_0.2", q(normal(10, 0.1, 60)), q(normal(10.3, 0.1, 60)), 0.2, "p of order 1e-50 or below")
    )
    return cases


def paired_cases():
    return [
        paired_case("two_rounds", q(normal(0.5, 1, 2))),
        paired_case("ten_rounds", q(normal(0.3, 1, 10))),
        paired_case("log_ratios_30_rounds", q(np.log(rng.lognormal(0.05, 0.1, 30))), "log(current / baseline)"),
        paired_case("small_effect_100_rounds", q(normal(0.02, 1, 100))),
        paired_case("negative_mean", q(normal(-2, 1, 12))),
        paired_case("huge_t", q(normal(5, 0.05, 40)), "p far below 1e-100"),
        paired_case("tiny_magnitude_1e-9", q(normal(3e-10, 1e-9, 25))),
    ]


def adjustment_cases():
    return [
        adjustment_case("five_mixed", [0.01, 0.04, 0.03, 0.005, 0.2]),
        adjustment_case("ties", [0.02, 0.02, 0.01, 0.04, 0.04, 0.5]),
        adjustment_case("with_zero_and_one", [0.0, 1.0, 0.5, 0.001]),
        adjustment_case("single", [0.03]),
        adjustment_case("all_clip_to_one", [0.3, 0.4, 0.5, 0.6, 0.9]),
        adjustment_case("tiny_p", [1e-300, 1e-10, 0.04, 0.049]),
        adjustment_case("random_50", q(rng.uniform(0, 1, 50) ** 3)),
    ]


def summary_cases():
    return [
        summary_case("two", [3.5, 1.25]),
        summary_case("seven", q(normal(10, 3, 7))),
        summary_case("ten_with_outlier", q(np.concatenate([normal(10, 1, 9), [55.0]]))),
        summary_case("lognormal_101", q(rng.lognormal(3, 0.5, 101))),
    ]


QUANTILE_PS = [0.025, 0.2, 0.6, 0.8, 0.9, 0.975, 0.995, 0.9995]


def quantile_cases():
    """`t_quantile(p, df)` is `scipy.stats.t.ppf(p, df)`; a null df is infinite (the normal).
    The `large_df` ones (df > 800) are checked by an ignored test: statrs 0.19's inverse CDF
    loses precision from df ~805 on."""
    cases = []
    for df in [1, 2, 3, 5, 10, 30, 100, 300, 800, None]:
        for p in QUANTILE_PS:
            expected = st.norm.ppf(p) if df is None else st.t.ppf(p, df)
            cases.append({"p": p, "df": df, "quantile": float(expected), "large_df": False})
    for df in [806, 1000, 2000, 5000, 9999, 10_001, 30_000, 100_000, 1_000_000]:
        for p in QUANTILE_PS:
            cases.append({"p": p, "df": df, "quantile": float(st.t.ppf(p, df)), "large_df": True})
    return cases


def normal_sf_cases():
    zs = [-3.0, -0.5, 0.0, 1.0, 1.959963984540054, 5.0, 10.0, 20.0, 37.5]
    return [{"z": z, "sf": float(st.norm.sf(z))} for z in zs]


def error_cases():
    return [
        error_case("welch_both_constant", "welch", "ZeroVariance", baseline=[3.0, 3.0, 3.0], current=[4.5, 4.5]),
        error_case("welch_one_sample", "welch", "TooFewSamples", baseline=[1.0], current=[1.0, 2.0, 3.0]),
        error_case(
            "yuen_trim_leaves_one",
            "yuen",
            "TooFewSamples",
            baseline=q(normal(1, 1, 5)),
            current=q(normal(1, 1, 5)),
            trim=0.4,
        ),
        error_case(
            "yuen_both_constant_after_winsorizing",
            "yuen",
            "ZeroVariance",
            baseline=[0.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 9.0],
            current=[1.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 8.0],
            trim=0.1,
        ),
        error_case("paired_constant", "paired", "ZeroVariance", differences=[0.25, 0.25, 0.25]),
        error_case("paired_one_round", "paired", "TooFewSamples", differences=[0.25]),
    ]


def dumps(value):
    return json.dumps(value, allow_nan=False, separators=(",", ":"))


def main():
    sections = {
        "welch": welch_cases(),
        "yuen": yuen_cases(),
        "paired": paired_cases(),
        "adjustments": adjustment_cases(),
        "summary": summary_cases(),
        "errors": error_cases(),
    }
    # Not cases of a test (no "name"): one comparison each, listed by their inputs.
    tables = {"t_quantile": quantile_cases(), "normal_sf": normal_sf_cases()}
    names = [f"{section}/{case['name']}" for section, cases in sections.items() for case in cases]
    assert len(names) == len(set(names)), "case names must be unique within a section"
    generator = {
        "script": "tests/reference/make_vectors.py",
        "seed": SEED,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "statsmodels": statsmodels.__version__,
        "cases": len(names),
        "table_rows": sum(len(rows) for rows in tables.values()),
    }
    lines = ["{", f' "generator": {dumps(generator)},']
    everything = {**sections, **tables}
    for index, (section, cases) in enumerate(everything.items()):
        lines.append(f' "{section}": [')
        lines.extend(f"  {dumps(case)}" + ("," if i + 1 < len(cases) else "") for i, case in enumerate(cases))
        lines.append(" ]" + ("," if index + 1 < len(everything) else ""))
    lines.append("}")
    text = "\n".join(lines) + "\n"
    json.loads(text)
    OUT.write_text(text)
    print(f"wrote {OUT} ({len(text)} bytes, {len(names)} cases)")
    for section in ("welch", "yuen", "paired"):
        for case in sections[section]:
            t, df, p = case["t"], case["df"], case["p_two_sided"]
            print(f"  {section:6} {case['name']:40} t={t:<12.6g} df={df:<10.6g} p={p}")


if __name__ == "__main__":
    main()
