"""The package: wheel contents, light core dependencies, fast start of the light commands."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("sklearn", "pandas", "dvc", "github", "numpy", "jinja2", "gto")


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
    assert "mlgate = mlgate.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


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
        "code = main(sys.argv[1:])\n"
        f"heavy = [m for m in sys.modules if m.split('.')[0] in {HEAVY!r}]\n"
        "print(json.dumps({'code': code, 'heavy': heavy}))\n"
    )
    for args in (["compare"], ["gate"]):
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
