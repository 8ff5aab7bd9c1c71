"""``mlgate demo``: the offline git + DVC project, both scenarios, and what it prints."""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from mlgate.cli import main
from mlgate.config import parse_config
from mlgate.services import demo
from mlgate.yamlio import parse_text

MARKER = "<!-- mlgate-report: mlgate -->"
TABLE_HEADER = "| | Gated metric | Baseline | PR | Δ ± spread | Δ % | Status | Rule (allowance) |"
USER_GITCONFIG = (
    "[user]\n\tname = Some User\n\temail = user@example.invalid\n"
    "[commit]\n\tgpgsign = true\n[gpg]\n\tprogram = /nonexistent/gpg\n"
)
COMMENT_START = "│ The PR comment, exactly as it would be posted:"


def git(root: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True)
    return proc.stdout.strip()


def comments(out: str) -> list[str]:
    """The PR comments the demo printed, each between its banner and the closing rule."""
    found = []
    for part in out.split(COMMENT_START)[1:]:
        body = part.split("\n", 2)[2]  # skip the rest of the banner
        found.append(body[: body.index("\n" + "─" * 79)] + "\n")
    return found


def scenario_text(out: str, number: int) -> str:
    start = out.index(f"\nPR {number}: ")
    end = out.find(f"\nPR {number + 1}: ", start)
    return out[start : end if end > 0 else out.index("\nFiles")]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, Path, dict[str, str]]:
    """One full demo run, shared by the tests below (it takes several seconds).

    It runs as it would inside a GitHub Actions job, with a PR event and a token pointing at a
    closed port: the demo must ignore all of it (no posting, no outputs).
    """
    import dvc.repo  # noqa: F401  # their imports set variables (KMP_*): not the demo's doing
    import sklearn  # noqa: F401

    base = tmp_path_factory.mktemp("demo") / "here"
    gh = tmp_path_factory.mktemp("gh")
    # A user's global git config that would break the demo's commits if it were read (signing
    # with a program that does not exist) and whose identity must not appear.
    user = tmp_path_factory.mktemp("user")
    (user / ".gitconfig").write_text(USER_GITCONFIG)
    (gh / "event.json").write_text(json.dumps({"pull_request": {"number": 1}}))
    (gh / "output").write_text("")
    with pytest.MonkeyPatch.context() as mp:
        for key, value in {
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": str(gh / "event.json"),
            "GITHUB_REPOSITORY": "octo/demo",
            "GITHUB_API_URL": "http://127.0.0.1:9",
            "GITHUB_TOKEN": "not-a-token",
            "GITHUB_OUTPUT": str(gh / "output"),
            "GITHUB_STEP_SUMMARY": str(gh / "output"),
            "GIT_CONFIG_GLOBAL": str(user / ".gitconfig"),
            "DVC_NO_ANALYTICS": "1",
            "DVC_SITE_CACHE_DIR": str(user / "dvc-site"),
        }.items():
            mp.setenv(key, value)
        env_before = dict(os.environ)
        cwd_before = Path.cwd()
        capture = _Capture()
        with capture:
            code = main(["demo", "--dir", str(base)])
        assert Path.cwd() == cwd_before
        assert dict(os.environ) == env_before, "the demo must restore the environment"
    assert (gh / "output").read_text() == "", "the demo must not write GitHub outputs"
    return code, capture.text, base, env_before


class _Capture:
    """stdout and stderr of an in-process call (capsys is function-scoped)."""

    def __enter__(self) -> _Capture:
        import contextlib
        import io

        self._buffer = io.StringIO()
        self._stack = contextlib.ExitStack()
        self._stack.enter_context(contextlib.redirect_stdout(self._buffer))
        self._stack.enter_context(contextlib.redirect_stderr(self._buffer))
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()
        self.text = self._buffer.getvalue()


