"""Benchmark: does the gate flap? Today's hold-out against the new default (issue 13).

Run:  python bench/bench_soundness.py [--seeds N] [--skip-jobs | --only-jobs]

For each case (a shipped scikit-learn data set and a model), it trains the model once per seed
(1..N) two ways, with the built-in trainer's own code (its preprocessing pipeline, scoring,
splitter and per-fold seeding: ``mlgate.train``):

- hold-out: an 80/20 split drawn from ``seed`` (what ``test-size: 0.2`` does, and what the
  trainer did by default before issue 13);
- the new default: 3 x 5-fold on folds from ``fold-seed`` 0, every fold scored.

Verdicts are simulated, not run as processes: every ordered pair of different seeds is a PR that
changes only the seed, and is gated against its baseline with mlgate's own comparison
(``core.compare.diff``, with the per-fold scores paired as ``mlgate compare`` pairs them) and
the demo's tolerances; a false block is a failed rule. A clear regression (the case's
``worse`` model: fewer trees, stronger regularisation) is gated the same way against every
baseline seed; the table shows how far it drops on average, in tolerances, so only drops of
2x the tolerance or more count as clear. The final model on all rows is not fitted here (it
does not change a verdict); its cost is in the CPU ratio.

Then the wall time of one PR job (``run_builtin``: load, 15 fits + the final one, save) with
``jobs: 1``, the default (``jobs: -1``: the first fit timed decides where the rest run),
``jobs: 2`` made to start its 2 worker processes (what every ``jobs`` other than 1 did before),
and on a 2-worker ``distributed.LocalCluster`` (processes). Three rounds of the local ones,
alternating (median shown); the local workers are shut down after each run, so each run that
uses them pays their start as a PR job does.

Fits use one thread each, so that the figures do not depend on OpenMP under a busy machine.
"""

from __future__ import annotations

import argparse
import itertools
import math
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlgate.core.compare import Comparison, diff
from mlgate.core.noise import SEQUENTIAL_LAST_RUN_LOOK
from mlgate.core.thresholds import parse_rules

CLASSIFICATION_RULES = {"accuracy": {"tolerance": 0.01}, "roc_auc": {"tolerance": 0.01},
                        "*": {"tolerance": "2%"}}
REGRESSION_RULES = {"*": {"tolerance": "2%"}}


@dataclass(frozen=True)
class Case:
    name: str
    data: str  # sklearn.datasets loader
    model: str
    params: dict[str, Any]
    worse: dict[str, Any]  # the clear regression: these params instead
    task: str
    metrics: tuple[str, ...]

    @property
    def rules(self) -> dict[str, Any]:
        return CLASSIFICATION_RULES if self.task == "classification" else REGRESSION_RULES


CASES = (
    Case("breast cancer, RF", "load_breast_cancer", "sklearn.ensemble.RandomForestClassifier",
         {"n_estimators": 50}, {"n_estimators": 5, "max_depth": 2}, "classification",
         ("accuracy", "f1", "roc_auc")),
    Case("breast cancer, LR", "load_breast_cancer", "sklearn.linear_model.LogisticRegression",
         {"max_iter": 1000}, {"C": 0.001, "max_iter": 1000}, "classification",
         ("accuracy", "f1", "roc_auc")),
    Case("wine, RF", "load_wine", "sklearn.ensemble.RandomForestClassifier",
         {"n_estimators": 50}, {"n_estimators": 5}, "classification",
         ("accuracy", "f1", "roc_auc")),
    Case("diabetes, RF regressor", "load_diabetes", "sklearn.ensemble.RandomForestRegressor",
         {"n_estimators": 50}, {"n_estimators": 5, "max_depth": 1}, "regression", ("rmse", "mae")),
)


@dataclass
class Runs:
    """One way of evaluating, one model: the scores of every seed, and the CPU spent."""

    scores: list[dict[str, Any]] = field(default_factory=list)  # per seed: metric -> value
    cpu: float = 0.0


def load(case: Case) -> tuple[Any, Any]:
    import sklearn.datasets

    bunch = getattr(sklearn.datasets, case.data)(as_frame=True)
    return bunch.data, bunch.target


def config(case: Case, params: dict[str, Any], seed: int, holdout: bool) -> Any:
    from mlgate.train.config import parse_train_config

    raw: dict[str, Any] = {"data": "x", "target": "y", "model": case.model, "params": params,
                           "task": case.task, "seed": seed, "metrics": list(case.metrics),
                           "jobs": 1}
    if holdout:
        raw["test-size"] = 0.2
    return parse_train_config(raw)


