"""The spread of repeated k-fold differences (issue 23): grouped by repeat, the within-noise
status and the summary count, on constructed data."""

from __future__ import annotations

import math
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlgate.core import noise
from mlgate.core.compare import STATUS_ORDER, Comparison, diff
from mlgate.core.result import REPORT_STATUS_RANK, SUMMARY_KEYS
from mlgate.core.thresholds import parse_rules


def _with_shifts(shifts: list[float], k: int, jitter: float) -> list[float]:
    """Differences with a shift per repeat (the folds of a repeat move together) and a small
    alternating jitter within each repeat."""
    return [s + (jitter if j % 2 else -jitter) * (j + 1) / k for s in shifts for j in range(k)]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-0.05, 0.05), min_size=2, max_size=6), st.integers(2, 6))
def test_with_repeat_level_structure_the_spread_is_sd_of_repeat_means(
    shifts: list[float], k: int
) -> None:
    diffs = [s for s in shifts for _ in range(k)]  # every fold of repeat r moves by shifts[r]
    r = len(shifts)
    means = noise.repeat_means(diffs, k)
    assert means == pytest.approx(shifts)
    expected = statistics.stdev(shifts) / math.sqrt(r) if len(set(shifts)) > 1 else 0.0
    got = noise.grouped_spread(diffs, k)
    assert got == pytest.approx(expected, abs=1e-12)
    # The per-fold standard error understates it: it counts R x k "independent" pairs.
    per_fold = noise.paired_spread(diffs)
    assert per_fold is not None and per_fold <= got + 1e-12


def test_the_per_fold_error_is_the_floor_when_repeats_agree() -> None:
    diffs = _with_shifts([0.01, 0.01, 0.01], 5, 0.02)  # repeat means equal: sd(D_r) = 0
    assert noise.grouped_spread(diffs, 5) == pytest.approx(noise.paired_spread(diffs))
    assert noise.grouped_spread(diffs, 1) == noise.paired_spread(diffs)
    assert noise.repeat_means(diffs, 4) is None  # 15 scores are not whole repeats of 4
    assert noise.repeat_means(diffs[:5], 5) is None  # one repeat: no repeat-to-repeat spread


def test_compare_values_groups_and_takes_the_null_spread_from_the_baseline_too() -> None:
    base = [0.8, 0.9, 0.82, 0.92, 0.81, 0.91]  # 3 repeats of 2 folds: repeat means 0.85..0.87
    cur = [b - d for b, d in zip(base, [0.0, 0.04, 0.02, 0.06, 0.01, 0.05], strict=True)]
    stats = noise.compare_values(tuple(base), tuple(cur), group=2)
    assert stats is not None and stats.paired and stats.repeats == 3
    diffs = [c - b for b, c in zip(base, cur, strict=True)]
    assert stats.spread == pytest.approx(noise.grouped_spread(diffs, 2))
    from_base = math.sqrt(2 * statistics.variance([0.85, 0.87, 0.86]) / 3)
    assert noise.baseline_spread(base, 2) == pytest.approx(from_base)
    assert stats.null_spread == pytest.approx(min(stats.spread or 0, from_base))


def _row(base: tuple[float, ...], cur: tuple[float, ...], thresholds: dict, group: int = 1
         ) -> tuple[dict, dict]:
    result = diff(Comparison(current={"acc": cur}, baseline={"acc": base},
                             rules=parse_rules(thresholds, "thresholds"), groups={"acc": group},
                             fits={"acc": 5}))
    doc = result.to_json()
    return doc["metrics"][0], doc["summary"]


def test_a_change_inside_the_noise_has_its_own_status_and_count() -> None:
    base = (0.5, 0.75, 0.5, 0.75)
    inside = (0.55, 0.75, 0.45, 0.8)  # Δ +0.0125, spread 0.0239: inside 2.33 spreads
    row, summary = _row(base, inside, {})
    assert row["status"] == "within_noise" and row["fits"] == 5
    assert summary["within_noise"] == 1 and summary["improved"] == 0
    beyond = (0.6, 0.85, 0.6, 0.85)  # every fold +0.1: spread 0
    row, summary = _row(base, beyond, {})
    assert row["status"] == "improved" and "within_noise" not in summary
    same = _row(base, base, {})[0]
    assert same["status"] == "unchanged"


def test_a_rule_still_decides_a_within_noise_row() -> None:
    base = (0.5, 0.75, 0.5, 0.75)
    inside = (0.45, 0.75, 0.55, 0.7)  # Δ -0.0125, within the noise
    row, summary = _row(base, inside, {"acc": {"min": 0.63}})
    assert row["status"] == "within_noise" and row["passed"] is False  # 0.6125 < 0.63
    assert summary["rules_failed"] == 1


def test_within_noise_is_known_to_every_status_list() -> None:
    assert "within_noise" in STATUS_ORDER and "within_noise" in REPORT_STATUS_RANK
    assert "within_noise" in SUMMARY_KEYS
    assert sorted(REPORT_STATUS_RANK, key=REPORT_STATUS_RANK.__getitem__) == [
        "regressed", "improved", "within_noise", "new", "removed", "unchanged"]


def test_the_false_block_probability_is_phi_of_minus_allowed_over_the_null_spread() -> None:
    stats = noise.NoiseStats(True, 15, 0.9, 0.9, 0.0, 0.01, 0.01, 3)
    assert noise.false_block_probability(0.01, stats) == pytest.approx(0.158655, abs=1e-6)
    assert noise.false_block_probability(0.0233, stats) == pytest.approx(0.0099, abs=1e-4)
    text = noise.noise_warning(0.01, "tolerance 0.01", stats)
    assert text is not None and "about 16 % of runs" in text
    assert noise.noise_warning(0.03, "tolerance 0.03", stats) is None  # Φ(-3) = 0.13 %
    still = noise.NoiseStats(True, 15, 0.9, 0.9, 0.0, 0.0, 0.0, 3)  # the seed changes nothing
    assert noise.false_block_probability(0.01, still) == 0.0
    assert noise.noise_warning(0.01, "tolerance 0.01", still) is None
