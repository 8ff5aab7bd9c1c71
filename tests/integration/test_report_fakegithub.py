"""The fake GitHub server itself, driven by PyGithub as mlgate drives it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.fakegithub import FakeGitHub


def gh(fake: FakeGitHub, token: str = "test-token") -> Any:
    from github import Auth, Github

    return Github(auth=Auth.Token(token), base_url=fake.url, retry=None,
                  seconds_between_requests=0, seconds_between_writes=0, lazy=True)


def raw(fake: FakeGitHub, method: str, path: str, body: Any = None,
        token: str | None = "test-token") -> tuple[int, dict[str, str], Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(fake.url + path, data=data, method=method)
    if token:
        req.add_header("Authorization", f"token {token}")
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            text = resp.read()
            return resp.status, dict(resp.headers), json.loads(text) if text else None
    except urllib.error.HTTPError as err:
        text = err.read()
        return err.code, dict(err.headers), json.loads(text) if text else None


def test_user_and_comment_lifecycle(fake_github: FakeGitHub) -> None:
    fake = fake_github
    g = gh(fake)
    assert g.get_user().login == "github-actions[bot]"
    repo = g.get_repo("octo/demo")
    issue = repo.get_issue(5)
    c = issue.create_comment("hello")
    assert c.user.login == "github-actions[bot]"
    assert c.html_url.endswith(f"#issuecomment-{c.id}")
    c.edit("hello again")
    assert fake.comments[c.id]["body"] == "hello again"
    assert [x.body for x in issue.get_comments()] == ["hello again"]
    c.delete()
    assert fake.issue_comments("octo/demo", 5) == []
    assert [(r["method"], r["status"]) for r in fake.requests] == [
        ("GET", 200), ("POST", 201), ("PATCH", 200), ("GET", 200), ("DELETE", 204)]


def test_pagination_link_headers(fake_github: FakeGitHub) -> None:
    fake = fake_github
    for i in range(250):
        fake.add_comment("octo/demo", 1, f"c{i}")
    status, headers, page = raw(fake, "GET", "/repos/octo/demo/issues/1/comments?per_page=100")
    assert status == 200 and len(page) == 100
    link = headers["link"]
    assert 'per_page=100&page=2>; rel="next"' in link and 'page=3>; rel="last"' in link
    status, headers, page = raw(fake, "GET",
                                "/repos/octo/demo/issues/1/comments?per_page=100&page=3")
    assert len(page) == 50 and 'rel="next"' not in headers["link"]
    _, _, default_page = raw(fake, "GET", "/repos/octo/demo/issues/1/comments")
    assert len(default_page) == 30
    g = gh(fake)
    g.per_page = 100
    bodies = [c.body for c in g.get_repo("octo/demo").get_issue(1).get_comments()]
    assert bodies == [f"c{i}" for i in range(250)]


def test_errors(fake_github: FakeGitHub) -> None:
    fake = fake_github
    assert raw(fake, "GET", "/user", token=None)[0] == 401
    assert raw(fake, "GET", "/user", token="nope")[0] == 401
    assert raw(fake, "GET", "/repos/octo/missing")[0] == 404
    assert raw(fake, "POST", "/repos/octo/demo/issues/1/comments", {"body": ""})[0] == 422
    assert raw(fake, "POST", "/repos/octo/demo/issues/1/comments",
               {"body": "x" * 65537})[0] == 422
    assert raw(fake, "POST", "/repos/octo/demo/issues/1/comments",
               {"body": "x" * 65536})[0] == 201
    req = urllib.request.Request(fake.url + "/repos/octo/demo/issues/1/comments",
                                 data=b"{oops", method="POST",
                                 headers={"Authorization": "token test-token"})
    with pytest.raises(urllib.error.HTTPError) as bad:
        urllib.request.urlopen(req, timeout=5)
    assert bad.value.code == 400
    fake.add_token("ro", "fork-bot", read_only=True)
    status, _, body = raw(fake, "POST", "/repos/octo/demo/issues/1/comments", {"body": "x"},
                          token="ro")
    assert status == 403 and "not accessible" in body["message"]
    assert raw(fake, "GET", "/repos/octo/demo/issues/1/comments", token="ro")[0] == 200


def test_fault_injection(fake_github: FakeGitHub) -> None:
    fake = fake_github
    fake.fail_next("GET", "/user", status=502, times=2)
    fake.rate_limit_next("GET", "/user", status=429, retry_after=3)
    assert raw(fake, "GET", "/user")[0] == 502
    assert raw(fake, "GET", "/user")[0] == 502
    status, headers, _ = raw(fake, "GET", "/user")
    assert status == 429 and headers["retry-after"] == "3"
    fake.rate_limit_next("GET", "/user")
    status, headers, _ = raw(fake, "GET", "/user")
    assert status == 403 and headers["x-ratelimit-remaining"] == "0"
    assert raw(fake, "GET", "/user")[0] == 200
    fake.hang_next("GET", "/user", 0.3)
    t0 = time.monotonic()
    assert raw(fake, "GET", "/user")[0] == 200
    assert time.monotonic() - t0 >= 0.3


def test_check_runs(fake_github: FakeGitHub) -> None:
    fake = fake_github
    repo = gh(fake).get_repo("octo/demo")
    run = repo.create_check_run(name="mlgate", head_sha="a" * 40, status="completed",
                                conclusion="failure",
                                output={"title": "t", "summary": "s"})
    assert run.conclusion == "failure" and run.output.summary == "s"
    run.edit(conclusion="success", output={"title": "t2", "summary": "s2"})
    assert fake.check_runs[run.id]["conclusion"] == "success"
    listed = list(repo.get_commit("a" * 40).get_check_runs(check_name="mlgate"))
    assert [r.id for r in listed] == [run.id]
    status, _, _ = raw(fake, "POST", "/repos/octo/demo/check-runs",
                       {"name": "x", "head_sha": "a" * 40, "conclusion": "success",
                        "output": {"title": "t", "summary": "s" * 65536}})
    assert status == 422


def test_releases_and_assets(fake_github: FakeGitHub, tmp_path: Path) -> None:
    fake = fake_github
    repo = gh(fake).get_repo("octo/demo")
    rel = repo.create_git_release("v1", "Model v1", "card")
    f = tmp_path / "model.joblib"
    f.write_bytes(b"\x00model-bytes")
    asset = rel.upload_asset(str(f), name="model.joblib")
    assert asset.size == 12
    with pytest.raises(Exception) as err:
        rel.upload_asset(str(f), name="model.joblib")
    assert getattr(err.value, "status", None) == 422
    assert repo.get_latest_release().tag_name == "v1"
    assert repo.get_release("v1").id == rel.id
    assert [a.name for a in repo.get_release(rel.id).get_assets()] == ["model.joblib"]
    with urllib.request.urlopen(asset.browser_download_url, timeout=5) as resp:
        assert resp.read() == b"\x00model-bytes"
    with pytest.raises(Exception) as err:
        repo.create_git_release("v1", "again", "")
    assert getattr(err.value, "status", None) == 422
    asset.delete_asset()
    rel.delete_release()
    assert fake.releases_for("octo/demo") == []
    assert raw(fake, "GET", "/repos/octo/demo/releases/latest")[0] == 404


def test_standalone_server_writes_state(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakegithub", "--state-file", str(state),
         "--repo", "octo/demo"],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("FAKEGITHUB_URL=http://127.0.0.1:")
        url = line.split("=", 1)[1]
        req = urllib.request.Request(url + "/repos/octo/demo/issues/3/comments",
                                     data=b'{"body": "hi"}', method="POST",
                                     headers={"Authorization": "Bearer test-token"})
        with urllib.request.urlopen(req, timeout=5) as resp:
            assert resp.status == 201
        snap = json.loads(state.read_text(encoding="utf-8"))
        assert [c["body"] for c in snap["comments"]] == ["hi"]
        assert snap["requests"][-1]["method"] == "POST"
    finally:
        proc.terminate()
        proc.wait(timeout=5)
