"""End to end: the README's own workflows, as an adopter copies them, under act.

The PR and main-branch workflows are EXTRACTED from README.md (the two ```yaml blocks under
"Add it to your repository"), not copied here, and run by act against the fake GitHub on an
adopter's repository: a ``dvc.yaml`` pipeline whose ``train.py`` needs a package from
``requirements.txt`` (a tiny wheel built here: no network), data in a DVC remote, and a runner
with no git identity (``user.useConfigOnly``). ``actions/setup-python`` is the stand-in of
docs/actions.md's act recipe.

1. push to main: the baseline is recorded as a git note by ``github-actions[bot]`` and pushed;
2. a pull request (no thresholds: the default rules) whose model is worse: one comment, a
   failing check run; the pipeline's own output is not
   "data changed", and pull skipped it (``dvc repro`` makes it again);
3. a pull request whose train.py raises: a comment and a failing check run that say the train
   step failed, with the end of its log; the job fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
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
    make_action_repo,
    pull_request_event,
    push_event,
    write_stub_actions,
)
from tests.integration.test_actions import tiny_wheel

pytestmark = e2e_marks()

ROOT = Path(__file__).resolve().parents[2]
REPO = "acme/diabetes"
TOKEN = "ghs_readmeE2eToken0123456789abcdefghijklm"
IDENTITY = ("-c", "user.name=Adopter", "-c", "user.email=adopter@example.invalid")


def readme_workflows() -> tuple[str, str]:
    """The PR and the main-branch workflow, as the README gives them."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Add it to your repository\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```yaml\n(.*?)^```$", section, flags=re.S | re.M)
    assert len(blocks) == 2, "the README gives a PR and a main-branch workflow"
    pr, main = blocks
    assert "pull_request" in pr and "push" in main
    return pr, main


TRAIN_PY = """\
import csv, json, pathlib
import tinydep  # from requirements.txt

FEATURE = "{feature}"
rows = list(csv.DictReader(open("data/diabetes.csv")))
xs = [float(r[FEATURE]) for r in rows]
ys = [float(r["target"]) for r in rows]
cut = len(rows) * 3 // 4
mx, my = sum(xs[:cut]) / cut, sum(ys[:cut]) / cut
b = sum((x - mx) * (y - my) for x, y in zip(xs[:cut], ys[:cut])) / sum(
    (x - mx) ** 2 for x in xs[:cut])
a = my - b * mx
errors = [y - (a + b * x) for x, y in zip(xs[cut:], ys[cut:])]
mean = sum(ys[cut:]) / len(errors)
rmse = (sum(e * e for e in errors) / len(errors)) ** 0.5
mae = sum(abs(e) for e in errors) / len(errors)
r2 = 1 - sum(e * e for e in errors) / sum((y - mean) ** 2 for y in ys[cut:])
pathlib.Path("eval").mkdir(exist_ok=True)
json.dump({{"rmse": round(rmse, 4), "mae": round(mae, 4), "r2": round(r2, 4)}},
          open("eval/metrics.json", "w"), indent=2)
pathlib.Path("models").mkdir(exist_ok=True)
json.dump({{"a": a, "b": b, "feature": FEATURE, "tinydep": tinydep.SCORE}},
          open("models/model.json", "w"))
print(f"trained on {{FEATURE}}: rmse {{rmse:.2f}}, r2 {{r2:.3f}}")
"""
BROKEN_TRAIN_PY = """\
import tinydep  # from requirements.txt
print("loading data/diabetes.csv")
raise KeyError("no column 'bmi_v2' in data/diabetes.csv")
"""
DVC_YAML = """\
stages:
  train:
    cmd: python train.py
    deps: [data/diabetes.csv, train.py]
    outs: [models/model.json]
    metrics:
      - eval/metrics.json:
          cache: false
"""
MLGATE_YAML = """\
name: diabetes
deploy:
  target: command
  model: models/model.json
  command: mkdir -p "$DEPLOY_DIR" && cp "$MLGATE_MODEL_PATH" "$DEPLOY_DIR/model.json"
"""


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *IDENTITY, *args], cwd=cwd, capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed in {cwd}: {proc.stderr}")
    return proc.stdout.strip()


def dvc(cwd: Path, *args: str, env: dict[str, str] | None = None) -> None:
    proc = subprocess.run([sys.executable, "-m", "dvc", *args], cwd=cwd, capture_output=True,
                          text=True, check=False, env={**os.environ, **(env or {})})
    assert proc.returncode == 0, f"dvc {' '.join(args)}: {proc.stdout}\n{proc.stderr}"


