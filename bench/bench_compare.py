"""Benchmark: `mlgate compare` against `dvc metrics diff --json`, and `mlgate --help` cold start.

Run:  python bench/bench_compare.py [--repeat N] [--sizes 10 1000 10000]

For each size it builds a git+DVC repo with a metrics file on main and a changed one on a
branch (dvc.yaml `metrics:`), then times both tools on the same repo in the same run,
ALTERNATELY: each round runs one tool right after the other (which goes first alternates), so
the load of a shared machine hits both alike. Each run is a fresh process. It prints, per
size, each tool's median and spread (min-max, interquartile range) and the speed-up: the ratio
of the medians and the spread of the per-round ratios. First one untimed run of each tool with
bytecode writing allowed, so neither pays for compiling its sources (`actions/setup` compiles
mlgate's at install). It also times a "floor": the least any Python tool does for this job
(start Python, one `git cat-file --batch`, one merge-base, parse, diff, write JSON; see FLOOR),
so the figures show how much of mlgate's time is its features. Nothing here asserts a time.

`--pipeline templated` writes the dvc.yaml with `vars:` and `${...}` instead: mlgate then
resolves it with DVC's own resolver, and pays for importing DVC (a plain dvc.yaml never does).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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
HELP_TARGET_MS = 100


def sh(cwd: Path, *cmd: str) -> str:
    return subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True).stdout


def run_once(cwd: Path, cmd: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, check=False, env=env)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.decode()[-2000:]}")
    return elapsed


def metrics(n: int, seed: int) -> dict:
    rnd = random.Random(seed)
    groups = max(1, n // 100)
    out: dict = {}
    for i in range(n):
        out.setdefault(f"group{i % groups}", {})[f"metric_{i}"] = round(rnd.random(), 6)
    return out


PIPELINES = {
    "plain": "metrics:\n- metrics.json\n",
    "templated": "vars:\n- reports: {root: .}\nmetrics:\n- ${reports.root}/metrics.json\n",
}


def build(root: Path, n: int, pipeline: str = "plain") -> None:
    root.mkdir(parents=True)
    sh(root, "git", "init", "-q", "-b", "main")
    sh(root, "git", "config", "user.email", "bench@mlgate.invalid")
    sh(root, "git", "config", "user.name", "bench")
    sh(root, str(BIN / "dvc"), "init", "-q")
    (root / "dvc.yaml").write_text(PIPELINES[pipeline])
    (root / "metrics.json").write_text(json.dumps(metrics(n, 1)))
    sh(root, "git", "add", "-A")
    sh(root, "git", "commit", "-q", "-m", "main")
    sh(root, "git", "checkout", "-q", "-b", "pr")
    (root / "metrics.json").write_text(json.dumps(metrics(n, 2)))
    sh(root, "git", "commit", "-q", "-am", "pr")


# The floor of any Python tool doing this job: start Python, read both sides through one
# `git cat-file --batch`, one `git merge-base`, parse, diff the flat numbers, write JSON.
# No config, thresholds, params or data diff, no checks: what mlgate compare costs beyond it
# is its features.
FLOOR = r"""
import json, subprocess, sys
cat = subprocess.Popen(["git", "cat-file", "--batch"], stdin=subprocess.PIPE,
                       stdout=subprocess.PIPE)
def read(name):
    cat.stdin.write(name.encode() + b"\n"); cat.stdin.flush()
    sha, kind, size = cat.stdout.readline().split()
    data = cat.stdout.read(int(size) + 1)[:-1]
    return sha.decode(), data
head, _ = read("HEAD^{commit}")
main, _ = read("main^{commit}")
base = subprocess.run(["git", "merge-base", head, main], capture_output=True,
                      text=True).stdout.strip()
def flat(d, prefix=""):
    out = {}
    for k, v in d.items():
        out.update(flat(v, f"{prefix}{k}.") if isinstance(v, dict) else {prefix + k: v})
    return out
