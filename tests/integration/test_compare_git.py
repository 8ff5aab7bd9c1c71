"""`mlgate compare` / `baseline` / `gate` on real git repositories."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from mlgate.cli import main
from mlgate.core.result import SCHEMA_PATH
from mlgate.errors import GitError
from tests.helpers.gitrepo import GitRepo
from tests.helpers.golden import check_golden_json

GOLDEN = Path(__file__).parents[1] / "golden"
THRESHOLDS = """\
thresholds:
  accuracy: {min: 0.90, tolerance: 0.01}
  rmse: {max: 4.5, tolerance: "2%"}
  "*": {tolerance: "5%"}
"""


def mlgate(repo: GitRepo, *args: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.chdir(repo.path)
    return main(list(args))


def result(repo: GitRepo) -> dict:
    return json.loads((repo.path / ".mlgate" / "result.json").read_text())


def validate(doc: dict) -> None:
    jsonschema.validate(doc, json.loads(SCHEMA_PATH.read_text()))


@pytest.fixture
def project(repo: GitRepo) -> GitRepo:
    repo.commit(
        "main: first model",
        {
            "mlgate.yaml": "name: churn\n" + THRESHOLDS,
            "metrics.json": {"accuracy": 0.95, "rmse": 4.0, "train": {"f1": 0.9}},
            "params.yaml": "model:\n  max_depth: 4\n",
        },
    )
    repo.checkout("feature/tune", new=True)
    return repo


def normalized(doc: dict, repo: GitRepo) -> dict:
    """Replace what changes between runs (SHAs, time, version) with stable names."""
    text = json.dumps(doc, indent=2, sort_keys=True)
    for ref in ("main", "HEAD"):
        text = text.replace(repo.git("rev-parse", ref), f"<{ref}>")
    doc = json.loads(text)
    doc["created_at"] = "<time>"
    doc["tool"]["version"] = "<version>"
    return doc


def test_committed_baseline_golden_result(project, monkeypatch):
    project.commit(
        "Tune: deeper trees | faster",
        {
            "metrics.json": {"accuracy": 0.93, "rmse": 4.05, "train": {"f1": 0.91}, "auc": 0.97},
            "params.yaml": "model:\n  max_depth: 8\n",
        },
    )
    assert mlgate(project, "compare", monkeypatch=monkeypatch) == 0
    doc = result(project)
    validate(doc)
    check_golden_json(GOLDEN / "result_committed.json", normalized(doc, project))


def test_gate_exit_codes_and_outputs(project, monkeypatch, tmp_path):
    output = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    project.commit("worse", {"metrics.json": {"accuracy": 0.80, "rmse": 4.0, "train": {"f1": 0.9}}})
    assert mlgate(project, "compare", monkeypatch=monkeypatch) == 0
    assert mlgate(project, "gate", monkeypatch=monkeypatch) == 1
    text = output.read_text()
    assert "passed=false" in text
    assert "accuracy: min 0.9 (0.8 is below 0.9)" in text

    project.commit(
        "better", {"metrics.json": {"accuracy": 0.96, "rmse": 3.9, "train": {"f1": 0.9}}}
    )
    output.write_text("")
    assert mlgate(project, "compare", monkeypatch=monkeypatch) == 0
    assert mlgate(project, "gate", monkeypatch=monkeypatch) == 0
    assert "passed=true" in output.read_text()


def test_gate_fails_closed_on_missing_or_corrupt_result(repo, monkeypatch, tmp_path, capsys):
    output = tmp_path / "out"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    assert mlgate(repo, "gate", monkeypatch=monkeypatch) == 2
    assert "passed=false" in output.read_text()
    (repo.path / ".mlgate").mkdir(exist_ok=True)  # mlgate made it (issue 15)
    (repo.path / ".mlgate" / "result.json").write_text('{"schema": 1, "passed": tru')
    assert mlgate(repo, "gate", monkeypatch=monkeypatch) == 2
    (repo.path / ".mlgate" / "result.json").write_text('{"schema": 7, "passed": true}')
    assert mlgate(repo, "gate", monkeypatch=monkeypatch) == 2
    err = capsys.readouterr().err
    assert "unsupported result schema 7" in err


def test_gate_never_passes_a_result_with_failed_rules(repo, monkeypatch):
    doc = json.loads((Path(__file__).parents[2] / "docs/examples/result.json").read_text())
    doc["passed"] = True  # inconsistent on purpose: failed_rules still lists failures
    (repo.path / ".mlgate").mkdir(exist_ok=True)
    (repo.path / ".mlgate" / "result.json").write_text(json.dumps(doc))
    assert mlgate(repo, "gate", monkeypatch=monkeypatch) == 1


def test_merge_base_not_main_tip(project, monkeypatch):
    """main moved on after the branch: the baseline is the merge base, not main's tip."""
    base = project.git("rev-parse", "main")
    project.commit("pr", {"metrics.json": {"accuracy": 0.95, "rmse": 4.0, "train": {"f1": 0.9}}})
    project.checkout("main")
    project.commit(
        "main moves", {"metrics.json": {"accuracy": 0.99, "rmse": 1.0, "train": {"f1": 1}}}
    )
    project.checkout("feature/tune")
    assert mlgate(project, "compare", monkeypatch=monkeypatch) == 0
    doc = result(project)
    assert doc["baseline"]["sha"] == base
    assert doc["baseline"]["source"] == "committed"
    assert doc["summary"]["unchanged"] == 3


