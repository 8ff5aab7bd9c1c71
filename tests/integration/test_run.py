"""``mlgate run``: the whole pipeline in one process, against real git (and DVC) repositories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlgate.adapters.actions import GitHubEnv
from mlgate.adapters.dvc import PullStats
from mlgate.cli import main
from mlgate.config import Config, paths_for
from mlgate.console import Console
from mlgate.core.result import BaselineInfo, HeadInfo, MetricRow, Result, Summary
from mlgate.core.verdict import verdict
from mlgate.errors import UsageError
from mlgate.services.compare import CompareOutcome
from mlgate.services.gate import GateOutcome
from mlgate.services.pipeline import (
    FAILED,
    GATE_FAILED,
    NOT_RUN,
    OK,
    SKIPPED,
    PipelineOptions,
    PipelineResult,
    StepResult,
    compare_options,
    format_summary,
    report_options,
    run_step,
    skip_reason,
)
from mlgate.services.pull import PullOutcome
from mlgate.services.train import describe_model
from mlgate.train.config import parse_train_section
from tests.fakegithub.fixtures import fake_github  # noqa: F401
from tests.fakegithub.server import FakeGitHub
from tests.helpers.gitrepo import GitRepo

THRESHOLDS = "thresholds:\n  accuracy: {min: 0.8, tolerance: 0.01}\n  loss: {tolerance: 0.05}\n"


def two_branches(repo: GitRepo, pr_metrics: dict[str, float], config: str = THRESHOLDS) -> str:
    """main with committed metrics and mlgate.yaml; a PR branch with ``pr_metrics``."""
    repo.commit(
        "baseline", {"metrics.json": {"accuracy": 0.90, "loss": 0.30}, "mlgate.yaml": config}
    )
    repo.checkout("feature", new=True)
    return repo.commit("change the model", {"metrics.json": pr_metrics})


def run(monkeypatch: pytest.MonkeyPatch, root: Path, *argv: str) -> int:
    monkeypatch.chdir(root)
    return main(["run", *argv])


# ----- pure parts ---------------------------------------------------------------------------


def test_config_out_and_base_reach_the_steps_and_dry_run_the_report() -> None:
    config = Config(base="trunk")
    paths = paths_for("build", Path("/project"))
    options = PipelineOptions(
        config=config, paths=paths, config_file="ci/mlgate.yaml", base="develop", dry_run=True
    )
    compare = compare_options(options)
    assert (compare.config, compare.paths, compare.base) == (config, paths, "develop")
    assert compare.config_file == "ci/mlgate.yaml"
    assert compare.paths.result == Path("/project/build/result.json")
    report = report_options(options)
    assert (report.config, report.paths, report.dry_run) == (config, paths, True)
    plain = PipelineOptions(config=config, paths=paths_for(None, Path("/project")))
    assert compare_options(plain).base is None and report_options(plain).dry_run is False


def test_skip_reasons() -> None:
    bare = Config()
    trained = Config(train=parse_train_section({"data": "d.csv", "target": "y"}))
    assert "no .dvc directory" in str(
        skip_reason("pull", has_dvc=False, has_dvc_yaml=False, config=bare)
    )
    assert skip_reason("pull", has_dvc=True, has_dvc_yaml=False, config=bare) is None
    assert "nothing to train" in str(
        skip_reason("train", has_dvc=True, has_dvc_yaml=False, config=bare)
    )
    assert skip_reason("train", has_dvc=False, has_dvc_yaml=True, config=bare) is None
    assert skip_reason("train", has_dvc=False, has_dvc_yaml=False, config=trained) is None
    for name in ("compare", "report", "gate"):
        assert skip_reason(name, has_dvc=False, has_dvc_yaml=False, config=bare) is None


def _result(passed: bool, summary: Summary, baseline: BaselineInfo) -> Result:
    # One compared metric: a result that compares nothing never passes (issue 11).
    row = MetricRow(name="m", file=None, baseline=None, current=1.0, delta=None,
                    relative_delta=None, direction="higher", direction_source="inferred",
                    status="new", rule=None, rules=(), passed=True)
    return Result(name="x", passed=passed, head=HeadInfo(), baseline=baseline, summary=summary,
                  metrics=(row,), failed_rules=() if passed else ("a", "b"))


def test_descriptions_come_from_what_the_steps_did() -> None:
    model = {
        "estimator": "sklearn.ensemble.RandomForestClassifier",
        "data": {"path": "data/train.csv", "rows": 569},
        "metrics": {"accuracy": 0.97203, "f1": 0.9778},
    }
    assert describe_model(model) == (
        "fitted RandomForestClassifier on 569 rows of data/train.csv: accuracy 0.972, f1 0.9778"
    )
    assert describe_model(None) is None
    result = _result(
        False,
        Summary(metrics=3, improved=1, regressed=2, unchanged=0, rules_failed=2),
        BaselineInfo(found=True, source="committed", sha="a" * 40),
    )
    text = CompareOutcome(result=result, path=Path("result.json")).describe()
    assert text.startswith("3 metrics vs committed baseline aaaaaaaaaaaa: 1 improved, 2 regressed")
    assert text.endswith("rules FAIL (2 failed)")
    passed = _result(True, Summary(rules_passed=4, rules_skipped=1), BaselineInfo(found=False))
    gate = GateOutcome(result=passed, verdict=verdict(passed))
    assert gate.headline() == "PASSED (x): 4 rule checks passed, 1 skipped"
    assert gate.lines() == ["mlgate gate: PASSED (x): 4 rule checks passed, 1 skipped"]
    stats = PullStats(fetched=1, bytes=2048, added=["data/train.csv"], modified=[], deleted=[],
                      remote="s", seconds=0.5)
    assert PullOutcome(stats=stats).describe().startswith("fetched 1 file (2.0 KiB)")
    assert "from remote 's'" in PullOutcome(stats=stats).describe()


def test_summary_names_the_failing_step_and_the_steps_not_run() -> None:
    steps = [
        StepResult("pull", SKIPPED, detail="no .dvc directory"),
        StepResult("train", OK, seconds=1.5, detail="fitted X"),
        StepResult("compare", FAILED, exit_code=2, seconds=0.1, detail="bad thresholds"),
        StepResult("report", NOT_RUN),
        StepResult("gate", NOT_RUN),
    ]
    text = format_summary(PipelineResult(steps, 2, 1.6))
    lines = text.splitlines()
    assert lines[0] == "mlgate run: 5 steps in 1.60 s"
    assert lines[3].split() == [
        "compare",
        "failed",
        "(exit",
        "2)",
        "0.10",
        "s",
        "bad",
        "thresholds",
    ]
    assert lines[4].split() == ["report", "not", "run"]
    assert lines[-1] == "mlgate run: stopped at step `compare` (exit 2); later steps did not run"
    blocked = [*steps[:2], StepResult("compare", OK), StepResult("report", OK)]
    blocked.append(StepResult("gate", GATE_FAILED, exit_code=1))
    assert format_summary(PipelineResult(blocked, 1, 1.0)).endswith("gate FAILED (exit 1)")


# ----- real repositories --------------------------------------------------------------------


def test_improvement_passes_and_the_report_is_written_and_printed(
    repo: GitRepo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    two_branches(repo, {"accuracy": 0.93, "loss": 0.25})
    code = run(monkeypatch, repo.path)
    out, err = capsys.readouterr()
    assert code == 0, out + err
    report = (repo.path / ".mlgate" / "report.md").read_text(encoding="utf-8")
    assert "| Gated metric | Baseline | PR |" in report
    assert "accuracy" in report
    assert report.strip() in out  # not on GitHub: printed
    assert json.loads((repo.path / ".mlgate" / "result.json").read_text())["passed"] is True
    summary = out[out.rindex("mlgate run: 5 steps") :]
    assert "pull     skipped" in summary and "no .dvc directory" in summary
    assert "train    skipped" in summary and "nothing to train" in summary
    assert "compare  ok" in summary and "2 improved" in summary
    assert "report   ok" in summary and "wrote .mlgate/report.md" in summary
    assert "gate     passed" in summary
    assert summary.rstrip().endswith("mlgate run: gate passed (exit 0)")


def test_regression_fails_the_gate_with_exit_1_after_reporting(
    repo: GitRepo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    two_branches(repo, {"accuracy": 0.85, "loss": 0.31})
    code = run(monkeypatch, repo.path)
    out, err = capsys.readouterr()
    assert code == 1, out + err
    assert (repo.path / ".mlgate" / "report.md").exists()
    assert "gate     blocked" in out
    assert out.rstrip().endswith("mlgate run: gate FAILED (exit 1)")
    assert "accuracy" in err  # the gate lists the failed rule


def test_a_failing_step_stops_the_pipeline_with_its_exit_code_and_is_named(
    repo: GitRepo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A rule for a metric that does not exist: compare refuses it (exit 2).
    two_branches(repo, {"accuracy": 0.93, "loss": 0.25}, THRESHOLDS + "  f1: {min: 0.5}\n")
    code = run(monkeypatch, repo.path)
    out, err = capsys.readouterr()
    assert code == 2
    assert "step `compare` failed" in err and "f1" in err
    assert "compare  failed (exit 2)" in out
    assert "report   not run" in out and "gate     not run" in out
    assert "stopped at step `compare` (exit 2)" in out
    assert not (repo.path / ".mlgate" / "report.md").exists()
    assert not (repo.path / ".mlgate" / "result.json").exists()


@pytest.mark.slow  # the first import of scikit-learn and pandas
def test_train_failure_stops_before_compare(
    repo: GitRepo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = THRESHOLDS + "train:\n  data: data/missing.csv\n  target: y\n"
    two_branches(repo, {"accuracy": 0.93, "loss": 0.25}, config)
    code = run(monkeypatch, repo.path)
    out, err = capsys.readouterr()
    assert code == 2, out + err
    assert "step `train` failed" in err and "data/missing.csv" in err
    assert "stopped at step `train` (exit 2)" in out
    assert "compare  not run" in out
    assert not (repo.path / ".mlgate" / "result.json").exists()


def test_config_out_and_base_are_passed_through(
    repo: GitRepo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    gates = "thresholds:\n  accuracy: {tolerance: 0.01}\n"
    repo.commit("baseline", {"metrics.json": {"accuracy": 0.90}, "ci/gates.yaml": gates})
    repo.git("branch", "-m", "main", "trunk")
    repo.checkout("feature", new=True)
    repo.commit("worse", {"metrics.json": {"accuracy": 0.85}})
    code = run(
        monkeypatch, repo.path, "--config", "ci/gates.yaml", "--out", "build/ml", "--base", "trunk"
    )
    out, err = capsys.readouterr()
    assert code == 1, out + err
    result = json.loads((repo.path / "build/ml/result.json").read_text())
    assert result["baseline"]["found"] is True  # found on `trunk`: --base was used
    assert result["baseline"]["base_ref"] == "trunk"
    assert (repo.path / "build/ml/report.md").exists()
    assert not (repo.path / ".mlgate").exists()
    assert "wrote build/ml/report.md" in out


def test_bad_config_is_a_usage_error_before_any_step(
    repo: GitRepo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.commit("x", {"mlgate.yaml": "thresholds: [1, 2]\n", "metrics.json": {"a": 1}})
    assert run(monkeypatch, repo.path) == 2
    assert "thresholds" in capsys.readouterr().err


def test_on_github_the_report_is_posted_unless_dry_run(
    repo: GitRepo,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fake_github: FakeGitHub,  # noqa: F811
) -> None:
    head = two_branches(repo, {"accuracy": 0.93, "loss": 0.25})
    fake_github.add_pull("octo/demo", 7, head_sha=head, head_ref="feature", base_ref="main")
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {
                "action": "synchronize",
                "number": 7,
                "pull_request": {
                    "number": 7,
                    "head": {"sha": head, "ref": "feature", "repo": {"full_name": "octo/demo"}},
                    "base": {"ref": "main", "repo": {"full_name": "octo/demo"}},
                },
                "repository": {"full_name": "octo/demo"},
            }
        )
    )
    env = fake_github.env(
        GITHUB_EVENT_PATH=str(event), GITHUB_EVENT_NAME="pull_request", GITHUB_SHA=head
    )
    for key, value in env.items():
        monkeypatch.setenv(key, value)

    assert run(monkeypatch, repo.path, "--dry-run") == 0, capsys.readouterr()
    assert fake_github.issue_comments("octo/demo", 7) == []
    assert fake_github.requests_matching("POST") == []

    assert run(monkeypatch, repo.path) == 0, capsys.readouterr()
    comments = fake_github.issue_comments("octo/demo", 7)
    assert len(comments) == 1
    assert comments[0]["body"].startswith("<!-- mlgate-report: mlgate -->")
    report = (repo.path / ".mlgate" / "report.md").read_text(encoding="utf-8")
    assert "accuracy" in comments[0]["body"] and "accuracy" in report


@pytest.mark.slow
def test_dvc_project_runs_every_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.helpers.dvcproject import (
        breast_cancer_frame,
        drop_local_data,
        git,
        make_dvc_project,
    )

    train = (
        "train:\n  data: data/train.csv\n  target: target\n"
        "  model: sklearn.tree.DecisionTreeClassifier\n  params: {max_depth: 3, random_state: 0}\n"
        "  metrics: [accuracy, roc_auc]\n"
        "thresholds:\n  accuracy: {min: 0.8, tolerance: 0.02}\n"
    )
    root = make_dvc_project(
        tmp_path / "proj",
        remote_dir=tmp_path / "remote",
        data_frame_or_csv_text=breast_cancer_frame(300),
        config_yaml=train,
        extra_files={".gitignore": "/.mlgate/\n"},
    )
    monkeypatch.chdir(root)
    assert main(["train"]) == 0
    git(root, "add", "metrics.json")
    git(root, "commit", "-q", "-m", "baseline metrics")
    git(root, "checkout", "-q", "-b", "deeper")
    (root / "mlgate.yaml").write_text(train.replace("max_depth: 3", "max_depth: 4"))
    git(root, "commit", "-q", "-am", "deeper tree")
    drop_local_data(root)  # as a fresh CI checkout
    capsys.readouterr()

    code = main(["run"])
    out, err = capsys.readouterr()
    assert code in (0, 1), out + err
    assert (root / "data/train.csv").exists()  # pulled back from the DVC remote
    summary = out[out.rindex("mlgate run: 5 steps") :]
    for name in ("pull", "train", "compare", "report"):
        assert f"  {name:<8} ok" in summary, summary
    assert "fitted DecisionTreeClassifier on" in summary
    assert "committed baseline" in summary
    result = json.loads((root / ".mlgate/result.json").read_text())
    assert result["baseline"]["found"] is True
    assert any(p["name"] == "train.params.max_depth" for p in result["params"])
    assert code == (0 if result["passed"] else 1)


def test_run_step_turns_an_error_into_a_failed_result(
    repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = PipelineOptions(config=Config(), paths=paths_for(None, repo.path))
    quiet = Console(out=lambda _t: None, err=lambda _t: None)
    result = run_step("gate", options, GitHubEnv.from_env(), quiet)  # no result.json: fails
    assert result.status == FAILED
    assert result.exit_code == 2
    assert isinstance(result.error, UsageError)


def test_a_pull_failure_stops_everything_with_exit_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    from tests.helpers.dvcproject import breast_cancer_frame, drop_local_data, make_dvc_project

    root = make_dvc_project(
        tmp_path / "proj",
        remote_dir=tmp_path / "remote",
        data_frame_or_csv_text=breast_cancer_frame(50),
        config_yaml="train:\n  data: data/train.csv\n  target: target\n",
    )
    drop_local_data(root)
    shutil.rmtree(tmp_path / "remote")  # the data was never (or no longer) in the remote
    (tmp_path / "remote").mkdir()
    monkeypatch.chdir(root)
    code = main(["run"])
    out, err = capsys.readouterr()
    assert code == 3, out + err
    assert "step `pull` failed" in err and "missing" in err
    assert "stopped at step `pull` (exit 3)" in out
    for name in ("train", "compare", "gate"):
        assert f"  {name:<8} not run" in out
    # issue 15: the report still runs after a failed pull and says which step failed.
    assert "  report   ok" in out
    assert "The **pull** step failed (exit 3)" in (root / ".mlgate" / "report.md").read_text()
    assert not (root / "metrics.json").exists()
