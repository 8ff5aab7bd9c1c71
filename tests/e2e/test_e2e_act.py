"""End to end: the example workflows, run by ``act`` on this machine, against the fake GitHub.

One project (examples/churn, as a git + DVC repository with a local bare ``origin`` and a local
DVC remote) goes through what a team sees on GitHub:

1. push to main -> the baseline is recorded (git notes pushed to origin), the model deployed;
2. a pull request that improves the model -> one comment with the metric diff, a successful
   check run, the job passes; a second run edits the same comment;
3. a pull request that breaks a threshold -> failing check run, the gate fails the job; the
   same commit pushed to main is not deployed;
4. a fork pull request (read-only token: 403 on writes) -> job summary and bundle, the job is
   not failed by reporting; the ``workflow_run`` half posts the bundle;
5. a matrix of two models (examples/workflows/matrix.yml) -> one merged comment and check run.

The workflows are the files in examples/churn/.github/workflows, unchanged except for one
appended step that copies the job summary and .mlgate/ out of act's temporary workspace.
The mlgate action is this repository (copied), mapped as ``mlgate/mlgate@v1``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fakegithub.server import FakeGitHub
from tests.helpers.act import (
    ActResult,
    ActRunner,
    clone_workspace,
    e2e_marks,
    git,
    make_action_repo,
    pull_request_event,
    push_event,
    write_stub_actions,
)

pytestmark = e2e_marks()

REPO = "acme/churn"
TOKEN = "ghs_e2eWriteToken0123456789abcdefghijklmnop"
FORK_TOKEN = "ghs_e2eForkReadOnly0123456789abcdefghijkl"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "churn"
WORKFLOWS = EXAMPLE / ".github" / "workflows"

# main trains a decision stump; the pull requests change the model in mlgate.yaml.
STUMP = ("sklearn.tree.DecisionTreeClassifier", "{max_depth: 1, random_state: 0}")
BETTER = ("sklearn.linear_model.LogisticRegression", "{C: 1.0, max_iter: 1000}")
BETTER_2 = ("sklearn.linear_model.LogisticRegression", "{C: 0.5, max_iter: 1000}")
BROKEN = ("sklearn.dummy.DummyClassifier", "{}")


CHECKOUT_STUB = """\
name: checkout (test stub)
description: Clones $E2E_ORIGIN (ref, default main) into the workspace, replacing what is there.
inputs:
  ref: {description: ref, required: false, default: ""}
  fetch-depth: {description: ignored, required: false, default: "1"}
  persist-credentials: {description: ignored, required: false, default: "true"}
runs:
  using: composite
  steps:
    - shell: bash
      env:
        REF: ${{ inputs.ref }}
      run: |
        set -euo pipefail
        tmp=$(mktemp -d)
        git clone -q --branch "${REF:-main}" "$E2E_ORIGIN" "$tmp/repo"
        find . -mindepth 1 -maxdepth 1 -exec rm -rf {} +
        cp -R "$tmp/repo"/. .
        echo "checked out ${REF:-main} of $E2E_ORIGIN"
