"""The baseline lookup on real git (adapters/notes.py with core/baseline.py): base ref
resolution, merge base, the notes store (nearest recorded ancestor for THIS model, a rejected
push retried on top of the other record).

Real git in temporary directories (local repositories and a bare "origin"; no network)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from mlgate import __version__
from mlgate.adapters.git import SHALLOW_FIX, Git
from mlgate.adapters.notes import (
    NOTE_SCHEMA,
    NOTES_REF,
    GitHistory,
    NotesStore,
    fetch_notes,
    find_merge_base,
    note_payload,
    noted_commits,
    push_notes,
    read_note,
    resolve_base,
    write_note,
)
from mlgate.core import baseline as core
from mlgate.core.baseline import STORE_WALK_LIMIT, Baseline, FilesAt
from mlgate.core.metrics import Metric
from mlgate.core.result import BaselineInfo
from mlgate.errors import ServiceError, UsageError
from tests.helpers.gitrepo import GitRepo


def find_baseline(git: Git, *, remote: str = "origin", **kwargs: Any) -> Baseline:
    """The core lookup over this checkout's git and notes store, as compare runs it."""
    return core.find_baseline(GitHistory(git, remote), NotesStore(git, remote), **kwargs)


def lookup_store(git: Git, merge_base: str, name: str) -> tuple[str, dict[str, Any]] | None:
    return core.lookup_store(GitHistory(git), NotesStore(git), merge_base, name)


def clone(src: Path | str, dest: Path, *args: str) -> GitRepo:
    GitRepo(dest.parent, init=False).git("clone", "-q", *args, str(src), str(dest))
    return GitRepo(dest, init=False)


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    """A bare remote whose main has two commits: metrics.json in the first only."""
    work = GitRepo(tmp_path / "seed")
    work.commit("one", {"metrics.json": {"acc": 0.9}})
    work.git("rm", "-q", "metrics.json")
    work.commit("two")
    bare = tmp_path / "origin.git"
    GitRepo(tmp_path, init=False).git("clone", "-q", "--bare", str(work.path), str(bare))
    return bare


def listed(files: list[str]) -> FilesAt:
    """The metrics files of every commit, as if listed by its mlgate.yaml."""
    return lambda read, sha: (list(files), "mlgate.yaml")


def note_of(repo: GitRepo, sha: str) -> dict[str, Any]:
    return json.loads(repo.git("notes", "--ref=mlgate", "show", sha))


# ----- the base ref and the merge base -------------------------------------------------------


def test_resolve_base_local_then_remote_tracking_then_fetched_then_any_ref(
        origin: Path, tmp_path: Path) -> None:
    repo = clone(origin, tmp_path / "c")
    git = Git(repo.path)
    main = repo.git("rev-parse", "main")
    assert resolve_base(git, "main") == main
    repo.checkout("feature", new=True)
    feat = repo.commit("feat")
    repo.git("branch", "-q", "-D", "main")
    assert resolve_base(git, "main") == main  # refs/remotes/origin/main
    repo.git("update-ref", "-d", "refs/remotes/origin/main")
    assert repo.git("rev-parse", "--verify", "--quiet", "refs/remotes/origin/main",
                    check=False) == ""
    assert resolve_base(git, "main") == main  # fetched
    assert repo.git("rev-parse", "refs/remotes/origin/main") == main
    assert resolve_base(git, feat[:10]) == feat  # any commit-ish
    repo.git("tag", "v1", main)
    assert resolve_base(git, "v1") == main


def test_an_unknown_base_ref(repo: GitRepo) -> None:
    repo.commit("one")
    with pytest.raises(UsageError) as err:
        resolve_base(Git(repo.path), "develop", "up")
    assert err.value.message == (
        "unknown base ref 'develop': no local branch, no up/develop, and it could not be fetched")
    assert err.value.where == "--base"
    assert err.value.fix == (
        "pass the base branch with --base (or `base:` in mlgate.yaml), and make sure it is "
        "fetched (`fetch-depth: 0` on actions/checkout)")
    with pytest.raises(UsageError) as empty:
        resolve_base(Git(repo.path), "")
    assert empty.value.where == "base"