@dataclass
class World:
    root: Path
    origin: Path
    runner: ActRunner
    fake: FakeGitHub
    main_sha: str
    pr_flow: Path
    main_flow: Path
    workspaces: int = 0

    def workspace(self, branch: str = "main") -> Path:
        self.workspaces += 1
        return clone_workspace(self.origin, self.root / f"ws{self.workspaces}", branch, REPO)

    def act(self, ws: Path, event_name: str, event: dict[str, Any], flow: Path) -> ActResult:
        return self.runner.run(
            ws, event_name, event, flow, api_url=self.fake.url, token=TOKEN,
            env={"MLGATE_VENV": str(self.root / "venv"),
                 "DEPLOY_DIR": str(self.root / "deployed")},
        )  # fmt: skip

    def pr(self, number: int, branch: str, train_py: str) -> tuple[Path, dict[str, Any]]:
        ws = self.workspace()
        git(ws, "checkout", "-q", "-b", branch)
        (ws / "train.py").write_text(train_py, encoding="utf-8")
        git(ws, "commit", "-q", "-am", f"train.py: {branch}")
        head = git(ws, "rev-parse", "HEAD")
        git(ws, "push", "-q", "origin", branch)
        self.fake.add_pull(REPO, number, head_sha=head, head_ref=branch, base_sha=self.main_sha)
        return ws, pull_request_event(number, REPO, head, self.main_sha, head_ref=branch)


def _seed(seed: Path, remote: Path) -> None:
    """The adopter's repository before mlgate: pipeline, data in DVC, lock, metrics."""
    from sklearn.datasets import load_diabetes

    git(seed.parent, "init", "-q", "-b", "main", str(seed))
    dvc(seed, "init", "-q")
    dvc(seed, "remote", "add", "-d", "storage", str(remote))
    frame = load_diabetes(as_frame=True, scaled=True).frame
    (seed / "data").mkdir()
    frame.to_csv(seed / "data" / "diabetes.csv", index=False)
    dvc(seed, "add", "-q", "data/diabetes.csv")
    tiny_wheel(seed / "wheels")
    (seed / "requirements.txt").write_text("./wheels/tinydep-1.0-py3-none-any.whl\n", "utf-8")
    (seed / "train.py").write_text(TRAIN_PY.format(feature="bmi"), encoding="utf-8")
    (seed / "dvc.yaml").write_text(DVC_YAML, encoding="utf-8")
    (seed / "mlgate.yaml").write_text(MLGATE_YAML, encoding="utf-8")
    # The adopter trained once on their machine (tinydep importable there).
    site = seed.parent / "adopter-site"
    shutil.unpack_archive(str(next((seed / "wheels").glob("*.whl"))), str(site), "zip")
    dvc(seed, "repro", "-q", env={"PYTHONPATH": str(site)})
    dvc(seed, "push", "-q")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("readme")
    with pytest.MonkeyPatch.context() as mp:
        home = root / "home"
        home.mkdir()
        # A bare runner: git has no identity and must not guess one from the host name.
        (home / ".gitconfig").write_text(
            "[init]\n\tdefaultBranch = main\n[user]\n\tuseConfigOnly = true\n", encoding="utf-8")
        mp.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
        mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
        for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME",
                     "GIT_COMMITTER_EMAIL", "EMAIL"):
            mp.delenv(name, raising=False)
        mp.setenv("DVC_NO_ANALYTICS", "1")
        mp.setenv("DVC_SITE_CACHE_DIR", str(home / "dvc-site"))

        origin = root / "origin.git"
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
        seed = root / "seed"
        _seed(seed, root / "dvc-remote")
        flows = seed / ".github" / "workflows"
        flows.mkdir(parents=True)
        pr_text, main_text = readme_workflows()
        (flows / "mlgate-pr.yml").write_text(pr_text, encoding="utf-8")
        (flows / "mlgate-main.yml").write_text(main_text, encoding="utf-8")
        git(seed, "add", "-A")
        git(seed, "commit", "-q", "-m", "diabetes model: a dvc.yaml pipeline")
        git(seed, "remote", "add", "origin", str(origin))
        git(seed, "push", "-q", "origin", "main")
        main_sha = git(seed, "rev-parse", "HEAD")

        runner = ActRunner(make_action_repo(root / "action"), write_stub_actions(root / "stubs"),
                           root / "act")
        fake = FakeGitHub(token=TOKEN, repo=REPO).start()
        try:
            yield World(root, origin, runner, fake, main_sha, flows / "mlgate-pr.yml",
                        flows / "mlgate-main.yml")
        finally:
            fake.close()