old = flat(json.loads(read(base + ":metrics.json")[1]))
new = flat(json.loads(open("metrics.json").read()))
rows = [{"name": k, "baseline": old.get(k), "current": v,
         "delta": v - old[k] if k in old else None} for k, v in new.items()]
cat.stdin.close(); cat.wait()
with open("floor.json", "w") as fh:
    json.dump({"metrics": rows}, fh)
"""


def spread(times: list[float]) -> str:
    """median, min-max and interquartile range, in ms."""
    ms = sorted(t * 1000 for t in times)
    q1, _, q3 = statistics.quantiles(ms, n=4) if len(ms) > 1 else (ms[0], ms[0], ms[0])
    return (f"{statistics.median(ms):6.0f} ms (min {ms[0]:.0f}, max {ms[-1]:.0f}, "
            f"IQR {q1:.0f}-{q3:.0f})")


def alternate(repo: Path, ours: list[str], theirs: list[str], repeat: int):
    """Per round one run of each tool, back to back; the first of the pair alternates."""
    mine: list[float] = []
    dvc: list[float] = []
    for i in range(repeat):
        if i % 2 == 0:
            mine.append(run_once(repo, ours))
            dvc.append(run_once(repo, theirs))
        else:
            dvc.append(run_once(repo, theirs))
            mine.append(run_once(repo, ours))
    return mine, dvc


def warm_up(repo: Path, commands: list[list[str]]) -> None:
    """One untimed run each, allowed to write bytecode (a no-op where it exists)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for cmd in commands:
        run_once(repo, cmd, env=env)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    git = sh(Path.cwd(), "git", "--version").strip()
    dvc = sh(Path.cwd(), str(BIN / "dvc"), "--version").strip()
    return (f"{cpu}, {os.cpu_count()} cores, load {load}; Python {platform.python_version()}, "
            f"{git}, dvc {dvc}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=15, help="rounds per size (default 15)")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--pipeline", choices=sorted(PIPELINES), default="plain",
                        help="the dvc.yaml: plain (default) or templated (vars, ${...})")
    args = parser.parse_args()
    os.environ["DVC_NO_ANALYTICS"] = "1"
    tmp = Path(tempfile.mkdtemp(prefix="mlgate-bench-"))
    os.environ.setdefault("DVC_SITE_CACHE_DIR", str(tmp / "dvc-site"))
    mlgate, dvc = str(BIN / "mlgate"), str(BIN / "dvc")
    try:
        print(f"machine: {machine()}")
        warm_up(tmp, [[mlgate, "--help"]])
        helps = [run_once(tmp, [mlgate, "--help"]) for _ in range(args.repeat * 2)]
        print(f"mlgate --help: {spread(helps)}  (target < {HELP_TARGET_MS} ms)")
        print()
        for n in args.sizes:
            repo = tmp / f"repo{n}"
            build(repo, n, args.pipeline)
            ours = [mlgate, "compare", "--base", "main"]
            theirs = [dvc, "metrics", "diff", "main", "--json"]
            warm_up(repo, [ours, theirs])
            mine, dvcs = alternate(repo, ours, theirs, args.repeat)
            floor = [run_once(repo, [sys.executable, "-c", FLOOR]) for _ in range(args.repeat)]
            ratios = sorted(d / m for d, m in zip(dvcs, mine, strict=True))
            ratio = statistics.median(dvcs) / statistics.median(mine)
            print(f"{n:>6} metrics  mlgate compare   {spread(mine)}")
            print(f"{'':>6}          dvc metrics diff {spread(dvcs)}")
            print(f"{'':>6}          speed-up {ratio:.1f}x (ratio of medians); per round "
                  f"{statistics.median(ratios):.1f}x, min {ratios[0]:.1f}x, max "
                  f"{ratios[-1]:.1f}x")
            print(f"{'':>6}          floor (Python + git + json, no features) {spread(floor)}"
                  f" = {statistics.median(dvcs) / statistics.median(floor):.1f}x dvc")
        print(f"\nload after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}; "
              f"{args.repeat} alternating rounds per size")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