def test_merge_base_of_a_branch(repo: GitRepo) -> None:
    root = repo.commit("one")
    repo.checkout("feature", new=True)
    head = repo.commit("feat")
    repo.checkout("main")
    main = repo.commit("main moved")
    assert find_merge_base(Git(repo.path), head, main) == root


def test_no_common_ancestor(repo: GitRepo) -> None:
    main = repo.commit("one")
    repo.git("checkout", "-q", "--orphan", "other")
    other = repo.commit("unrelated")
    with pytest.raises(UsageError) as err:
        find_merge_base(Git(repo.path), other, main)
    assert (err.value.message, err.value.where, err.value.fix) == (
        "HEAD and the base branch have no common ancestor", f"{other[:12]} vs {main[:12]}",
        "check --base; a PR branch must have been created from the base branch")


def shallow_pr(origin: Path, tmp_path: Path) -> tuple[GitRepo, str, str]:
    """A depth-1 clone of a PR branch whose merge base with main is not in the clone."""
    full = clone(origin, tmp_path / "full")
    base = full.git("rev-parse", "main")
    full.checkout("pr", new=True)
    full.commit("pr 1")
    full.commit("pr 2")
    full.git("push", "-q", "origin", "pr")
    full.checkout("main")
    main = full.commit("main moved")
    full.git("push", "-q", "origin", "main")
    shallow = clone(f"file://{origin}", tmp_path / "shallow", "--depth", "1",
                    "--branch", "pr", "--no-single-branch")
    shallow_git = Git(shallow.path)
    assert shallow_git.is_shallow() and shallow_git.merge_base("HEAD", main) is None
    return shallow, base, main


def test_a_shallow_clone_is_deepened_to_find_the_merge_base(origin: Path, tmp_path: Path
                                                            ) -> None:
    shallow, base, main = shallow_pr(origin, tmp_path)
    assert find_merge_base(Git(shallow.path), shallow.head(), main) == base


def test_a_shallow_clone_without_the_remote(origin: Path, tmp_path: Path) -> None:
    shallow, _, main = shallow_pr(origin, tmp_path)
    with pytest.raises(UsageError) as err:
        find_merge_base(Git(shallow.path), shallow.head(), main, "elsewhere")
    assert (err.value.message, err.value.fix) == (
        "this is a shallow clone and the merge base is not in it", SHALLOW_FIX)
    shallow.git("remote", "add", "broken", str(tmp_path / "missing.git"))
    with pytest.raises(UsageError) as failed:
        find_merge_base(Git(shallow.path), shallow.head(), main, "broken")
    assert (failed.value.message, failed.value.fix) == (
        "this is a shallow clone and fetching the missing history failed", SHALLOW_FIX)


# ----- notes ---------------------------------------------------------------------------------


def test_note_payload() -> None:
    doc = note_payload("churn", {"acc": 0.9}, "c" * 40)
    entry = doc["models"]["churn"]
    assert doc["schema"] == NOTE_SCHEMA == 1 and list(doc["models"]) == ["churn"]
    assert entry["metrics"] == {"acc": 0.9} and entry["commit"] == "c" * 40
    assert entry["mlgate_version"] == __version__
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", entry["recorded_at"])


def test_write_note_keeps_other_models_and_replaces_its_own(repo: GitRepo) -> None:
    sha = repo.commit("one")
    git = Git(repo.path)
    assert read_note(git, sha) is None and noted_commits(git) == set()
    write_note(git, sha, "a", {"acc": 0.5})
    write_note(git, sha, "b", {"rmse": 2})
    write_note(git, sha, "a", {"acc": 0.7})
    note = note_of(repo, sha)
    assert note["schema"] == 1 and sorted(note["models"]) == ["a", "b"]
    assert note["models"]["a"]["metrics"] == {"acc": 0.7}
    assert note["models"]["b"]["metrics"] == {"rmse": 2}
    assert note["models"]["a"]["commit"] == sha
    assert read_note(git, sha) == note
    assert noted_commits(git) == {sha}


