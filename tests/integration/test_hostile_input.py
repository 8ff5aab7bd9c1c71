"""Hostile files from a PR's author and odd faults: exit 2 within seconds with the
file (and key) named, never an internal error, a hang or unbounded memory; a failing gate
always writes ``passed=false``; concurrent baseline records lose nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlgate.cli import main
from mlgate.errors import EXIT_USAGE
from tests.helpers.gitrepo import GitRepo

# ~340 bytes that expand to 9**9 (387 million) strings when flattened.
ALIAS_BOMB = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{c}: &{c} [" + ",".join([f"*{p}"] * 9) + "]"
       for p, c in zip("abcdefgh", "bcdefghi", strict=True)]
) + "\n"
# The same with mappings, indented under `train: params:` of mlgate.yaml (a valid train section).
TRAIN_BOMB = "train:\n  data: data.csv\n  target: label\n  params:\n" + "".join(
    ["    a: &a {" + ", ".join(f"k{i}: lol" for i in range(9)) + "}\n"]
    + [f"    {c}: &{c} {{" + ", ".join(f"k{i}: *{p}" for i in range(9)) + "}\n"
       for p, c in zip("abcdefgh", "bcdefghi", strict=True)]
)
RECURSIVE_ALIAS = "accuracy: &a [0.5, *a]\n"
# Run in a child with this much address space: the old code needed gigabytes (MemoryError at 3 GB).
MEMORY_CAP = 1536 * 1024 * 1024
CHILD = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))
from mlgate.cli import main
sys.exit(main(sys.argv[1:]))
"""


def mlgate(repo: GitRepo, *args: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.chdir(repo.path)
    return main(list(args))


def capped_mlgate(cwd: Path, *args: str, timeout: float = 60) -> tuple[int, str, float]:
    """``mlgate ARGS`` in a child process with capped memory: exit code, stderr, seconds."""
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", CHILD.format(cap=MEMORY_CAP), *args],
        cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False,
    )
    return proc.returncode, proc.stderr, time.monotonic() - start


@pytest.fixture
def project(repo: GitRepo) -> GitRepo:
    repo.commit("main", {"metrics.json": {"accuracy": 0.9}, "params.yaml": "depth: 4\n"})
    repo.checkout("feature", new=True)
    return repo


# ----- hangs and unbounded memory -------------------------------------------------------------


def test_alias_bomb_as_metrics_file_is_exit_2_fast(project: GitRepo) -> None:
    project.commit("bomb", {"metrics.yaml": ALIAS_BOMB})
    code, err, seconds = capped_mlgate(project.path, "compare", "--metrics", "metrics.yaml")
    assert code == EXIT_USAGE, err
    assert "metrics.yaml" in err and "alias" in err
    assert seconds < 15


def test_alias_bomb_in_params_yaml_is_exit_2_fast(project: GitRepo) -> None:
    # params.yaml is read for "Params changed" even when nobody configured params.
    project.commit("bomb", {"params.yaml": ALIAS_BOMB, "metrics.json": {"accuracy": 0.91}})
    code, err, seconds = capped_mlgate(project.path, "compare")
    assert code == EXIT_USAGE, err
    assert "params.yaml" in err
    assert seconds < 15


def test_alias_bomb_in_mlgate_yaml_train_is_exit_2_fast(project: GitRepo) -> None:
    project.commit("bomb", {"mlgate.yaml": TRAIN_BOMB})
    code, err, seconds = capped_mlgate(project.path, "compare")
    assert code == EXIT_USAGE, err
    assert "mlgate.yaml" in err
    assert seconds < 15


def test_recursive_alias_is_exit_2(project: GitRepo, monkeypatch, capsys) -> None:
    project.commit("recursive", {"metrics.yaml": RECURSIVE_ALIAS})
    assert mlgate(project, "compare", "--metrics", "metrics.yaml", monkeypatch=monkeypatch) == 2
    err = capsys.readouterr().err
    assert "metrics.yaml" in err and "recursive" in err


