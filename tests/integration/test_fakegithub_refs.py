"""Git refs in the fake GitHub server (tags made by publishing a release), driven by PyGithub."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.fakegithub import FakeGitHub
from tests.fakegithub.server import fake_sha

REPO = "octo/demo"
SHA = "c" * 40


def gh_repo(fake: FakeGitHub, token: str = "test-token", per_page: int = 30) -> Any:
    from github import Auth, Github

    client = Github(auth=Auth.Token(token), base_url=fake.url, retry=None, per_page=per_page,
                    seconds_between_requests=0, seconds_between_writes=0)
    return client.get_repo(REPO)


def raw(url: str, method: str, path: str, body: Any = None,
        token: str | None = "test-token") -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + path, data=data, method=method)
    if token:
        req.add_header("Authorization", f"token {token}")
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            text = resp.read()
            return resp.status, json.loads(text) if text else None
    except urllib.error.HTTPError as err:
        text = err.read()
        return err.code, json.loads(text) if text else None


def status_of(fn: Any) -> int | None:
    from github import GithubException

    with pytest.raises(GithubException) as err:
        fn()
    return err.value.status


def test_tag_ref_lifecycle(fake_github: FakeGitHub) -> None:
    fake = fake_github
    repo = gh_repo(fake)
    made = repo.create_git_ref("refs/tags/models/churn/v1.0.0", SHA)
    assert made.ref == "refs/tags/models/churn/v1.0.0"
    assert made.url == f"{fake.url}/repos/{REPO}/git/refs/tags/models/churn/v1.0.0"
    got = repo.get_git_ref("tags/models/churn/v1.0.0")
    assert (got.ref, got.object.sha, got.object.type) == (made.ref, SHA, "commit")
    assert got.object.url == f"{fake.url}/repos/{REPO}/git/commits/{SHA}"
    assert got.node_id
    repo.create_git_ref("refs/tags/other", "d" * 40)
    assert [r.ref for r in repo.get_git_matching_refs("tags/models/")] == [made.ref]
    assert [r.ref for r in repo.get_git_matching_refs("tags/nope")] == []
    assert fake.tags_for(REPO) == {"models/churn/v1.0.0": SHA, "other": "d" * 40}

    assert status_of(lambda: repo.create_git_ref(made.ref, "e" * 40)) == 422
    assert fake.requests[-1]["status"] == 422
    assert raw(fake.url, "POST", f"/repos/{REPO}/git/refs", {"ref": made.ref, "sha": SHA}) == (
        422, {"message": "Reference already exists",
              "documentation_url": "https://docs.github.com/rest", "status": "422"})
    assert raw(fake.url, "POST", f"/repos/{REPO}/git/refs",
               {"ref": "tags/v9", "sha": SHA})[0] == 422
    assert raw(fake.url, "POST", f"/repos/{REPO}/git/refs",
               {"ref": "refs/tags/v9", "sha": "not-a-sha"})[0] == 422

    got.delete()
    assert fake.requests[-1]["method"] == "DELETE"
    assert fake.requests[-1]["path"] == f"/repos/{REPO}/git/refs/tags/models/churn/v1.0.0"
    assert fake.tags_for(REPO) == {"other": "d" * 40}
    assert status_of(lambda: repo.get_git_ref("tags/models/churn/v1.0.0")) == 404
    status, body = raw(fake.url, "DELETE", f"/repos/{REPO}/git/refs/tags/models/churn/v1.0.0")
    assert (status, body["message"]) == (422, "Reference does not exist")
    assert raw(fake.url, "GET", f"/repos/{REPO}/git/ref/tags/nothing")[0] == 404
    assert raw(fake.url, "GET", f"/repos/{REPO}/git/ref/tags/other", token=None)[0] == 401


def test_legacy_refs_path_gives_the_ref_or_the_refs_it_prefixes(fake_github: FakeGitHub) -> None:
    fake = fake_github
    fake.add_tag(REPO, "churn-v1", SHA)
    fake.add_tag(REPO, "churn-v2", "d" * 40)
    status, body = raw(fake.url, "GET", f"/repos/{REPO}/git/refs/tags/churn-v1")
    assert (status, body["ref"], body["object"]["sha"]) == (200, "refs/tags/churn-v1", SHA)
    status, body = raw(fake.url, "GET", f"/repos/{REPO}/git/refs/tags/churn-")
    assert status == 200 and [r["ref"] for r in body] == ["refs/tags/churn-v1",
                                                          "refs/tags/churn-v2"]
    assert raw(fake.url, "GET", f"/repos/{REPO}/git/refs/tags/x")[0] == 404
    status, body = raw(fake.url, "GET", f"/repos/{REPO}/git/refs")
    assert [r["ref"] for r in body] == ["refs/heads/main", "refs/tags/churn-v1",
                                        "refs/tags/churn-v2"]
    # Moving a ref (PATCH) is there too.
    status, body = raw(fake.url, "PATCH", f"/repos/{REPO}/git/refs/tags/churn-v1",
                       {"sha": "e" * 40, "force": True})
    assert (status, body["object"]["sha"]) == (200, "e" * 40)
    assert raw(fake.url, "PATCH", f"/repos/{REPO}/git/refs/tags/nope", {"sha": SHA})[0] == 422


def test_matching_refs_are_paginated(fake_github: FakeGitHub) -> None:
    fake = fake_github
    for i in range(5):
        fake.add_tag(REPO, f"m-v1.0.{i}", SHA)
    repo = gh_repo(fake, per_page=2)  # three pages, through the Link header
    assert [r.ref for r in repo.get_git_matching_refs("tags/m-v")] == [
        f"refs/tags/m-v1.0.{i}" for i in range(5)]
    pages = fake.requests_matching("GET", f"/repos/{REPO}/git/matching-refs/*")
    assert [r["query"].get("page", "1") for r in pages] == ["1", "2", "3"]


def test_publishing_a_release_creates_its_tag_and_deleting_it_keeps_the_tag(
    fake_github: FakeGitHub,
) -> None:
    fake = fake_github
    repo = gh_repo(fake)
    draft = repo.create_git_release("m-v1", "m 1", "", draft=True, target_commitish=SHA)
    assert fake.tags_for(REPO) == {}  # a draft has no tag yet
    assert status_of(lambda: repo.get_git_ref("tags/m-v1")) == 404
    draft.update_release("m 1", "", draft=False)
    assert fake.tags_for(REPO) == {"m-v1": SHA}
    assert repo.get_git_ref("tags/m-v1").object.sha == SHA

    # Published at once, on a branch name: the branch's (made-up) sha; the default branch.
    fake.add_branch(REPO, "release", "f" * 40)
    repo.create_git_release("m-v2", "m 2", "", target_commitish="release")
    repo.create_git_release("m-v3", "m 3", "")
    main_sha = fake_sha(f"{REPO}:main")
    assert fake.tags_for(REPO) == {"m-v1": SHA, "m-v2": "f" * 40, "m-v3": main_sha}

    # A tag that exists is used as it is, whatever target_commitish says.
    fake.add_tag(REPO, "m-v4", "a" * 40)
    repo.create_git_release("m-v4", "m 4", "", target_commitish=SHA)
    assert fake.tags_for(REPO)["m-v4"] == "a" * 40

    # An unknown branch: 422, the release stays a draft and no tag is made.
    other = repo.create_git_release("m-v5", "m 5", "", draft=True, target_commitish="nope")
    assert status_of(lambda: other.update_release("m 5", "", draft=False)) == 422
    assert fake.releases[other.id]["draft"] is True and "m-v5" not in fake.tags_for(REPO)

    for rel in repo.get_releases():
        rel.delete_release()
    assert fake.releases_for(REPO) == []
    assert sorted(fake.tags_for(REPO)) == ["m-v1", "m-v2", "m-v3", "m-v4"]


def test_faults_and_read_only_tokens_on_ref_routes(fake_github: FakeGitHub) -> None:
    fake = fake_github
    repo = gh_repo(fake)
    fake.fail_next("GET", f"/repos/{REPO}/git/ref/tags/*", status=502)
    fake.fail_next("POST", f"/repos/{REPO}/git/refs", status=500, after=True)
    assert status_of(lambda: repo.get_git_ref("tags/v1")) == 502
    assert status_of(lambda: repo.create_git_ref("refs/tags/v1", SHA)) == 500
    assert fake.tags_for(REPO) == {"v1": SHA}  # the write happened, the answer was lost
    ref = repo.get_git_ref("tags/v1")
    fake.fail_next("DELETE", f"/repos/{REPO}/git/refs/tags/*", status=503)
    assert status_of(ref.delete) == 503
    assert fake.tags_for(REPO) == {"v1": SHA}
    fake.rate_limit_next("GET", f"/repos/{REPO}/git/matching-refs/*", status=429,
                         retry_after=3)
    assert status_of(lambda: list(repo.get_git_matching_refs("tags/"))) == 429

    fake.add_token("ro", "fork-bot[bot]", read_only=True)
    ro = gh_repo(fake, "ro")
    assert ro.get_git_ref("tags/v1").object.sha == SHA
    assert status_of(lambda: ro.create_git_ref("refs/tags/v2", SHA)) == 403
    assert status_of(ro.get_git_ref("tags/v1").delete) == 403
    ref.delete()
    assert fake.tags_for(REPO) == {}


def test_standalone_server_dumps_and_seeds_refs(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakegithub", "--state-file", str(state),
         "--repo", REPO],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip().split("=", 1)[1]
        seed = {"refs": [{"repo": REPO, "ref": "refs/tags/old", "sha": SHA}]}
        assert raw(url, "POST", "/_fake/seed", seed, token=None)[0] == 204
        assert raw(url, "POST", f"/repos/{REPO}/releases",
                   {"tag_name": "m-v1", "target_commitish": "d" * 40})[0] == 201
        refs = json.loads(state.read_text(encoding="utf-8"))["refs"]
        assert {(r["repo"], r["ref"], r["sha"]) for r in refs} == {
            (REPO, "refs/heads/main", fake_sha(f"{REPO}:main")),
            (REPO, "refs/tags/old", SHA), (REPO, "refs/tags/m-v1", "d" * 40)}
        assert raw(url, "GET", "/_fake/state", token=None)[1]["refs"] == refs
    finally:
        proc.terminate()
        proc.wait(timeout=5)