def test_notes_that_are_not_ours_are_ignored(repo: GitRepo) -> None:
    one = repo.commit("one")
    two = repo.commit("two")
    three = repo.commit("three")
    repo.git("notes", "--ref=mlgate", "add", "-m", "not json", one)
    repo.git("notes", "--ref=mlgate", "add", "-m", '{"models": []}', two)
    repo.git("notes", "--ref=mlgate", "add", "-m", '["x"]', three)
    git = Git(repo.path)
    assert read_note(git, one) is None and read_note(git, two) is None
    assert read_note(git, three) is None
    assert noted_commits(git) == {one, two, three}
    assert lookup_store(git, three, "a") is None


def test_the_nearest_ancestor_with_this_models_record(repo: GitRepo) -> None:
    git = Git(repo.path)
    old = repo.commit("old")
    other = repo.commit("other model recorded")
    repo.git("notes", "--ref=mlgate", "add", "-m", '{"models": {"a": {"metrics": 5}}}',
             repo.commit("a's entry without metrics"))
    head = repo.commit("head")
    write_note(git, old, "a", {"acc": 0.8})
    write_note(git, other, "b", {"acc": 0.1})
    assert lookup_store(git, head, "a") == (old, {"acc": 0.8})
    assert lookup_store(git, head, "b") == (other, {"acc": 0.1})
    assert lookup_store(git, old, "b") is None  # only ancestors count
    assert lookup_store(git, head, "c") is None


def test_the_walk_follows_first_parents_only(repo: GitRepo) -> None:
    git = Git(repo.path)
    repo.commit("root")
    repo.checkout("side", new=True)
    side = repo.commit("side")
    write_note(git, side, "a", {"acc": 0.2})
    repo.checkout("main")
    repo.commit("main")
    repo.git("merge", "-q", "--no-ff", "-m", "merge side", "side")
    assert lookup_store(git, repo.head(), "a") is None
    assert STORE_WALK_LIMIT == 1000


def bare_with_commit(tmp_path: Path) -> tuple[Path, str]:
    seed = GitRepo(tmp_path / "seed")
    sha = seed.commit("one")
    bare = tmp_path / "origin.git"
    GitRepo(tmp_path, init=False).git("clone", "-q", "--bare", str(seed.path), str(bare))
    return bare, sha


def test_a_rejected_notes_push_is_retried_on_top_of_the_other_record(tmp_path: Path) -> None:
    bare, sha = bare_with_commit(tmp_path)
    first = clone(bare, tmp_path / "first")
    second = clone(bare, tmp_path / "second")
    write_note(Git(first.path), sha, "a", {"acc": 0.9})
    push_notes(Git(first.path), "origin", sha, "a", {"acc": 0.9})
    # the second runner recorded without fetching: its push is rejected, then retried
    write_note(Git(second.path), sha, "b", {"rmse": 1.5})
    push_notes(Git(second.path), "origin", sha, "b", {"rmse": 1.5})
    check = clone(bare, tmp_path / "check")
    assert fetch_notes(Git(check.path)) is True
    models = note_of(check, sha)["models"]
    assert {k: v["metrics"] for k, v in models.items()} == {"a": {"acc": 0.9},
                                                            "b": {"rmse": 1.5}}
    pushes = second.git("reflog", "show", "--format=%gs", NOTES_REF)
    assert "fetch" in pushes  # the store was fetched between the two attempts


def test_a_notes_push_that_fails_otherwise_is_not_retried(repo: GitRepo, tmp_path: Path
                                                         ) -> None:
    sha = repo.commit("one")
    repo.git("remote", "add", "gone", str(tmp_path / "missing.git"))
    write_note(Git(repo.path), sha, "a", {"acc": 1})
    with pytest.raises(ServiceError) as err:
        push_notes(Git(repo.path), "gone", sha, "a", {"acc": 1})
    assert err.value.message.startswith(f"pushing {NOTES_REF} to 'gone' failed: ")
    assert "rejected" not in err.value.message


def test_fetch_notes(repo: GitRepo, tmp_path: Path) -> None:
    repo.commit("one")
    assert fetch_notes(Git(repo.path)) is False  # no origin
    bare, _ = bare_with_commit(tmp_path)
    fresh = clone(bare, tmp_path / "fresh")
    assert fetch_notes(Git(fresh.path)) is False  # origin has no store


