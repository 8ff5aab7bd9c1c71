"""core/baseline.py decides the lookup order over an injected history and store: no git here,
in-memory fakes of ``History`` and ``Store`` (core does no I/O)."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import mlgate.core.baseline as core_baseline
from mlgate.core.baseline import STORE_WALK_LIMIT, Baseline, find_baseline, lookup_store
from mlgate.core.metrics import Reader
from mlgate.errors import UsageError

# main: c0 <- c1 <- c2 (HEAD of a PR branch forks at c2: merge base c2)
PARENTS = {"c2": "c1", "c1": "c0", "c0": None}


class FakeHistory:
    def __init__(self, files: dict[str, dict[str, str]], merge_base: str = "c2",
                 base_tip: str = "c2") -> None:
        self.files = files  # sha -> path -> text
        self.mb = merge_base
        self.tip = base_tip
        self.asked: list[str] = []

    def resolve_base(self, base: str) -> str:
        self.asked.append(f"resolve {base}")
        return self.tip

    def merge_base(self, head: str, base_sha: str) -> str:
        return self.mb

    def first_parent(self, sha: str) -> str | None:
        return PARENTS.get(sha)

    def first_parents(self, sha: str, limit: int) -> list[str]:
        out: list[str] = []
        at: str | None = sha
        while at is not None and len(out) < limit:
            out.append(at)
            at = PARENTS.get(at)
        return out

    def reader(self, sha: str) -> Reader:
        return lambda path: self.files.get(sha, {}).get(path)


class FakeStore:
    ref = "refs/notes/test"

    def __init__(self, records: dict[str, dict[str, dict[str, Any]]], here: bool = True) -> None:
        self.records = records  # sha -> model -> metrics
        self.here = here
        self.opened = 0

    def available(self) -> bool:
        self.opened += 1
        return self.here

    def noted(self) -> set[str]:
        return set(self.records)

    def recorded(self, sha: str, name: str) -> dict[str, Any] | None:
        return self.records.get(sha, {}).get(name)


def files_at(read: Reader, sha: str) -> tuple[list[str], str]:
    return ["metrics.json"], "mlgate.yaml"


def lookup(history: FakeHistory, store: FakeStore, head: str = "pr", mode: str = "auto",
           files: Callable[[Reader, str], tuple[list[str], str]] = files_at) -> Baseline:
    return find_baseline(history, store, head=head, base="main", name="m", files_at=files,
                         mode=mode)


def values(b: Baseline) -> dict[str, Any]:
    return {m.name: m.value for m in b.metrics}


def test_the_record_of_the_merge_base_wins_and_a_disagreement_warns() -> None:
    history = FakeHistory({"c2": {"metrics.json": '{"acc": 0.5}'}})
    got = lookup(history, FakeStore({"c2": {"m": {"acc": 0.9}}}))
    assert (got.found, got.source, got.sha, got.merge_base) == (True, "store", "c2", "c2")
    assert values(got) == {"acc": 0.9}
    assert len(got.warnings) == 1 and "0.5 committed vs 0.9 recorded" in got.warnings[0]


def test_committed_metrics_win_over_an_older_record() -> None:
    history = FakeHistory({"c2": {"metrics.json": '{"acc": 0.5}'}})
    got = lookup(history, FakeStore({"c1": {"m": {"acc": 0.9}}}))
    assert (got.source, got.sha, got.files, values(got)) == (
        "committed", "c2", ("metrics.json",), {"acc": 0.5})


def test_the_nearest_recorded_first_parent_ancestor_last() -> None:
    got = lookup(FakeHistory({}), FakeStore({"c0": {"m": {"acc": 0.7}},
                                             "c1": {"other": {"acc": 0.1}}}))
    assert (got.source, got.sha, got.merge_base, values(got)) == ("store", "c0", "c2",
                                                                  {"acc": 0.7})
    assert got.note == ("the merge base c2 has no recorded metrics; used the nearest recorded "
                        "ancestor c0")


def test_no_store_is_not_asked_and_committed_mode_never_opens_it() -> None:
    store = FakeStore({"c2": {"m": {"acc": 0.9}}}, here=False)
    got = lookup(FakeHistory({}), store)
    assert not got.found and "refs/notes/test" in (got.note or "")
    committed = FakeStore({"c2": {"m": {"acc": 0.9}}})
    assert not lookup(FakeHistory({}), committed, mode="committed").found
    assert committed.opened == 0


def test_on_a_push_the_first_parent_is_the_baseline() -> None:
    history = FakeHistory({"c1": {"metrics.json": '{"acc": 0.4}'}}, merge_base="c2")
    got = lookup(history, FakeStore({}), head="c2")
    assert (got.sha, got.merge_base, got.on_base, values(got)) == ("c1", "c1", True,
                                                                   {"acc": 0.4})
    first = lookup(FakeHistory({}, merge_base="c0", base_tip="c0"), FakeStore({}), head="c0")
    assert (first.found, first.on_base, first.merge_base) == (False, True, "c0")


def test_a_base_ahead_of_head_is_refused_not_replaced_by_another_commit() -> None:
    with pytest.raises(UsageError, match="ahead of HEAD"):
        lookup(FakeHistory({}, merge_base="c0", base_tip="c2"), FakeStore({}), head="c0")


def test_lookup_store_walks_at_most_the_limit() -> None:
    store = FakeStore({"c0": {"m": {"acc": 1}}})
    assert lookup_store(FakeHistory({}), store, "c2", "m") == ("c0", {"acc": 1})
    assert lookup_store(FakeHistory({}), store, "c2", "x") is None
    assert STORE_WALK_LIMIT == 1000


def test_core_baseline_imports_no_adapter() -> None:
    tree = ast.parse(Path(core_baseline.__file__).read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in imported if m.startswith("mlgate.adapters")}
    assert not {"subprocess", "os"} & imported
