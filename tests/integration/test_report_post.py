"""`mlgate report` against the fake GitHub server: sticky comment, check run, fork path."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from mlgate import markdown as esc
from mlgate.cli import main
from tests.fakegithub import FakeGitHub
from tests.helpers import report_fixtures as fx

REPO = "octo/demo"
PR = 7
HEAD = fx.HEAD
MERGE_SHA = "9" * 40
MARKER = esc.marker("mlgate")
TOKEN = "test-token"


class Env:
    """A GitHub Actions-like environment for one `mlgate report` run in ``tmp_path``."""

    def __init__(self, fake: FakeGitHub, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.fake, self.tmp, self.mp = fake, tmp, monkeypatch
        self.summary = tmp / "summary.md"
        self.output = tmp / "output.txt"
        self.event = tmp / "event.json"
        monkeypatch.chdir(tmp)
        self.set_event({"number": PR, "pull_request": {
            "number": PR, "head": {"sha": HEAD, "ref": "feature/tune"},
            "base": {"ref": "main", "sha": fx.BASE}}})
        for key, value in fake.env().items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("GITHUB_EVENT_NAME", "pull_request")
        monkeypatch.setenv("GITHUB_EVENT_PATH", str(self.event))
        monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(self.summary))
        monkeypatch.setenv("GITHUB_OUTPUT", str(self.output))
        monkeypatch.setenv("GITHUB_SHA", MERGE_SHA)
        monkeypatch.setenv("GITHUB_RUN_ID", "4242")
        monkeypatch.setenv("MLGATE_GITHUB_BACKOFF", "0")
        fake.add_pull(REPO, PR, head_sha=HEAD, head_ref="feature/tune")
        self.write_result(fx.failing_result())

    def set_event(self, event: dict[str, Any]) -> None:
        self.event.write_text(json.dumps(event), encoding="utf-8")

    def write_result(self, doc: dict[str, Any], name: str = "result.json") -> Path:
        return fx.write(self.tmp / ".mlgate" / name, doc)

    def outputs(self) -> dict[str, str]:
        if not self.output.exists():
            return {}
        return dict(line.split("=", 1) for line in self.output.read_text().splitlines()
                    if "=" in line)

    def run(self, *args: str) -> int:
        return main(["report", *args])


@pytest.fixture
def gh(fake_github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    return Env(fake_github, tmp_path, monkeypatch)


def calls(fake: FakeGitHub) -> list[tuple[str, str]]:
    return [(r["method"], r["path"]) for r in fake.requests]


def our_comments(fake: FakeGitHub) -> list[dict[str, Any]]:
    return [c for c in fake.issue_comments(REPO, PR) if MARKER in c["body"]]


C = f"/repos/{REPO}/issues/{PR}/comments"


def test_first_post_comment_check_summary_outputs(gh: Env, capsys: Any) -> None:
    assert gh.run() == 0
    fake = gh.fake
    assert calls(fake) == [("GET", C), ("POST", C), ("GET", C),
                           ("POST", f"/repos/{REPO}/check-runs")]
    [comment] = our_comments(fake)
    assert comment["body"].startswith(MARKER + "\n## ❌ churn: gate failed")
    assert comment["user"]["login"] == "github-actions[bot]"
    [check] = fake.check_runs_for(REPO)
    assert check["name"] == "mlgate" and check["head_sha"] == HEAD  # not the merge commit
    assert check["conclusion"] == "failure" and check["status"] == "completed"
    assert check["output"]["title"] == "churn: 2 rules failed"
    assert check["output"]["summary"].startswith("## ❌ churn: gate failed")
    assert check["details_url"] == "https://github.com/octo/demo/actions/runs/4242"
    report = (gh.tmp / ".mlgate" / "report.md").read_text()
    assert gh.summary.read_text() == report
    out = gh.outputs()
    assert out["report-path"] == str(gh.tmp / ".mlgate" / "report.md")
    assert out["comment-url"] == comment["html_url"]
    assert out["check-run-url"].endswith(f"/runs/{check['id']}")
    bundle = gh.tmp / ".mlgate" / "bundle"
    assert sorted(p.name for p in bundle.iterdir()) == ["manifest.json", "report.md",
                                                        "result-1.json"]
    assert "comment created" in capsys.readouterr().out


def test_update_in_place_and_no_op(gh: Env) -> None:
    fake = gh.fake
    fake.add_comment(REPO, PR, "LGTM", login="octocat")
    assert gh.run() == 0
    gh.write_result(fx.passing_result())
    fake.clear_requests()
    assert gh.run() == 0
    assert calls(fake) == [("GET", C), ("GET", "/user"), ("PATCH", f"/repos/{REPO}/issues/"
                                                                   f"comments/{our_comments(fake)[0]['id']}"),
                           ("POST", f"/repos/{REPO}/check-runs")]
    [comment] = our_comments(fake)
    assert "gate passed" in comment["body"]
    assert len(fake.issue_comments(REPO, PR)) == 2
    fake.clear_requests()
    assert gh.run() == 0  # same result: the comment is left alone
    assert [m for m, _ in calls(fake)] == ["GET", "GET", "POST"]
    assert gh.outputs()["comment-url"] == comment["html_url"]
    assert [c["conclusion"] for c in fake.check_runs_for(REPO)] == ["failure", "success",
                                                                      "success"]


def test_finds_the_marker_past_100_comments(gh: Env) -> None:
    fake = gh.fake
    for i in range(180):
        fake.add_comment(REPO, PR, f"comment {i}", login="octocat")
    fake.add_comment(REPO, PR, MARKER + "\nold report", login="github-actions[bot]")
    for i in range(100):
        fake.add_comment(REPO, PR, f"later {i}", login="octocat")
    assert gh.run() == 0
    [comment] = our_comments(fake)
    assert "old report" not in comment["body"]
    pages = [r["query"].get("page", "1") for r in fake.requests_matching("GET", C)]
    assert pages == ["1", "2"]
    assert all(r["query"]["per_page"] == "100" for r in fake.requests_matching("GET", C))
    assert not fake.requests_matching("POST", C)


def test_marker_in_someone_elses_comment_is_not_ours(gh: Env) -> None:
    fake = gh.fake
    fake.add_comment(REPO, PR, f"quoting: {MARKER}", login="mallory")
    assert gh.run() == 0
    bodies = [c["body"] for c in fake.issue_comments(REPO, PR)]
    assert bodies[0] == f"quoting: {MARKER}" and bodies[1].startswith(MARKER)


def test_other_report_names_are_separate(gh: Env) -> None:
    assert gh.run() == 0
    assert gh.run("--name", "nightly") == 0
    comments = gh.fake.issue_comments(REPO, PR)
    assert [c["body"].splitlines()[0] for c in comments] == [
        MARKER, "<!-- mlgate-report: nightly -->"]
    assert [c["name"] for c in gh.fake.check_runs_for(REPO)] == ["mlgate", "nightly"]


def test_duplicates_are_removed(gh: Env) -> None:
    fake = gh.fake
    first = fake.add_comment(REPO, PR, MARKER + "\none", login="github-actions[bot]")
    second = fake.add_comment(REPO, PR, MARKER + "\ntwo", login="github-actions[bot]")
    assert gh.run() == 0
    assert [c["id"] for c in our_comments(fake)] == [first["id"]]
    assert fake.requests_matching("DELETE", f"/repos/{REPO}/issues/comments/{second['id']}")


def test_a_post_retried_after_a_lost_answer_leaves_one_comment(gh: Env) -> None:
    fake = gh.fake
    fake.fail_next("POST", C, status=502, after=True)  # created, but the answer is lost
    assert gh.run() == 0
    assert len(fake.requests_matching("POST", C)) == 2
    assert len(our_comments(fake)) == 1
    assert len(fake.requests_matching("DELETE", "*")) == 1


def test_5xx_are_retried_patch_included(gh: Env) -> None:
    fake = gh.fake
    assert gh.run() == 0
    gh.write_result(fx.passing_result())
    fake.fail_next("GET", C, status=500)
    fake.fail_next("PATCH", "/repos/*/issues/comments/*", status=502, times=2)
    fake.fail_next("POST", "/repos/*/check-runs", status=503)
    assert gh.run() == 0
    assert len(fake.requests_matching("PATCH", "*")) == 3
    assert "gate passed" in our_comments(fake)[0]["body"]
    assert fake.check_runs_for(REPO)[-1]["conclusion"] == "success"


def test_rate_limits_are_waited_out(gh: Env) -> None:
    fake = gh.fake
    fake.rate_limit_next("GET", C, status=403, reset_in=0)
    fake.rate_limit_next("POST", C, status=429, retry_after=0)
    fake.rate_limit_next("POST", "/repos/*/check-runs", status=403, retry_after=0)
    assert gh.run() == 0
    assert len(our_comments(fake)) == 1 and len(fake.check_runs_for(REPO)) == 1


def test_a_long_rate_limit_gives_up_with_exit_3(gh: Env, capsys: Any) -> None:
    gh.fake.rate_limit_next("GET", C, status=403, reset_in=3600)
    t0 = time.monotonic()
    assert gh.run() == 3
    assert time.monotonic() - t0 < 5
    assert "rate limit" in capsys.readouterr().err


def test_retries_exhausted_exit_3_after_writing_the_summary(gh: Env, capsys: Any,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_SECRET123")
    gh.fake.add_token("ghs_SECRET123", "github-actions[bot]")
    gh.fake.fail_next("*", "/repos/*", status=502, times=100,
                      body={"message": "bad gateway for ghs_SECRET123"})
    assert gh.run() == 3
    captured = capsys.readouterr()
    assert "::add-mask::ghs_SECRET123" in captured.out
    rest = captured.out.replace("::add-mask::ghs_SECRET123", "") + captured.err
    assert "ghs_SECRET123" not in rest
    assert "failed to list comments of #7 after 4 attempts" in captured.err
    assert len(gh.fake.requests) == 4
    assert "gate failed" in gh.summary.read_text()


def test_a_slow_server_times_out_and_is_retried(gh: Env, monkeypatch: pytest.MonkeyPatch
                                               ) -> None:
    monkeypatch.setenv("MLGATE_GITHUB_TIMEOUT", "1")
    gh.fake.hang_next("GET", C, 3)
    t0 = time.monotonic()
    assert gh.run() == 0
    assert time.monotonic() - t0 < 2.9
    assert len(our_comments(gh.fake)) == 1


def test_fork_pr_read_only_token(gh: Env, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    gh.fake.add_token("ro-token", "fork-bot[bot]", read_only=True)
    monkeypatch.setenv("GITHUB_TOKEN", "ro-token")
    assert gh.run() == 0
    out = capsys.readouterr().out
    assert "::warning" in out and "workflow_run" in out
    assert our_comments(gh.fake) == [] and gh.fake.check_runs_for(REPO) == []
    assert "gate failed" in gh.summary.read_text()
    manifest = json.loads((gh.tmp / ".mlgate/bundle/manifest.json").read_text())
    assert manifest["kind"] == "mlgate-report-bundle" and manifest["name"] == "mlgate"
    assert "comment-url" not in gh.outputs()


def test_bad_token_is_a_usage_error(gh: Env, monkeypatch: pytest.MonkeyPatch,
                                    capsys: Any) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "wrong")
    assert gh.run() == 2
    assert "rejected the token" in capsys.readouterr().err


def test_missing_token_is_a_usage_error_after_the_summary(gh: Env,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    assert gh.run() == 2
    assert gh.summary.exists() and gh.fake.requests == []


def test_comment_and_check_stay_under_githubs_limits(gh: Env) -> None:
    metrics = [fx.metric(f"metric_{i:05d}_{'y' * 30}", 1.0, 0.5, "regressed",
                         rules=[fx.rule("min", "min 0.9", "failed", "0.5 < 0.9")], passed=False)
               for i in range(3000)]
    gh.write_result(fx.result(metrics, failed_rules=[f"m{i}" for i in range(3000)]))
    assert gh.run() == 0
    [comment] = our_comments(gh.fake)
    assert len(comment["body"]) < 65536
    assert "more metrics not shown" in comment["body"]
    assert "[the workflow run](https://github.com/octo/demo/actions/runs/4242)" in \
        comment["body"]
    [check] = gh.fake.check_runs_for(REPO)
    assert len(check["output"]["summary"]) <= 65535
    assert len(gh.summary.read_bytes()) < 1024 * 1024
    assert len((gh.tmp / ".mlgate/report.md").read_text()) > 65536  # the full report


def test_hostile_names_cannot_fake_another_marker(gh: Env) -> None:
    doc = fx.failing_result()
    doc["metrics"][0]["name"] = "x --> <!-- mlgate-report: mlgate --> @admin"
    doc["head"]["ref"] = "<!-- mlgate-report: mlgate -->"
    gh.write_result(doc)
    assert gh.run("--name", "a-->b") == 0
    [comment] = gh.fake.issue_comments(REPO, PR)
    assert comment["body"].count("<!--") == 1 and comment["body"].count("-->") == 1 + \
        comment["body"].split("```mermaid")[1].count("-->")
    assert comment["body"].startswith("<!-- mlgate-report: a-_b -->")
    assert "@admin" not in comment["body"]


def test_merge_one_comment_and_one_check(gh: Env) -> None:
    a = gh.write_result(fx.passing_result("churn"), "a.json")
    b = gh.write_result(fx.passing_result("fraud"), "b.json")
    assert gh.run("--merge", str(a), str(b)) == 0
    [comment] = our_comments(gh.fake)
    assert "## ✅ mlgate: 0 of 2 models failed" in comment["body"]
    assert "### ✅ churn" in comment["body"] and "### ✅ fraud" in comment["body"]
    [check] = gh.fake.check_runs_for(REPO)
    assert check["conclusion"] == "success" and check["output"]["title"] == \
        "2 models: all passed"
    c = gh.write_result(fx.failing_result() | {"name": "ranker"}, "c.json")
    assert gh.run("--merge", str(a), str(b), str(c)) == 0
    assert gh.fake.check_runs_for(REPO)[-1]["conclusion"] == "failure"
    assert len(our_comments(gh.fake)) == 1


def test_push_event_gets_a_check_but_no_comment(gh: Env) -> None:
    gh.set_event({"ref": "refs/heads/main"})
    assert gh.run() == 0
    assert gh.fake.issue_comments(REPO, PR) == []
    assert gh.fake.check_runs_for(REPO)[0]["head_sha"] == MERGE_SHA


def test_dry_run_and_off_github_only_write_and_print(gh: Env, capsys: Any,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    assert gh.run("--dry-run") == 0
    assert gh.fake.requests == [] and not gh.summary.exists()
    assert capsys.readouterr().out.startswith("## ❌ churn: gate failed")
    monkeypatch.delenv("GITHUB_EVENT_PATH")
    out = gh.tmp / "elsewhere"
    assert gh.run("--out", str(out), "--result", str(gh.tmp / ".mlgate/result.json")) == 0
    assert (out / "report.md").read_text() == capsys.readouterr().out
    assert gh.fake.requests == []


def test_missing_result_is_a_usage_error(gh: Env, capsys: Any) -> None:
    assert gh.run("--result", "nope.json") == 2
    assert "nope.json" in capsys.readouterr().err


def test_api_object_repr_hides_the_token(fake_github: FakeGitHub) -> None:
    from mlgate.adapters.github import GitHubApi

    api = GitHubApi(fake_github.url, "ghs_hidden", REPO)
    assert "ghs_hidden" not in repr(api) and "ghs_hidden" not in str(vars(api))


def test_config_report_name(gh: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    # On a push: on a pull request the name is the merge base's (tests/integration/
    # test_report_trust.py).
    monkeypatch.setenv("GITHUB_EVENT_NAME", "push")
    (gh.tmp / "mlgate.yaml").write_text("report:\n  name: churn-report\n")
    assert gh.run() == 0
    assert gh.fake.check_runs_for(REPO)[0]["name"] == "churn-report"
    assert os.path.exists(gh.tmp / ".mlgate/report.md")


def test_installation_token_that_cannot_read_user(gh: Env) -> None:
    """GITHUB_TOKEN gets 403 on GET /user: then only bot-authored marker comments are ours."""
    fake = gh.fake
    fake.add_comment(REPO, PR, f"{MARKER} (a human quoting it)", login="octocat")
    mine = fake.add_comment(REPO, PR, MARKER + "\nold", login="github-actions[bot]")
    fake.fail_next("GET", "/user", status=403,
                   body={"message": "Resource not accessible by integration"})
    assert gh.run() == 0
    assert fake.comments[mine["id"]]["body"].startswith(MARKER + "\n## ❌")
    assert "a human quoting it" in fake.issue_comments(REPO, PR)[0]["body"]


def test_user_template_via_cli(gh: Env) -> None:
    tpl = gh.tmp / "my.md.j2"
    tpl.write_text('{% extends "report.md.j2" %}{% block footer %}\nbye{% endblock %}')
    assert gh.run("--template", str(tpl)) == 0
    [comment] = our_comments(gh.fake)
    assert comment["body"].endswith("\nbye\n") and comment["body"].startswith(MARKER)


def test_concurrent_runs_leave_one_comment(gh: Env) -> None:
    """Two runs that both find no comment both post; the loser's extra is removed."""
    import threading

    from mlgate.adapters.actions import GitHubEnv
    from mlgate.adapters.github import connector
    from mlgate.console import Console
    from mlgate.core.result import parse_result
    from mlgate.report.publish import Request, publish

    gh.fake.latency = 0.15  # both list before either posts
    env = GitHubEnv.from_env()
    errors: list[BaseException] = []

    def one(doc: dict[str, Any]) -> None:
        try:
            quiet = Console(out=lambda _text: None, err=lambda _text: None)
            publish(Request([parse_result(doc)], "mlgate", gh.tmp / ".mlgate"), env, quiet,
                    connector(env.api_url, env.token, env.repository))
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=one, args=(d,))
               for d in (fx.failing_result(), fx.passing_result())]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    assert len(gh.fake.requests_matching("POST", C)) == 2
    assert len(our_comments(gh.fake)) == 1


