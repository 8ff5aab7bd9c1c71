"""Paired vs unpaired comparison of list-valued metrics: exact figures on tiny examples."""

from __future__ import annotations

import math

import pytest

from mlgate.core import noise
from mlgate.core.compare import Comparison, diff
from mlgate.core.folds import Folds, FoldSpec, attach, parse_folds, record_matches
from mlgate.core.metrics import Metric, parse_metrics_text
from mlgate.core.result import BaselineInfo, HeadInfo, build_result, parse_result
from mlgate.core.thresholds import parse_rules

# Per-fold scores chosen so that every figure below is exact in binary floating point.
BASE = (0.5, 0.75, 0.5, 0.75)
# Fold by fold: +0.25, 0, +0.25, 0 -> paired mean 0.125; the folds' own spread is much larger.
CUR = (0.75, 0.75, 0.75, 0.75)


def test_mean_is_nan_with_a_nan_fold_or_without_numbers() -> None:
    assert math.isnan(noise.mean([0.5, 0.75, math.nan]))  # an undefined fold: undefined metric
    assert math.isnan(noise.mean([math.nan]))
    assert math.isnan(noise.mean([]))
    assert noise.as_number((0.25, 0.75)) == 0.5
    assert noise.as_number(0.3) == 0.3
    assert noise.as_number(None) is None


def test_paired_differences_and_their_spread() -> None:
    diffs = noise.paired_differences(BASE, CUR)
    assert diffs == [0.25, 0.0, 0.25, 0.0]
    # sample variance of the differences: 4 * 0.125**2 / 3 = 1/48; standard error sqrt(1/192)
    assert noise.sample_variance(diffs) == pytest.approx(1 / 48, abs=0)
    assert noise.paired_spread(diffs) == pytest.approx(math.sqrt(1 / 192), rel=1e-15)
    stats = noise.compare_values(BASE, CUR)
    assert stats is not None
    assert (stats.paired, stats.n, stats.baseline_mean, stats.current_mean, stats.delta) == (
        True, 4, 0.625, 0.75, 0.125)
    assert stats.noise_floor == pytest.approx(2.33 * math.sqrt(1 / 192), rel=1e-15)


def test_unpaired_when_lengths_differ() -> None:
    stats = noise.compare_values(BASE, (0.75, 0.75))
    assert stats is not None
    assert (stats.paired, stats.n, stats.delta) == (False, 2, 0.125)
    # Welch: var(BASE)/4 + var(CUR)/2 = (1/48)/4 + 0 -> sqrt(1/192): the same here because
    # the constant side has no variance; with a varied side it adds up:
    assert stats.spread == pytest.approx(math.sqrt(1 / 192), rel=1e-15)
    varied = noise.compare_values((0.5, 0.75), (0.25, 0.75, 0.5))
    assert varied is not None and not varied.paired
    assert varied.delta == 0.5 - 0.625
    assert varied.spread == pytest.approx(math.sqrt((1 / 32) / 2 + (1 / 16) / 3), rel=1e-15)


def test_pairing_removes_the_fold_to_fold_spread() -> None:
    """Hard and easy folds move both sides: paired, the spread is that of the change only."""
    base = (0.5, 0.75, 0.5, 0.75)
    cur = (0.5, 0.75, 0.5, 0.75)
    paired = noise.compare_values(base, cur)
    unpaired = noise.compare_values(base, cur[:3])
    assert paired is not None and unpaired is not None
    assert (paired.delta, paired.spread, paired.noise_floor) == (0.0, 0.0, 0.0)
    assert unpaired.spread is not None and unpaired.spread > 0.1


def test_lists_with_a_nan_fold_are_not_paired_and_their_mean_is_nan() -> None:
    stats = noise.compare_values((0.5, math.nan, 0.75), (0.75, 0.25, 0.75))
    assert stats is not None and not stats.paired and stats.spread is None
    assert math.isnan(stats.baseline_mean) and stats.current_mean == pytest.approx(7 / 12)


def test_plain_numbers_have_no_noise_stats() -> None:
    assert noise.compare_values(0.5, 0.75) is None
    assert noise.compare_values(None, (0.5,)) is None
    assert noise.row_fields(0.5, 0.75, 0.01, "tolerance 0.01") == {}


def test_warning_states_the_estimated_false_block_probability() -> None:
    stats = noise.compare_values(BASE, CUR)
    assert stats is not None and stats.null_spread == stats.spread  # no repeats: the same
    spread = math.sqrt(1 / 192)  # 0.0722
    p = 0.5 * math.erfc(0.125 / spread / math.sqrt(2))  # Φ(-1.732) = 0.0416
    assert noise.false_block_probability(0.125, stats) == pytest.approx(p, rel=1e-12)
    text = noise.noise_warning(0.125, "tolerance 0.125", stats)
    assert text == (
        "tolerance 0.125 allows 0.125, and a seed change alone moves the mean by about 0.0722 "
        "(one standard error): noise alone fails it in about 4.2 % of runs; raise the "
        "tolerance above 0.168 or measure more repeats"
    )
    # Φ(-2.33) is just under 1 %: no warning at or above 2.33 spreads.
    assert noise.noise_warning(2.33 * spread, "tolerance x", stats) is None
    assert noise.noise_warning(2.3 * spread, "tolerance x", stats) is not None


