"""The fork two-workflow pattern: a read-only run saves the bundle, workflow_run posts it."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from mlgate.errors import UsageError
from mlgate.report.bundle import read_bundle
from tests.fakegithub import FakeGitHub
from tests.helpers import report_fixtures as fx
from tests.integration.test_report_post import HEAD, PR, REPO, Env, our_comments

MAIN_SHA = "5" * 40
BASE_RULES = "thresholds:\n  accuracy: {tolerance: 0.01}\n"


@pytest.fixture
def gh(fake_github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    return Env(fake_github, tmp_path, monkeypatch)


def fork_run(gh: Env, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The pull_request run of a fork: read-only token, bundle saved."""
    gh.fake.add_token("ro-token", "fork-bot[bot]", read_only=True)
    with monkeypatch.context() as mp:
        mp.setenv("GITHUB_TOKEN", "ro-token")
        assert gh.run() == 0
    bundle = gh.tmp / "artifact"
    shutil.copytree(gh.tmp / ".mlgate" / "bundle", bundle)
    shutil.rmtree(gh.tmp / ".mlgate")
    gh.fake.clear_requests()
    return bundle


def workflow_run_event(gh: Env, monkeypatch: pytest.MonkeyPatch, prs: list[dict[str, Any]],
                       head_sha: str = HEAD) -> None:
    gh.set_event({"action": "completed", "workflow_run": {
        "head_sha": head_sha, "head_branch": "feature/tune", "pull_requests": prs,
        "head_repository": {"full_name": "forker/demo", "owner": {"login": "forker"}},
        "html_url": "https://github.com/octo/demo/actions/runs/1"}})
    monkeypatch.setenv("GITHUB_EVENT_NAME", "workflow_run")
    monkeypatch.setenv("GITHUB_SHA", MAIN_SHA)
    config = gh.tmp / "mlgate.yaml"
    if not config.exists():  # the base repository's checkout: its thresholds judge the bundle
        config.write_text(BASE_RULES)


