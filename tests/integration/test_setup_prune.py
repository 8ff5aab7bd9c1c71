"""actions/setup's smaller venv: prune.py, and install.sh's warm path and cache key.

prune.py runs on a made-up site-packages tree (what it removes and keeps) and, in the slow test,
on a real install with the dvc,train extras: the pruned venv must still import DVC, scikit-learn,
pandas and pyarrow's Parquet reader, and run ``mlgate demo`` end to end.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETUP = ROOT / "actions" / "setup"
INSTALL = SETUP / "install.sh"


def load_prune() -> ModuleType:
    spec = importlib.util.spec_from_file_location("prune", SETUP / "prune.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def touch(root: Path, *rels: str) -> None:
    for rel in rels:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 10)


PRUNED = (
    "pandas/tests/frame/test_api.py",
    "pandas/tests/__init__.py",
    "numpy/_core/tests/test_umath.py",
    "joblib/test/test_parallel.py",
    "sklearn/utils/tests/test_validation.py",
    "pyarrow/include/arrow/api.h",
    "pyarrow/src/arrow/python/common.cc",
    "pyarrow/libarrow_flight.so.2600",
    "pyarrow/libarrow_python_flight.so",
    "pyarrow/libarrow_python_flight.so.2600.1.0",
    "pyarrow/_flight.cpython-311-x86_64-linux-gnu.so",
    "pyarrow/libarrow_s3.so.2600",
    "pyarrow/_pyarrow_cpp_tests.cpython-311-x86_64-linux-gnu.so",
    "pyarrow/tests/test_table.py",
)
KEPT = (
    "jinja2/tests.py",  # a module named tests: runtime code
    "dvc/testing/fixtures.py",
    "numpy/testing/__init__.py",
    "mlgate/tests/__init__.py",  # mlgate is never pruned
    "tests/__init__.py",  # a top-level package, whatever its name
    "pandas-2.2.3.dist-info/RECORD",
    "numpy.libs/test/libx.so",  # not a package
    "pyarrow/__init__.py",
    "pyarrow/libarrow.so.2600",
    "pyarrow/libparquet.so.2600",
    "pyarrow/libarrow_python.so.2600",
    "pyarrow/_s3fs.cpython-311-x86_64-linux-gnu.so",  # imported by pyarrow.fs
    "pyarrow/flight.py",
    "pyarrow/parquet/core.py",
)


def test_prune_removes_test_suites_and_unused_pyarrow_parts_only(tmp_path: Path) -> None:
    prune = load_prune()
    site = tmp_path / "site-packages"
    touch(site, *PRUNED, *KEPT)
    (site / "six.py").write_text("", encoding="utf-8")

    files, size = prune.prune(site)

    assert (files, size) == (len(PRUNED), 10 * len(PRUNED))
    left = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
    assert left == sorted([*KEPT, "six.py"])
    assert not (site / "pandas" / "tests").exists() and not (site / "pyarrow" / "include").exists()
    assert prune.prune(site) == (0, 0), "a second run has nothing left to remove"


def test_prune_leaves_a_site_without_pyarrow_alone(tmp_path: Path) -> None:
    prune = load_prune()
    site = tmp_path / "site-packages"
    touch(site, "yaml/__init__.py", "pyarrow-like/include/x.h", "src/x.c")
    assert prune.prunable(site) == []


def test_prune_command_line(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    touch(site, "pandas/tests/test_x.py", "pandas/__init__.py")
    proc = subprocess.run([sys.executable, str(SETUP / "prune.py"), str(site)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "pruned 1 files (0 MB) that nothing in the venv loads\n"
    missing = subprocess.run([sys.executable, str(SETUP / "prune.py"), str(tmp_path / "nope")],
                             capture_output=True, text=True, check=False)  # fmt: skip
    assert missing.returncode == 2
    assert "usage: prune.py SITE_PACKAGES" in missing.stderr


# ----- install.sh: the cache key and the warm path ------------------------------------------


def run_install(tmp_path: Path, script: Path, *argv: str, **env: str) -> dict[str, str]:
    (tmp_path / "out").unlink(missing_ok=True)
    full = {k: v for k, v in os.environ.items() if not k.startswith(("MLGATE_", "VIRTUAL_ENV"))}
    full.update(RUNNER_TEMP=str(tmp_path / "runner-temp"), GITHUB_OUTPUT=str(tmp_path / "out"),
                GITHUB_PATH=str(tmp_path / "path"))  # fmt: skip
    full.update({"MLGATE_EXTRAS": "dvc", **env})
    proc = subprocess.run(["bash", str(script), *argv], env=full, capture_output=True,
                          text=True, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = (tmp_path / "out").read_text(encoding="utf-8")
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def test_cache_key_changes_with_the_prune_rules_and_the_lock(tmp_path: Path) -> None:
    """A venv pruned by other rules is not restored as a hit; other pins are another cache."""
    from tests.helpers.act import make_action_repo

    copy = make_action_repo(tmp_path / "action")
    script = copy / "actions" / "setup" / "install.sh"
    first = run_install(tmp_path, script, "plan")
    rules = copy / "actions" / "setup" / "prune.py"
    rules.write_text(rules.read_text(encoding="utf-8") + "# other rules\n", encoding="utf-8")
    second = run_install(tmp_path, script, "plan")
    assert second["cache-key"] != first["cache-key"]
    assert second["restore-key"] == first["restore-key"], "same pins: restored, then topped up"
    lock = copy / "actions" / "setup" / "constraints.txt"
    lock.write_text(lock.read_text(encoding="utf-8") + "# re-locked\n", encoding="utf-8")
    third = run_install(tmp_path, script, "plan")
    assert third["restore-key"] != first["restore-key"]
    assert not third["cache-key"].startswith(first["restore-key"])


def restored_venv(tmp_path: Path, marker: str) -> Path:
    """A venv as actions/cache restores it: a working python, a stand-in mlgate that records
    each run, and install.sh's marker for the current sources."""
    venv = tmp_path / "runner-temp" / "mlgate-venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    mlgate = venv / "bin" / "mlgate"
    mlgate.write_text(f'#!/bin/sh\necho run >>"{tmp_path}/mlgate-runs"\necho "mlgate 1.2.3"\n',
                      encoding="utf-8")  # fmt: skip
    mlgate.chmod(0o755)
    plan = run_install(tmp_path, INSTALL, "plan")
    source = plan["cache-key"][len(plan["restore-key"]) :].rsplit("-", 1)[0]
    (venv / "mlgate-install.txt").write_text(marker.format(source=source), encoding="utf-8")
    return venv


