"""How much of a metric's change is noise: means, paired differences, their spread.

A metric value is a number, or a list of numbers (per-fold or per-seed scores). Lists are
compared by their mean; when both sides are lists of the same length they are paired by
position (fold i of the baseline with fold i of the PR), and the change is the mean of the
per-position differences.

The spread is the standard error of that change, calibrated to what a seed change does (issue
23). Repeated k-fold lists are ordered repeat by repeat (``group`` = k scores each); the folds
of one repeat share training rows, so their differences are not independent and the plain
standard error of the per-fold differences understates the noise (|Δ|/spread had an RMS of
1.2–1.4 on seed-only PRs). The spread is therefore the larger of

- the standard error of the repeat means of the differences, sd(D_r) / sqrt(R), which counts
  each repeat once and so carries the within-repeat correlation, and
- the per-fold standard error sd(d) / sqrt(n), a floor for 2–3 repeats, where sd(D_r) rests on
  1–2 degrees of freedom and is sometimes near zero by chance.

Without groups (``group`` 1: per-seed lists, or one repeat) both are the same.

The noise statements (warning, false-block probability, the ``within_noise`` status) use the
*null spread*: what a seed change alone moves the metric by. It is the same formula on the
paired differences after a consistent shift per repeat is removed (the within-repeat
residuals, scaled by the design effect measured on them), so that a real change (a shift) does
not count as noise. See docs/training.md, "A gate that does not flap".

Pure: numbers in, numbers out. A NaN anywhere in a list (a metric undefined on a fold) makes
its mean NaN, which fails the metric's rules as any NaN metric does: a metric is not judged on
the folds that happen to remain. Lists with a NaN are not paired. A list of finite scores whose
mean overflows a float (``[1e308, 1e308, 1e308]``) is bad input (:class:`ScoresOverflow`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from mlgate.errors import UsageError
from mlgate.formatting import format_number

# One-sided 99 % quantile of the normal distribution: a tolerance below NOISE_Z spreads of the
# difference is crossed by noise alone in more than 1 % of runs.
NOISE_Z = 2.33
# The noise warning fires when seed noise alone is estimated to fail the rule this often or more.
WARN_PROBABILITY = 0.01

MetricValue = float | tuple[float, ...]


@dataclass(frozen=True, slots=True)
class NoiseStats:
    """One metric's change measured over folds (or seeds)."""

    paired: bool
    n: int  # pairs (paired), else the smaller side's count
    baseline_mean: float
    current_mean: float
    delta: float  # mean of the paired differences, or the difference of the means
    spread: float | None  # standard error of ``delta``; None when it cannot be measured
    # What a seed change alone moves ``delta`` by (standard error under no real change): the
    # smaller of ``spread`` and the baseline's own repeat-to-repeat spread (grouped lists).
    null_spread: float | None = None
    repeats: int | None = None  # the groups (repeats) the paired scores form, when grouped

    @property
    def noise_floor(self) -> float | None:
        return None if self.spread is None else NOISE_Z * self.spread

    def within_noise(self) -> bool:
        """The change is inside the noise: |delta| <= NOISE_Z x spread (a spread exists)."""
        spread = self.spread
        return (spread is not None and math.isfinite(spread) and math.isfinite(self.delta)
                and abs(self.delta) <= NOISE_Z * spread)


def is_list(value: MetricValue | None) -> bool:
    return isinstance(value, tuple)


class ScoresOverflow(UsageError):
    """A list of scores whose sum overflows a float: bad input (exit 2)."""

    def __init__(self, where: str | None = None) -> None:
        super().__init__(
            "the mean of these per-fold scores overflows a float (beyond ±1.8e308)",
            where=where,
            fix="write per-fold scores of a sensible size (a metric, not a sum of huge numbers)",
        )


def mean(values: Sequence[float], where: str | None = None) -> float:
    """The mean of ``values``: NaN when there are none or one is NaN (an undefined fold makes
    the metric undefined), or when they hold both infinities. Raises :class:`ScoresOverflow`
    (naming ``where``) when the sum of finite scores overflows."""
    if not values or any(math.isnan(v) for v in values):
        return math.nan
    try:
        return math.fsum(values) / len(values)
    except OverflowError:
        raise ScoresOverflow(where) from None
    except ValueError:  # +inf and -inf
        return math.nan


def check_scores(values: Sequence[float], where: str) -> None:
    """Bad input (exit 2 naming ``where``) when the mean of ``values`` cannot be taken: called
    where a list of scores is read, so that the error names the metric."""
    mean(values, where)


def as_number(value: MetricValue | None) -> float | None:
    """A metric value as one number: a list becomes its mean."""
    if value is None or not isinstance(value, tuple):
        return value
    return mean(value)