def pipeline(case: Case, cfg: Any, x: Any) -> Any:
    from mlgate.train.estimator import build_estimator
    from mlgate.train.pipeline import build_pipeline, split_columns

    return build_pipeline(build_estimator(cfg, case.task), split_columns(x))


def holdout_scores(case: Case, cfg: Any, x: Any, y: Any) -> dict[str, float]:
    """What the trainer's hold-out does: a split from ``seed``, one fit, scored."""
    from sklearn.model_selection import train_test_split

    from mlgate.train.scoring import score

    stratify = y if case.task == "classification" else None
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.2, random_state=cfg.seed,
                                              stratify=stratify)
    model = pipeline(case, cfg, x)
    model.fit(x_tr, y_tr)
    return score(case.task, case.metrics, model, x_te, y_te)


def cv_scores(case: Case, cfg: Any, x: Any, y: Any) -> dict[str, tuple[float, ...]]:
    """What the trainer's default does: 3 x 5 folds from fold-seed 0, a seed per fold."""
    from sklearn.base import clone

    from mlgate.train import crossval

    plan = crossval.make_splits(cfg, case.task, x, y)
    base = pipeline(case, cfg, x)
    results = [
        crossval.fit_and_score(crossval.fold_model(clone(base), cfg, i), x, y, split,
                               case.task, case.metrics)
        for i, split in enumerate(plan.splits)
    ]
    return crossval.fold_scores(crossval.scores_of(results))


def train_all(case: Case, params: dict[str, Any], seeds: range, holdout: bool,
              x: Any, y: Any) -> Runs:
    runs = Runs()
    for seed in seeds:
        cfg = config(case, params, seed, holdout)
        start = time.process_time()
        runs.scores.append(holdout_scores(case, cfg, x, y) if holdout
                           else cv_scores(case, cfg, x, y))
        runs.cpu += time.process_time() - start
    return runs


def blocked(case: Case, base: dict[str, Any], pr: dict[str, Any]) -> bool:
    result = diff(Comparison(current=pr, baseline=base,
                             rules=parse_rules(case.rules, "bench thresholds")))
    return not result.passed


def rate(case: Case, bases: list[dict[str, Any]], prs: list[dict[str, Any]],
         same_seeds: bool) -> tuple[int, int]:
    pairs = [(b, p) for (i, b), (j, p) in itertools.product(enumerate(bases), enumerate(prs))
             if not (same_seeds and i == j)]
    return sum(blocked(case, b, p) for b, p in pairs), len(pairs)


def drop_in_tolerances(case: Case, good: Runs, worse: Runs) -> float:
    """How far the regression moves the gated metrics on average, in tolerances (largest)."""
    from mlgate.core.noise import as_number
    from mlgate.core.thresholds import infer_direction

    out = 0.0
    for name in case.metrics:
        g = statistics.fmean(as_number(s[name]) or 0.0 for s in good.scores)
        w = statistics.fmean(as_number(s[name]) or 0.0 for s in worse.scores)
        tol = case.rules.get(name, case.rules.get("*"))["tolerance"]
        allowed = abs(g) * float(tol[:-1]) / 100 if isinstance(tol, str) else float(tol)
        bad = (g - w) if infer_direction(name) == "higher" else (w - g)
        out = max(out, bad / allowed)
    return out


def run_case(case: Case, seeds: range) -> dict[str, Any]:
    x, y = load(case)
    row: dict[str, Any] = {"case": case.name, "rows": len(y)}
    for way, holdout in (("holdout", True), ("cv", False)):
        good = train_all(case, case.params, seeds, holdout, x, y)
        worse = train_all(case, case.worse, seeds, holdout, x, y)
        row[f"{way}_false"] = rate(case, good.scores, good.scores, same_seeds=True)
        row[f"{way}_caught"] = rate(case, good.scores, worse.scores, same_seeds=False)
        row[f"{way}_drop"] = drop_in_tolerances(case, good, worse)
        row[f"{way}_cpu"] = good.cpu / len(seeds)
        print(f"  {case.name}: {way} done ({good.cpu + worse.cpu:.1f}s CPU)", flush=True)
    return row


