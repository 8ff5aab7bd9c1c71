"""Benchmark: `mlgate drift` on 1,000,000 rows x 50 numeric columns (reference and current).

Run:  python bench/bench_drift.py [--rows N] [--columns N] [--workdir DIR]

It writes a synthetic reference and current table as Parquet (the current one with 5 columns
shifted by 0.1 standard deviations, one column with 1 % missing values), then:

1. in this process, times ``mlgate.core.drift.compute_drift`` on the two data frames already in
   memory (the statistics alone), with the peak of memory allocated *during* the computation on
   top of the data (tracemalloc; numpy reports its buffers to it);
2. runs ``mlgate drift --reference ... --current ... --dry-run`` as a subprocess (reading both
   Parquet files, hashing them, the statistics, drift.json and the report) and prints its wall
   time and its peak resident memory (``ru_maxrss`` of the child).

Nothing here asserts a time; the figures go in docs/drift.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

SHIFTED = 5


def make_tables(rows: int, columns: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    names = [f"x{i}" for i in range(columns)]
    reference = pd.DataFrame(rng.normal(size=(rows, columns)), columns=names)
    current_values = rng.normal(size=(rows, columns))
    current_values[:, :SHIFTED] += 0.1
    current = pd.DataFrame(current_values, columns=names)
    current.loc[:: 100, names[-1]] = np.nan
    return reference, current


def bench_compute(reference: pd.DataFrame, current: pd.DataFrame) -> None:
    from mlgate.core.drift import compute_drift
    from mlgate.core.drift_config import DriftThresholds

    tracemalloc.start()
    start = time.perf_counter()
    cpu = time.process_time()
    result = compute_drift(reference, current, DriftThresholds())
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    data = (reference.memory_usage(deep=True).sum() + current.memory_usage(deep=True).sum())
    print(f"statistics: {wall:.1f} s wall, {cpu:.1f} s CPU; "
          f"{len(result.drifting)} of {len(result.features)} features drift; "
          f"peak extra memory {peak / 2**20:.0f} MiB (the data: {data / 2**20:.0f} MiB)")


def bench_cli(workdir: Path) -> None:
    cmd = [sys.executable, "-m", "mlgate", "drift", "--reference", "reference.parquet",
           "--current", "current.parquet", "--dry-run", "--out", "out"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, check=False,
                          env={**os.environ, "GITHUB_STEP_SUMMARY": ""})
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    print(f"mlgate drift (end to end, Parquet): {wall:.1f} s wall, exit {proc.returncode}, "
          f"peak RSS {peak:.0f} MiB")
    if proc.returncode not in (0, 1):
        print(proc.stderr, file=sys.stderr)
    print("  " + proc.stdout.splitlines()[0] if proc.stdout else "  (no output)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--columns", type=int, default=50)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        reference, current = make_tables(args.rows, args.columns)
        reference.to_parquet(workdir / "reference.parquet")
        current.to_parquet(workdir / "current.parquet")
        print(f"{args.rows:,} rows x {args.columns} numeric columns "
              f"({SHIFTED} shifted by 0.1 sd); cores: {os.cpu_count()}")
        bench_compute(reference, current)
        del reference, current
        bench_cli(workdir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