@pytest.mark.slow
def test_demo_exits_0_when_pr1_passes_and_pr2_is_blocked(
    demo_run: tuple[int, str, Path, dict[str, str]],
) -> None:
    code, out, _, _ = demo_run
    assert code == 0, out
    assert out.rstrip().endswith(
        "mlgate demo: both scenarios behaved as expected: PR 1 passed, PR 2 was blocked."
    )
    first, second = scenario_text(out, 1), scenario_text(out, 2)
    assert "Gate: PASSED (exit 0), the PR may merge: as expected." in first
    assert "Gate: FAILED (exit 1), the PR is blocked: as expected." in second
    assert "    - roc_auc: min 0.93" in second  # the failed rules are listed


@pytest.mark.slow
def test_each_scenario_runs_every_step_like_mlgate_run(
    demo_run: tuple[int, str, Path, dict[str, str]],
) -> None:
    _, out, _, _ = demo_run
    for number, gate in ((1, "passed"), (2, "blocked")):
        text = scenario_text(out, number)
        steps = [line.split()[:2] for line in text.splitlines() if re.match(r"  \w+ +\w+ ", line)]
        names = [s for s in steps if s[0] in ("pull", "train", "compare", "report", "gate")]
        assert names == [
            ["pull", "ok"],
            ["train", "ok"],
            ["compare", "ok"],
            ["report", "ok"],
            ["gate", gate],
        ], text
        assert re.search(r"  pull +ok +\d+\.\d\d s  fetched 1 file", text), text
        # The demo records main's metrics in the store: `baseline: auto` prefers that record.
        assert "store baseline" in text


@pytest.mark.slow
def test_the_printed_comments_are_what_report_would_post(
    demo_run: tuple[int, str, Path, dict[str, str]],
) -> None:
    _, out, base, _ = demo_run
    first, second = comments(out)
    for comment, checkout in ((first, "pr-1-random-forest"), (second, "pr-2-tree-stump")):
        assert comment.startswith(MARKER + "\n")  # the hidden marker comes first
        assert TABLE_HEADER in comment
        for metric in ("accuracy", "f1", "roc\\_auc"):
            assert re.search(rf"^\| [✅❌] \| {re.escape(metric)} ", comment, re.M), metric
        # The comment is report.md with the marker: nothing was cut at this size.
        report = (base / checkout / ".mlgate" / "report.md").read_text(encoding="utf-8")
        assert comment == MARKER + "\n" + report
        # Issue 13: cross-validated and paired with main's recorded folds: Δ ± spread.
        assert re.search(r"^\| [✅❌] \| accuracy [^|]*\|[^|]*\|[^|]*\| [+-]0\.\d+ ± 0\.\d+ \|",
                         comment, re.M), comment
        assert "Δ ± spread: the mean paired difference over folds" in comment
    assert "## ✅ breast-cancer: gate passed" in first
    assert "3 improved" in first
    assert "## ❌ breast-cancer: gate failed" in second
    assert "**failed**" in second and "**Failed rules**" in second
    assert "train.params.max\\_depth | mlgate.yaml | 3 | 1 | modified" in second


