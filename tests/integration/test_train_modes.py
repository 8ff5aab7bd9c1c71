"""mlgate train with a user command and with dvc repro (real shells, real DVC)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from mlgate.cli import main
from tests.helpers.dvcproject import breast_cancer_frame, make_dvc_project

pytestmark = pytest.mark.filterwarnings("ignore:_NoneStep:DeprecationWarning")

PY = sys.executable

WRITE_METRICS = (
    "import json, os, pathlib; "
    "pathlib.Path('metrics.json').write_text(json.dumps({'accuracy': 0.5})); "
    "pathlib.Path('model_dir.txt').write_text(os.environ['MLGATE_MODEL_DIR']); "
    "print('user trainer ran')"
)


def test_cli_command_runs_in_a_shell_and_streams_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code = main(["train", "--command", f'"{PY}" -c "{WRITE_METRICS}" && echo shell-ok'])
    assert code == 0
    out = capfd.readouterr().out
    assert "user trainer ran" in out and "shell-ok" in out
    assert json.loads((tmp_path / "metrics.json").read_text()) == {"accuracy": 0.5}
    assert (tmp_path / "model_dir.txt").read_text() == str(tmp_path / ".mlgate" / "model")


def test_config_command_and_its_exit_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mlgate.yaml").write_text("train:\n  command: echo training; exit 7\n")
    assert main(["train"]) == 3  # issue 15: exit 3, its own code in the message
    captured = capfd.readouterr()
    assert "training" in captured.out
    assert "the training command `echo training; exit 7` failed with exit code 7" in captured.err


def test_cli_command_overrides_the_builtin_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mlgate.yaml").write_text("train:\n  data: missing.csv\n  target: y\n")
    assert main(["train", "--command", "echo from-cli"]) == 0
    assert "from-cli" in capfd.readouterr().out


DVC_YAML = f"""\
stages:
  train:
    cmd: '{PY} train.py'
    deps: [data/train.csv, train.py]
    metrics:
      - metrics.json:
          cache: false
"""

TRAIN_PY = """\
import csv, json
rows = list(csv.DictReader(open("data/train.csv")))
json.dump({"rows": len(rows)}, open("metrics.json", "w"))
print("stage ran on", len(rows), "rows")
"""


@pytest.fixture
def dvc_stage_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_dvc_project(
        tmp_path / "proj",
        remote_dir=tmp_path / "remote",
        data_frame_or_csv_text=breast_cancer_frame(50),
        extra_files={"dvc.yaml": DVC_YAML, "train.py": TRAIN_PY},
    )
    monkeypatch.chdir(root)
    return root


def test_dvc_yaml_without_train_section_runs_dvc_repro(
    dvc_stage_project: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    assert main(["train"]) == 0
    out = capfd.readouterr().out
    assert "running `dvc repro`" in out
    assert "stage ran on 50 rows" in out
    assert json.loads((dvc_stage_project / "metrics.json").read_text()) == {"rows": 50}
    assert (dvc_stage_project / "dvc.lock").exists()


def test_failing_dvc_stage_fails_the_step(
    dvc_stage_project: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    (dvc_stage_project / "train.py").write_text("raise SystemExit(4)\n")
    code = main(["train"])
    assert code != 0
    assert "`dvc repro` failed with exit code" in capfd.readouterr().err


def test_train_section_wins_over_dvc_yaml(
    dvc_stage_project: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    (dvc_stage_project / "mlgate.yaml").write_text(
        "train:\n  data: data/train.csv\n  target: target\n  metrics: [accuracy]\n"
        "  model: sklearn.linear_model.LogisticRegression\n  params: {max_iter: 2000}\n"
    )
    assert main(["train"]) == 0
    out = capfd.readouterr().out
    assert "dvc repro" not in out
    assert set(json.loads((dvc_stage_project / "metrics.json").read_text())) == {"accuracy"}


@pytest.mark.slow
def test_builtin_trainer_is_reproducible_across_processes(tmp_path: Path) -> None:
    """Two separate `mlgate train` processes (all threads, as in CI) give identical files."""
    import subprocess

    breast_cancer_frame(300).to_csv(tmp_path / "data.csv", index=False)
    (tmp_path / "mlgate.yaml").write_text(
        "train:\n  data: data.csv\n  target: target\n  params: {max_iter: 60}\n"
    )
    runs = []
    for _ in range(2):
        proc = subprocess.run(
            [PY, "-m", "mlgate", "train"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        runs.append((tmp_path / "metrics.json").read_text())
    assert runs[0] == runs[1]
    assert json.loads(runs[0])["accuracy"] > 0.8
