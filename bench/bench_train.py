"""Benchmark: the built-in trainer against a plain scikit-learn script, and Parquet vs CSV.

Run:  python bench/bench_train.py [--rows N] [--repeat N] [--workdir DIR]

It writes a synthetic table (default 1,000,000 rows: 8 numeric columns with gaps, 2 text
columns, a binary label) as CSV and Parquet, then in the same process and run:

- times ``mlgate.train.run_builtin`` (load, split, fit, evaluate, save: the whole step) and a
  plain hand-written script doing the same work with the same pipeline, estimator, split and
  seed, alternating the two (A B B A ...) and keeping each one's best wall time and best CPU
  time (CPU time is the steadier figure on a shared machine); prints mlgate's overhead;
- times loading the CSV and the Parquet file, and prints the ratio.

Fits run on one thread by default (``--threads 0`` for all cores): on a busy machine, OpenMP's
spin-waiting makes multi-threaded fit times swing far more than the difference measured here.

Nothing here asserts a time; the figures go in the report. The two runs give the same
metrics (checked), so they did the same work.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# A hold-out, like the plain script (cross-validation is the trainer's default since issue 13).
CONFIG: dict[str, Any] = {"data": "data/train.csv", "target": "label", "seed": 42,
                          "test-size": 0.2}


def make_table(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    numeric = rng.normal(size=(rows, 8))
    city = rng.choice([f"city_{i}" for i in range(20)], size=rows)
    plan = rng.choice(["basic", "plus", "pro", "team", "enterprise"], size=rows)
    logit = numeric[:, 0] - 0.5 * numeric[:, 1] + (plan == "pro") * 0.8 + (city == "city_3")
    label = rng.random(rows) < 1 / (1 + np.exp(-logit))
    frame = pd.DataFrame(numeric, columns=[f"x{i}" for i in range(8)])
    frame["city"] = city
    frame["plan"] = plan
    frame["label"] = np.where(label, "churned", "stayed")
    frame.loc[::50, "x2"] = np.nan
    frame.loc[::70, "city"] = None
    return frame


def prepare(workdir: Path, rows: int) -> tuple[Path, Path]:
    csv = workdir / "data" / "train.csv"
    parquet = workdir / "data" / "train.parquet"
    stamp = workdir / "data" / f".rows-{rows}"
    if not stamp.exists():
        csv.parent.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        frame = make_table(rows)
        frame.to_csv(csv, index=False)
        frame.to_parquet(parquet, index=False)
        stamp.touch()
        print(
            f"wrote {rows:,} rows as CSV ({csv.stat().st_size / 2**20:.0f} MiB) and Parquet "
            f"({parquet.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - start:.1f}s"
        )
    return csv, parquet


def plain_script(csv: Path, model_path: Path) -> tuple[dict[str, float], dict[str, float]]:
    """What a user would write by hand for the same fit; returns metrics and phase times."""
    import joblib
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.metrics import (
        accuracy_score,
        balanced_accuracy_score,
        f1_score,
        log_loss,
        precision_score,
        recall_score,
        roc_auc_score,
    )
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    clock = Clock()
    frame = pd.read_csv(csv)
    x, y = frame.drop(columns=["label"]), frame["label"]
    clock.lap("load")
    numeric = [c for c in x.columns if c.startswith("x")]
    text = ["city", "plan"]
    pre = ColumnTransformer(
        [
            (
                "numeric",
                Pipeline(
                    [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]
                ),
                numeric,
            ),
            (
                "categorical",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="constant", fill_value="__missing__")),
                        ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
                    ]
                ),
                text,
            ),
        ],
        sparse_threshold=0.0,
    )
    model = Pipeline(
        [("preprocess", pre), ("model", HistGradientBoostingClassifier(random_state=42))]
    )
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.2, random_state=42, stratify=y
    )
    clock.lap("split")
    model.fit(x_train, y_train)
    clock.lap("fit")
    pred = model.predict(x_test)
    proba = model.predict_proba(x_test)
    pos = model.classes_[1]
    metrics = {
        "accuracy": accuracy_score(y_test, pred),
        "balanced_accuracy": balanced_accuracy_score(y_test, pred),
        "precision": precision_score(y_test, pred, pos_label=pos),
        "recall": recall_score(y_test, pred, pos_label=pos),
        "f1": f1_score(y_test, pred, pos_label=pos),
        "roc_auc": roc_auc_score(y_test, proba[:, 1]),
        "log_loss": log_loss(y_test, proba, labels=model.classes_),
    }
    clock.lap("evaluate")
    joblib.dump(model, model_path)
    clock.lap("save")
    return {k: float(v) for k, v in metrics.items()}, clock.laps


class Clock:
    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = now - self.start
        self.start = now


def mlgate_train(workdir: Path, data: str) -> tuple[dict[str, float], dict[str, float]]:
    from mlgate.train import run_builtin

    result = run_builtin(
        {**CONFIG, "data": data}, workdir, workdir / ".mlgate", log=lambda _m: None
    )
    return result.metrics, result.timings


def timed(func: Any, *args: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    value = func(*args)
    return time.perf_counter() - start, value


def cpu_timed(func: Any, *args: Any) -> tuple[float, float, Any]:
    """Wall seconds, CPU seconds of this process (all threads), result."""
    cpu = time.process_time()
    wall, value = timed(func, *args)
    return wall, time.process_time() - cpu, value


def _phases(laps: dict[str, float]) -> str:
    return "  ".join(f"{k} {v:.2f}s" for k, v in laps.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each variant (best kept)")
    parser.add_argument("--workdir", type=Path, help="keep the data here between runs")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="OpenMP/BLAS threads (0: all cores). One thread by default: on a busy 2-core "
        "machine OpenMP's spin-waiting makes multi-threaded fits swing by several times, "
        "which would drown the difference being measured",
    )
    args = parser.parse_args()
    import sklearn.ensemble  # noqa: F401 - load OpenMP before limiting its threads
    from threadpoolctl import threadpool_limits

    if args.threads > 0:
        threadpool_limits(limits=args.threads)
        print(f"threads: {args.threads}")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="mlgate-bench-train-"))
    workdir.mkdir(parents=True, exist_ok=True)
    csv, parquet = prepare(workdir, args.rows)

    # Warm the imports and the page cache so that neither variant pays them alone.
    parquet_wall, (_m, parquet_phases) = timed(mlgate_train, workdir, "data/train.parquet")

    plain_times: list[float] = []
    mlgate_times: list[float] = []
    plain_cpu: list[float] = []
    mlgate_cpu: list[float] = []
    phases: dict[str, float] = {}
    plain_phases: dict[str, float] = {}
    order = ["plain", "mlgate", "mlgate", "plain"] * ((args.repeat + 1) // 2)
    plain_metrics: dict[str, float] = {}
    mlgate_metrics: dict[str, float] = {}
    for which in order[: 2 * args.repeat]:
        if which == "plain":
            seconds, cpu, (plain_metrics, laps) = cpu_timed(
                plain_script, csv, workdir / "plain.joblib"
            )
            if not plain_times or seconds < min(plain_times):
                plain_phases = laps
            plain_times.append(seconds)
            plain_cpu.append(cpu)
        else:
            seconds, cpu, (mlgate_metrics, timings) = cpu_timed(
                mlgate_train, workdir, "data/train.csv"
            )
            if not mlgate_times or seconds < min(mlgate_times):
                phases = timings
            mlgate_times.append(seconds)
            mlgate_cpu.append(cpu)
        print(f"  {which:6s} {seconds:7.2f}s wall {cpu:7.2f}s CPU")
    same = all(abs(plain_metrics[k] - mlgate_metrics[k]) < 1e-9 for k in plain_metrics)
    best_plain, best_mlgate = min(plain_times), min(mlgate_times)
    print(f"\nrows: {args.rows:,}   same metrics as the plain script: {same}")
    print(
        f"plain scikit-learn script:  {best_plain:7.2f}s  (CPU {min(plain_cpu):6.2f}s)  "
        + _phases(plain_phases)
    )
    print(
        f"mlgate built-in trainer:    {best_mlgate:7.2f}s  (CPU {min(mlgate_cpu):6.2f}s)  "
        + _phases(phases)
    )
    print(
        f"mlgate / plain:             {best_mlgate / best_plain:7.3f}  "
        f"(overhead {100 * (best_mlgate / best_plain - 1):+.1f} %, target < 10 %)"
    )
    rest_plain = best_plain - plain_phases["fit"]
    rest_mlgate = best_mlgate - phases["fit"]
    print(f"everything but the fit:     {rest_mlgate:7.2f}s mlgate, {rest_plain:.2f}s plain")
    cpu_ratio = min(mlgate_cpu) / min(plain_cpu)
    print(
        f"mlgate / plain, CPU time:   {cpu_ratio:7.3f}  (overhead {100 * (cpu_ratio - 1):+.1f} %)"
    )

    from mlgate.train.data import load_table

    t_csv = min(timed(load_table, csv, "bench")[0] for _ in range(args.repeat))
    t_parquet = min(timed(load_table, parquet, "bench")[0] for _ in range(args.repeat))
    print(f"\nmlgate on the Parquet file: {parquet_wall:7.2f}s  " + _phases(parquet_phases))
    print("loading the table (mlgate's reader):")
    print(f"  Parquet                    {t_parquet:7.2f}s")
    print(f"  CSV                        {t_csv:7.2f}s")
    print(f"  CSV / Parquet:             {t_csv / t_parquet:7.2f}x")
    if not same:
        sys.exit("the two variants disagree on the metrics: they did not do the same work")


if __name__ == "__main__":
    main()
