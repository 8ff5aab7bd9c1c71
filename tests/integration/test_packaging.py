"""The package: wheel contents, light core dependencies, the console script on a real project
(heavy extras only in the commands that need them; closed or broken stdout ends quietly)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# "Heavy imports only inside the commands that need them": `mlgate --help`, compare and gate
# load none of these. (How fast they start is measured by bench/bench_compare.py.)
HEAVY = ("sklearn", "pandas", "dvc", "github")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("mlgate-*.whl")
    return path


def test_wheel_ships_templates_schema_and_console_script(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "mlgate/schema/result-v1.schema.json" in names
    assert any(n.startswith("mlgate/templates/") and n.endswith(".j2") for n in names), names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "mlgate = mlgate.cli:entry" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_core_requirements_exclude_training_and_dvc(wheel):
    meta_name = next(n for n in zipfile.ZipFile(wheel).namelist() if n.endswith("METADATA"))
    meta = zipfile.ZipFile(wheel).read(meta_name).decode()
    core = [
        line.split(":", 1)[1].strip()
        for line in meta.splitlines()
        if line.startswith("Requires-Dist:") and "extra ==" not in line
    ]
    assert core, meta
    for req in core:
        assert not req.lower().startswith(("scikit-learn", "pandas", "dvc", "pyarrow")), req


def test_templates_dir_at_repo_root_is_the_packaged_one():
    assert (ROOT / "templates").resolve() == (ROOT / "src/mlgate/templates").resolve()


def test_help_and_compare_import_no_heavy_modules(repo):
    repo.commit("main", {"metrics.json": {"accuracy": 0.9}})
    repo.checkout("pr", new=True)
    repo.commit("pr", {"metrics.json": {"accuracy": 0.91}})
    probe = (
        "import sys, json\n"
        "from mlgate.cli import main\n"
        "try:\n    code = main(sys.argv[1:])\n"
        "except SystemExit as exit:\n    code = exit.code\n"  # --help
        f"heavy = [m for m in sys.modules if m.split('.')[0] in {HEAVY!r}]\n"
        "print(json.dumps({'code': code, 'heavy': heavy}))\n"
    )
    for args in (["--help"], ["compare"], ["gate"]):
        proc = subprocess.run(
            [sys.executable, "-c", probe, *args],
            cwd=repo.path,
            capture_output=True,
            text=True,
            check=True,
        )
        last = json.loads(proc.stdout.strip().splitlines()[-1])
        assert last["heavy"] == [], (args, last)
        assert last["code"] == 0


# A project as teams write it: dvc.yaml with stages, params, a tracked data file, thresholds.
PROJECT = {
    "dvc.yaml": "stages:\n  train:\n    cmd: python train.py --out model.pkl\n"
                "    deps:\n    - data/train.csv\n    - train.py\n    params:\n    - train\n"
                "    outs:\n    - model.pkl\n    metrics:\n    - metrics.json:\n"
                "        cache: false\n",
    "params.yaml": "train:\n  n_estimators: 100\n  max_depth: 8  # deeper overfits\n",
    "data/train.csv.dvc": "outs:\n- md5: 3f1b2c4d5e6f708192a3b4c5d6e7f809\n  size: 1024\n"
                          "  hash: md5\n  path: train.csv\n",
    "mlgate.yaml": "name: churn\ntrain:\n  data: data/train.csv\n  target: churned\n"
                   "  params: {C: 1.0}\nthresholds:\n  accuracy: {min: 0.8, tolerance: 0.01}\n"
                   "  '*': {tolerance: '5%'}\ndeploy:\n  target: command\n"
                   "  command: python3 deploy.py\n",
}


def mlgate(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mlgate", *args], cwd=cwd,
                          capture_output=True, text=True, check=False)


def test_compare_and_gate_of_a_real_project(repo):
    repo.commit("main", {**PROJECT, "metrics.json": {"accuracy": 0.9, "loss": 0.3}})
    repo.checkout("pr", new=True)
    repo.commit("pr", {"params.yaml": "train:\n  n_estimators: 200\n  max_depth: 8\n",
                       "metrics.json": {"accuracy": 0.91, "loss": 0.29}})
    for args in (["compare"], ["action", "compare"], ["gate"]):
        proc = mlgate(repo.path, *args)
        assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
    doc = json.loads((repo.path / ".mlgate" / "result.json").read_text())
    assert doc["params"] and doc["params"][0]["name"] == "train.n_estimators"
    assert doc["thresholds"]["source"] == "baseline"  # mlgate.yaml read at the baseline too


ATEXIT_PROBE = (
    "import atexit, sys\n"
    "atexit.register(lambda: print('exit handlers ran', flush=True))\n"
    "sys.argv = ['mlgate', *sys.argv[1:]]\n"
    "from mlgate.cli import entry\n"
    "entry()\n"
)


def test_compare_and_gate_exit_normally_with_their_output_and_exit_code(repo):
    repo.commit("main", {"metrics.json": {"accuracy": 0.9}})
    repo.checkout("pr", new=True)
    repo.commit("pr", {"metrics.json": {"accuracy": 0.7}})

    def console(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", ATEXIT_PROBE, *args], cwd=repo.path,
                              capture_output=True, text=True, check=False)

    compared = console("compare", "--thresholds", "accuracy: {tolerance: 0.01}")
    assert compared.returncode == 0, compared.stderr
    assert compared.stdout.startswith("mlgate compare: FAIL")
    # The result's last line, then the exit handlers: the interpreter exits normally.
    assert compared.stdout.rstrip().endswith("result.json\nexit handlers ran")
    json.loads((repo.path / ".mlgate" / "result.json").read_text())  # complete, closed
    gated = console("gate")
    assert gated.returncode == 1 and gated.stdout.endswith("exit handlers ran\n")
    other = console("report", "--result", "missing.json")
    assert other.returncode == 2 and "exit handlers ran" in other.stdout
    # `python -m mlgate` is the console script too.
    module = subprocess.run([sys.executable, "-m", "mlgate", "gate"], cwd=repo.path,
                            capture_output=True, text=True, check=False)
    assert module.returncode == 1
    assert module.stdout == gated.stdout.removesuffix("exit handlers ran\n")


def test_compare_with_its_output_closed_still_ends_cleanly(repo):
    repo.commit("main", {"metrics.json": {"accuracy": 0.9}})
    repo.checkout("pr", new=True)
    repo.commit("pr", {"metrics.json": {"accuracy": 0.91}})
    # `>&-`: Python starts with sys.stdout None; the exit must not trip over it.
    proc = subprocess.run(["sh", "-c", f'exec "{sys.executable}" -m mlgate compare >&-'],
                          cwd=repo.path, capture_output=True, text=True, check=False)
    assert (proc.returncode, proc.stderr) == (0, "")
    json.loads((repo.path / ".mlgate" / "result.json").read_text())


@pytest.mark.parametrize("args", [["compare"], ["gate"]])
def test_a_broken_pipe_on_stdout_ends_quietly_with_141(repo, args):
    """`mlgate compare | head -1`, with the reader gone before mlgate writes: as git, exit
    128 + SIGPIPE, nothing on stderr (no traceback, no "Exception ignored"), and the result
    written all the same."""
    repo.commit("main", {"metrics.json": {"accuracy": 0.9, "loss": 0.3}})
    repo.checkout("pr", new=True)
    repo.commit("pr", {"metrics.json": {"accuracy": 0.91, "loss": 0.29}})
    if args == ["gate"]:
        assert mlgate(repo.path, "compare").returncode == 0
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run([sys.executable, "-m", "mlgate", *args], cwd=repo.path,
                              stdout=write_end, stderr=subprocess.PIPE, text=True, check=False)
    finally:
        os.close(write_end)
    assert (proc.returncode, proc.stderr) == (141, "")
    json.loads((repo.path / ".mlgate" / "result.json").read_text())