def test_actions_token_update_takes_two_requests_plus_the_check(gh: Env,
                                                               monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    """With the workflow's GITHUB_TOKEN (ghs_…), GET /user would be a 403: it is skipped."""
    gh.fake.add_token("ghs_actions", "github-actions[bot]")
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_actions")
    gh.fake.add_comment(REPO, PR, f"{MARKER} quoted by a human", login="octocat")
    assert gh.run() == 0
    gh.write_result(fx.passing_result())
    gh.fake.clear_requests()
    assert gh.run() == 0
    # The token's identity comes from GraphQL's viewer (issue 11: only its own comments are
    # mlgate's), not from GET /user, which answers 403 to installation tokens.
    [mine] = [c for c in our_comments(gh.fake) if c["user"]["login"] != "octocat"]
    assert calls(gh.fake) == [("GET", C), ("POST", "/graphql"),
                              ("PATCH", f"/repos/{REPO}/issues/comments/{mine['id']}"),
                              ("POST", f"/repos/{REPO}/check-runs")]
    assert "quoted by a human" in gh.fake.issue_comments(REPO, PR)[0]["body"]
    assert "gate passed" in our_comments(gh.fake)[1]["body"]


def test_job_summary_is_cut_to_its_limit(gh: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlgate.report import publish as publish_mod

    monkeypatch.setattr(publish_mod, "JOB_SUMMARY_LIMIT", 40_000)
    metrics = [fx.metric(f"m{i:04d}", 1.0, 0.5, "regressed") for i in range(800)]
    gh.write_result(fx.result(metrics))
    assert gh.run() == 0
    summary = gh.summary.read_text(encoding="utf-8")
    assert len(summary.encode()) < 40_000
    assert "more metrics not shown" in summary
    assert len((gh.tmp / ".mlgate/report.md").read_bytes()) > 40_000


# ----- issue 11 case 10: only the token's own identity's comments are ours ------------------
@pytest.mark.parametrize("token", ["test-token", "ghs_actions"])
def test_other_bots_comments_are_never_edited_or_deleted(gh: Env, token: str) -> None:
    """Another app's comment holding the marker and a newer dependabot comment quoting it."""
    fake = gh.fake
    fake.add_token("ghs_actions", "github-actions[bot]")
    gh.mp.setenv("GITHUB_TOKEN", token)
    other = fake.add_comment(REPO, PR, MARKER + "\nanother app's report", login="other-app[bot]")
    mine = fake.add_comment(REPO, PR, MARKER + "\nold", login="github-actions[bot]")
    quoting = fake.add_comment(REPO, PR, f"{MARKER}\nbump numpy", login="dependabot[bot]")
    inside = fake.add_comment(REPO, PR, f"see {MARKER}", login="github-actions[bot]")
    assert gh.run() == 0
    assert fake.comments[other["id"]]["body"] == MARKER + "\nanother app's report"
    assert fake.comments[quoting["id"]]["body"] == f"{MARKER}\nbump numpy"
    assert fake.comments[inside["id"]]["body"] == f"see {MARKER}"
    assert fake.comments[mine["id"]]["body"].startswith(MARKER + "\n## ❌")
    touched = {int(r["path"].rsplit("/", 1)[1])
               for r in fake.requests_matching("*", "/repos/*/issues/comments/*")
               if r["method"] in ("PATCH", "DELETE")}
    assert touched == {mine["id"]}


def test_an_installation_token_learns_its_identity_from_graphql(gh: Env) -> None:
    fake = gh.fake
    fake.add_token("ghs_otherapp", "my-app[bot]")
    gh.mp.setenv("GITHUB_TOKEN", "ghs_otherapp")
    actions = fake.add_comment(REPO, PR, MARKER + "\nby actions", login="github-actions[bot]")
    mine = fake.add_comment(REPO, PR, MARKER + "\nold", login="my-app[bot]")
    assert gh.run() == 0
    assert fake.requests_matching("POST", "/graphql")
    assert not fake.requests_matching("GET", "/user")
    assert fake.comments[actions["id"]]["body"] == MARKER + "\nby actions"
    assert fake.comments[mine["id"]]["body"].startswith(MARKER + "\n## ❌")


def test_identity_unknown_creates_then_keeps_only_its_own(gh: Env) -> None:
    """GraphQL failing too: nothing is taken for ours; the created comment tells who we are."""
    fake = gh.fake
    fake.fail_next("POST", "/graphql", status=403, times=10,
                   body={"message": "Resource not accessible by integration"})
    gh.mp.setenv("MLGATE_GITHUB_ATTEMPTS", "1")
    fake.add_token("ghs_actions", "github-actions[bot]")
    gh.mp.setenv("GITHUB_TOKEN", "ghs_actions")
    bot = fake.add_comment(REPO, PR, MARKER + "\nnot ours", login="renovate[bot]")
    assert gh.run() == 0
    assert fake.comments[bot["id"]]["body"] == MARKER + "\nnot ours"
    assert len([c for c in fake.issue_comments(REPO, PR)
                if c["user"]["login"] == "github-actions[bot]"]) == 1


# ----- issue 12: faults of the GitHub API ---------------------------------------------------
def test_a_trickling_body_is_cut_by_the_deadline(gh: Env, capsys: Any) -> None:
    """One byte per second: no read ever times out; the whole-call deadline (6 timeouts when
    MLGATE_GITHUB_DEADLINE is unset) ends it."""
    gh.mp.setenv("MLGATE_GITHUB_TIMEOUT", "2")
    gh.fake.add_comment(REPO, PR, "a comment of some length " * 4)
    gh.fake.trickle_next("GET", C, interval=1.0)
    t0 = time.monotonic()
    assert gh.run() == 3
    assert time.monotonic() - t0 < 16
    assert "within the deadline of 12 s" in capsys.readouterr().err
    assert len(gh.fake.requests_matching("GET", C)) == 1  # cut, not retried past it


def test_a_secondary_limit_without_retry_after_is_waited_out(gh: Env) -> None:
    gh.mp.setenv("MLGATE_GITHUB_SECONDARY_WAIT", "0")
    gh.fake.rate_limit_next("POST", C, status=403, secondary=True)
    assert gh.run() == 0
    assert len(gh.fake.requests_matching("POST", C)) == 2
    assert len(our_comments(gh.fake)) == 1


def test_abuse_detection_is_retried_not_taken_for_a_fork(gh: Env, capsys: Any) -> None:
    gh.mp.setenv("MLGATE_GITHUB_SECONDARY_WAIT", "0")
    gh.fake.fail_next("POST", C, status=403,
                      body={"message": "You have triggered an abuse detection mechanism."})
    assert gh.run() == 0
    assert len(our_comments(gh.fake)) == 1
    assert "fork" not in capsys.readouterr().out


@pytest.mark.parametrize("token", ["ghp_SECRET\u2603TOKEN", "ghp_SECRETPART\nTOKENPART"])
def test_a_token_no_header_can_carry_is_exit_2_and_never_shown(gh: Env, capsys: Any,
                                                              token: str) -> None:
    gh.mp.setenv("GITHUB_ACTIONS", "true")
    gh.mp.setenv("GITHUB_TOKEN", token)
    assert gh.run() == 2
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "GITHUB_TOKEN" in captured.err
    for part in ("SECRET", "TOKEN" + "PART", repr(token)):
        assert part not in text
    assert gh.fake.requests == []


@pytest.mark.parametrize("schema", [True, 1.0])
def test_a_result_whose_schema_is_not_the_integer_1_is_refused(gh: Env, capsys: Any,
                                                               schema: Any) -> None:
    doc = fx.failing_result()
    doc["schema"] = schema
    gh.write_result(doc)
    assert gh.run() == 2
    assert "schema" in capsys.readouterr().err
    assert gh.fake.requests == []