def pct(hits_total: tuple[int, int]) -> str:
    hits, total = hits_total
    return f"{100 * hits / total:5.1f} % ({hits}/{total})"


def upper95(hits: int, total: int) -> float:
    """One-sided 95 % upper bound of a rate (exact binomial; 3/n for no hits)."""
    if hits == 0:
        return 1 - 0.05 ** (1 / total)
    lo, hi = hits / total, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        below = sum(math.comb(total, k) * mid**k * (1 - mid) ** (total - k)
                    for k in range(hits + 1))
        lo, hi = (mid, hi) if below > 0.05 else (lo, mid)
    return hi


def print_table(rows: list[dict[str, Any]], seeds: int) -> None:
    print(f"\nseed-only PRs: every ordered pair of {seeds} seeds; clear regressions: the worse "
          f"model against every baseline seed; drop = mean drop / tolerance")
    head = ("| case | hold-out: false blocks | hold-out: caught | 3×5-fold paired: false blocks "
            "| 3×5-fold paired: caught | drop (hold-out / cv) | CPU ratio |")
    print(head)
    print("|---|--:|--:|--:|--:|--:|--:|")
    for r in rows:
        print(f"| {r['case']} | {pct(r['holdout_false'])} | {pct(r['holdout_caught'])} | "
              f"{pct(r['cv_false'])} | {pct(r['cv_caught'])} | "
              f"{r['holdout_drop']:.1f}× / {r['cv_drop']:.1f}× | "
              f"{r['cv_cpu'] / r['holdout_cpu'] * 16 / 15:.1f}× |")
    totals = {k: (sum(r[k][0] for r in rows), sum(r[k][1] for r in rows))
              for k in ("holdout_false", "holdout_caught", "cv_false", "cv_caught")}
    print(f"| all | {pct(totals['holdout_false'])} | {pct(totals['holdout_caught'])} | "
          f"{pct(totals['cv_false'])} | {pct(totals['cv_caught'])} | | |")
    hits, total = totals["cv_false"]
    print(f"\nnew default, false blocks: {hits}/{total}, at most "
          f"{100 * upper95(hits, total):.2f} % at 95 % confidence (target < 1 %)")
    caught, n = totals["cv_caught"]
    print(f"new default, clear regressions caught: {100 * caught / n:.1f} % (target >= 95 %)")
    print("CPU ratio: one training with the default (15 fold fits + the final fit) over one "
          "hold-out fit, from the measured fold CPU x 16/15")


def job_times(workdir: Path, rounds: int = 3) -> None:
    """Wall time of one PR job's training (breast cancer, RF) by where the fits run."""
    import sklearn.datasets
    from distributed import LocalCluster

    from mlgate.train.runner import run_builtin

    frame = sklearn.datasets.load_breast_cancer(as_frame=True).frame
    (workdir / "data").mkdir(parents=True, exist_ok=True)
    frame.to_csv(workdir / "data/train.csv", index=False)
    base = {"data": "data/train.csv", "target": "target",
            "model": "sklearn.ensemble.RandomForestClassifier"}

    def once(label: str, **extra: Any) -> float:
        logs: list[str] = []
        start = time.perf_counter()
        result = run_builtin({**base, **extra}, workdir, workdir / ".mlgate", log=logs.append)
        seconds = time.perf_counter() - start
        took = next((m for m in logs if "the first fit took" in m), "took :")
        where = took.split("took ")[-1].split(":")[0]
        print(f"  {label:34s} {seconds:6.1f} s   accuracy {result.metrics['accuracy']:.6f}"
              f"{'   first fit ' + where if where else ''}", flush=True)
        return seconds

    print("\none PR job's training (breast cancer, RandomForest, 3 × 5-fold + final fit), wall:")
    once("jobs: 1 (warm-up, not counted)", jobs=1)
    times: dict[str, list[float]] = {"jobs: 1": [], "default (jobs: -1)": [],
                                     "jobs: 2, 2 worker processes": []}
    for _ in range(rounds):
        times["jobs: 1"].append(once("jobs: 1", jobs=1))
        times["default (jobs: -1)"].append(once("default (jobs: -1)"))
        times["jobs: 2, 2 worker processes"].append(_with_workers(lambda: once(
            "jobs: 2, 2 worker processes", jobs=2)))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        once("Dask LocalCluster, 2 workers", dask=cluster.scheduler_address)
    for label, values in times.items():
        print(f"  median {label:27s} {statistics.median(values):6.1f} s "
              f"({', '.join(f'{v:.1f}' for v in values)})")