"""


def with_model(config: str, model: tuple[str, str]) -> str:
    text = re.sub(r"(?m)^  model: .*$", f"  model: {model[0]}", config)
    return re.sub(r"(?m)^  params: .*$", f"  params: {model[1]}", text)


@dataclass
class World:
    root: Path
    origin: Path
    runner: ActRunner
    fake: FakeGitHub
    deploy_dir: Path
    main_sha: str
    workspaces: int = 0

    def workspace(self, branch: str = "main") -> Path:
        self.workspaces += 1
        return clone_workspace(self.origin, self.root / f"ws{self.workspaces}", branch, REPO)

    def empty_workspace(self) -> Path:
        """A workspace with nothing checked out: only the git metadata act reads the
        repository's name and commit from."""
        ws = self.workspace()
        for entry in ws.iterdir():
            if entry.name != ".git":
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        return ws

    def real_checkout(self) -> tuple[str, ...]:
        """act arguments that run the workflow's actions/checkout (a stub that clones origin)
        instead of copying the working directory into the workspace."""
        stub = self.root / "stubs" / "actions-checkout-v5"
        stub.mkdir(parents=True, exist_ok=True)
        (stub / "action.yml").write_text(CHECKOUT_STUB, encoding="utf-8")
        return ("--no-skip-checkout", "--local-repository", f"actions/checkout@v5={stub}",
                "--env", f"E2E_ORIGIN={self.origin}")

    def commit_model(self, ws: Path, model: tuple[str, str], message: str) -> str:
        config = ws / "mlgate.yaml"
        config.write_text(with_model(config.read_text(encoding="utf-8"), model), "utf-8")
        git(ws, "commit", "-q", "-am", message)
        return git(ws, "rev-parse", "HEAD")

    def act(
        self,
        ws: Path,
        event_name: str,
        event: dict[str, Any],
        workflow: str | Path,
        *,
        token: str = TOKEN,
        extra_args: tuple[str, ...] = (),
    ) -> ActResult:
        return self.runner.run(
            ws,
            event_name,
            event,
            workflow if isinstance(workflow, Path) else WORKFLOWS / workflow,
            api_url=self.fake.url,
            token=token,
            # One venv for all runs (as `cache: true` would restore it): the first run installs.
            env={"DEPLOY_DIR": str(self.deploy_dir), "MLGATE_VENV": str(self.root / "venv")},
            extra_args=extra_args,
        )

    def pr(
        self, number: int, branch: str, model: tuple[str, str], *, head_repo: str | None = None
    ) -> tuple[Path, dict[str, Any]]:
        """A clone on a new branch from main with the model changed, and its PR event."""
        ws = self.workspace()
        git(ws, "checkout", "-q", "-b", branch)
        head = self.commit_model(ws, model, f"Model: {model[0]}")
        git(ws, "push", "-q", "origin", branch)
        self.fake.add_pull(
            REPO,
            number,
            head_sha=head,
            head_ref=branch,
            base_sha=self.main_sha,
            head_repo=head_repo,
        )
        event = pull_request_event(
            number, REPO, head, self.main_sha, head_ref=branch, head_repository=head_repo
        )
        return ws, event


def _run(cwd: Path, *args: str) -> None:
    proc = subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"{' '.join(args)} failed: {proc.stdout}\n{proc.stderr}"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from tests.helpers.dvcproject import add_dvc_remote, push

    root = tmp_path_factory.mktemp("e2e")
    with pytest.MonkeyPatch.context() as mp:  # the autouse env fixture is per test
        home = root / "home"
        home.mkdir()
        (home / ".gitconfig").write_text(
            "[user]\n\tname = mlgate e2e\n\temail = e2e@mlgate.invalid\n"
            "[init]\n\tdefaultBranch = main\n",
            encoding="utf-8",
        )
        mp.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
        mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
        mp.setenv("DVC_NO_ANALYTICS", "1")
        mp.setenv("DVC_SITE_CACHE_DIR", str(home / "dvc-site"))

        origin = root / "origin.git"
        git(root, "init", "-q", "--bare", "-b", "main", str(origin))
        seed = root / "seed"
        # What is committed in examples/churn, not what a local run left there.
        skip = (".mlgate", "deployed", "metrics.json", "cache", "tmp", "config.local")
        shutil.copytree(EXAMPLE, seed, ignore=shutil.ignore_patterns(*skip))
        git(seed, "init", "-q", "-b", "main")
        add_dvc_remote(seed, "storage", str(root / "dvc-remote"), default=True)
        from dvc.repo import Repo

        with Repo(str(seed)) as repo:  # the committed .dvc file is unchanged: same data
            repo.add(str(seed / "data" / "churn.csv"))
        push(seed)
        config = seed / "mlgate.yaml"
        config.write_text(with_model(config.read_text(encoding="utf-8"), STUMP), "utf-8")
        git(seed, "add", "-A")
        git(seed, "commit", "-q", "-m", "churn model: a decision stump")
        git(seed, "remote", "add", "origin", str(origin))
        git(seed, "push", "-q", "origin", "main")
        main_sha = git(seed, "rev-parse", "HEAD")

        runner = ActRunner(
            make_action_repo(root / "action"), write_stub_actions(root / "stubs"), root / "act"
        )
        fake = FakeGitHub(token=TOKEN, repo=REPO).start()
        fake.add_token(FORK_TOKEN, "fork-bot[bot]", read_only=True)
        try:
            yield World(root, origin, runner, fake, root / "deployed", main_sha)
        finally:
            fake.close()