def test_json_nested_a_thousand_deep_is_exit_2(project: GitRepo, monkeypatch, capsys) -> None:
    project.write("metrics.json", '{"a":' * 1000 + "1" + "}" * 1000)
    assert mlgate(project, "compare", monkeypatch=monkeypatch) == 2
    err = capsys.readouterr().err
    assert "metrics.json" in err and "deep" in err


# ----- "internal error" where the input is at fault ----------------------------------------


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b'{"accuracy": 0.9, "name": "\xe9t\xe9"}', "not UTF-8"),
        ('{"accuracy": 0.9}'.encode("utf-16"), "not UTF-8"),
        ('{"accuracy": 0.9}'.encode("utf-16-le"), "not UTF-8"),
    ],
    ids=["latin-1", "utf-16", "utf-16-no-bom"],
)
def test_metrics_that_are_not_utf8_are_exit_2(
    project: GitRepo, monkeypatch, capsys, data: bytes, what: str
) -> None:
    (project.path / "metrics.json").write_bytes(data)
    assert mlgate(project, "compare", monkeypatch=monkeypatch) == 2
    err = capsys.readouterr().err
    assert "metrics.json" in err and what in err


def test_baseline_file_that_is_not_utf8_is_exit_2(project: GitRepo, monkeypatch, capsys) -> None:
    (project.path / "base.json").write_bytes(b'{"accuracy": 0.9, "x\xff": 1}')
    assert mlgate(project, "compare", "--baseline-file", "base.json",
                  monkeypatch=monkeypatch) == 2
    err = capsys.readouterr().err
    assert "base.json" in err and "not UTF-8" in err


@pytest.mark.parametrize(
    "number", ["1" + "0" * 400, "9" * 5000, "-" + "9" * 5000], ids=["1e400", "5000-digits", "neg"]
)
def test_metric_integer_beyond_float_is_exit_2_naming_the_key(
    project: GitRepo, monkeypatch, capsys, number: str
) -> None:
    for name in ("metrics.json", "metrics.yaml"):
        project.write(name, f'{{"accuracy": 0.9, "huge": {number}}}')
        assert mlgate(project, "compare", "--metrics", name, monkeypatch=monkeypatch) == 2
        err = capsys.readouterr().err
        assert f"{name}: huge" in err, err


@pytest.mark.parametrize("number", ["1" + "0" * 400, "9" * 5000], ids=["1e400", "5000-digits"])
def test_threshold_integer_beyond_float_is_exit_2_naming_the_key(
    project: GitRepo, monkeypatch, capsys, number: str
) -> None:
    project.write("mlgate.yaml", f"thresholds:\n  accuracy: {{min: {number}}}\n")
    assert mlgate(project, "compare", monkeypatch=monkeypatch) == 2
    err = capsys.readouterr().err
    assert "accuracy" in err and "min" in err, err


def test_out_naming_a_file_is_exit_2(project: GitRepo, monkeypatch, capsys) -> None:
    project.write("not-a-dir", "x")
    assert mlgate(project, "compare", "--out", "not-a-dir", monkeypatch=monkeypatch) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "not-a-dir" in err


# ----- a failing gate writes passed=false ---------------------------------------------------