@pytest.fixture(scope="module")
def main_run(world: World) -> ActResult:
    ws = world.workspace()
    assert subprocess.run(["git", "config", "user.name"], cwd=ws, check=False,
                          capture_output=True).returncode != 0, "the runner has no git identity"
    return world.act(ws, "push", push_event(REPO, "0" * 40, world.main_sha), world.main_flow)


def inner_step(run: ActResult, step_id: str) -> str | None:
    """The result of a step of the mlgate action (the README's step has no id of its own)."""
    for record in run.records:
        path = record.get("stepID")
        if (isinstance(path, list) and len(path) == 2 and path[1] == step_id
                and record.get("stage") == "Main" and "stepResult" in record):
            return str(record["stepResult"])
    return None


def comments_of(world: World, number: int) -> list[dict[str, Any]]:
    return world.fake.issue_comments(REPO, number)


def checks_of(world: World, sha: str) -> list[tuple[Any, Any]]:
    return [(c.get("name"), c.get("conclusion")) for c in world.fake.check_runs_for(REPO)
            if c.get("head_sha") == sha]


def test_main_workflow_records_and_pushes_the_baseline_without_a_git_identity(
    world: World, main_run: ActResult
) -> None:
    run = main_run
    assert run.job_result == "success", run.explain()
    assert "installed requirements.txt into" in run.log(), run.explain()
    assert checks_of(world, world.main_sha) == [("mlgate", "success")], run.explain()
    ref = "refs/notes/mlgate"
    assert subprocess.run(["git", "for-each-ref", ref], cwd=world.origin, capture_output=True,
                          text=True, check=True).stdout, "the note was pushed: " + run.explain()
    note = subprocess.run(["git", "notes", "--ref", ref, "show", world.main_sha],
                          cwd=world.origin, capture_output=True, text=True, check=True).stdout
    assert "rmse" in note and "r2" in note
    author = subprocess.run(["git", "log", "-1", "--format=%an <%ae>", ref], cwd=world.origin,
                            capture_output=True, text=True, check=True).stdout.strip()
    assert author.startswith("github-actions[bot]"), author
    assert (world.root / "deployed" / "model.json").exists(), run.explain()


def test_pr_workflow_posts_one_comment_and_a_check_run(
    world: World, main_run: ActResult
) -> None:
    """The README's setup has no `thresholds:`: the default rules gate it, and the PR's switch
    to a worse feature (rmse +10.7 %) fails them, with one comment and a failing check."""
    assert main_run.job_result == "success", "the baseline run failed: " + main_run.explain()
    ws, event = world.pr(21, "s5-feature", TRAIN_PY.format(feature="s5"))
    run = world.act(ws, "pull_request", event, world.pr_flow)
    assert run.job_result == "failure", run.explain()
    assert inner_step(run, "report") == "success", run.explain()
    [comment] = comments_of(world, 21)
    body = comment["body"]
    for metric in ("rmse", "mae", "r2"):
        assert metric in body
    assert "↓" in body and "↑" in body
    assert world.main_sha[:7] in body, "compared with main's recorded baseline"
    assert "models/model.json" not in body, "the pipeline's own output is not data"
    assert "improvement %, up is better" in body
    assert "**Default rules**" in body and "rmse" in body
    head = event["pull_request"]["head"]["sha"]
    assert checks_of(world, head) == [("mlgate", "failure")]
    log = run.log()
    assert "skipped 1 output of dvc.yaml stages" in log and "models/model.json" in log
    assert TOKEN not in log


def test_pr_whose_train_py_raises_gets_a_comment_and_a_failing_check(
    world: World, main_run: ActResult
) -> None:
    assert main_run.job_result == "success", "the baseline run failed: " + main_run.explain()
    ws, event = world.pr(22, "broken-train", BROKEN_TRAIN_PY)
    run = world.act(ws, "pull_request", event, world.pr_flow)
    assert run.job_result == "failure", run.explain()
    assert inner_step(run, "train") == "failure", run.explain()
    assert inner_step(run, "report") == "success", run.explain()
    assert inner_step(run, "compare") is None, "compare does not run"
    [comment] = comments_of(world, 22)
    body = comment["body"]
    assert "The **train** step failed (exit 3)" in body, body
    assert "dvc repro" in body
    assert "KeyError" in body
    assert "no column 'bmi_v2' in data/diabetes.csv" in body, "the log tail, as it was"
    head = event["pull_request"]["head"]["sha"]
    assert checks_of(world, head) == [("mlgate", "failure")]
    [check] = [c for c in world.fake.check_runs_for(REPO) if c.get("head_sha") == head]
    assert "train step failed" in json.dumps(check)