def test_store_baseline_walks_first_parents(repo, monkeypatch):
    """Metrics not committed: the notes store gives the baseline, from the nearest ancestor."""
    repo.write(".gitignore", "metrics.json\n.mlgate/\n")
    repo.commit("main 1", {"mlgate.yaml": "name: churn\n"})
    repo.write("metrics.json", {"accuracy": 0.91})
    assert mlgate(repo, "baseline", "record", monkeypatch=monkeypatch) == 0
    recorded = repo.head()
    repo.commit("main 2: docs only")
    merge_base = repo.head()
    repo.checkout("pr", new=True)
    repo.commit("pr")
    repo.write("metrics.json", {"accuracy": 0.93})
    assert mlgate(repo, "compare", monkeypatch=monkeypatch) == 0
    doc = result(repo)
    validate(doc)
    assert doc["baseline"]["source"] == "store"
    assert doc["baseline"]["sha"] == recorded
    assert doc["baseline"]["merge_base"] == merge_base
    assert recorded[:12] in doc["baseline"]["note"]
    assert doc["metrics"][0]["baseline"] == 0.91


def test_store_keeps_several_models_per_commit(repo, monkeypatch):
    repo.commit("main", {".gitignore": "*.json\n"})
    repo.write("a.json", {"accuracy": 0.5})
    repo.write("b.json", {"rmse": 2.0})
    repo.write("a.yaml", "name: a\nmetrics: a.json\n")
    repo.write("b.yaml", "name: b\nmetrics: b.json\n")
    assert mlgate(repo, "baseline", "record", "--config", "a.yaml", monkeypatch=monkeypatch) == 0
    assert mlgate(repo, "baseline", "record", "--config", "b.yaml", monkeypatch=monkeypatch) == 0
    note = json.loads(repo.git("notes", "--ref=mlgate", "show", "HEAD"))
    assert note["models"]["a"]["metrics"] == {"accuracy": 0.5}
    assert note["models"]["b"]["metrics"] == {"rmse": 2.0}