def _outputs(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else ""


@pytest.mark.parametrize("kind", ["directory", "not-utf8", "deep-json", "missing"])
def test_gate_that_cannot_read_its_result_writes_passed_false(
    project: GitRepo, monkeypatch, tmp_path: Path, kind: str
) -> None:
    output = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    target = project.path / "result-in"
    if kind == "directory":
        target.mkdir()
    elif kind == "not-utf8":
        target.write_bytes(b'{"schema": 1, "name": "\xff"}')
    elif kind == "deep-json":
        target.write_text("[" * 100_000 + "]" * 100_000)
    assert mlgate(project, "gate", "--result", "result-in", monkeypatch=monkeypatch) == 2
    text = _outputs(output)
    assert "passed" in text and "false" in text and "true" not in text


def test_gate_with_an_out_that_is_a_file_writes_passed_false(
    project: GitRepo, monkeypatch, tmp_path: Path
) -> None:
    output = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    project.write("not-a-dir", "x")
    assert mlgate(project, "gate", "--out", "not-a-dir", monkeypatch=monkeypatch) == 2
    assert "false" in _outputs(output)


# ----- the report survives odd numbers and names ------------------------------------------


@pytest.mark.parametrize(
    ("base", "head"),
    [
        ('{"m": 1e-300, "acc": 0.9}', '{"m": 1e7, "acc": 0.9}'),
        ('{"a\\ud800b": 0.4}', '{"a\\ud800b": 0.5}'),
        ('{"m": -1e-308}', '{"m": 1.7e308}'),
    ],
    ids=["relative-overflow", "lone-surrogate", "extremes"],
)
def test_report_renders_extreme_changes_and_surrogates(
    project: GitRepo, monkeypatch, capsys, base: str, head: str
) -> None:
    project.write("base.json", base)
    project.write("metrics.json", head)
    assert mlgate(project, "compare", "--baseline-file", "base.json",
                  monkeypatch=monkeypatch) == 0
    assert mlgate(project, "report", "--dry-run", monkeypatch=monkeypatch) == 0
    report = (project.path / ".mlgate" / "report.md").read_text(encoding="utf-8")
    assert "gate passed" in report
    assert "| Metric" in report or "| metric" in report.lower()
    capsys.readouterr()


# ----- out-of-repository files --------------------------------------------------------------


def test_params_symlinked_outside_the_repository_is_not_followed(
    project: GitRepo, monkeypatch, capsys, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("password: hunter2-probe\n")
    (project.path / "params.yaml").unlink()
    (project.path / "params.yaml").symlink_to(secret)
    project.commit("symlink params", {"metrics.json": {"accuracy": 0.91}})
    code = mlgate(project, "compare", monkeypatch=monkeypatch)
    out, err = capsys.readouterr()
    assert code == 2
    assert "params.yaml" in err and "outside the repository" in err
    result = project.path / ".mlgate" / "result.json"
    assert not result.exists() or "hunter2" not in result.read_text()
    assert "hunter2" not in out + err


def test_metrics_outside_the_repository_is_exit_2(
    project: GitRepo, monkeypatch, capsys, tmp_path: Path
) -> None:
    (tmp_path / "x.yaml").write_text("accuracy: 0.99\n")
    rel = os.path.relpath(tmp_path / "x.yaml", project.path)
    assert rel.startswith("..")
    assert mlgate(project, "compare", "--metrics", rel, monkeypatch=monkeypatch) == 2
    err = capsys.readouterr().err
    assert "x.yaml" in err and "outside the repository" in err


def test_metrics_from_a_subdirectory_may_use_files_elsewhere_in_the_repository(
    project: GitRepo, monkeypatch
) -> None:
    project.write("shared/metrics.json", {"accuracy": 0.92})
    sub = project.path / "models" / "churn"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    assert main(["compare", "--metrics", "../../shared/metrics.json",
                 "--baseline-file", "../../metrics.json"]) == 0


# ----- concurrent baseline records ---------------------------------------------------------


def test_concurrent_baseline_records_for_two_models_keep_both(repo: GitRepo) -> None:
    repo.commit("main", {
        "a.yaml": "name: model-a\nmetrics: [a.json]\n",
        "b.yaml": "name: model-b\nmetrics: [b.json]\n",
        "a.json": {"accuracy": 0.1},
        "b.json": {"accuracy": 0.2},
    })
    lost = []
    for round_ in range(12):
        sha = repo.commit(f"round {round_}")
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "mlgate", "baseline", "record", "--config", cfg],
                cwd=repo.path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )
            for cfg in ("a.yaml", "b.yaml")
        ]
        for proc in procs:
            _out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
        note = json.loads(repo.git("notes", "--ref=mlgate", "show", sha))
        if set(note["models"]) != {"model-a", "model-b"}:
            lost.append((round_, sorted(note["models"])))
    assert not lost