def sample_variance(values: Sequence[float]) -> float | None:
    """Unbiased variance (n - 1) of the numbers that are not NaN; None below two numbers."""
    kept = [v for v in values if not math.isnan(v)]
    if len(kept) < 2:
        return None
    centre = mean(kept)
    # d * d, not d ** 2: a huge difference is +inf rather than an OverflowError.
    return math.fsum((v - centre) * (v - centre) for v in kept) / (len(kept) - 1)


def paired_differences(baseline: Sequence[float], current: Sequence[float]) -> list[float]:
    """``current[i] - baseline[i]`` at every position where neither side is NaN."""
    if len(baseline) != len(current):
        raise ValueError("paired lists must have the same length")
    return [c - b for b, c in _both_numbers(baseline, current)]


def _both_numbers(
    baseline: Sequence[float], current: Sequence[float]
) -> list[tuple[float, float]]:
    """The (baseline, current) pairs where neither side is NaN."""
    pairs = zip(baseline, current, strict=True)
    return [(b, c) for b, c in pairs if not (math.isnan(b) or math.isnan(c))]


def paired_spread(differences: Sequence[float]) -> float | None:
    """Standard error of the mean difference: sd / sqrt(n); None below two pairs."""
    var = sample_variance(differences)
    if var is None:
        return None
    return math.sqrt(var / len(differences))


def repeat_means(values: Sequence[float], group: int) -> list[float] | None:
    """The means of consecutive groups of ``group`` values (repeat-major per-fold scores: the
    mean of each repeat); None unless ``values`` fill at least two whole groups."""
    if group < 1 or len(values) % group or len(values) // group < 2:
        return None
    return [mean(values[i:i + group]) for i in range(0, len(values), group)]


def grouped_spread(differences: Sequence[float], group: int) -> float | None:
    """The calibrated standard error of the mean of ``differences`` ordered in repeats of
    ``group``: max(sd(D_r) / sqrt(R), sd(d) / sqrt(n)) with D_r the repeat means of the
    differences (see the module's docstring); the per-fold standard error without groups."""
    per_fold = paired_spread(differences)
    means = repeat_means(differences, group) if group > 1 else None
    var = None if means is None else sample_variance(means)
    if var is None or per_fold is None or means is None:
        return per_fold
    return max(math.sqrt(var / len(means)), per_fold)


def baseline_spread(baseline: Sequence[float], group: int) -> float | None:
    """What a seed change does to the mean, from the baseline alone: the spread of its repeat
    means times sqrt(2 / R) (the difference of two runs' means over R repeats each). Each repeat
    has its own model seeds, so this carries the seed noise (and the folds' own, which pairing
    removes: an upper estimate). None without at least two repeats."""
    means = repeat_means(baseline, group)
    var = None if means is None else sample_variance(means)
    if var is None or means is None:
        return None
    return math.sqrt(2 * var / len(means))


def unpaired_spread(baseline: Sequence[float], current: Sequence[float]) -> float | None:
    """Standard error of the difference of two independent means (Welch)."""
    var_b, var_c = sample_variance(baseline), sample_variance(current)
    if var_b is None or var_c is None:
        return None
    n_b = sum(1 for v in baseline if not math.isnan(v))
    n_c = sum(1 for v in current if not math.isnan(v))
    return math.sqrt(var_b / n_b + var_c / n_c)


def _as_list(value: MetricValue) -> tuple[float, ...]:
    return value if isinstance(value, tuple) else (value,)