def test_no_baseline_first_pr(repo, monkeypatch):
    repo.commit("main", {"mlgate.yaml": "thresholds:\n  accuracy: {min: 0.9, tolerance: 0.01}\n"})
    repo.checkout("pr", new=True)
    repo.commit("first model", {"metrics.json": {"accuracy": 0.95}})
    assert mlgate(repo, "compare", monkeypatch=monkeypatch) == 0
    doc = result(repo)
    assert doc["baseline"]["found"] is False
    assert doc["passed"] is True
    assert doc["skipped_rules"] == ["accuracy: tolerance -0.01 (skipped: no baseline)"]
    assert mlgate(repo, "compare", "--require-baseline", monkeypatch=monkeypatch) == 0
    doc = result(repo)
    assert doc["passed"] is False
    assert any("require-baseline" in r for r in doc["failed_rules"])
    assert mlgate(repo, "gate", monkeypatch=monkeypatch) == 1


def test_metrics_from_dvc_yaml_and_yaml_files(repo, monkeypatch):
    repo.commit(
        "main",
        {
            "dvc.yaml": "stages:\n  train:\n    cmd: python train.py\n    metrics:\n"
            "      - eval/scores.yaml:\n          cache: false\n      - eval/timing.json\n",
            "eval/scores.yaml": "test:\n  accuracy: 0.9\n  loss: 0.3\n",
            "eval/timing.json": {"latency_ms": 12},
        },
    )
    repo.checkout("pr", new=True)
    repo.commit("pr", {"eval/scores.yaml": "test:\n  accuracy: 0.92\n  loss: 0.25\n"})
    assert mlgate(repo, "compare", monkeypatch=monkeypatch) == 0
    doc = result(repo)
    assert doc["metrics_files"] == ["eval/scores.yaml", "eval/timing.json"]
    by_name = {m["name"]: m for m in doc["metrics"]}
    assert by_name["test.accuracy"]["status"] == "improved"
    assert by_name["test.loss"]["status"] == "improved"
    assert by_name["test.loss"]["direction"] == "lower"
    assert by_name["latency_ms"]["file"] == "eval/timing.json"


def test_data_and_params_changes(repo, monkeypatch):
    dvc_file = "outs:\n- md5: {md5}\n  size: {size}\n  hash: md5\n  path: train.csv\n"
    repo.commit(
        "main",
        {
            "metrics.json": {"accuracy": 0.9},
            "data/train.csv.dvc": dvc_file.format(md5="a" * 32, size=100),
            "mlgate.yaml": "train:\n  data: data/train.csv\n  target: y\n"
            "  params: {max_iter: 100}\n",
        },
    )
    repo.checkout("pr", new=True)
    repo.commit(
        "more data",
        {
            "metrics.json": {"accuracy": 0.91},
            "data/train.csv.dvc": dvc_file.format(md5="b" * 32, size=150),
            "mlgate.yaml": "train:\n  data: data/train.csv\n  target: y\n"
            "  params: {max_iter: 200}\n",
        },
    )
    assert mlgate(repo, "compare", monkeypatch=monkeypatch) == 0
    doc = result(repo)
    assert doc["data"] == [
        {
            "path": "data/train.csv",
            "status": "modified",
            "baseline_md5": "a" * 32,
            "current_md5": "b" * 32,
            "baseline_size": 100,
            "current_size": 150,
        }
    ]
    assert doc["params"] == [
        {
            "name": "train.params.max_iter",
            "file": "mlgate.yaml",
            "baseline": 100,
            "current": 200,
            "status": "modified",
        }
    ]


@pytest.fixture
def origin_and_clone(tmp_path):
    """A bare origin with main (3 commits, metrics committed) and a PR branch."""
    work = GitRepo(tmp_path / "work")
    for i in range(3):
        work.commit(f"main {i}", {"metrics.json": {"accuracy": 0.90 + i / 100}})
    work.checkout("pr", new=True)
    work.commit("pr 1", {"metrics.json": {"accuracy": 0.80}})
    work.commit("pr 2", {"metrics.json": {"accuracy": 0.95}})
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(work.path), str(origin)], check=True)
    return work, origin