# ----- find_baseline -------------------------------------------------------------------------


def pr_repo(repo: GitRepo) -> tuple[str, str]:
    """main: c1 (metrics.json) -> c2 (no metrics); pr branches from c2."""
    repo.commit("c1", {"metrics.json": {"acc": 0.9, "f1": {"x": 0.5}}})
    repo.git("rm", "-q", "metrics.json")
    c2 = repo.commit("c2")
    repo.checkout("pr", new=True)
    head = repo.commit("pr", {"metrics.json": {"acc": 0.95}})
    return c2, head


def test_committed_metrics_at_the_merge_base(repo: GitRepo) -> None:
    repo.commit("c1", {"metrics.json": {"acc": 0.9}, "more.yaml": "n: 2\n"})
    mb = repo.head()
    repo.checkout("pr", new=True)
    head = repo.commit("pr")
    got = find_baseline(Git(repo.path), head=head, base="main", name="m",
                        files_at=listed(["metrics.json", "more.yaml", "absent.json"]))
    assert got == Baseline(found=True, sha=mb, source="committed", base_ref="main",
                           merge_base=mb, note=None,
                           metrics=[Metric("acc", 0.9, "metrics.json", "acc"),
                                    Metric("n", 2.0, "more.yaml", "n")],
                           files=("metrics.json", "more.yaml", "absent.json"))


def test_the_store_when_nothing_is_committed_with_a_note(repo: GitRepo) -> None:
    git = Git(repo.path)
    c2, head = pr_repo(repo)
    c1 = repo.git("rev-parse", "main~1")
    write_note(git, c1, "m", {"acc": 0.8, "f1": {"x": "NaN"}})
    write_note(git, c2, "other", {"acc": 0.1})
    got = find_baseline(git, head=head, base="main", name="m", files_at=listed(["none.json"]))
    where = f"baseline store ({NOTES_REF}) at {c1[:12]}"
    assert got.found is True and got.sha == c1 and got.source == "store"
    assert got.merge_base == c2 and got.base_ref == "main"
    assert got.note == (f"the merge base {c2[:12]} has no recorded metrics; used the nearest "
                        f"recorded ancestor {c1[:12]}")
    # store metrics have no file (issue 11: they pair with any file's key); where names errors
    assert where == f"baseline store (refs/notes/mlgate) at {c1[:12]}"
    assert got.metrics[0] == Metric("acc", 0.8, "")
    assert got.metrics[1].name == "f1.x" and got.metrics[1].file == ""
    assert got.metrics[1].value != got.metrics[1].value  # NaN
    assert got.info() == BaselineInfo(found=True, sha=c1, source="store", base_ref="main",
                                      merge_base=c2, note=got.note)


def test_modes(repo: GitRepo) -> None:
    git = Git(repo.path)
    c2, head = pr_repo(repo)
    c1 = repo.git("rev-parse", "main~1")
    write_note(git, c2, "m", {"acc": 0.7})
    # auto: committed files at the merge base first (none there), then the store at c2
    auto = find_baseline(git, head=head, base="main", name="m", files_at=listed(["metrics.json"]))
    assert (auto.source, auto.sha, auto.note) == ("store", c2, None)
    assert auto.metrics == [Metric("acc", 0.7, "")]
    committed = find_baseline(git, head=head, base="main", name="m",
                              files_at=listed(["metrics.json"]), mode="committed")
    record = ("Record one on pushes to the base branch with `mlgate baseline record --push` "
              "(after training), or set `baseline: retrain` in mlgate.yaml to train the merge "
              "base in this job.")
    assert committed == Baseline(found=False, sha=None, source=None, base_ref="main",
                                 merge_base=c2, note=(
        f"no baseline for the merge base {c2[:12]} of main. Looked for the metrics files "
        f"committed at {c2[:12]} (metrics.json, as listed by mlgate.yaml there): not found or "
        f"empty. {record}"))
    # with metrics committed at the merge base, "store" still reads the store
    repo.checkout("main")
    repo.git("checkout", "-q", c1, "--", "metrics.json")
    c3 = repo.commit("c3 metrics back")
    repo.checkout("pr2", new=True)
    head2 = repo.commit("pr2")
    store = find_baseline(git, head=head2, base="main", name="m", files_at=listed(["metrics.json"]),
                          mode="store")
    assert (store.source, store.sha, store.merge_base) == ("store", c2, c3)
    auto2 = find_baseline(git, head=head2, base="main", name="m", files_at=listed(["metrics.json"]))
    assert (auto2.source, auto2.sha) == ("committed", c3)
    assert auto2.metrics == [Metric("acc", 0.9, "metrics.json", "acc"),
                             Metric("f1.x", 0.5, "metrics.json", "f1.x")]
    nothing = find_baseline(git, head=head2, base="main", name="zz", files_at=listed(["none.json"]))
    assert nothing == Baseline(found=False, sha=None, source=None, base_ref="main",
                               merge_base=c3, note=(
        f"no baseline for the merge base {c3[:12]} of main. Looked for the metrics files "
        f"committed at {c3[:12]} (none.json, as listed by mlgate.yaml there): not found or "
        f"empty; and a record of model 'zz' in the baseline store ({NOTES_REF}) for "
        f"{c3[:12]} or its first-parent ancestors (up to {STORE_WALK_LIMIT}): none. {record}"))