def test_fork_bundle_posted_from_workflow_run(gh: Env,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = fork_run(gh, monkeypatch)
    workflow_run_event(gh, monkeypatch, prs=[])  # GitHub leaves this empty for forks
    assert gh.run("--from-bundle", str(bundle)) == 0
    [comment] = our_comments(gh.fake)
    assert "## ❌ churn: gate failed" in comment["body"]
    [check] = gh.fake.check_runs_for(REPO)
    assert check["head_sha"] == HEAD and check["conclusion"] == "failure"
    assert gh.fake.requests_matching("GET", f"/repos/{REPO}/commits/{HEAD}/pulls")
    assert not (gh.tmp / ".mlgate" / "bundle").exists()  # posting does not re-bundle
    assert gh.summary.read_text().count("gate failed") == 2  # both runs' summaries


def test_pr_number_from_the_event(gh: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = fork_run(gh, monkeypatch)
    gh.fake.add_pull(REPO, 12, head_sha=HEAD)
    workflow_run_event(gh, monkeypatch, prs=[{"number": 12}])
    assert gh.run("--from-bundle", str(bundle)) == 0
    assert gh.fake.issue_comments(REPO, 12) and not gh.fake.issue_comments(REPO, PR)
    assert not gh.fake.requests_matching("GET", "*/pulls")


def test_lookup_by_branch_when_the_commit_is_unknown(gh: Env,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = fork_run(gh, monkeypatch)
    workflow_run_event(gh, monkeypatch, prs=[])
    gh.fake.fail_next("GET", "/repos/*/commits/*/pulls", status=422)
    assert gh.run("--from-bundle", str(bundle)) == 0
    [req] = gh.fake.requests_matching("GET", f"/repos/{REPO}/pulls")
    assert req["query"]["head"] == "forker:feature/tune"
    assert len(our_comments(gh.fake)) == 1


def test_bundle_cannot_choose_the_target_or_fake_a_pass(gh: Env,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = fork_run(gh, monkeypatch)
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest.update(pr_number=1, head_sha="6" * 40, repository="evil/repo")
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    doc = json.loads((bundle / "result-1.json").read_text())
    doc["passed"] = True  # forged, while failed_rules says otherwise
    doc["head"]["sha"] = "6" * 40
    (bundle / "result-1.json").write_text(json.dumps(doc))
    (bundle / "report.md").write_text("<!-- mlgate-report: mlgate --> @everyone <script>")
    gh.fake.add_pull(REPO, 1, head_sha="6" * 40)
    workflow_run_event(gh, monkeypatch, prs=[])
    assert gh.run("--from-bundle", str(bundle)) == 0
    [check] = gh.fake.check_runs_for(REPO)
    assert check["head_sha"] == HEAD and check["conclusion"] == "failure"
    assert gh.fake.issue_comments(REPO, 1) == []
    [comment] = our_comments(gh.fake)
    assert "@everyone" not in comment["body"] and "<script" not in comment["body"]


def test_no_pr_found_still_makes_the_check(gh: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = fork_run(gh, monkeypatch)
    workflow_run_event(gh, monkeypatch, prs=[], head_sha="7" * 40)
    assert gh.run("--from-bundle", str(bundle)) == 0
    assert our_comments(gh.fake) == []
    assert gh.fake.check_runs_for(REPO)[0]["head_sha"] == "7" * 40


def test_from_bundle_needs_a_workflow_run_event(gh: Env, monkeypatch: pytest.MonkeyPatch,
                                                capsys: Any) -> None:
    bundle = fork_run(gh, monkeypatch)
    (gh.tmp / "mlgate.yaml").write_text(BASE_RULES)
    assert gh.run("--from-bundle", str(bundle)) == 2
    assert "workflow_run" in capsys.readouterr().err


def corrupt(kind: str, bundle: Path) -> None:
    if kind == "symlink":
        (bundle / "result-1.json").unlink()
        os.symlink("/etc/passwd", bundle / "result-1.json")
    elif kind == "huge":
        (bundle / "result-1.json").write_bytes(b" " * (6 * 1024 * 1024))
    elif kind == "many":
        for i in range(30):
            (bundle / f"x{i}").write_text("x")
    elif kind == "kind":
        (bundle / "manifest.json").write_text('{"kind": "other", "version": 1}')
    elif kind == "traversal":
        m = json.loads((bundle / "manifest.json").read_text())
        m["results"] = ["../../secret.json"]
        (bundle / "manifest.json").write_text(json.dumps(m))
    elif kind == "json":
        (bundle / "result-1.json").write_text("{not json")
    elif kind == "nested":
        (bundle / "result-1.json").write_text("[" * 100000 + "]" * 100000)
    elif kind == "schema":
        doc = json.loads((bundle / "result-1.json").read_text())
        doc["schema"] = 99
        (bundle / "result-1.json").write_text(json.dumps(doc))
    elif kind == "dir":
        (bundle / "sub").mkdir()
    elif kind == "missing":
        (bundle / "manifest.json").unlink()


@pytest.mark.parametrize("kind", ["symlink", "huge", "many", "kind", "traversal", "json",
                                  "nested", "schema", "dir", "missing"])
def test_hostile_bundles_are_refused(gh: Env, monkeypatch: pytest.MonkeyPatch, capsys: Any,
                                     kind: str) -> None:
    bundle = fork_run(gh, monkeypatch)
    corrupt(kind, bundle)
    workflow_run_event(gh, monkeypatch, prs=[])
    capsys.readouterr()
    assert gh.run("--from-bundle", str(bundle)) == 2
    err = capsys.readouterr().err
    assert "bundle" in err or "schema" in err
    assert gh.fake.requests == []


def test_bundle_round_trip(tmp_path: Path) -> None:
    from mlgate.core.result import parse_result
    from mlgate.report.bundle import write_bundle

    docs = [fx.passing_result("a"), fx.failing_result()]
    write_bundle(tmp_path / "b", "nightly", [parse_result(d) for d in docs], "# report\n")
    name, results = read_bundle(tmp_path / "b")
    assert name == "nightly" and [dict(r.raw) for r in results] == docs
    assert results == [parse_result(d) for d in docs]


def test_bundle_cannot_name_the_check(gh: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fork could name its bundle after another required check ("build") and pass it."""
    bundle = fork_run(gh, monkeypatch)
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["name"] = "build"
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    workflow_run_event(gh, monkeypatch, prs=[])
    assert gh.run("--from-bundle", str(bundle)) == 0
    assert [c["name"] for c in gh.fake.check_runs_for(REPO)] == ["mlgate"]
    assert gh.run("--from-bundle", str(bundle), "--name", "nightly") == 0
    assert [c["name"] for c in gh.fake.check_runs_for(REPO)] == ["mlgate", "nightly"]


def test_posting_workflow_without_write_permission_is_a_usage_error(
        gh: Env, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    bundle = fork_run(gh, monkeypatch)
    workflow_run_event(gh, monkeypatch, prs=[])
    monkeypatch.setenv("GITHUB_TOKEN", "ro-token")
    assert gh.run("--from-bundle", str(bundle)) == 2
    assert "pull-requests: write" in capsys.readouterr().err


def test_a_cut_report_points_to_the_pull_requests_run(gh: Env,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    metrics = [fx.metric(f"metric_{i:05d}_{'z' * 40}", 1.0, 0.5, "regressed")
               for i in range(2000)]
    gh.write_result(fx.result(metrics))
    bundle = fork_run(gh, monkeypatch)
    workflow_run_event(gh, monkeypatch, prs=[])
    assert gh.run("--from-bundle", str(bundle)) == 0
    [comment] = our_comments(gh.fake)
    assert "[the pull request's workflow run](https://github.com/octo/demo/actions/runs/1)" \
        in comment["body"]


# ----- issue 11 case 9: the trusted job recomputes the verdict with the base's thresholds ----
def forge_pass(bundle: Path) -> None:
    """Make the fork's result claim a pass: every rule check passed, nothing failed."""
    doc = json.loads((bundle / "result-1.json").read_text())
    doc["passed"] = True
    doc["failed_rules"], doc["errors"] = [], []
    for m in doc["metrics"]:
        m["passed"] = True
        m["rules"] = [dict(r, status="passed") for r in m["rules"]]
    (bundle / "result-1.json").write_text(json.dumps(doc))


@pytest.mark.parametrize("claim", ["passed-true", "no-passed"])
def test_a_forged_pass_fails_under_the_base_thresholds(gh: Env, monkeypatch: pytest.MonkeyPatch,
                                                       claim: str) -> None:
    gh.write_result(fx.passing_result())  # accuracy 0.92, f1 0.8
    bundle = fork_run(gh, monkeypatch)
    forge_pass(bundle)
    if claim == "no-passed":
        doc = json.loads((bundle / "result-1.json").read_text())
        del doc["passed"]
        (bundle / "result-1.json").write_text(json.dumps(doc))
    (gh.tmp / "mlgate.yaml").write_text("thresholds:\n  accuracy: {min: 0.95}\n")
    workflow_run_event(gh, monkeypatch, prs=[])
    assert gh.run("--from-bundle", str(bundle)) == 0
    [check] = gh.fake.check_runs_for(REPO)
    assert check["conclusion"] == "failure"
    [comment] = our_comments(gh.fake)
    body = comment["body"]
    assert "## ❌ churn: gate failed" in body and "gate passed" not in body
    assert "min 0.95" in body
    assert "reported by the pull request's own run" in body


def test_a_fork_that_meets_the_base_thresholds_passes(gh: Env,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    gh.write_result(fx.passing_result())
    bundle = fork_run(gh, monkeypatch)
    (gh.tmp / "mlgate.yaml").write_text("thresholds:\n  accuracy: {min: 0.9}\n")
    workflow_run_event(gh, monkeypatch, prs=[])
    assert gh.run("--from-bundle", str(bundle)) == 0
    [check] = gh.fake.check_runs_for(REPO)
    assert check["conclusion"] == "success"
    [comment] = our_comments(gh.fake)
    assert "## ✅ churn: gate passed" in comment["body"]
    assert "reported by the pull request's own run" in comment["body"]


def test_a_fork_dropping_a_metric_the_base_rule_names_fails(gh: Env,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    gh.write_result(fx.passing_result())
    bundle = fork_run(gh, monkeypatch)
    doc = json.loads((bundle / "result-1.json").read_text())
    doc["metrics"] = [m for m in doc["metrics"] if m["name"] != "accuracy"]
    (bundle / "result-1.json").write_text(json.dumps(doc))
    (gh.tmp / "mlgate.yaml").write_text("thresholds:\n  accuracy: {min: 0.9}\n")
    workflow_run_event(gh, monkeypatch, prs=[])
    assert gh.run("--from-bundle", str(bundle)) == 0
    assert gh.fake.check_runs_for(REPO)[0]["conclusion"] == "failure"


# ----- issue 12: bundle caps and types ------------------------------------------------------
def test_one_big_result_listed_many_times_is_refused_quickly(gh: Env,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             capsys: Any) -> None:
    metrics = [fx.metric(f"m{i:06d}_{'q' * 60}", 1.0, 1.0, "unchanged") for i in range(12500)]
    gh.write_result(fx.result(metrics))
    bundle = fork_run(gh, monkeypatch)
    size = (bundle / "result-1.json").stat().st_size
    assert 4 * 1024 * 1024 < size < 5 * 1024 * 1024
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["results"] = ["result-1.json"] * 20
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    workflow_run_event(gh, monkeypatch, prs=[])
    capsys.readouterr()
    t0 = time.monotonic()
    assert gh.run("--from-bundle", str(bundle)) == 2
    assert time.monotonic() - t0 < 8
    assert "bundle" in capsys.readouterr().err
    assert gh.fake.requests == []


def test_bytes_read_count_against_the_total_cap(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from mlgate.core.result import parse_result
    from mlgate.report import bundle as bundle_mod

    docs = [fx.passing_result(f"m{i}") for i in range(3)]
    bundle_mod.write_bundle(tmp_path / "b", "x", [parse_result(d) for d in docs], "# r\n")
    one = (tmp_path / "b" / "result-1.json").stat().st_size
    monkeypatch.setattr(bundle_mod, "MAX_TOTAL_BYTES", one * 2 + 10)
    monkeypatch.setattr(bundle_mod, "MAX_FILES", 100)
    with pytest.raises(UsageError, match="in total"):
        read_bundle(tmp_path / "b")


@pytest.mark.parametrize(("file", "key", "value"), [
    ("manifest.json", "version", True),
    ("result-1.json", "schema", True),
    ("manifest.json", "version", 1.0),
])
def test_true_is_not_one(gh: Env, monkeypatch: pytest.MonkeyPatch, capsys: Any, file: str,
                         key: str, value: Any) -> None:
    bundle = fork_run(gh, monkeypatch)
    doc = json.loads((bundle / file).read_text())
    doc[key] = value
    (bundle / file).write_text(json.dumps(doc))
    workflow_run_event(gh, monkeypatch, prs=[])
    capsys.readouterr()
    assert gh.run("--from-bundle", str(bundle)) == 2
    assert key in capsys.readouterr().err
    assert gh.fake.requests == []