@pytest.fixture(scope="module")
def main_run(world: World) -> ActResult:
    """The push-to-main run that records the first baseline and deploys (scenario 3)."""
    ws = world.workspace()
    event = push_event(REPO, "0" * 40, world.main_sha)
    return world.act(ws, "push", event, "main.yml")


def notes_on_origin(world: World) -> dict[str, Any]:
    """The baseline store on origin: {commit: note}."""
    ref = "refs/notes/mlgate"
    if not git(world.origin, "for-each-ref", ref):
        return {}
    notes: dict[str, Any] = {}
    for line in git(world.origin, "notes", "--ref", ref, "list").splitlines():
        _, commit = line.split()
        notes[commit] = json.loads(git(world.origin, "notes", "--ref", ref, "show", commit))
    return notes


def check_runs(world: World, sha: str) -> list[dict[str, Any]]:
    return [c for c in world.fake.check_runs_for(REPO) if c.get("head_sha") == sha]


def test_push_to_main_records_the_baseline_and_deploys(world: World, main_run: ActResult) -> None:
    run = main_run
    assert run.job_result == "success", run.explain()
    for step in ("train", "compare", "report", "gate", "deploy"):
        assert run.step_result(step) == "success", f"{step}: {run.explain()}"
    assert run.outputs("gate").get("passed") == "true"
    runs = check_runs(world, world.main_sha)
    assert [c.get("conclusion") for c in runs] == ["success"], runs

    # The baseline store on origin has main's metrics, as trained in the job.
    note = notes_on_origin(world).get(world.main_sha)
    assert note, f"no baseline note for {world.main_sha} on origin: {run.explain()}"
    assert "accuracy" in json.dumps(note)

    # The deploy command ran with the model: its receipt names the version deployed.
    deploy = run.outputs("deploy")
    assert deploy.get("deployed") == "true", run.explain()
    receipts = list(world.deploy_dir.glob("*/receipt.json"))
    assert len(receipts) == 1, run.explain()
    receipt = json.loads(receipts[0].read_text(encoding="utf-8"))
    assert receipt["version"] == deploy["version"]
    assert (receipts[0].parent / "model.joblib").stat().st_size > 0
    assert "accuracy" in receipt["metrics"]


def test_pr_that_improves_the_model_comments_and_passes(world: World, main_run: ActResult) -> None:
    assert main_run.job_result == "success", "the baseline run failed: " + main_run.explain()
    ws, event = world.pr(1, "better-model", BETTER)
    run = world.act(ws, "pull_request", event, "pr.yml")
    assert run.job_result == "success", run.explain()
    out = run.outputs("mlgate")
    assert out.get("passed") == "true", run.explain()
    assert out.get("comment-url"), run.explain()

    comments = world.fake.issue_comments(REPO, 1)
    assert len(comments) == 1, comments
    body = comments[0]["body"]
    for metric in ("accuracy", "f1", "roc_auc"):
        assert metric in body
    assert world.main_sha[:7] in body, "the report names the baseline commit"
    assert re.search(r"\+0\.04\b", body), "accuracy: 0.70 (stump) -> 0.74, the diff is shown"
    assert TOKEN not in run.log(), "the token leaked into the log"

    head = event["pull_request"]["head"]["sha"]
    runs = check_runs(world, head)
    assert [(c.get("name"), c.get("conclusion")) for c in runs] == [("mlgate", "success")], runs
    assert "mlgate" in run.summary(), "the job summary has the report"

    # A new commit on the PR: the same comment is edited, not duplicated.
    git(ws, "checkout", "-q", "better-model")
    head2 = world.commit_model(ws, BETTER_2, "Model: less regularisation")
    event2 = dict(
        event,
        pull_request={
            **event["pull_request"],
            "head": {**event["pull_request"]["head"], "sha": head2},
        },
    )
    world.fake.clear_requests()
    again = world.act(ws, "pull_request", event2, "pr.yml")
    assert again.job_result == "success", again.explain()
    comments2 = world.fake.issue_comments(REPO, 1)
    assert [c["id"] for c in comments2] == [comments[0]["id"]]
    assert world.fake.requests_matching("PATCH", "/repos/*/issues/comments/*")
    assert not world.fake.requests_matching("POST", "/repos/*/issues/*/comments")
    assert [c.get("conclusion") for c in check_runs(world, head2)] == ["success"]