def _with_workers(run: Any) -> float:
    """``run()`` with the local workers started whatever the fits' time (as every ``jobs``
    other than 1 did before the first fit decided), and shut down after it."""
    from joblib.externals.loky import get_reusable_executor

    from mlgate.train import crossval

    saved, crossval.WORKER_START_SECONDS = crossval.WORKER_START_SECONDS, 0.0
    try:
        return float(run())
    finally:
        crossval.WORKER_START_SECONDS = saved
        get_reusable_executor().shutdown(wait=True)


# ----- calibration of the spread on held-out cases (issue 23) ---------------------------------
# None of these data set / model pairs is used by the tests: the spread's formula is checked
# here, on data it was not fitted to. Each case has a clear regression (``worse``) and a
# borderline one (``borderline``: a drop near the tolerance).


@dataclass(frozen=True)
class HeldOut:
    name: str
    data: str  # sklearn.datasets loader (make_hastie_10_2: 2,000 rows, random_state 0)
    model: str
    params: dict[str, Any]
    worse: dict[str, Any]
    borderline: dict[str, Any]
    task: str
    metrics: tuple[str, ...]

    @property
    def rules(self) -> dict[str, Any]:
        return CLASSIFICATION_RULES if self.task == "classification" else REGRESSION_RULES


HELD_OUT = (
    HeldOut("hastie, GradientBoosting", "make_hastie_10_2",
            "sklearn.ensemble.GradientBoostingClassifier",
            {"n_estimators": 100, "subsample": 0.8}, {"n_estimators": 20, "subsample": 0.8},
            {"n_estimators": 70, "subsample": 0.8}, "classification",
            ("accuracy", "f1", "roc_auc")),
    HeldOut("breast cancer, LogisticRegression", "load_breast_cancer",
            "sklearn.linear_model.LogisticRegression", {"max_iter": 1000},
            {"C": 0.001, "max_iter": 1000}, {"C": 0.03, "max_iter": 1000}, "classification",
            ("accuracy", "f1", "roc_auc")),
    HeldOut("wine, RandomForest", "load_wine", "sklearn.ensemble.RandomForestClassifier",
            {"n_estimators": 50}, {"n_estimators": 5}, {"n_estimators": 12}, "classification",
            ("accuracy", "f1", "roc_auc")),
    HeldOut("diabetes, GradientBoostingRegressor", "load_diabetes",
            "sklearn.ensemble.GradientBoostingRegressor",
            {"n_estimators": 100, "subsample": 0.8, "learning_rate": 0.05},
            {"n_estimators": 100, "subsample": 0.8, "learning_rate": 0.05, "max_depth": 1,
             "min_samples_leaf": 40},
            {"n_estimators": 60, "subsample": 0.8, "learning_rate": 0.05},
            "regression", ("rmse", "mae")),
)


def load_held_out(case: HeldOut) -> tuple[Any, Any]:
    import pandas as pd
    import sklearn.datasets

    if case.data == "make_hastie_10_2":
        x, y = sklearn.datasets.make_hastie_10_2(n_samples=2000, random_state=0)
        frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(x.shape[1])])
        return frame, pd.Series((y > 0).astype(int))
    bunch = getattr(sklearn.datasets, case.data)(as_frame=True)
    return bunch.data, bunch.target


def collect(cases: tuple[HeldOut, ...], seeds: range, cache: Path | None) -> dict[str, Any]:
    """Per case and model (good, worse, borderline), per seed: the per-fold scores of the
    default 3 x 5-fold and the CPU seconds of the fits (cached in ``cache`` when given)."""
    import json

    if cache is not None and cache.is_file():
        return dict(json.loads(cache.read_text()))
    out: dict[str, Any] = {}
    for case in cases:
        x, y = load_held_out(case)
        runs: dict[str, Any] = {}
        for label, params in (("good", case.params), ("worse", case.worse),
                              ("borderline", case.borderline)):
            per_seed = []
            cpu = wall = 0.0
            for seed in seeds:
                cfg = config(case, params, seed, holdout=False)  # type: ignore[arg-type]
                start, wall0 = time.process_time(), time.perf_counter()
                scores = cv_scores(case, cfg, x, y)  # type: ignore[arg-type]
                cpu += time.process_time() - start
                wall += time.perf_counter() - wall0
                per_seed.append({k: list(v) for k, v in scores.items()})
            runs[label] = {"scores": per_seed, "cpu_per_run": cpu / len(seeds),
                           "wall_per_run": wall / len(seeds)}
            print(f"  {case.name}: {label} ({cpu:.1f}s CPU)", flush=True)
        out[case.name] = {"runs": runs, "k": 5, "repeats": 3}
    if cache is not None:
        cache.write_text(json.dumps(out))
    return out


