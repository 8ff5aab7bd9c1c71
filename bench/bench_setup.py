"""Benchmark: `actions/setup` (install.sh) cold and warm against a raw `uv pip install`.

Run:  python bench/bench_setup.py [--extras dvc,train] [--rounds N]

Each round times:

- raw: `uv venv` + `uv pip install -c constraints.txt 'mlgate[EXTRAS]'` with an empty uv cache
  (the same pinned packages, downloaded from the index), uv already on PATH;
- cold: install.sh on a runner without uv (uv removed from PATH), a fresh $RUNNER_TEMP and an
  empty uv cache: it fetches uv, creates the venv, installs, compiles mlgate's bytecode and
  prunes the venv (prune.py);
- warm: what actions/cache does on a hit: the venv left by the cold run archived with
  actions/cache's own commands (`tar --posix -P -cf ... --use-compress-program "zstdmt
  --long=30"`), $RUNNER_TEMP emptied, the archive extracted with its restore command (`tar -xf
  ... -P --use-compress-program "unzstd --long=30"`, timed apart: "restore"), then install.sh,
  still without uv. The download of the archive from GitHub's cache service is not included:
  it scales with the archive's size, printed with the venv's size and file count.

raw and cold both download every package: the index's speed varies from minute to minute, so
their order alternates between rounds (raw first in odd rounds) and cold / raw is the median
of each round's own ratio.

First, once: getting uv on a runner without it, the old way (`python -m venv` + `pip install
uv`) against fetch_uv.py (the lock's uv wheel from the index's JSON page).

Prints every figure, the medians and the ratios cold / raw and warm / raw. The targets
(issue 17): warm <= 5 s, cold <= 1.5x raw. Nothing here asserts a time. It downloads the
packages (about 150 MB for dvc,train) twice per round.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETUP = ROOT / "actions" / "setup"
LOCK = SETUP / "constraints.txt"


def locked_uv() -> str:
    """The uv version pinned in the lock."""
    return next(
        line.split("==")[1].split(";")[0].strip()
        for line in LOCK.read_text(encoding="utf-8").splitlines()
        if line.startswith("uv==")
    )


def find_uv(tmp: Path) -> str:
    """uv for the raw baseline: the one on PATH, else the lock's version fetched once."""
    found = shutil.which("uv")
    if found:
        return found
    version = locked_uv()
    out = subprocess.run(
        [sys.executable, str(SETUP / "fetch_uv.py"), version, str(tmp / "bench-uv")],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return out.stdout.strip()


def without_uv_path() -> str:
    """PATH with every directory that holds a uv executable taken out."""
    dirs = os.environ.get("PATH", "").split(os.pathsep)
    return os.pathsep.join(d for d in dirs if d and not (Path(d) / "uv").exists())


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")
    return seconds


def base_env(work: Path, extras: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLGATE_", "VIRTUAL_ENV"))}
    env.update(UV_CACHE_DIR=str(work / "uv-cache"), MLGATE_EXTRAS=extras)
    env.pop("RUNNER_TOOL_CACHE", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def raw(uv: str, work: Path, extras: str) -> float:
    env = base_env(work, extras)
    venv = work / "raw-venv"
    script = (
        f'"{uv}" venv -q --python "{sys.executable}" "{venv}" && '
        f'"{uv}" pip install -q --python "{venv}/bin/python" -c "{LOCK}" "{ROOT}[{extras}]"'
    )
    return timed(["bash", "-c", script], env)


def setup(work: Path, temp: Path, extras: str) -> float:
    env = base_env(work, extras)
    env.update(PATH=without_uv_path(), RUNNER_TEMP=str(temp), MLGATE_PYTHON=sys.executable)
    return timed(["bash", str(SETUP / "install.sh"), "install"], env)


# actions/cache's tar commands on Linux with GNU tar and zstd (@actions/cache, tar.ts).
SAVE = ["tar", "--posix", "-cf", "{archive}", "-P", "-C", "{dir}", "mlgate-venv",
        "--use-compress-program", "zstdmt --long=30"]  # fmt: skip
RESTORE = ["tar", "-xf", "{archive}", "-P", "-C", "{dir}",
           "--use-compress-program", "unzstd --long=30"]  # fmt: skip


def tar(template: list[str], archive: Path, directory: Path) -> float:
    cmd = [arg.format(archive=archive, dir=directory) for arg in template]
    start = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - start


def venv_size(venv: Path) -> tuple[float, int]:
    """(MB, files) of the venv."""
    files = [p for p in venv.rglob("*") if p.is_file() and not p.is_symlink()]
    return sum(p.stat().st_size for p in files) / 1e6, len(files)


def one_round(uv: str, tmp: Path, extras: str, n: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    temp = tmp / "runner-temp"  # the same path every job, as on GitHub's runners
    shutil.rmtree(temp, ignore_errors=True)
    if n % 2 == 0:
        figures["raw"] = raw(uv, tmp / f"raw{n}", extras)
    figures["cold"] = setup(tmp / f"cold{n}", temp, extras)
    if n % 2 == 1:
        figures["raw"] = raw(uv, tmp / f"raw{n}", extras)
    figures["cold/raw"] = figures["cold"] / figures["raw"]
    archive = tmp / "cache.tzst"
    figures["venv MB"], figures["venv files"] = venv_size(temp / "mlgate-venv")
    tar(SAVE, archive, temp)
    shutil.rmtree(temp)
    temp.mkdir()
    figures["restore"] = tar(RESTORE, archive, temp)
    figures["warm install.sh"] = setup(tmp / f"warm{n}", temp, extras)
    figures["warm"] = figures["restore"] + figures["warm install.sh"]
    figures["archive MB"] = archive.stat().st_size / 1e6
    for name in (f"raw{n}", f"cold{n}", f"warm{n}"):  # keep the disk use to one round's
        shutil.rmtree(tmp / name, ignore_errors=True)
    return figures


def bootstrap(tmp: Path) -> tuple[float, float]:
    """(seconds of venv + pip install uv, seconds of fetch_uv.py), both from nothing."""
    env = base_env(tmp / "boot", "")
    env["PIP_NO_CACHE_DIR"] = "1"
    venv = tmp / "boot" / "venv"
    old = timed(["bash", "-c", f'"{sys.executable}" -m venv "{venv}" && '
                 f'"{venv}/bin/python" -m pip install -q uv'], env)  # fmt: skip
    version = locked_uv()
    new = timed([sys.executable, str(SETUP / "fetch_uv.py"), version, str(tmp / "boot" / "uv")],
                env)  # fmt: skip
    shutil.rmtree(tmp / "boot")
    return old, new


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [ln.split(":", 1)[1].strip() for ln in cpuinfo.read_text().splitlines()
                 if ln.startswith("model name")]  # fmt: skip
        cpu = names[0] if names else cpu
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} cores, "
            f"load {load}, Python {platform.python_version()}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extras", default="dvc,train")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="bench-setup-") as name:
        tmp = Path(name)
        uv = find_uv(tmp)
        old, new = bootstrap(tmp)
        print(f"uv on a runner without it: venv + pip install uv {old:.2f} s, "
              f"fetch_uv.py {new:.2f} s ({old / new:.1f}x faster)")  # fmt: skip
        print(f"extras: {args.extras}; raw baseline with {uv}")
        rounds = []
        for n in range(args.rounds):
            figures = one_round(uv, tmp, args.extras, n)
            print(f"round {n + 1}: " + ", ".join(f"{k} {v:.2f}" for k, v in figures.items()))
            rounds.append(figures)
    if not rounds:
        return
    med = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
    shown = ", ".join(f"{k} {v:.2f}" for k, v in med.items())
    print(f"\nmedian of {args.rounds} rounds (s): {shown}")
    worst = max(r["cold/raw"] for r in rounds)
    print(
        f"cold / raw: {med['cold/raw']:.2f}x median of the rounds' ratios, "
        f"{worst:.2f}x at worst   (target <= 1.5x)"
    )
    print(
        f"warm (restore + install.sh): {med['warm']:.2f} s median, "
        f"{max(r['warm'] for r in rounds):.2f} s at worst   (target <= 5 s); "
        f"install.sh alone {med['warm install.sh']:.2f} s; "
        f"restored venv {med['venv MB']:.0f} MB in {med['venv files']:.0f} files, "
        f"archive {med['archive MB']:.0f} MB"
    )
    print(f"machine at the end: {machine()}")


if __name__ == "__main__":
    main()