def test_pr_that_breaks_a_threshold_fails_and_is_not_deployed(
    world: World, main_run: ActResult
) -> None:
    assert main_run.job_result == "success", "the baseline run failed: " + main_run.explain()
    ws, event = world.pr(2, "dummy-model", BROKEN)
    run = world.act(ws, "pull_request", event, "pr.yml")
    assert run.job_result == "failure", run.explain()
    assert run.step_result("mlgate") == "failure"
    assert run.step_result("mlgate", "report") == "success", "reported before the gate"
    assert run.step_result("mlgate", "gate") == "failure", "the gate step fails the job"
    assert run.log().count("::error title=mlgate") == 1, "one annotation for the failure"
    assert run.outputs("mlgate").get("passed") == "false", run.explain()
    assert "roc_auc" in run.outputs("mlgate").get("failed-rules", "")
    head = event["pull_request"]["head"]["sha"]
    assert [c.get("conclusion") for c in check_runs(world, head)] == ["failure"]
    comments = world.fake.issue_comments(REPO, 2)
    assert len(comments) == 1 and "roc_auc" in comments[0]["body"]

    # The same commit pushed to main: the gate fails the job and the deploy step never runs.
    receipts_before = sorted(world.deploy_dir.glob("*/receipt.json"))
    git(ws, "checkout", "-q", "-B", "main")  # local main = the broken commit (origin untouched)
    pushed = world.act(ws, "push", push_event(REPO, world.main_sha, head), "main.yml")
    assert pushed.job_result == "failure", pushed.explain()
    assert pushed.step_result("gate") == "failure", pushed.explain()
    assert pushed.step_result("deploy") is None, pushed.explain()
    assert sorted(world.deploy_dir.glob("*/receipt.json")) == receipts_before


def test_fork_pr_writes_summary_and_bundle_and_the_report_half_posts_it(
    world: World, main_run: ActResult
) -> None:
    assert main_run.job_result == "success", "the baseline run failed: " + main_run.explain()
    ws, event = world.pr(3, "fork-feature", BETTER, head_repo="forker/churn")
    run = world.act(ws, "pull_request", event, "fork-pr.yml", token=FORK_TOKEN)
    assert run.job_result == "success", run.explain()
    assert run.step_result("mlgate") == "success", run.explain()
    assert world.fake.issue_comments(REPO, 3) == []
    assert "accuracy" in run.summary(), "the job summary carries the report"
    bundle = world.runner.work / "artifacts" / "mlgate-bundle"
    assert bundle.is_dir() and any(bundle.iterdir()), run.explain()

    # Part 2: workflow_run in the base repository posts the downloaded bundle.
    head = event["pull_request"]["head"]["sha"]
    wr_event = {
        "action": "completed",
        "workflow_run": {
            "id": 4242, "name": "mlgate fork PR", "event": "pull_request",
            "conclusion": "success", "head_sha": head, "head_branch": "fork-feature",
            "head_repository": {"full_name": "forker/churn"}, "pull_requests": [],
        },
        "repository": event["repository"],
    }  # fmt: skip
    # A clean workspace: no mlgate.yaml but what the workflow's own checkout brings (act's
    # copy of the working directory is replaced by a real checkout of origin's main).
    posted = world.act(world.empty_workspace(), "workflow_run", wr_event, "fork-report.yml",
                       extra_args=world.real_checkout())
    assert posted.job_result == "success", posted.explain()
    comments = world.fake.issue_comments(REPO, 3)
    assert len(comments) == 1 and "accuracy" in comments[0]["body"], posted.explain()
    # Judged by the base repository's thresholds (examples/churn/mlgate.yaml on main).
    assert "min 0.65" in comments[0]["body"], posted.explain()
    assert [c.get("conclusion") for c in check_runs(world, head)] == ["success"]