def interval(hits: int, total: int) -> str:
    """The rate with its exact (Clopper-Pearson) 95 % interval."""
    from scipy.stats import beta

    lo = 0.0 if hits == 0 else float(beta.ppf(0.025, hits, total - hits + 1))
    hi = 1.0 if hits == total else float(beta.ppf(0.975, hits + 1, total - hits))
    return f"{100 * hits / total:.1f} % ({hits}/{total}; {100 * lo:.1f}–{100 * hi:.1f} %)"


def calibrate(data: dict[str, Any]) -> None:
    """RMS of Δ/spread on seed-only PRs (new and old spread), false blocks, regressions caught,
    warnings and within-noise rows, from the collected per-fold scores."""
    from mlgate.core import noise

    print("\n| case | metric | RMS Δ/spread (grouped, new) | RMS Δ/spread (per fold, old) |"
          " seed-only PRs warned | clear regressions warned |")
    print("|---|---|--:|--:|--:|--:|")
    table: list[str] = []
    for case in HELD_OUT:
        entry = data[case.name]
        k, runs = entry["k"], entry["runs"]
        good = runs["good"]["scores"]
        n = len(good)
        rules = parse_rules(case.rules, "bench thresholds")
        for metric in case.metrics:
            new, old, warned, warned_bad, pairs = [], [], 0, 0, 0
            for i, j in itertools.permutations(range(n), 2):
                b, c = tuple(good[i][metric]), tuple(good[j][metric])
                stats, plain = noise.compare_values(b, c, k), noise.compare_values(b, c, 1)
                assert stats is not None and plain is not None
                if stats.spread:
                    new.append((stats.delta / stats.spread) ** 2)
                if plain.spread:
                    old.append((plain.delta / plain.spread) ** 2)
                warned += _warned(case, metric, rules, b, c, k)
                warned_bad += _warned(case, metric, rules, b,
                                      tuple(runs["worse"]["scores"][j][metric]), k)
                pairs += 1
            print(f"| {case.name} | {metric} | {_rms(new)} | {_rms(old)} | "
                  f"{interval(warned, pairs)} | {interval(warned_bad, pairs)} |")
        row = {"false": [0, 0], "clear": [0, 0], "borderline": [0, 0], "within": [0, 0]}
        for i, j in itertools.product(range(n), range(n)):
            base = {m: tuple(good[i][m]) for m in case.metrics}
            for label, key in (("good", "false"), ("worse", "clear"),
                               ("borderline", "borderline")):
                if label == "good" and i == j:
                    continue
                pr = {m: tuple(runs[label]["scores"][j][m]) for m in case.metrics}
                result = diff(Comparison(current=pr, baseline=base, rules=rules,
                                         groups=dict.fromkeys(case.metrics, k)))
                row[key][0] += not result.passed
                row[key][1] += 1
                if label == "good":
                    row["within"][0] += result.summary.within_noise
                    row["within"][1] += len(case.metrics)
        drops = {label: _drop(case, good, runs[label]["scores"]) for label in
                 ("worse", "borderline")}
        fits = k * entry["repeats"] + 1
        table.append(
            f"| {case.name} | {interval(*row['false'])} | {interval(*row['clear'])} "
            f"({drops['worse']:.1f}×) | {interval(*row['borderline'])} "
            f"({drops['borderline']:.1f}×) | {interval(*row['within'])} | {fits} | "
            f"{runs['good']['wall_per_run'] * fits / (fits - 1):.1f} s |")
    print("\n| case (held out) | seed-only PRs blocked | clear drop caught (drop in tolerances)"
          " | borderline drop caught | seed-only rows within_noise | fits per PR | wall per PR "
          "(1 process) |")
    print("|---|--:|--:|--:|--:|--:|--:|")
    print("\n".join(table))
    sequential(data)


