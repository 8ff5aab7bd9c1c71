"""The trainer's sequential stop (issue 23, item 4): the boundary and the early verdict on
constructed per-fold scores: decided pass, decided fail, undecided (fit the next repeat)."""

from __future__ import annotations

import math

from mlgate.core import noise
from mlgate.core.compare import early_verdict
from mlgate.core.folds import Folds, FoldSpec, first_scores, record_matches
from mlgate.core.metrics import Metric
from mlgate.core.thresholds import parse_rules

RULES = parse_rules({"accuracy": {"tolerance": 0.01}, "rmse": {"tolerance": "10%"}},
                    "thresholds")
BASE = (0.90, 0.92, 0.88, 0.91, 0.89) * 3  # 3 repeats of 5 folds
Z5 = noise.sequential_boundary(5)


def _shifted(by: float, jitter: float, repeats: int = 1) -> tuple[float, ...]:
    """The baseline's first repeats moved by ``by``, fold i by a further ±``jitter``."""
    signs = (1, -1, 1, -1, 0)
    return tuple(b + by + jitter * s for b, s in
                 zip(BASE[:5 * repeats], signs * repeats, strict=True))


def test_the_boundary_is_fixed_in_advance_and_only_before_the_last_repeat() -> None:
    assert Z5 == 5.9 and noise.sequential_boundary(3) == 10.8
    assert noise.sequential_boundary(40) == noise.sequential_boundary(10)  # conservative
    assert noise.is_look(1, 3) and noise.is_look(2, 3) and not noise.is_look(3, 3)
    assert not noise.is_look(1, 1)
    assert not noise.is_look(10, 20)  # the looks of the R = 10 design only


def test_decide_pass_fail_open() -> None:
    assert noise.decide(0.06, 0.01, Z5) == noise.PASS  # 6 spreads inside
    assert noise.decide(-0.06, 0.01, Z5) == noise.FAIL  # 6 spreads outside
    assert noise.decide(0.05, 0.01, Z5) == noise.OPEN  # 5 spreads: not yet
    assert noise.decide(0.05, None, Z5) == noise.OPEN  # no spread: keep fitting
    assert noise.decide(math.nan, 0.01, Z5) == noise.OPEN
    assert noise.decide(0.01, 0.0, Z5) == noise.PASS  # every difference the same
    assert noise.decide(0.0, 0.0, Z5) == noise.OPEN


def test_a_clear_regression_is_decided_after_one_repeat() -> None:
    pr = {"accuracy": _shifted(-0.10, 0.005)}  # 10 tolerances down, folds agree
    verdict = early_verdict({"accuracy": BASE}, pr, RULES, 5)
    assert (verdict.state, verdict.decided) == (noise.FAIL, ("accuracy",))


def test_an_unchanged_model_is_a_decided_pass() -> None:
    verdict = early_verdict({"accuracy": BASE}, {"accuracy": _shifted(0.0, 0.001)}, RULES, 5)
    assert verdict.state == noise.PASS


def test_a_drop_near_the_tolerance_is_undecided() -> None:
    pr = {"accuracy": _shifted(-0.012, 0.01, repeats=2)}
    assert early_verdict({"accuracy": BASE}, pr, RULES, 5).state == noise.OPEN


def test_one_metric_clearly_outside_decides_even_when_another_is_open() -> None:
    base = {"accuracy": BASE, "rmse": (10.0, 11.0, 9.0, 10.5, 9.5) * 3}
    pr = {"accuracy": _shifted(-0.10, 0.005),
          "rmse": (10.9, 11.0, 10.1, 10.5, 10.5)}  # +0.5 with a wide spread: open
    assert early_verdict(base, pr, RULES, 5).state == noise.FAIL
    pr["accuracy"] = _shifted(0.0, 0.001)
    assert early_verdict(base, pr, RULES, 5).state == noise.OPEN  # every one must be decided


def test_ungated_metrics_and_a_metric_the_baseline_lacks_do_not_hold_it_up() -> None:
    pr = {"accuracy": _shifted(0.0, 0.001), "log_loss": (0.3, 0.9, 0.1, 0.5, 0.2),
          "rmse": (1.0, 2.0, 3.0, 4.0, 5.0)}
    assert early_verdict({"accuracy": BASE}, pr, RULES, 5).state == noise.PASS


def test_a_pr_that_stopped_early_pairs_with_the_first_repeats_of_the_record() -> None:
    def cv(repeats: int) -> Folds:
        return Folds("cv", "metrics.json", "sha", FoldSpec(5, repeats, 0), {})

    assert record_matches(cv(3), cv(1), "b", "b") is None
    assert cv(3).prefix_of(cv(1)) == 5 and cv(3).prefix_of(cv(3)) == 15
    assert record_matches(cv(1), cv(3), "b", "b") is not None  # not the other way round
    assert cv(3).prefix_of(Folds("cv", "m", "sha", FoldSpec(5, 1, 7), {})) is None
    metrics = first_scores([Metric("accuracy", BASE, "m"), Metric("n", 3.0, "m")], 5)
    assert metrics[0].value == BASE[:5] and metrics[1].value == 3.0


def test_runs_of_a_user_pipeline_have_their_own_boundary_and_looks() -> None:
    assert noise.sequential_boundary(1) == noise.SEQUENTIAL_RUNS_Z == 32.6
    assert not noise.is_run_look(1, 5) and noise.is_run_look(2, 5) and noise.is_run_look(4, 5)
    assert not noise.is_run_look(5, 5) and not noise.is_run_look(2, 2)
    assert noise.is_run_look(10, 20) and not noise.is_run_look(11, 20)


def test_one_score_per_run_trusts_a_spread_of_0_only_when_exact() -> None:
    base = {"accuracy": (0.80, 0.84, 0.82)}
    # Every difference 0: the runs scored as the record's.
    assert early_verdict(base, {"accuracy": (0.80, 0.84)}, RULES, 1).state == noise.PASS
    # Equal differences of scores that move with the seed: maybe chance, not decided.
    assert early_verdict(base, {"accuracy": (0.70, 0.74)}, RULES, 1).state == noise.OPEN
    # Neither side moves with the seed: the difference is exact.
    fixed = {"accuracy": (0.80, 0.80, 0.80)}
    assert early_verdict(fixed, {"accuracy": (0.70, 0.70)}, RULES, 1).state == noise.FAIL
    # Otherwise 32.6 spreads: -0.1 with a spread of 0.001 is decided, with 0.01 not.
    assert early_verdict(base, {"accuracy": (0.699, 0.741)}, RULES, 1).state == noise.FAIL
    assert early_verdict(base, {"accuracy": (0.69, 0.75)}, RULES, 1).state == noise.OPEN


def test_a_pr_run_with_the_first_seeds_of_the_record_pairs_with_its_first_runs() -> None:
    from mlgate.core.folds import repeats_folds

    def runs(*seeds: int) -> Folds:
        return repeats_folds({"accuracy": (0.8,) * len(seeds)}, seeds, ["metrics.json"])

    assert runs(42, 43, 44, 45, 46).prefix_of(runs(42, 43)) == 2
    assert record_matches(runs(42, 43, 44), runs(42, 43), "b", "b") is None
    assert record_matches(runs(42, 43), runs(42, 43, 44), "b", "b") is not None
    assert runs(42, 43, 44).prefix_of(runs(43, 44)) is None