def test_matrix_of_models_posts_one_merged_comment(
    world: World, main_run: ActResult, tmp_path: Path
) -> None:
    """examples/workflows/matrix.yml: one job per model, then `report --merge` of the results."""
    from dvc.repo import Repo

    from tests.helpers.dvcproject import add_dvc_remote, push

    assert main_run.job_result == "success", "the shared venv is installed by the baseline run"
    mono = tmp_path / "models-repo"
    mono.mkdir()
    git(mono, "init", "-q", "-b", "main")
    Repo.init(str(mono)).close()
    add_dvc_remote(mono, "storage", str(tmp_path / "dvc-remote"), default=True)
    example = (EXAMPLE / "mlgate.yaml").read_text(encoding="utf-8")
    for name, model in (("churn", STUMP), ("ltv", BETTER)):
        model_dir = mono / "models" / name
        (model_dir / "data").mkdir(parents=True)
        shutil.copy2(EXAMPLE / "data" / "churn.csv", model_dir / "data" / "churn.csv")
        config = with_model(example, model).replace("name: churn", f"name: {name}")
        (model_dir / "mlgate.yaml").write_text(config, encoding="utf-8")
        with Repo(str(mono)) as repo:
            repo.add(str(model_dir / "data" / "churn.csv"))
    push(mono)
    git(mono, "add", "-A")
    git(mono, "commit", "-q", "-m", "two models")
    base = git(mono, "rev-parse", "HEAD")
    git(mono, "checkout", "-q", "-b", "tune-ltv")
    ltv = mono / "models" / "ltv" / "mlgate.yaml"
    ltv.write_text(with_model(ltv.read_text(encoding="utf-8"), BETTER_2), encoding="utf-8")
    git(mono, "commit", "-q", "-am", "ltv: less regularisation")
    head = git(mono, "rev-parse", "HEAD")
    for name in ("churn", "ltv"):  # as a fresh checkout: no data, no DVC cache
        (mono / "models" / name / "data" / "churn.csv").unlink()
    shutil.rmtree(mono / ".dvc" / "cache")
    git(mono, "remote", "add", "github", f"https://github.com/{REPO}.git")

    world.fake.add_pull(REPO, 5, head_sha=head, head_ref="tune-ltv", base_sha=base)
    event = pull_request_event(5, REPO, head, base, head_ref="tune-ltv")
    flow = EXAMPLE.parents[1] / "examples" / "workflows" / "matrix.yml"
    run = world.act(mono, "pull_request", event, flow, extra_args=("--concurrent-jobs", "1"))
    assert len(run.job_results) == 3, run.explain()
    assert set(run.job_results.values()) == {"success"}, run.explain()
    comments = world.fake.issue_comments(REPO, 5)
    assert len(comments) == 1, run.explain()
    assert "churn" in comments[0]["body"] and "ltv" in comments[0]["body"]
    names = [(c.get("name"), c.get("conclusion")) for c in check_runs(world, head)]
    assert names == [("mlgate-models", "success")], names


SETUP_FLOW = """\
name: setup only
on: push
permissions:
  contents: read
jobs:
  setup:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      - id: setup
        uses: mlgate/mlgate/actions/setup@v1
        with:
          cache: "true"
      - id: onpath
        name: mlgate is on PATH for later steps
        run: mlgate --version
      - id: gate
        uses: mlgate/mlgate/actions/gate@v1
        with:
          result: result.json
"""


def test_setup_with_cache_feeds_actions_cache_and_later_steps_reuse_it(
    world: World, tmp_path: Path
) -> None:
    ws = world.workspace()
    (ws / "result.json").write_bytes((EXAMPLE.parents[1] / "docs" / "examples" / "result.json")
                                     .read_bytes())  # fmt: skip
    flow = tmp_path / "setup.yml"
    flow.write_text(SETUP_FLOW, encoding="utf-8")
    record = world.runner.work / "artifacts" / "actions-cache.txt"
    record.unlink(missing_ok=True)
    run = world.act(ws, "push", push_event(REPO, "0" * 40, world.main_sha), flow)
    # docs/examples/result.json is a failed gate: the gate step fails, after the setup worked.
    assert run.step_result("setup") == "success", run.explain()
    assert run.step_result("onpath") == "success", run.explain()
    assert run.step_result("gate") == "failure", run.explain()
    assert run.outputs("gate").get("passed") == "false"
    cache = dict(line.split("=", 1) for line in record.read_text("utf-8").splitlines())
    assert cache["path"] == str(world.root / "venv") == run.outputs("setup")["venv"]
    assert cache["key"].startswith("mlgate-venv-") and cache["key"].endswith("-core")
