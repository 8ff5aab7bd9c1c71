"""The one pass/fail decision (core/verdict.py) pinned: it fails closed on any contradiction."""

from __future__ import annotations

from mlgate.core.result import BaselineInfo, HeadInfo, MetricRow, Result, Summary
from mlgate.core.verdict import Verdict, verdict


def metric(name: str, passed: bool) -> MetricRow:
    return MetricRow(name=name, file=None, baseline=None, current=1.0, delta=None,
                     relative_delta=None, direction="higher", direction_source="inferred",
                     status="new", rule=None, rules=(), passed=passed)


def result(passed: bool = True, failed_rules: tuple[str, ...] = (), errors: tuple[str, ...] = (),
           metrics: tuple[MetricRow, ...] = ()) -> Result:
    return Result(name="m", passed=passed, head=HeadInfo(), baseline=BaselineInfo(found=False),
                  summary=Summary(), metrics=metrics, failed_rules=failed_rules, errors=errors)


def test_a_clean_pass() -> None:
    v = verdict(result(metrics=(metric("a", True),)))
    assert v == Verdict(passed=True, failed_rules=(), errors=(), failed_metrics=(), compared=1)
    assert v.reasons() == []


def test_a_result_that_compared_no_metric_fails() -> None:
    # issue 11: a pass needs at least one metric of the PR (a row with a current value)
    empty = verdict(result())
    assert empty == Verdict(passed=False, failed_rules=(), errors=(), failed_metrics=(),
                            compared=0)
    assert empty.reasons() == ["the gate did not pass (result.json: passed is false)",
                               "no metric was compared (the PR has no metrics)"]
    gone = MetricRow(name="a", file=None, baseline=1.0, current=None, delta=None,
                     relative_delta=None, direction="higher", direction_source="inferred",
                     status="removed", rule=None, rules=(), passed=True)
    assert verdict(result(metrics=(gone,))).compared == 0
    assert verdict(result(metrics=(gone, metric("b", True)))) == Verdict(
        passed=True, failed_rules=(), errors=(), failed_metrics=(), compared=1)


def test_each_contradiction_fails_closed() -> None:
    assert verdict(result(passed=False)).passed is False
    assert verdict(result(failed_rules=("a: min 1 (0 is below 1)",))).passed is False
    assert verdict(result(errors=("boom",))).passed is False
    bad = verdict(result(metrics=(metric("a", True), metric("b", False), metric("c", False))))
    assert bad == Verdict(passed=False, failed_rules=(), errors=(), failed_metrics=("b", "c"),
                          compared=3)


def test_reasons_list_rules_then_errors_without_repeats() -> None:
    one = (metric("a", True),)
    v = verdict(result(passed=False, failed_rules=("r1", "r2"), errors=("r2", "e1"),
                       metrics=one))
    assert v.reasons() == [
        "the gate did not pass (result.json: passed is false)",
        "failed rule: r1",
        "failed rule: r2",
        "error: e1",
    ]
    assert verdict(result(passed=False, metrics=one)).reasons() == [
        "the gate did not pass (result.json: passed is false)"]
