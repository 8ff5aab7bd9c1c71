"""When a step fails: what is recorded, reported and exited with, and what mlgate leaves behind.

- when pull or train fails in the all-in-one action (``mlgate action``) or in ``mlgate run``,
  the failing step leaves ``.mlgate/failed-step.json`` and the report still posts: the comment
  and the check run say which step failed, with the escaped tail of its log; the job fails;
- a failing user command exits 3, naming the command and its own exit code;
- ``.mlgate/`` carries its own ``.gitignore``: nothing mlgate writes shows in ``git status``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mlgate import markdown as esc
from mlgate.cli import action as cli_action
from mlgate.cli import main
from mlgate.errors import EXIT_SERVICE
from mlgate.failure import FAILED_STEP_FILE
from tests.fakegithub.server import FakeGitHub
from tests.helpers.gitrepo import GitRepo

REPO = "octo/diabetes"
PR = 15
TOKEN = "ghs_adoptTestToken0123456789abcdefghijklmn"
MARKER = esc.marker("mlgate")

FAILING_TRAIN = """\
import sys
for i in range(100):
    print(f"epoch {i}: loss {1.0 / (i + 1):.4f}")
print("```")  # a log line that tries to close the report's code block
print("@octocat <img src=x onerror=alert(1)>", file=sys.stderr)
raise ValueError("boom: the training data has no target column")
"""
METRICS = {"r2": 0.45, "rmse": 54.9}


def project(repo: GitRepo, train_py: str = FAILING_TRAIN) -> Path:
    """A repository whose training is `python train.py` (mlgate.yaml) and metrics.json."""
    repo.commit("a project", {
        "train.py": train_py,
        "mlgate.yaml": "train: {command: python train.py}\n",
        "metrics.json": METRICS,
    })
    return repo.path


def github_env(scoped_github: FakeGitHub, tmp: Path, head: str) -> dict[str, str]:
    event = tmp / "event.json"
    event.write_text(json.dumps({"number": PR, "pull_request": {
        "number": PR, "head": {"sha": head, "ref": "feature"},
        "base": {"ref": "main", "sha": head}}}), encoding="utf-8")
    scoped_github.add_pull(REPO, PR, head_sha=head, head_ref="feature")
    env = dict(scoped_github.env())
    env.update(GITHUB_EVENT_NAME="pull_request", GITHUB_EVENT_PATH=str(event),
               GITHUB_STEP_SUMMARY=str(tmp / "summary.md"), GITHUB_OUTPUT=str(tmp / "out.txt"),
               GITHUB_SHA=head, GITHUB_RUN_ID="77", MLGATE_GITHUB_BACKOFF="0")
    return env


@pytest.fixture
def scoped_github() -> Any:
    """A fake GitHub that knows one repository and one token (the action's)."""
    with FakeGitHub(token=TOKEN, repo=REPO) as server:
        yield server


# ----- 1: the action's train step fails, the report step still posts ------------------------


def test_failed_train_step_records_itself_and_the_report_posts_it(
    tmp_path: Path, scoped_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    repo = GitRepo(tmp_path / "proj")
    root = project(repo)
    env = github_env(scoped_github, tmp_path, repo.head())
    monkeypatch.chdir(root)
    for key, value in env.items():
        monkeypatch.setenv(key, value)

    code = cli_action.run_step("train", env, root)
    assert code == EXIT_SERVICE, "a failing user command is an outside failure: exit 3"
    log = capfd.readouterr().out
    assert "epoch 99" in log, "the step's own output still reaches the job log"
    record = json.loads((root / ".mlgate" / FAILED_STEP_FILE).read_text(encoding="utf-8"))
    assert record["step"] == "train" and record["exit_code"] == 3
    assert record["command"] == "python train.py"
    tail = record["log_tail"]
    assert 0 < len(tail) <= 40, "the log tail is bounded"
    assert any("ValueError: boom" in line for line in tail), tail
    assert not any("epoch 10:" in line for line in tail), "only the end of the log"

    assert cli_action.run_step("report", env, root) == 0
    [comment] = [c for c in scoped_github.issue_comments(REPO, PR) if MARKER in c["body"]]
    body = comment["body"]
    assert body.startswith(MARKER + "\n## ❌ ")
    assert "The **train** step failed (exit 3)" in body
    assert "python train.py" in body
    assert "ValueError: boom: the training data has no target column" in body
    assert "<details><summary>The last" in body
    assert "@octocat" not in body and "@\u200boctocat" in body
    assert body.count("<!--") == 1, "only the marker is an HTML comment"
    [check] = scoped_github.check_runs_for(REPO)
    assert check["conclusion"] == "failure"
    assert "train step failed" in check["output"]["title"]
    assert "ValueError: boom" in check["output"]["summary"]

    # The gate fails closed on the same run (no result.json).
    assert cli_action.run_step("gate", env, root) != 0


def test_a_later_successful_run_replaces_the_failure_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = GitRepo(tmp_path / "proj")
    root = project(repo)
    monkeypatch.chdir(root)
    env = {"GITHUB_OUTPUT": str(tmp_path / "out.txt")}
    assert cli_action.run_step("train", env, root) == EXIT_SERVICE
    assert (root / ".mlgate" / FAILED_STEP_FILE).exists()
    (root / "train.py").write_text("print('fixed')\n", encoding="utf-8")
    assert cli_action.run_step("train", env, root) == 0
    assert not (root / ".mlgate" / FAILED_STEP_FILE).exists(), "a stale failure never reports"


def test_failed_pull_step_is_reported_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitRepo(tmp_path / "proj")
    root = project(repo, "print('never runs')\n")
    (root / ".dvc").mkdir()  # a DVC repository DVC cannot open: the pull fails with exit 2
    (root / ".dvc" / "config").write_text("[core\nremote = \n", encoding="utf-8")
    monkeypatch.chdir(root)
    env = {"GITHUB_OUTPUT": str(tmp_path / "out.txt"), "IN_PULL": "true"}
    code = cli_action.run_step("pull", env, root)
    assert code != 0
    record = json.loads((root / ".mlgate" / FAILED_STEP_FILE).read_text(encoding="utf-8"))
    assert record["step"] == "pull" and record["exit_code"] == code
    capsys.readouterr()
    assert main(["report", "--dry-run"]) == 0
    assert "The **pull** step failed" in capsys.readouterr().out


# ----- 1: mlgate run -----------------------------------------------------------------------------


def test_mlgate_run_still_reports_when_train_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitRepo(tmp_path / "proj")
    root = project(repo)
    monkeypatch.chdir(root)
    code = main(["run"])
    out = capsys.readouterr().out
    assert code == EXIT_SERVICE
    assert "The **train** step failed (exit 3)" in out, out
    report = (root / ".mlgate" / "report.md").read_text(encoding="utf-8")
    assert "The **train** step failed (exit 3)" in report
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ")}
    assert "failed (exit 3)" in lines["train"] and "not run" in lines["compare"]
    assert lines["report"].split()[1] == "ok" and "not run" in lines["gate"]


# ----- a failing user command exits 3 ---------------------------------------------------------


@pytest.mark.parametrize("own_code", [1, 255])
def test_failing_user_command_exits_3_naming_it_and_its_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    own_code: int,
) -> None:
    repo = GitRepo(tmp_path / "proj")
    root = project(repo, f"import sys\nsys.exit({own_code})\n")
    monkeypatch.chdir(root)
    assert main(["train"]) == 3
    err = capsys.readouterr().err
    assert "`python train.py`" in err and f"exit code {own_code}" in err, err


# ----- 7: .mlgate/ never shows in git status -----------------------------------------------------


def test_nothing_mlgate_writes_shows_in_git_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = GitRepo(tmp_path / "proj")
    write_metrics = (
        "import json\njson.dump({'r2': 0.45, 'rmse': 54.9}, open('metrics.json', 'w'), "
        "indent=2)\n"
    )
    root = project(repo, write_metrics)
    (root / "metrics.json").write_text(json.dumps(METRICS, indent=2), encoding="utf-8")
    repo.commit("metrics as train.py writes them", {})
    monkeypatch.chdir(root)
    assert main(["train"]) == 0
    assert main(["compare"]) == 0
    assert main(["report", "--dry-run"]) == 0
    assert (root / ".mlgate" / "result.json").exists()
    assert (root / ".mlgate" / ".gitignore").read_text(encoding="utf-8") == "*\n"
    assert repo.git("status", "--porcelain") == ""
    # Another --out directory gets its own .gitignore too.
    assert main(["compare", "--out", "build/mlgate"]) == 0
    assert repo.git("status", "--porcelain") == ""


def test_out_in_the_repository_root_is_never_ignored_wholesale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = GitRepo(tmp_path / "proj")
    root = project(repo, "print('ok')\n")
    monkeypatch.chdir(root)
    main(["compare", "--out", "."])
    assert not (root / ".gitignore").exists()


@pytest.mark.slow
def test_mlgate_cli_exit_code_for_a_failing_command_in_a_subprocess(tmp_path: Path) -> None:
    """The process exit code a runner sees (255 in the issue) is 3."""
    repo = GitRepo(tmp_path / "proj")
    root = project(repo, "import sys\nsys.exit(255)\n")
    mlgate = Path(sys.executable).parent / "mlgate"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    proc = subprocess.run([str(mlgate), "train"], cwd=root, env=env, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "exit code 255" in proc.stderr


def test_failed_requirements_install_is_recorded_for_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The all-in-one action runs requirements.sh through `mlgate action requirements`."""
    repo = GitRepo(tmp_path / "proj")
    root = project(repo, "print('never runs')\n")
    monkeypatch.chdir(root)
    env = {**os.environ, "ACTION_PATH": str(Path(__file__).resolve().parents[2]),
           "IN_WORKING_DIRECTORY": "ignored: run-step.sh has changed to it",
           "IN_REQUIREMENTS": "ci/missing.txt", "GITHUB_OUTPUT": str(tmp_path / "out.txt")}
    assert cli_action.run_step("requirements", env, root) == 2
    record = json.loads((root / ".mlgate" / FAILED_STEP_FILE).read_text(encoding="utf-8"))
    assert record["step"] == "requirements" and record["exit_code"] == 2
    assert any("'ci/missing.txt' not found" in line for line in record["log_tail"])
    capsys.readouterr()
    assert main(["report", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "The **requirements** step failed (exit 2)" in out and "ci/missing.txt" in out