def test_a_fresh_checkout_fetches_the_store_from_its_remote(tmp_path: Path) -> None:
    bare, sha = bare_with_commit(tmp_path)
    recorder = clone(bare, tmp_path / "recorder")
    write_note(Git(recorder.path), sha, "m", {"acc": 0.6})
    push_notes(Git(recorder.path), "origin", sha, "m", {"acc": 0.6})
    pr = clone(bare, tmp_path / "pr")
    pr.checkout("pr", new=True)
    head = pr.commit("pr")
    got = find_baseline(Git(pr.path), head=head, base="main", name="m",
                        files_at=listed(["metrics.json"]))
    assert (got.found, got.source, got.sha) == (True, "store", sha)
    assert [m.value for m in got.metrics] == [0.6]


def test_the_note_text_is_sorted_json_indented_by_one(repo: GitRepo) -> None:
    sha = repo.commit("one")
    write_note(Git(repo.path), sha, "m", {"b": 1, "a": 2})
    text = repo.git("notes", "--ref=mlgate", "show", sha)
    assert text == json.dumps(note_of(repo, sha), sort_keys=True, indent=1)
    assert text.startswith('{\n "models": {\n  "m": {\n   "commit": ')


def test_the_local_branch_wins_over_a_tag_of_the_same_name(repo: GitRepo) -> None:
    old = repo.commit("one")
    tip = repo.commit("two")
    repo.git("tag", "main", old)
    assert resolve_base(Git(repo.path), "main") == tip


def test_the_base_branch_is_fetched_with_an_explicit_refspec(origin: Path, tmp_path: Path
                                                             ) -> None:
    repo = GitRepo(tmp_path / "bare-config")
    repo.commit("unrelated")
    repo.git("config", "remote.up.url", str(origin))  # a remote without a fetch refspec
    want = GitRepo(origin, init=False).git("rev-parse", "main")
    repo.git("branch", "-q", "-m", "main", "local")
    assert resolve_base(Git(repo.path), "main", "up") == want
    assert repo.git("rev-parse", "refs/remotes/up/main") == want


