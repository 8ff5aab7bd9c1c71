"""Benchmark: `mlgate compare` against `dvc metrics diff --json`, and `mlgate --help` cold start.

Run:  python bench/bench_compare.py [--repeat N]

For 10, 1,000 and 10,000 metrics it builds a git+DVC repo with a metrics file on main and a
changed one on a branch, then times both tools on the same repo in the same run (median of
N runs, each a fresh process) and prints the ratio. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
SIZES = (10, 1_000, 10_000)


def sh(cwd: Path, *cmd: str) -> None:
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)


def timed(cwd: Path, cmd: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.decode()[-2000:]}")
    return statistics.median(times)


def metrics(n: int, seed: int) -> dict:
    rnd = random.Random(seed)
    groups = max(1, n // 100)
    out: dict = {}
    for i in range(n):
        out.setdefault(f"group{i % groups}", {})[f"metric_{i}"] = round(rnd.random(), 6)
    return out


def build(root: Path, n: int) -> None:
    root.mkdir(parents=True)
    sh(root, "git", "init", "-q", "-b", "main")
    sh(root, "git", "config", "user.email", "bench@mlgate.invalid")
    sh(root, "git", "config", "user.name", "bench")
    sh(root, str(BIN / "dvc"), "init", "-q")
    (root / "dvc.yaml").write_text("metrics:\n- metrics.json\n")
    (root / "metrics.json").write_text(json.dumps(metrics(n, 1)))
    sh(root, "git", "add", "-A")
    sh(root, "git", "commit", "-q", "-m", "main")
    sh(root, "git", "checkout", "-q", "-b", "pr")
    (root / "metrics.json").write_text(json.dumps(metrics(n, 2)))
    sh(root, "git", "commit", "-q", "-am", "pr")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ["DVC_NO_ANALYTICS"] = "1"
    tmp = Path(tempfile.mkdtemp(prefix="mlgate-bench-"))
    os.environ.setdefault("DVC_SITE_CACHE_DIR", str(tmp / "dvc-site"))
    mlgate = str(BIN / "mlgate")
    try:
        help_time = timed(tmp, [mlgate, "--help"], args.repeat * 2)
        print(f"mlgate --help cold start: {help_time * 1000:.0f} ms (target < 150 ms)")
        print()
        print(f"{'metrics':>8} {'mlgate compare':>15} {'dvc metrics diff':>17} {'speed-up':>9}")
        for n in SIZES:
            repo = tmp / f"repo{n}"
            build(repo, n)
            ours = timed(repo, [mlgate, "compare", "--base", "main"], args.repeat)
            dvc = timed(repo, [str(BIN / "dvc"), "metrics", "diff", "main", "--json"], args.repeat)
            print(f"{n:>8} {ours * 1000:>12.0f} ms {dvc * 1000:>14.0f} ms {dvc / ours:>8.1f}x")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