def sequential(data: dict[str, Any]) -> None:
    """The trainer's sequential stop (issue 23, item 4), simulated on the collected scores: the
    PR's repeats are taken one at a time, ``core.compare.early_verdict`` against the recorded
    baseline (all its repeats) after each but the last, and the verdict is ``diff`` of the
    repeats fitted so far paired with the baseline's first ones, as ``mlgate compare`` pairs
    them. Fits = repeats × k + the final fit."""
    from mlgate.core import noise
    from mlgate.core.compare import early_verdict

    print("\n| case (held out), sequential stop | seed-only PRs blocked | mean fits | "
          "clear drop caught | mean fits | borderline drop caught | mean fits |")
    print("|---|--:|--:|--:|--:|--:|--:|")
    totals: dict[str, list[int]] = {key: [0, 0, 0] for key in ("good", "worse", "borderline")}
    for case in HELD_OUT:
        entry = data[case.name]
        k, repeats, runs = entry["k"], entry["repeats"], entry["runs"]
        good = runs["good"]["scores"]
        n = len(good)
        rules = parse_rules(case.rules, "bench thresholds")
        cells = []
        for label in ("good", "worse", "borderline"):
            blocked_, fits, pairs = 0, 0, 0
            for i, j in itertools.product(range(n), range(n)):
                if label == "good" and i == j:
                    continue
                base = {m: tuple(good[i][m]) for m in case.metrics}
                pr = {m: tuple(runs[label]["scores"][j][m]) for m in case.metrics}
                done = repeats
                for look in range(1, repeats):
                    if not noise.is_look(look, repeats):
                        break
                    part = {m: v[:look * k] for m, v in pr.items()}
                    if early_verdict(base, part, rules, k).state != noise.OPEN:
                        done = look
                        break
                cut = done * k
                result = diff(Comparison(
                    current={m: v[:cut] for m, v in pr.items()},
                    baseline={m: v[:cut] for m, v in base.items()}, rules=rules,
                    groups=dict.fromkeys(case.metrics, k)))
                blocked_ += not result.passed
                fits += cut + 1
                pairs += 1
            totals[label][0] += blocked_
            totals[label][1] += pairs
            totals[label][2] += fits
            cells.append(f"{interval(blocked_, pairs)} | {fits / pairs:.1f}")
        print(f"| {case.name} | {' | '.join(cells)} |")
    cells = [f"{interval(t[0], t[1])} | {t[2] / t[1]:.1f}" for t in totals.values()]
    print(f"| all | {' | '.join(cells)} |")


def boundaries(runs: int = 100_000) -> None:
    """Recompute core/noise.py's SEQUENTIAL_Z (then SEQUENTIAL_RUNS_Z: ``runs_boundary``): per
    k, the largest 99th percentile over R = 2..10 repeats and design effects 1.0 and 1.5 of
    max over the looks r < R of |Z_r| (one side),
    Z_r = (mean difference after r repeats − the true one) / grouped_spread, on per-fold
    differences u_r + e_ri (see the comment there)."""
    import numpy as np

    for k in range(2, 11):
        worst = 0.0
        for repeats in range(2, 11):
            for effect in (1.0, 1.5):
                rng = np.random.default_rng([0, k, repeats, int(effect * 100)])
                tau = math.sqrt((effect**2 - 1) / k)
                e = (rng.standard_normal((runs, repeats, k))
                     + tau * rng.standard_normal((runs, repeats, 1)))
                stats = []
                for r in range(1, repeats):
                    d = e[:, :r, :].reshape(runs, r * k)
                    spread = d.std(1, ddof=1) / math.sqrt(r * k)
                    if r >= 2:
                        spread = np.maximum(e[:, :r, :].mean(2).std(1, ddof=1) / math.sqrt(r),
                                            spread)
                    stats.append(d.mean(1) / spread)
                worst = max(worst, float(np.quantile(np.max(stats, axis=0), 0.99)))
        print(f"k = {k}: Z = {worst:.2f} (core/noise.py: {math.ceil(worst * 10) / 10:.1f})",
              flush=True)
    runs_boundary()