def _rows(current: dict, baseline: dict, thresholds: dict) -> dict:
    result = diff(Comparison(current=current, baseline=baseline,
                             rules=parse_rules(thresholds, "thresholds")))
    return {row.name: row.to_json() for row in result.metrics}


def test_compare_applies_the_tolerance_to_the_mean_paired_difference() -> None:
    # Down 0.125 on average (fold by fold: -0.25, 0, -0.25, 0), allowed 0.125: passes at the
    # limit; allowed 0.1: fails.
    rows = _rows({"acc": BASE}, {"acc": CUR}, {"acc": {"tolerance": 0.125}})
    row = rows["acc"]
    assert (row["baseline"], row["current"], row["delta"]) == (0.75, 0.625, -0.125)
    assert row["passed"] and row["paired"] is True
    assert row["folds"] == {"baseline": list(CUR), "current": list(BASE)}
    assert row["spread"] == pytest.approx(math.sqrt(1 / 192), rel=1e-15)
    assert row["noise_floor"] == pytest.approx(2.33 * math.sqrt(1 / 192), rel=1e-15)
    # The baseline's scores are all equal: what a seed change does to it is nothing, so the
    # null spread (the smaller of the two) is 0 and no noise warning is given.
    assert row["null_spread"] == 0 and row["false_block_probability"] == 0
    assert row["noise_warning"] is None
    assert row["status"] == "within_noise"  # |Δ| 0.125 <= 2.33 x 0.0722
    swapped = _rows({"acc": CUR}, {"acc": BASE}, {"acc": {"tolerance": 0.125}})["acc"]
    assert swapped["noise_warning"].startswith("tolerance 0.125 allows 0.125, and a seed")
    assert swapped["false_block_probability"] == pytest.approx(0.0416, abs=1e-4)
    failing = _rows({"acc": BASE}, {"acc": CUR}, {"acc": {"tolerance": 0.1}})["acc"]
    assert not failing["passed"]


def test_compare_list_against_a_number_is_unpaired() -> None:
    row = _rows({"acc": BASE}, {"acc": 0.625}, {})["acc"]
    assert (row["baseline"], row["current"], row["delta"], row["status"]) == (
        0.625, 0.625, 0.0, "unchanged")
    assert row["paired"] is False and row["spread"] is None and row["noise_warning"] is None
    assert row["folds"] == {"baseline": None, "current": list(BASE)}


def test_plain_rows_keep_their_keys_and_the_result_round_trips() -> None:
    rows = _rows({"acc": 0.5, "f1": BASE}, {"acc": 0.5, "f1": BASE}, {})
    assert "spread" not in rows["acc"] and "folds" not in rows["acc"]
    comparison = diff(Comparison(current={"f1": BASE}, baseline={"f1": CUR}))
    result = build_result(name="m", head=HeadInfo(), baseline=BaselineInfo(found=True),
                          comparison=comparison, require_baseline=False, metrics_files=[])
    again = parse_result(result.to_json())
    assert again.metrics[0].noise["paired"] is True
    assert again.to_json()["metrics"][0]["spread"] == result.to_json()["metrics"][0]["spread"]


def test_metrics_files_keep_lists_of_numbers_as_one_metric() -> None:
    got = parse_metrics_text('{"acc": [0.5, 0.75], "per": [{"x": 1}], "n": 2}', "m.json")
    assert got == {"acc": (0.5, 0.75), "per.0.x": 1.0, "n": 2.0}
    assert parse_metrics_text('{"acc": [0.5, "NaN"]}', "m.json")["acc"][0] == 0.5


def _folds(**changes: object) -> Folds:
    doc = {
        "schema": 1, "method": "cv", "metrics_file": "metrics.json", "data_sha256": "aa",
        "k": 2, "repeats": 2, "fold_seed": 0, "seed": 42, "stratified": True,
        "scores": {"acc": list(BASE)},
    }
    doc.update(changes)
    return parse_folds(doc, "folds.json")


def test_folds_document_round_trips_and_attaches_to_its_metrics() -> None:
    folds = _folds()
    assert folds.spec == FoldSpec(2, 2, 0)
    assert parse_folds(folds.to_json(), "x") == folds
    metrics = [Metric("acc", 0.625, "metrics.json"), Metric("f1", 0.9, "metrics.json")]
    attached, owned = attach(metrics, folds)
    assert owned == {"acc"} and attached[0].value == BASE and attached[1].value == 0.9
    # Stale folds (another mean) or another file: left alone.
    assert attach([Metric("acc", 0.7, "metrics.json")], folds)[1] == set()
    assert attach([Metric("acc", 0.625, "other.json")], folds)[1] == set()


def test_a_record_pairs_only_on_the_same_folds() -> None:
    pr = _folds()
    assert record_matches(_folds(), pr, "mb", "mb") is None
    assert "other folds" in (record_matches(_folds(fold_seed=1), pr, "mb", "mb") or "")
    # Other data: fine at the merge base itself (the PR changed the data), not at an ancestor.
    assert record_matches(_folds(data_sha256="bb"), pr, "mb", "mb") is None
    assert "other data" in (record_matches(_folds(data_sha256="bb"), pr, "old", "mb") or "")


def test_bad_folds_documents_are_named() -> None:
    from mlgate.errors import UsageError

    with pytest.raises(UsageError, match="schema"):
        parse_folds({"schema": 2}, "folds.json")
    with pytest.raises(UsageError) as err:
        _folds(scores={"acc": ["x"]})
    assert err.value.where == "folds.json: scores.acc"