def compare_values(
    baseline: MetricValue | None, current: MetricValue | None, group: int = 1
) -> NoiseStats | None:
    """The change from ``baseline`` to ``current``; None unless both exist and one is a list.
    ``group``: the scores per repeat of paired repeat-major lists (k of repeated k-fold; 1 for
    per-seed lists or when unknown)."""
    if baseline is None or current is None or not (is_list(baseline) or is_list(current)):
        return None
    base, cur = _as_list(baseline), _as_list(current)
    undefined = any(math.isnan(v) for v in base + cur)
    if is_list(baseline) and is_list(current) and len(base) == len(cur) and not undefined:
        diffs = paired_differences(base, cur)
        grouped = group > 1 and repeat_means(diffs, group) is not None
        spread = grouped_spread(diffs, group if grouped else 1)
        null = spread
        from_base = baseline_spread(base, group if grouped else 1)
        if null is not None and from_base is not None:
            null = min(null, from_base)
        return NoiseStats(True, len(diffs), mean(base), mean(cur), mean(diffs), spread, null,
                          len(diffs) // group if grouped else None)
    base_mean, cur_mean = mean(base), mean(cur)
    n = min(sum(1 for v in base if not math.isnan(v)), sum(1 for v in cur if not math.isnan(v)))
    spread = None if undefined else unpaired_spread(base, cur)
    return NoiseStats(False, n, base_mean, cur_mean, cur_mean - base_mean, spread, spread)


def means(
    baseline: MetricValue | None, current: MetricValue | None
) -> tuple[float | None, float | None]:
    """The (baseline, current) numbers a comparison uses. Paired lists: the means over the
    positions both sides have, so that ``current - baseline`` is the mean paired difference."""
    stats = compare_values(baseline, current)
    if stats is not None and stats.paired:
        return stats.baseline_mean, stats.current_mean
    return as_number(baseline), as_number(current)


def normal_cdf(x: float) -> float:
    """Φ(x), the standard normal distribution function."""
    return 0.5 * math.erfc(-x / math.sqrt(2))


def false_block_probability(allowed: float, stats: NoiseStats) -> float | None:
    """P(seed noise alone moves the metric beyond the tolerance in the bad direction) =
    Φ(−allowed / null spread); None without a null spread, 0 when it is 0."""
    spread = stats.null_spread
    if spread is None or not math.isfinite(spread) or not math.isfinite(allowed):
        return None
    if spread == 0:
        return 0.0 if allowed >= 0 else 1.0
    return normal_cdf(-allowed / spread)


def noise_warning(allowed: float, threshold: str, stats: NoiseStats) -> str | None:
    """A warning when seed noise alone fails the tolerance in WARN_PROBABILITY (1 %) of runs or
    more, with that estimated probability."""
    p = false_block_probability(allowed, stats)
    if p is None or p < WARN_PROBABILITY or stats.null_spread is None:
        return None
    return (
        f"{threshold} allows {_num(allowed)}, and a seed change alone moves the mean by "
        f"about {_num(stats.null_spread)} (one standard error): noise alone fails it in about "
        f"{_percent(p)} of runs; raise the tolerance above {_num(NOISE_Z * stats.null_spread)} "
        "or measure more repeats"
    )


def _percent(p: float) -> str:
    if p >= 0.995:
        return "100 %"
    return f"{format_number(100 * p, digits=2)} %"


def _num(value: float) -> str:
    return format_number(value, digits=3, infinity="Infinity")


def encode_list(values: Sequence[float]) -> list[float | str]:
    """JSON has no NaN/Infinity: as in result.json, they become strings."""
    out: list[float | str] = []
    for v in values:
        if math.isnan(v):
            out.append("NaN")
        elif math.isinf(v):
            out.append("Infinity" if v > 0 else "-Infinity")
        else:
            out.append(v)
    return out


def row_fields(
    baseline: MetricValue | None,
    current: MetricValue | None,
    allowed: float | None,
    threshold: str | None,
    group: int = 1,
) -> dict[str, object]:
    """The optional noise fields of a result.json metric row; empty for two plain numbers.

    ``allowed`` is the tolerance in the metric's units (None without a tolerance rule);
    ``group`` the scores per repeat (see :func:`compare_values`)."""
    if not (is_list(baseline) or is_list(current)):
        return {}
    stats = compare_values(baseline, current, group)
    warning = probability = None
    if stats is not None and allowed is not None and threshold is not None:
        warning = noise_warning(allowed, threshold, stats)
        probability = false_block_probability(allowed, stats)
    return {
        "folds": {
            "baseline": encode_list(baseline) if isinstance(baseline, tuple) else None,
            "current": encode_list(current) if isinstance(current, tuple) else None,
        },
        "paired": bool(stats and stats.paired),
        "spread": _finite_or_none(stats.spread if stats else None),
        "noise_floor": _finite_or_none(stats.noise_floor if stats else None),
        "noise_warning": warning,
        "null_spread": _finite_or_none(stats.null_spread if stats else None),
        "false_block_probability": probability,
    }


def _finite_or_none(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


# ----- sequential stop (issue 23, item 4) ---------------------------------------------------
# The built-in trainer fits repeat after repeat and, on a PR whose baseline record is on the
# same folds, stops as soon as every gated metric is clearly inside its allowance (pass) or one
# is clearly outside (fail). At look r (after r repeats of k folds) a check with margin m (how
# far inside the allowance the mean is: allowed − the move in the bad direction; negative:
# outside) and spread s (grouped_spread over the r repeats) is decided when |m| / s > Z_k; the
# last repeat is no look: there the rule decides as it always does.
#
# Z_k is a Pocock boundary (the same at every look; the first look, whose spread has only k − 1
# degrees of freedom, is where the error goes, and an O'Brien–Fleming shape makes it stricter
# still there, where most stops should happen). It was set by simulation so that, when the true
# change is exactly at the allowance, an early stop on the wrong side happens in at most
# SEQUENTIAL_ALPHA (1 %) of runs, one-sided, over all looks: per-fold differences
# d_ri = u_r + e_ri (e_ri ~ N(0, 1), a shared repeat effect u_r ~ N(0, τ²) with design effect
# sqrt(τ² + 1/k) / sqrt(1/k) of 1.0 and 1.5, above the 1.2–1.4 measured on seed-only PRs), the
# spread computed as grouped_spread does, 100,000 runs per (k, R) for k = 2..10 and R = 2..10
# repeats; Z_k is the largest 99th percentile of max over looks of |Z_r| over R and both design
# effects, rounded up to 0.1 (bench/bench_soundness.py --boundaries reproduces it). A change
# further inside than the allowance (a seed-only PR) stops on the wrong side less often still.
# More than 10 folds use k = 10's (more degrees of freedom: conservative); with more than
# SEQUENTIAL_MAX_LOOKS + 1 repeats the looks are the first SEQUENTIAL_MAX_LOOKS repeats (the
# design simulated for R = 10), and the rest run to the end.
SEQUENTIAL_ALPHA = 0.01
SEQUENTIAL_MAX_LOOKS = 9
SEQUENTIAL_Z = {2: 49.6, 3: 10.8, 4: 7.1, 5: 5.9, 6: 5.4, 7: 5.1, 8: 4.9, 9: 4.7, 10: 4.7}
PASS, FAIL, OPEN = "pass", "fail", "open"
# The same stop for a user pipeline run K times (``train: {repeats: K}``, the command and dvc
# trainers): one score per metric and run (group 1), looks after runs r = 2..K − 1 (a spread
# needs two runs; the last run is no look) and at most up to run SEQUENTIAL_LAST_RUN_LOOK, the
# spread that of the paired per-run differences (paired_spread, r − 1 degrees of freedom).
# SEQUENTIAL_RUNS_Z was set by simulation as Z_k was: per-run differences d_i ~ N(0, 1),
# independent (each run has its own seed on both sides, so there is no shared effect), the
# true change exactly at the allowance, 1,000,000 runs per K for K = 3..11 runs; the largest
# 99th percentile over K of max over the looks of (mean − true) / spread, one-sided, rounded
# up to 0.1 (bench/bench_soundness.py --boundaries). The first look, a spread of one degree of
# freedom (a t with 1 df: its 99th percentile alone is 31.8), takes nearly all of the 1 %: with
# runs a change has to be ~33 spreads clear of the allowance to stop early, which in practice
# is a pipeline whose differences barely move with the seed. A spread of 0 with one score per
# run is trusted only when it is exact (compare.early_verdict): every difference 0, or neither
# side's scores moving with the seed; equal differences of a seed-dependent metric (a count
# over a few hundred rows) may be a coincidence of two runs.
SEQUENTIAL_RUNS_Z = 32.6
SEQUENTIAL_LAST_RUN_LOOK = 10


def sequential_boundary(group: int) -> float:
    """Z_k: how many spreads inside (or outside) the allowance decide a check early; group 1:
    the runs of a user pipeline (SEQUENTIAL_RUNS_Z)."""
    if group == 1:
        return SEQUENTIAL_RUNS_Z
    return SEQUENTIAL_Z[min(max(group, 2), 10)]


def is_run_look(runs: int, count: int) -> bool:
    """Whether a user pipeline run ``count`` times may stop after run ``runs`` (1-based): from
    the second (a spread needs two), never after the last, up to SEQUENTIAL_LAST_RUN_LOOK."""
    return 2 <= runs < count and runs <= SEQUENTIAL_LAST_RUN_LOOK


def is_look(look: int, looks: int) -> bool:
    """Whether the trainer may stop after repeat ``look`` of ``looks`` (never after the last:
    the rule decides there)."""
    return 1 <= look < looks and look <= SEQUENTIAL_MAX_LOOKS


def decide(margin: float, spread: float | None, boundary: float) -> str:
    """PASS when ``margin`` (inside the allowance: positive) exceeds ``boundary`` spreads, FAIL
    when −``margin`` does, OPEN otherwise (no spread, or not a number: keep fitting). A spread
    of 0 (every paired difference the same) decides any margin but 0."""
    if spread is None or not (math.isfinite(margin) and math.isfinite(spread)):
        return OPEN
    if spread == 0:
        return PASS if margin > 0 else FAIL if margin < 0 else OPEN
    z = margin / spread
    return PASS if z > boundary else FAIL if z < -boundary else OPEN