@pytest.mark.slow
def test_the_project_is_real_git_and_dvc_with_a_recorded_baseline(
    demo_run: tuple[int, str, Path, dict[str, str]],
) -> None:
    _, out, base, _ = demo_run
    project = base / "project"
    main_files = git(project, "ls-tree", "-r", "--name-only", "main").splitlines()
    for name in ("mlgate.yaml", "metrics.json", "data/breast_cancer.csv.dvc", ".dvc/config"):
        assert name in main_files
    assert "data/breast_cancer.csv" not in main_files  # the data is in DVC, not in git
    dvc_config = git(project, "show", "main:.dvc/config")
    assert "url = ../../dvc-remote" in dvc_config  # relative: the same on every machine
    assert any((base / "dvc-remote").rglob("*")), "dvc push put the data in the remote"
    # The baseline is committed (metrics.json) and recorded in the store (git notes).
    main_sha = git(project, "rev-parse", "main")
    note = json.loads(git(project, "notes", "--ref=mlgate", "show", main_sha))
    metrics = json.loads(git(project, "show", "main:metrics.json"))
    assert note["models"]["breast-cancer"]["metrics"] == metrics
    assert set(metrics) == {"accuracy", "f1", "roc_auc"}
    # Issue 13: the record keeps the per-fold scores of the default 3 x 5-fold evaluation.
    folds = note["models"]["breast-cancer"]["folds"]
    assert (folds["k"], folds["repeats"], folds["fold_seed"], folds["method"]) == (5, 3, 0, "cv")
    assert all(len(scores) == 15 for scores in folds["scores"].values())
    # Both PR branches come from main, one commit each, with fixed dates (reproducible SHAs).
    for branch in ("pr/random-forest", "pr/tree-stump"):
        assert git(project, "merge-base", "main", branch) == main_sha
        assert git(project, "rev-list", "--count", f"main..{branch}") == "1"
    assert git(project, "log", "-1", "--format=%aI", "main") == "2026-01-05T09:00:00+00:00"
    assert git(project, "log", "-1", "--format=%an", "main") == "mlgate demo"
    # The printed SHAs are those of the repository.
    assert f"commit    {main_sha[:12]} on main" in out
    # The config is valid and is what the PR changed.
    config = parse_config(parse_text(git(project, "show", "pr/tree-stump:mlgate.yaml"), "x"))
    assert config.train is not None and config.train.config is not None
    assert config.train.config.params == {"max_depth": 1, "random_state": 0}
    # Where the files are.
    for path in (project, base / "dvc-remote", base / "pr-1-random-forest"):
        assert str(path) in out
    model = base / "pr-1-random-forest" / ".mlgate" / "model" / "model.joblib"
    assert model.is_file()
    results = [
        json.loads((base / d / ".mlgate" / "result.json").read_text())
        for d in ("pr-1-random-forest", "pr-2-tree-stump")
    ]
    assert [r["passed"] for r in results] == [True, False]


@pytest.mark.slow
def test_the_users_git_config_is_neither_read_nor_changed(
    demo_run: tuple[int, str, Path, dict[str, str]],
) -> None:
    _, _, base, env = demo_run
    # The user's global git config signs commits with a missing program and names another
    # identity: the demo's commits worked, carry the demo identity, and the file is unchanged.
    assert Path(env["GIT_CONFIG_GLOBAL"]).read_text() == USER_GITCONFIG
    authors = git(base / "project", "log", "--all", "--format=%an %ae").splitlines()
    assert set(authors) == {"mlgate demo demo@mlgate.invalid"}


@pytest.mark.slow
def test_an_unexpected_outcome_exits_1_and_the_temporary_dir_is_removed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Only the regression, wrongly expected to pass.
    wrong = replace(demo.SCENARIOS[1], expect_pass=True)
    monkeypatch.setattr(demo, "SCENARIOS", (wrong,))
    code = main(["demo"])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "Gate: FAILED (exit 1), the PR is blocked: NOT as expected (it should pass)." in out
    assert "a scenario did NOT behave as expected" in out
    directory = Path(re.search(r"^Directory: (.+)$", out, re.M).group(1))  # type: ignore[union-attr]
    assert "deleted now" in out
    assert not directory.exists()


def test_dir_must_be_new_or_empty(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["demo", "--dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "--dir" in err and "not empty" in err
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_config_yaml_is_valid_and_only_the_model_differs() -> None:
    base = parse_config(parse_text(demo.config_yaml(demo.BASELINE_MODEL), "mlgate.yaml"))
    assert base.name == "breast-cancer"
    assert base.train is not None and base.train.config is not None
    assert base.train.config.seed == demo.SEED
    assert "test-size" not in base.train.config.raw  # issue 13: the default cross-validation
    assert set(base.thresholds) == {"accuracy", "roc_auc", "*"}
    for scenario in demo.SCENARIOS:
        other = parse_config(parse_text(demo.config_yaml(scenario.model), "mlgate.yaml"))
        assert other.thresholds == base.thresholds
        assert other.train is not None and other.train.config is not None
        assert other.train.config.model == scenario.model.estimator
        assert other.train.config.params == scenario.model.params
    assert [s.expect_pass for s in demo.SCENARIOS] == [True, False]
