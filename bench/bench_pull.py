"""Benchmark: `mlgate pull` against `dvc pull`, cold (fresh clone) and warm (already pulled).

Run:  python bench/bench_pull.py [--rows N] [--files N] [--repeat N]

It builds a git+DVC project with a local-directory remote holding a CSV (default 300,000
rows) and a directory of many small files (default 2,000), pushes it, and then, in the same
run, times:

- cold: data and cache removed, as in a fresh CI checkout; `mlgate pull` and `dvc pull`
  (both as CLI processes, best of N) and mlgate's in-process ``pull()``;
- warm: everything already pulled; the same commands again. mlgate must transfer nothing:
  the fetched count that DVC reports is printed and checked to be 0.

Prints the ratios (mlgate / dvc, warm / cold). Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BIN = Path(sys.executable).parent


def isolate(tmp: Path) -> None:
    """A git identity and DVC settings of our own, whatever the machine has."""
    gitconfig = tmp / "gitconfig"
    gitconfig.write_text("[user]\n\tname = bench\n\temail = bench@mlgate.invalid\n")
    os.environ["GIT_CONFIG_GLOBAL"] = str(gitconfig)
    os.environ["GIT_CONFIG_NOSYSTEM"] = "1"
    os.environ["DVC_NO_ANALYTICS"] = "1"
    os.environ["DVC_SITE_CACHE_DIR"] = str(tmp / "dvc-site")


def build(tmp: Path, rows: int, files: int) -> Path:
    import numpy as np
    import pandas as pd
    from tests.helpers.dvcproject import make_dvc_project

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(rows, 10)), columns=[f"x{i}" for i in range(10)])
    frame["label"] = rng.integers(0, 2, size=rows)
    root = make_dvc_project(tmp / "proj", remote_dir=tmp / "remote", data_frame_or_csv_text=frame)
    shards = root / "data" / "shards"
    shards.mkdir(parents=True)
    for i in range(files):
        (shards / f"part-{i:05d}.txt").write_bytes(rng.bytes(2048))
    from dvc.repo import Repo

    with Repo(str(root)) as repo:
        repo.add(str(shards))
        subprocess.run(["git", "add", "-A"], cwd=root, check=True)
        subprocess.run(["git", "commit", "-q", "-m", "shards"], cwd=root, check=True)
        repo.push()
    return root


def drop(root: Path) -> None:
    import shutil

    (root / "data" / "train.csv").unlink(missing_ok=True)
    shutil.rmtree(root / "data" / "shards", ignore_errors=True)
    shutil.rmtree(root / ".dvc" / "cache", ignore_errors=True)
    shutil.rmtree(root / ".dvc" / "tmp", ignore_errors=True)


def run_cli(root: Path, cmd: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")
    return seconds, proc.stdout + proc.stderr


def best(root: Path, cmd: list[str], repeat: int, *, cold: bool) -> tuple[float, str]:
    results = []
    for _ in range(repeat):
        if cold:
            drop(root)
        results.append(run_cli(root, cmd))
    return min(results, key=lambda r: r[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--files", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mlgate-bench-pull-"))
    isolate(tmp)
    root = build(tmp, args.rows, args.files)
    size = sum(p.stat().st_size for p in (tmp / "remote").rglob("*") if p.is_file())
    print(f"remote: {args.files + 1} files, {size / 2**20:.1f} MiB ({tmp / 'remote'})")

    mlgate = [str(BIN / "mlgate"), "pull"]
    dvc = [str(BIN / "dvc"), "pull"]

    from mlgate.adapters.dvc import pull

    drop(root)
    start = time.perf_counter()
    cold_stats = pull(root, log=lambda _m: None)
    cold_api = time.perf_counter() - start
    start = time.perf_counter()
    warm_stats = pull(root, log=lambda _m: None)
    warm_api = time.perf_counter() - start

    cold_mlgate, _ = best(root, mlgate, args.repeat, cold=True)
    cold_dvc, _ = best(root, dvc, args.repeat, cold=True)
    warm_mlgate, warm_log = best(root, mlgate, args.repeat, cold=False)
    warm_dvc, _ = best(root, dvc, args.repeat, cold=False)

    print(f"\nin-process pull(), cold: {cold_api:6.2f}s  {cold_stats.summary()}")
    print(f"in-process pull(), warm: {warm_api:6.2f}s  {warm_stats.summary()}")
    print(f"`mlgate pull` warm log:  {warm_log.strip().splitlines()[-1]}")
    print(f"\n{'':24s}{'mlgate pull':>12s}{'dvc pull':>10s}{'ratio':>8s}")
    print(
        f"{'cold (fresh checkout)':24s}{cold_mlgate:11.2f}s{cold_dvc:9.2f}s"
        f"{cold_mlgate / cold_dvc:8.2f}"
    )
    print(
        f"{'warm (already pulled)':24s}{warm_mlgate:11.2f}s{warm_dvc:9.2f}s"
        f"{warm_mlgate / warm_dvc:8.2f}"
    )
    print(f"warm / cold (mlgate):   {warm_mlgate / cold_mlgate:8.2f}")
    print(f"files fetched by the warm pull (DVC's count): {warm_stats.fetched}")
    if warm_stats.fetched != 0 or warm_stats.bytes != 0 or "fetched 0 files" not in warm_log:
        sys.exit("the warm pull transferred data: it should have fetched nothing")


if __name__ == "__main__":
    main()