def test_shallow_clone_fetches_what_it_needs(origin_and_clone, tmp_path, monkeypatch):
    work, origin = origin_and_clone
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth=1", "--branch=pr", f"file://{origin}", str(clone)],
        check=True,
    )
    repo = GitRepo(clone, init=False)
    assert repo.git("rev-parse", "--is-shallow-repository") == "true"
    assert mlgate(repo, "compare", "--base", "main", monkeypatch=monkeypatch) == 0
    doc = result(repo)
    assert doc["baseline"]["sha"] == work.git("rev-parse", "main")
    assert doc["metrics"][0]["baseline"] == 0.92


def test_shallow_clone_without_remote_says_fetch_depth(
    origin_and_clone, tmp_path, monkeypatch, capsys
):
    _, origin = origin_and_clone
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth=1", "--no-single-branch", f"file://{origin}", str(clone)],
        check=True,
    )
    repo = GitRepo(clone, init=False)
    repo.git("checkout", "-q", "pr")
    repo.git("remote", "remove", "origin")
    repo.git("branch", "-q", "main", "refs/remotes/origin/main", check=False)
    assert mlgate(repo, "compare", "--base", "main", monkeypatch=monkeypatch) == 2
    assert "fetch-depth: 0" in capsys.readouterr().err


def test_store_push_and_fetch_through_origin(tmp_path, monkeypatch):
    """Recorded on one clone, pushed, and found by a fresh clone's compare."""
    work = GitRepo(tmp_path / "work")
    work.commit("main", {".gitignore": "metrics.json\n.mlgate/\n"})
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
    work.git("remote", "add", "origin", str(origin))
    work.git("push", "-q", "origin", "main")
    work.write("metrics.json", {"accuracy": 0.9})
    assert mlgate(work, "baseline", "record", "--push", monkeypatch=monkeypatch) == 0

    # A concurrent recorder (another model, another clone) pushes on top.
    other = GitRepo(tmp_path / "other", init=False)
    subprocess.run(["git", "clone", "-q", str(origin), str(other.path)], check=True)
    other.write("metrics.json", {"rmse": 3.0})
    other.write("mlgate.yaml", "name: other\n")
    assert mlgate(other, "baseline", "record", "--push", monkeypatch=monkeypatch) == 0
    # ... while the first clone records again from a stale store: the push must merge.
    work.write("metrics.json", {"accuracy": 0.91})
    work.git("notes", "--ref=mlgate", "add", "-f", "-m", "{}", "HEAD")
    assert mlgate(work, "baseline", "record", "--push", monkeypatch=monkeypatch) == 0

    fresh = GitRepo(tmp_path / "fresh", init=False)
    subprocess.run(["git", "clone", "-q", str(origin), str(fresh.path)], check=True)
    fresh.git("checkout", "-q", "-b", "pr")
    fresh.commit("pr")
    fresh.write("metrics.json", {"accuracy": 0.92})
    fresh.write("mlgate.yaml", f"name: {work.path.name}\n")
    assert mlgate(fresh, "compare", monkeypatch=monkeypatch) == 0
    doc = result(fresh)
    assert doc["baseline"]["source"] == "store"
    assert doc["metrics"][0]["baseline"] == 0.91
    note = json.loads(fresh.git("notes", "--ref=mlgate", "show", "main"))
    assert set(note["models"]) == {"work", "other"}