def rejecting_remote(tmp_path: Path) -> tuple[Path, str, Path]:
    bare, sha = bare_with_commit(tmp_path)
    count = tmp_path / "attempts"
    hook = bare / "hooks" / "pre-receive"
    hook.write_text(f"#!/bin/sh\necho x >> '{count}'\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    return bare, sha, count


def test_a_push_rejected_every_time_is_tried_five_times(tmp_path: Path) -> None:
    bare, sha, count = rejecting_remote(tmp_path)
    repo = clone(bare, tmp_path / "c", "-o", "up")
    write_note(Git(repo.path), sha, "m", {"acc": 1})
    with pytest.raises(ServiceError) as err:
        push_notes(Git(repo.path), "up", sha, "m", {"acc": 1})
    assert count.read_text(encoding="utf-8").count("x") == 5
    assert err.value.message.startswith(f"pushing {NOTES_REF} to 'up' failed: ")
    assert "pre-receive hook declined" in err.value.message


def test_a_push_that_cannot_reach_the_remote_touches_nothing(repo: GitRepo, tmp_path: Path
                                                            ) -> None:
    sha = repo.commit("one")
    repo.git("remote", "add", "gone", str(tmp_path / "missing.git"))
    write_note(Git(repo.path), sha, "a", {"acc": 1})
    before = repo.git("rev-parse", NOTES_REF)
    with pytest.raises(ServiceError):
        push_notes(Git(repo.path), "gone", sha, "a", {"acc": 1})
    assert repo.git("rev-parse", NOTES_REF) == before  # no fetch, no re-applied record


def test_the_retry_fetches_from_the_named_remote(tmp_path: Path) -> None:
    bare, sha = bare_with_commit(tmp_path)
    first = clone(bare, tmp_path / "first", "-o", "up")
    second = clone(bare, tmp_path / "second", "-o", "up")
    for name, repo in zip(("a", "b"), (first, second), strict=True):
        write_note(Git(repo.path), sha, name, {"n": 1})
        push_notes(Git(repo.path), "up", sha, name, {"n": 1})
    check = clone(bare, tmp_path / "check")
    fetch_notes(Git(check.path))
    assert sorted(note_of(check, sha)["models"]) == ["a", "b"]


def test_find_baseline_through_a_shallow_clone_of_a_remote_named_up(origin: Path,
                                                                    tmp_path: Path) -> None:
    full = clone(origin, tmp_path / "full")
    base = full.git("rev-parse", "main")
    write_note(Git(full.path), base, "m", {"acc": 0.4})
    push_notes(Git(full.path), "origin", base, "m", {"acc": 0.4})
    full.checkout("pr", new=True)
    full.commit("pr 1")
    full.commit("pr 2")
    full.git("push", "-q", "origin", "pr")
    full.checkout("main")
    full.commit("main moved")
    full.git("push", "-q", "origin", "main")
    shallow = clone(f"file://{origin}", tmp_path / "shallow", "-o", "up", "--depth", "1",
                    "--branch", "pr", "--no-single-branch")
    git = Git(shallow.path)
    got = find_baseline(git, head=shallow.head(), base="main", name="m",
                        files_at=listed(["metrics.json"]), remote="up")
    assert (got.found, got.source, got.sha, got.merge_base) == (True, "store", base, base)
    assert got.metrics == [Metric("acc", 0.4, "")]


def test_a_local_store_is_not_replaced_by_the_remote_one(tmp_path: Path) -> None:
    bare, sha = bare_with_commit(tmp_path)
    recorder = clone(bare, tmp_path / "recorder")
    write_note(Git(recorder.path), sha, "m", {"acc": 0.1})
    push_notes(Git(recorder.path), "origin", sha, "m", {"acc": 0.1})
    local = clone(bare, tmp_path / "local")
    write_note(Git(local.path), sha, "m", {"acc": 0.9})  # recorded here, not pushed
    local.checkout("pr", new=True)
    head = local.commit("pr")
    got = find_baseline(Git(local.path), head=head, base="main", name="m", files_at=listed([]))
    assert [m.value for m in got.metrics] == [0.9]


def test_committed_mode_reads_committed_metrics(repo: GitRepo) -> None:
    mb = repo.commit("c1", {"metrics.json": {"acc": 0.3}})
    write_note(Git(repo.path), mb, "m", {"acc": 0.8})
    repo.checkout("pr", new=True)
    head = repo.commit("pr")
    got = find_baseline(Git(repo.path), head=head, base="main", name="m",
                        files_at=listed(["metrics.json"]), mode="committed")
    assert (got.source, got.metrics) == ("committed",
                                         [Metric("acc", 0.3, "metrics.json", "acc")])
    store = find_baseline(Git(repo.path), head=head, base="main", name="m",
                          files_at=listed(["metrics.json"]), mode="store")
    assert (store.source, [m.value for m in store.metrics]) == ("store", [0.8])


def test_a_bad_value_in_the_store_names_the_record(repo: GitRepo) -> None:
    mb = repo.commit("c1")
    write_note(Git(repo.path), mb, "m", {"acc": "high"})
    head = repo.commit("c2")  # a push to main: the baseline is HEAD's first parent, c1
    with pytest.raises(UsageError) as err:
        find_baseline(Git(repo.path), head=head, base="main", name="m", files_at=listed([]))
    assert err.value.where == f"baseline store ({NOTES_REF}) at {mb[:12]}: acc"


def test_committed_and_recorded_values_that_disagree_warn(repo: GitRepo) -> None:
    # issue 11: the store's record for the merge base wins; a committed file that differs is
    # named in a warning (NaN == NaN and float noise of 1e-13 are not a disagreement)
    mb = repo.commit("c1", {"metrics.json": {"acc": 0.9, "f1": 0.5, "auc": "NaN",
                                             "n": 1.0, "loss": 0.25, "z": 0.0}})
    write_note(Git(repo.path), mb, "m", {"acc": 0.8, "f1": 0.5 + 1e-13, "auc": "NaN",
                                         "loss": "NaN", "other": 3, "z": 1e-13})
    repo.checkout("pr", new=True)
    head = repo.commit("pr")
    got = find_baseline(Git(repo.path), head=head, base="main", name="m",
                        files_at=listed(["metrics.json"]))
    assert (got.source, got.sha, got.note) == ("store", mb, None)
    assert got.warnings == (
        f"the metrics committed at {mb[:12]} differ from those the baseline store recorded "
        "for it (acc 0.9 committed vs 0.8 recorded; loss 0.25 committed vs nan recorded); "
        "the recorded ones (what the base branch's CI measured) were used: the committed "
        "file is probably stale",)
    write_note(Git(repo.path), mb, "m", {"acc": 0.9, "f1": 0.5, "auc": "NaN"})
    same = find_baseline(Git(repo.path), head=head, base="main", name="m",
                         files_at=listed(["metrics.json"]))
    assert same.warnings == ()
    many = {f"k{i}": float(i) for i in range(6)}
    repo.checkout("main")
    mb2 = repo.commit("c2", {"metrics.json": many})
    write_note(Git(repo.path), mb2, "m", {k: v + 1 for k, v in many.items()})
    repo.checkout("pr2", new=True)
    head2 = repo.commit("pr2")
    cut = find_baseline(Git(repo.path), head=head2, base="main", name="m",
                        files_at=listed(["metrics.json"]))
    assert ("k4 4 committed vs 5 recorded; and 1 more)" in cut.warnings[0]
            and "k5" not in cut.warnings[0])
    write_note(Git(repo.path), mb2, "m", {**{k: v + 1 for k, v in many.items()}, "k5": 5.0})
    five = find_baseline(Git(repo.path), head=head2, base="main", name="m",
                         files_at=listed(["metrics.json"]))
    assert "(k0 0 committed vs 1 recorded; k1 1 committed vs 2 recorded; " in five.warnings[0]
    assert "k4 4 committed vs 5 recorded); the recorded" in five.warnings[0]


def test_on_a_push_the_baseline_is_the_first_parent_and_the_first_commit_has_none(
        repo: GitRepo) -> None:
    git = Git(repo.path)
    c1 = repo.commit("c1", {"metrics.json": {"acc": 0.5}})
    first = find_baseline(git, head=c1, base="main", name="m",
                          files_at=listed(["metrics.json"]))
    assert first == Baseline(found=False, sha=None, source=None, base_ref="main",
                             merge_base=c1, on_base=True,
                             note=f"{c1[:12]} is the first commit of main: there is nothing "
                             "before it to compare with")
    c2 = repo.commit("c2", {"metrics.json": {"acc": 0.6}})
    push = find_baseline(git, head=c2, base="main", name="m", files_at=listed(["metrics.json"]))
    assert push == Baseline(found=True, sha=c1, source="committed", base_ref="main",
                            merge_base=c1, on_base=True, files=("metrics.json",),
                            metrics=[Metric("acc", 0.5, "metrics.json", "acc")])