def test_warm_install_takes_the_version_from_the_marker(tmp_path: Path) -> None:
    venv = restored_venv(tmp_path, "source={source}\nextras=dvc,train\nversion=0.9.0\n")
    out = run_install(tmp_path, INSTALL, "install")
    assert out["installed"] == "false"
    assert out["version"] == "0.9.0"
    assert out["mlgate"] == str(venv / "bin" / "mlgate")
    assert not (tmp_path / "mlgate-runs").exists(), "a hit starts no mlgate"


def test_warm_install_of_an_older_marker_asks_mlgate_its_version(tmp_path: Path) -> None:
    restored_venv(tmp_path, "source={source}\nextras=dvc\n")
    out = run_install(tmp_path, INSTALL, "install")
    assert (out["installed"], out["version"]) == ("false", "1.2.3")
    assert (tmp_path / "mlgate-runs").read_text(encoding="utf-8") == "run\n"


# ----- a real pruned venv still works ----------------------------------------------------------

WORKS = """
import os, sys, tempfile
import dvc.api, dvc.repo, joblib, pandas as pd, pyarrow.dataset, pyarrow.fs, pyarrow.parquet
import sklearn.ensemble, sklearn.model_selection, scipy.stats
path = os.path.join(tempfile.mkdtemp(), "t.parquet")
frame = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})
frame.to_parquet(path)
assert pd.read_parquet(path).equals(frame)
print("ok")
"""


@pytest.mark.slow
def test_a_pruned_dvc_train_venv_imports_its_packages_and_runs_the_demo(tmp_path: Path) -> None:
    out = run_install(tmp_path, INSTALL, "install", MLGATE_EXTRAS="dvc,train")
    site = Path(subprocess.run(
        [out["python"], "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip())  # fmt: skip
    assert not list(site.glob("*/tests")), "packages' test suites are pruned"
    assert (site / "pyarrow").is_dir() and not list(site.glob("pyarrow/libarrow_flight*"))
    assert load_prune().prunable(site) == []

    check = subprocess.run([out["python"], "-c", WORKS], capture_output=True, text=True,
                           check=False)  # fmt: skip
    assert check.stdout == "ok\n", check.stderr

    bindir = (tmp_path / "path").read_text(encoding="utf-8").split()[0]  # mlgate and dvc only
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLGATE_", "VIRTUAL_ENV"))}
    env["PATH"] = f"{bindir}{os.pathsep}{without_venv(env['PATH'])}"
    demo = subprocess.run(["mlgate", "demo"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, check=False)  # fmt: skip
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    assert "both scenarios behaved as expected" in demo.stdout


def without_venv(path: str) -> str:
    """PATH without the test run's own venv, so that mlgate and dvc come from the pruned one."""
    own = str(Path(sys.executable).parent)
    return os.pathsep.join(d for d in path.split(os.pathsep) if d and d != own)