@pytest.mark.parametrize(
    ("files", "args", "message"),
    [
        ({"metrics.json": '{"accuracy": 0.9,'}, [], "metrics.json: invalid JSON at line 1"),
        (
            {"metrics.json": {"accuracy": "high"}},
            [],
            "metrics.json: accuracy: metric value must be a number",
        ),
        ({"m.yaml": "a: [1\n"}, ["--metrics", "m.yaml"], "m.yaml: invalid YAML"),
        ({"mlgate.yaml": "thresholds:\n  accuracy: {mni: 1}\n"}, [], "unknown key(s) mni"),
        ({"mlgate.yaml": "thresholds:\n  acc: {min: 1}\n"}, [], "names metric 'acc'"),
        ({"mlgate.yaml": "treshold: 1\n"}, [], "unknown key(s): treshold"),
        ({}, ["--base", "nope"], "unknown base ref 'nope'"),
        ({}, ["--metrics", "missing.json"], "missing.json: metrics file not found"),
        (
            {},
            ["--thresholds", "accuracy: {min: x}"],
            "--thresholds: accuracy: min must be a number",
        ),
    ],
)
def test_bad_input_exit_2_names_file_and_key(repo, monkeypatch, capsys, files, args, message):
    repo.commit("main", {"metrics.json": {"accuracy": 0.9}})
    repo.checkout("pr", new=True)
    for rel, content in files.items():
        repo.write(rel, content)
    assert mlgate(repo, "compare", *args, monkeypatch=monkeypatch) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_cli_subprocess_no_traceback_and_annotation(repo):
    repo.commit("main", {"metrics.json": '{"accuracy": [1, "x"]}'})
    env = {**os.environ, "GITHUB_ACTIONS": "true"}
    proc = subprocess.run(
        [sys.executable, "-m", "mlgate", "compare"],
        cwd=repo.path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("::error title=mlgate::metrics.json: accuracy.1:")
    assert "Traceback" not in proc.stderr


# ----- one `git cat-file --batch` serves compare's reads (issue 17) --------------------------


def _reads(git, sha: str) -> dict:
    """Everything compare asks git about a commit, as a plain dict."""
    return {
        "head": git.rev("HEAD"), "main": git.rev("main"), "nope": git.rev("no-such-ref"),
        "parent": git.rev(f"{sha}^1"), "dash": git.rev("-x"), "empty": git.rev(""),
        "subject": git.subject(sha),
        "file": git.show(sha, "./metrics.json"), "crlf": git.show(sha, "./crlf.txt"),
        "spaced": git.show(sha, "./my file.json"), "missing": git.show(sha, "./nope.json"),
        "tree": git.show(sha, "./sub"), "nested": git.show(sha, "sub/deeper/p.yaml"),
        "newline": git.show(sha, "./a\nb"), "files": git.ls_files(sha),
        "is_repo": git.is_repo(),
    }


def test_batched_reads_answer_as_one_process_per_read(repo):
    from mlgate.adapters.git import Git

    repo.commit("main", {"metrics.json": {"a": 1}})
    sha = repo.commit(
        "\n\n  Tune: deeper   \ntrees\t \n\nbody line\n",
        {"metrics.json": {"a": 2}, "crlf.txt": "x\r\ny\rz\n", "my file.json": "{}",
         "sub/deeper/p.yaml": "k: 1\n", "sub/caf\u00e9.dvc": "outs: []\n",
         "sub/\"q\".dvc": "outs: []\n"},
    )
    git = Git(repo.path)
    plain = _reads(git, sha)
    with git.batched():
        batched = _reads(git, sha)
        assert git._batch is not None and git._batch._proc is not None  # it was used
    assert batched == plain
    assert plain["subject"] == "Tune: deeper trees"
    assert plain["crlf"] == "x\ny\nz\n" and plain["missing"] is None
    assert "040000 tree " in plain["tree"]  # a folder: pretty-printed, as `cat-file -p` does


def test_batched_subdirectory_and_outside_paths(repo):
    from mlgate.adapters.git import Git

    sha = repo.commit("main", {"proj/metrics.json": {"a": 1}, "top.json": {"b": 2}})
    git = Git(repo.path / "proj")
    with git.batched():
        assert git.show(sha, "./metrics.json") == Git(repo.path / "proj").show(
            sha, "./metrics.json")
        # A path out of the work tree kills `git cat-file --batch`: asked the old way.
        assert git.show(sha, "../../outside.json") is None
        assert git.show(sha, "../top.json") == json.dumps({"b": 2}, indent=2)
    outside = Git(repo.path.parent)
    with outside.batched():
        assert not outside.is_repo()


def test_batched_tree_walk_falls_back_beyond_its_budget(repo, monkeypatch):
    from mlgate.adapters import git as git_mod

    sha = repo.commit("main", {f"d{i}/e/f.dvc": "outs: []\n" for i in range(5)})
    monkeypatch.setattr(git_mod, "_MAX_TREES", 3)
    git = git_mod.Git(repo.path)
    with git.batched():
        assert git.ls_files(sha) == git_mod.Git(repo.path).ls_files(sha)


def test_prefetched_commands_answer_as_run_does_and_unused_ones_are_reaped(repo):
    from mlgate.adapters.git import CURRENT_BRANCH, Git

    repo.commit("main", {"metrics.json": {"a": 1}, "sub/x.dvc": "outs: []\n"})
    plain = Git(repo.path)
    expected = {args: plain.run(*args, check=False) for args in
                [("ls-files",), CURRENT_BRANCH, ("remote",), ("rev-parse", "--nope")]}
    git = Git(repo.path)
    extra = [("status", "--short"), ("rev-parse", "--verify", "nope")]
    with git.batched(prefetch=[*expected, *extra]):
        started = dict(git._started)
        assert set(started) == {*expected, *extra}
        for args, want in expected.items():
            got = git.run(*args, check=False)
            assert (got.returncode, got.stdout, got.stderr) == (
                want.returncode, want.stdout, want.stderr), args
            assert args not in git._started  # taken once; a second run starts git again
        assert git.out("ls-files") == plain.out("ls-files")
        with pytest.raises(GitError):
            git.run("rev-parse", "--verify", "nope")  # check=True holds for a prefetched one
        assert ("rev-parse", "--verify", "nope") not in git._started
    assert git._started == {}
    assert started[("status", "--short")]._proc.returncode is not None  # unused: reaped


def test_commands_that_write_or_take_input_are_never_prefetched(repo):
    from mlgate.adapters.git import Git

    repo.commit("main", {"metrics.json": {"a": 1}})
    git = Git(repo.path)
    with git.batched(prefetch=[("notes", "--ref=mlgate", "add", "-m", "x"), ("commit", "-m", "x"),
                               ("hash-object", "--stdin")]):
        assert set(git._started) == {("hash-object", "--stdin")}
        # With input the command runs now, its input given (the prefetched one had none).
        sha = git.run("hash-object", "--stdin", input="hello\n").stdout.strip()
        assert sha == "ce013625030ba8dba906f756967f9e9ca394464a"
    assert git.run("notes", "--ref=mlgate", "list", check=False).stdout == ""


def test_compare_runs_one_cat_file_batch_and_few_git_processes(project, tmp_path):
    """compare used to start 14-22 git processes (one per read); count them with a shim."""
    project.commit("pr", {"metrics.json": {"accuracy": 0.94, "rmse": 4.0,
                                           "train": {"f1": 0.9}}})
    real_git = subprocess.run(["sh", "-c", "command -v git"], capture_output=True, text=True,
                              check=True).stdout.strip()
    shim, log = tmp_path / "bin", tmp_path / "git.log"
    shim.mkdir()
    (shim / "git").write_text(f'#!/bin/sh\necho "$1 $2" >> "{log}"\nexec "{real_git}" "$@"\n')
    (shim / "git").chmod(0o755)
    env = {**os.environ, "PATH": f"{shim}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run([sys.executable, "-m", "mlgate", "compare"], cwd=project.path,
                          env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    calls = log.read_text().splitlines()
    assert calls.count("cat-file --batch") == 1
    assert not [c for c in calls if c.startswith(("cat-file -p", "rev-parse", "log", "var"))]
    assert len(calls) <= 6, calls
