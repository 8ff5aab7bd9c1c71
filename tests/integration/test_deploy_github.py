"""mlgate deploy --target github-release against the fake GitHub server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlgate.cli import main
from mlgate.deploy.champion import embed_metrics, extract_metrics
from tests.fakegithub import FakeGitHub
from tests.helpers.deployproj import Project, read_outputs

REPO = "octo/demo"
UPLOADS = f"/uploads/repos/{REPO}/releases/*/assets"
# The model, the trainer's model.json (for `mlgate drift`), the model card, result.json.
ASSETS = ["model.joblib", "model.json", "model_card.md", "result.json"]



@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeGitHub) -> Project:
    proj = Project(tmp_path, deploy={"target": "github-release"})
    proj.write_model()
    monkeypatch.chdir(proj.path)
    return proj


def deploy(*args: str) -> int:
    return main(["deploy", *args])


def releases(fake: FakeGitHub) -> list[dict[str, Any]]:
    return sorted(fake.releases_for(REPO), key=lambda r: r["id"])


def asset_names(release: dict[str, Any]) -> list[str]:
    return sorted(a["name"] for a in release["assets"])


def test_creates_a_release_with_its_assets_then_is_idempotent(
    project: Project, fake: FakeGitHub, gh_files: dict[str, Path]
) -> None:
    sha = project.train({"accuracy": 0.95, "f1": 0.8})
    assert deploy() == 0
    [rel] = releases(fake)
    assert rel["tag_name"] == "churn-v1.0.0"
    assert rel["target_commitish"] == sha
    assert rel["draft"] is False
    # model.json (the trainer's record) ships too, for `mlgate drift` in a scheduled job.
    assert asset_names(rel) == ASSETS
    data = {fake.assets[a["id"]]["name"]: fake.asset_data[a["id"]] for a in rel["assets"]}
    assert json.loads(data["model.json"])["data"]["path"] == "data/train.csv"
    assert data["model.joblib"] == b"fake-joblib-bytes"
    assert json.loads(data["result.json"])["head"]["sha"] == sha
    assert data["model_card.md"].decode() == rel["body"]
    assert "# Model card: churn 1.0.0" in rel["body"]
    assert "sklearn.linear_model.LogisticRegression" in rel["body"]
    assert extract_metrics(rel["body"]) == {"accuracy": 0.95, "f1": 0.8}
    outputs = read_outputs(gh_files["output"])
    assert outputs == {"deployed": "true", "version": "1.0.0", "url": rel["html_url"]}
    # Every write went without throttling and the token was sent.
    assert all(r["headers"]["authorization"] == "token test-token" for r in fake.requests)

    # Re-run for the same commit: reported, nothing created.
    creates = len(fake.requests_matching("POST", f"/repos/{REPO}/releases"))
    gh_files["output"].unlink()
    assert deploy() == 0
    assert len(fake.requests_matching("POST", f"/repos/{REPO}/releases")) == creates
    assert len(releases(fake)) == 1
    assert read_outputs(gh_files["output"]) == outputs
    assert "already deployed" in gh_files["summary"].read_text()


def test_next_version_and_champion_from_the_latest_release(
    project: Project, fake: FakeGitHub, gh_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    project.train({"accuracy": 0.95, "f1": 0.8})
    assert deploy() == 0
    project.train({"accuracy": 0.96, "f1": 0.8})
    assert deploy() == 0
    assert [r["tag_name"] for r in releases(fake)] == ["churn-v1.0.0", "churn-v1.0.1"]
    assert "release churn-v1.0.0" in capsys.readouterr().out
    # Within tolerance of each merge base, but 0.016 below the deployed 0.96.
    project.train({"accuracy": 0.952, "f1": 0.8})
    project.train({"accuracy": 0.944, "f1": 0.8})
    assert deploy() == 1
    err = capsys.readouterr().err
    assert "does not beat the deployed model" in err and "dropped 0.016" in err
    assert len(releases(fake)) == 2
    assert "| accuracy | 0.96 | 0.944 | -0.016 | regressed |" in gh_files["summary"].read_text()
    assert read_outputs(gh_files["output"])["deployed"] == "false"


def test_champion_check_can_be_turned_off(project: Project, fake: FakeGitHub) -> None:
    project.train({"accuracy": 0.96, "f1": 0.8})
    assert deploy() == 0
    project.train({"accuracy": 0.952, "f1": 0.8})
    project.train({"accuracy": 0.944, "f1": 0.8})
    assert deploy() == 1
    project.set_deploy({"target": "github-release", "champion": False})
    assert deploy() == 0
    assert [r["tag_name"] for r in releases(fake)] == ["churn-v1.0.0", "churn-v1.0.1"]


def test_explicit_version_bump_and_prefix(project: Project, fake: FakeGitHub) -> None:
    project.set_deploy({"target": "github-release", "tag-prefix": "models/churn/v",
                        "bump": "minor"})
    project.train({"accuracy": 0.95, "f1": 0.8})
    assert deploy("--version", "2.4.0") == 0
    project.train({"accuracy": 0.95, "f1": 0.8})
    assert deploy() == 0
    assert [r["tag_name"] for r in releases(fake)] == ["models/churn/v2.4.0", "models/churn/v2.5.0"]
    project.train({"accuracy": 0.95, "f1": 0.8})
    assert deploy("--version", "2.5.0") == 2  # taken by another commit


@pytest.mark.parametrize("asset", ["result.json", "model_card.md"])
def test_champion_from_the_assets_of_a_hand_made_release(
    project: Project, fake: FakeGitHub, tmp_path: Path, asset: str
) -> None:
    from github import Auth, Github

    project.train({"accuracy": 0.95, "f1": 0.8})
    result = project.path / ".mlgate" / "result.json"
    if asset == "model_card.md":
        result = tmp_path / "model_card.md"
        result.write_text("# card\n" + embed_metrics({"accuracy": 0.95, "f1": 0.8}) + "\n")
    client = Github(auth=Auth.Token("test-token"), base_url=fake.url, retry=None,
                    seconds_between_requests=0, seconds_between_writes=0)
    rel = client.get_repo(REPO).create_git_release("churn-v5.0.0", name="v5", message="by hand")
    rel.upload_asset(str(result), name=asset)
    project.train({"accuracy": 0.945, "f1": 0.8})
    project.train({"accuracy": 0.935, "f1": 0.8})
    assert deploy() == 1  # 0.015 below the release's result.json
    project.train({"accuracy": 0.945, "f1": 0.8})
    assert deploy() == 0
    assert releases(fake)[-1]["tag_name"] == "churn-v5.0.1"


@pytest.mark.parametrize("times", [1, 3])
def test_transient_upload_failures_are_retried(
    project: Project, fake: FakeGitHub, times: int
) -> None:
    project.train({"accuracy": 0.95, "f1": 0.8})
    fake.fail_next("POST", UPLOADS, status=502, times=times)
    assert deploy() == 0
    [rel] = releases(fake)
    assert asset_names(rel) == ASSETS
    assert rel["draft"] is False


def test_rate_limits_are_waited_out_within_bounds(
    project: Project, fake: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    project.train({"accuracy": 0.95, "f1": 0.8})
    fake.rate_limit_next("POST", f"/repos/{REPO}/releases", status=429, retry_after=0)
    fake.rate_limit_next("POST", UPLOADS, status=403, retry_after=0)
    assert deploy() == 0
    assert asset_names(releases(fake)[0]) == ASSETS
    # A limit that resets in an hour is not waited for.
    project.train({"accuracy": 0.95, "f1": 0.8})
    fake.rate_limit_next("POST", f"/repos/{REPO}/releases", reset_in=3600)
    assert deploy() == 3
    assert "rate limit" in capsys.readouterr().err
    assert len(releases(fake)) == 1


def test_failed_asset_upload_leaves_no_release(
    project: Project, fake: FakeGitHub, gh_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    project.train({"accuracy": 0.95, "f1": 0.8})
    # The first asset goes up, the second fails on every attempt.
    fake.fail_next("POST", UPLOADS, status=0, times=1)
    fake.fail_next("POST", UPLOADS, status=503, times=4)
    assert deploy() == 3
    err = capsys.readouterr().err
    assert "GitHub failed to upload result.json to release churn-v1.0.0 after 4 attempts" in err
    assert releases(fake) == [] and fake.assets == {}
    assert fake.requests_matching("DELETE", f"/repos/{REPO}/releases/*")
    assert read_outputs(gh_files["output"])["deployed"] == "false"
    # Nothing was ever public: the release stayed a draft until the assets were up.
    assert not fake.requests_matching("PATCH", f"/repos/{REPO}/releases/*")
    # The next run starts clean and succeeds.
    assert deploy() == 0
    assert [r["tag_name"] for r in releases(fake)] == ["churn-v1.0.0"]


def test_a_stale_draft_from_a_killed_run_is_replaced(project: Project, fake: FakeGitHub) -> None:
    from github import Auth, Github

    client = Github(auth=Auth.Token("test-token"), base_url=fake.url, retry=None,
                    seconds_between_requests=0, seconds_between_writes=0)
    client.get_repo(REPO).create_git_release("churn-v1.0.0", name="half", message="x",
                                             draft=True)
    sha = project.train({"accuracy": 0.95, "f1": 0.8})
    assert deploy() == 0
    [rel] = releases(fake)
    assert (rel["tag_name"], rel["draft"], rel["target_commitish"]) == ("churn-v1.0.0", False, sha)
    assert asset_names(rel) == ASSETS


def test_failed_publish_leaves_no_release(project: Project, fake: FakeGitHub) -> None:
    project.train({"accuracy": 0.95, "f1": 0.8})
    fake.fail_next("PATCH", f"/repos/{REPO}/releases/*", status=500, times=10)
    assert deploy() == 3
    assert releases(fake) == []


def test_github_down_is_exit_3(
    project: Project, fake: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    project.train({"accuracy": 0.95, "f1": 0.8})
    fake.fail_next("POST", f"/repos/{REPO}/releases", status=502, times=10)
    assert deploy() == 3
    assert "GitHub failed to create release churn-v1.0.0 after 4 attempts" in (
        capsys.readouterr().err
    )
    assert releases(fake) == []


def test_read_only_token_is_exit_3_without_retries(
    project: Project, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake.add_token("ro-token", "octocat", read_only=True)
    monkeypatch.setenv("GITHUB_TOKEN", "ro-token")
    project.train({"accuracy": 0.95, "f1": 0.8})
    assert deploy() == 3
    err = capsys.readouterr().err
    assert "GitHub refused to create release churn-v1.0.0" in err and "contents: write" in err
    assert len(fake.requests_matching("POST", f"/repos/{REPO}/releases")) == 1
    assert "ro-token" not in err


@pytest.mark.parametrize(("unset", "needle"),
                         [("GITHUB_TOKEN", "needs a token"),
                          ("GITHUB_REPOSITORY", "needs the repository")])
def test_missing_github_settings_are_exit_2(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    unset: str, needle: str,
) -> None:
    project.train({"accuracy": 0.95, "f1": 0.8})
    monkeypatch.delenv(unset)
    assert deploy() == 2
    assert needle in capsys.readouterr().err


def test_missing_model_file_is_exit_2_and_creates_nothing(
    project: Project, fake: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    project.train({"accuracy": 0.95, "f1": 0.8})
    (project.path / ".mlgate" / "model" / "model.joblib").unlink()
    assert deploy() == 2
    assert "the model file does not exist" in capsys.readouterr().err
    assert releases(fake) == []


def test_refused_gate_makes_no_github_calls(project: Project, fake: FakeGitHub) -> None:
    project.repo.checkout("feature", new=True)
    project.train({"accuracy": 0.95, "f1": 0.8}, push=False)
    assert deploy() == 1
    assert fake.requests == []


def test_a_deploy_leaves_exactly_its_tag_on_the_head_commit(
    project: Project, fake: FakeGitHub
) -> None:
    first = project.train({"accuracy": 0.95, "f1": 0.8})
    assert first == project.repo.git("rev-parse", "HEAD").strip()
    assert deploy() == 0
    # Probed before the draft (404: no tag yet), made by the publish.
    [probe] = fake.requests_matching("GET", f"/repos/{REPO}/git/ref/tags/churn-v1.0.0")
    assert probe["status"] == 404
    assert fake.requests.index(probe) < fake.requests.index(
        fake.requests_matching("POST", f"/repos/{REPO}/releases")[0])
    assert fake.tags_for(REPO) == {"churn-v1.0.0": first}
    second = project.train({"accuracy": 0.96, "f1": 0.8})
    assert deploy() == 0
    assert fake.tags_for(REPO) == {"churn-v1.0.0": first, "churn-v1.0.1": second}
    assert not fake.requests_matching("DELETE", f"/repos/{REPO}/git/refs/*")


@pytest.mark.parametrize("after", [True, False], ids=["published-answer-lost", "refused"])
def test_failed_publish_after_the_uploads_leaves_no_release_draft_or_tag(
    project: Project, fake: FakeGitHub, capsys: pytest.CaptureFixture[str], after: bool
) -> None:
    sha = project.train({"accuracy": 0.95, "f1": 0.8})
    # after=True: GitHub publishes (and tags) every time, but the answer is a 500.
    fake.fail_next("PATCH", f"/repos/{REPO}/releases/*", status=500, times=4, after=after)
    assert deploy() == 3
    assert "GitHub failed to publish release churn-v1.0.0 after 4 attempts" in (
        capsys.readouterr().err)
    uploads = fake.requests_matching("POST", UPLOADS)
    patches = fake.requests_matching("PATCH", f"/repos/{REPO}/releases/*")
    assert [r["status"] for r in uploads] == [201] * len(ASSETS) and len(patches) == 4
    assert fake.requests.index(uploads[-1]) < fake.requests.index(patches[0])
    assert fake.releases == {} and fake.assets == {}
    assert fake.tags_for(REPO) == {}
    deleted = fake.requests_matching("DELETE", f"/repos/{REPO}/git/refs/tags/churn-v1.0.0")
    assert [r["status"] for r in deleted] == ([204] if after else [])
    # The next run starts clean.
    assert deploy() == 0
    assert fake.tags_for(REPO) == {"churn-v1.0.0": sha}


def test_failed_publish_keeps_a_tag_that_existed_before(
    project: Project, fake: FakeGitHub
) -> None:
    sha = project.train({"accuracy": 0.95, "f1": 0.8})
    fake.add_tag(REPO, "churn-v1.0.0", sha)  # pushed by hand, no release
    fake.fail_next("PATCH", f"/repos/{REPO}/releases/*", status=500, times=4, after=True)
    assert deploy() == 3
    assert fake.releases == {}
    assert fake.tags_for(REPO) == {"churn-v1.0.0": sha}
    assert not fake.requests_matching("DELETE", f"/repos/{REPO}/git/refs/*")
    assert deploy() == 0
    [rel] = releases(fake)
    assert (rel["tag_name"], rel["draft"]) == ("churn-v1.0.0", False)
    assert fake.tags_for(REPO) == {"churn-v1.0.0": sha}


def test_a_tag_on_another_commit_is_refused_before_any_write(
    project: Project, fake: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    project.train({"accuracy": 0.95, "f1": 0.8})
    fake.add_tag(REPO, "churn-v1.0.0", "e" * 40)
    assert deploy() == 2
    err = capsys.readouterr().err
    assert "tag churn-v1.0.0 already exists on commit eeeeeeeeeeee" in err
    assert fake.releases == {} and fake.tags_for(REPO) == {"churn-v1.0.0": "e" * 40}
    assert [r["method"] for r in fake.requests if r["method"] != "GET"] == []
    # Another version goes through.
    assert deploy("--version", "1.0.1") == 0
    assert sorted(fake.tags_for(REPO)) == ["churn-v1.0.0", "churn-v1.0.1"]


def test_a_failed_tag_probe_is_retried(project: Project, fake: FakeGitHub) -> None:
    sha = project.train({"accuracy": 0.95, "f1": 0.8})
    fake.fail_next("GET", f"/repos/{REPO}/git/ref/tags/*", status=502, times=2)
    assert deploy() == 0
    assert len(fake.requests_matching("GET", f"/repos/{REPO}/git/ref/tags/*")) == 3
    assert fake.tags_for(REPO) == {"churn-v1.0.0": sha}


def test_a_rejected_token_is_exit_2_like_in_the_report(
    project: Project, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The one retry policy of the GitHub adapter: a 401 is bad input, not a GitHub failure.
    monkeypatch.setenv("GITHUB_TOKEN", "wrong-token")
    project.train({"accuracy": 0.95, "f1": 0.8})
    assert deploy() == 2
    err = capsys.readouterr().err
    assert "GitHub rejected the token" in err and "wrong-token" not in err
    assert releases(fake) == []


def test_two_concurrent_deploys_the_loser_says_another_run_deployed(
    project: Project, fake: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    """Both list no release, both create one: GitHub answers the second 422 already_exists."""
    import threading

    project.train({"accuracy": 0.95, "f1": 0.8})
    fake.latency = 0.1  # both list the releases before either creates one
    codes: list[int] = []
    threads = [threading.Thread(target=lambda: codes.append(deploy())) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(fake.requests_matching("POST", f"/repos/{REPO}/releases")) == 2
    [rel] = releases(fake)
    assert rel["draft"] is False
    assert asset_names(rel) == ASSETS
    assert 0 in codes and set(codes) <= {0, 3}
    err = capsys.readouterr().err
    assert "another run" in err
    assert "contents: write" not in err and "permissions" not in err