def runs_boundary(sims: int = 1_000_000) -> None:
    """Recompute core/noise.py's SEQUENTIAL_RUNS_Z (``train: {repeats: K}`` of a user pipeline:
    one score per metric and run): the largest over K = 3..11 runs of the 99th percentile of
    max over the looks r = 2..min(K − 1, 10) of Z_r = mean(d_1..d_r) / (sd / sqrt(r)), the
    paired per-run differences d_i ~ N(0, 1) independent (each run its own seed on both sides;
    true change exactly at the allowance), the spread with r − 1 degrees of freedom."""
    import numpy as np

    worst = 0.0
    for runs in range(3, SEQUENTIAL_LAST_RUN_LOOK + 2):
        rng = np.random.default_rng([1, runs])
        d = rng.standard_normal((sims, runs))
        total, squares = np.cumsum(d, 1), np.cumsum(d * d, 1)
        stats = []
        for r in range(2, min(runs - 1, SEQUENTIAL_LAST_RUN_LOOK) + 1):
            m = total[:, r - 1] / r
            var = (squares[:, r - 1] - r * m * m) / (r - 1)
            stats.append(m / np.sqrt(var / r))
        z = float(np.quantile(np.max(stats, axis=0), 0.99))
        print(f"runs, K = {runs}: Z = {z:.2f}", flush=True)
        worst = max(worst, z)
    print(f"runs: Z = {worst:.2f} (core/noise.py SEQUENTIAL_RUNS_Z: "
          f"{math.ceil(worst * 10) / 10:.1f})", flush=True)


def _rms(squares: list[float]) -> str:
    return f"{math.sqrt(statistics.fmean(squares)):.2f}" if squares else "— (spread 0)"


def _warned(case: HeldOut, metric: str, rules: Any, base: tuple[float, ...],
            cur: tuple[float, ...], k: int) -> int:
    other = {m: (0.0,) for m in case.metrics if m != metric}  # the rules name every metric
    result = diff(Comparison(current={metric: cur, **other}, baseline={metric: base, **other},
                             rules=rules, groups={metric: k}))
    row = next(r for r in result.metrics if r.name == metric)
    return int(bool(row.noise.get("noise_warning")))


def _drop(case: HeldOut, good: list[dict[str, Any]], bad: list[dict[str, Any]]) -> float:
    """The largest mean drop over the gated metrics, in tolerances."""
    from mlgate.core.thresholds import infer_direction

    out = -math.inf
    for name in case.metrics:
        g = statistics.fmean(statistics.fmean(s[name]) for s in good)
        w = statistics.fmean(statistics.fmean(s[name]) for s in bad)
        tol = case.rules.get(name, case.rules.get("*"))["tolerance"]
        allowed = abs(g) * float(tol[:-1]) / 100 if isinstance(tol, str) else float(tol)
        out = max(out, ((g - w) if infer_direction(name) == "higher" else (w - g)) / allowed)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=10, help="seeds per model (default 10)")
    parser.add_argument("--skip-jobs", action="store_true", help="skip the wall-time section")
    parser.add_argument("--only-jobs", action="store_true", help="only the wall-time section")
    parser.add_argument("--calibration", action="store_true",
                        help="the held-out cases (issue 23): the spread's calibration, false "
                        "blocks, regressions caught, warnings (default 12 seeds)")
    parser.add_argument("--cache", type=Path, help="--calibration: keep the scores in this "
                        "JSON file and reuse them when it exists")
    parser.add_argument("--boundaries", action="store_true",
                        help="recompute the sequential stop's boundaries (core/noise.py)")
    args = parser.parse_args(argv)
    if args.boundaries:
        boundaries()
        return 0
    if args.calibration:
        import sklearn.ensemble  # load OpenMP before limiting it
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            data = collect(HELD_OUT, range(1, 13 if args.seeds == 10 else args.seeds + 1),
                           args.cache)
        calibrate(data)
        return 0
    if args.seeds < 2:
        parser.error("--seeds must be at least 2: a seed-only PR is a pair of different seeds")
    if args.only_jobs:
        job_times(Path(tempfile.mkdtemp(prefix="mlgate-bench-soundness-")))
        return 0

    import sklearn.ensemble  # noqa: F401 - load OpenMP before limiting it
    from threadpoolctl import threadpool_limits

    seeds = range(1, args.seeds + 1)
    start = time.perf_counter()
    with threadpool_limits(limits=1):
        rows = [run_case(case, seeds) for case in CASES]
    print_table(rows, args.seeds)
    print(f"(soundness part: {time.perf_counter() - start:.0f} s wall)")
    if not args.skip_jobs:
        job_times(Path(tempfile.mkdtemp(prefix="mlgate-bench-soundness-")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
