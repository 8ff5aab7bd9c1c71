"""`train: {repeats: K}` for user pipelines: the command (or `dvc repro`) runs K times with
MLGATE_SEED = seed + i and MLGATE_REPEAT = i; each metric becomes a per-run list in
folds.json (method `repeats`), recorded in the baseline store and paired run by run with the
baseline's runs (the store's record with the same seeds, else the merge base retrained with
them)."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest

from mlgate.cli import main
from mlgate.core.folds import FOLDS_FILE, parse_folds
from tests.helpers.dvcproject import git

PYTHON = shlex.quote(sys.executable)

# A fixed data set; the split and the forest follow MLGATE_SEED (as a user's script would).
# 600 test rows: one run's accuracy moves by about 0.01 with the seed; a stump loses 0.1+.
TRAIN_PY = """\
import json
import os

from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

seed = int(os.environ.get("MLGATE_SEED", 0))  # {comment}
x, y = make_classification(n_samples=1200, n_features=20, n_informative=6, flip_y=0.03,
                           random_state=0)
x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.5, random_state=seed)
model = RandomForestClassifier(n_estimators=30, max_depth={depth}, random_state=seed + {offset},
                               n_jobs=1).fit(x_tr, y_tr)
with open("{out}", "w") as f:
    json.dump({{"accuracy": float((model.predict(x_te) == y_te).mean()),
               "repeat": int(os.environ["MLGATE_REPEAT"])}}, f)
"""


def train_py(*, depth: str = "None", offset: int = 0, comment: str = "the seed",
             out: str = "metrics.json") -> str:
    return TRAIN_PY.format(depth=depth, offset=offset, comment=comment, out=out)


def config(repeats: int = 5, extra: str = "", command: str = f"{PYTHON} train.py") -> str:
    return (f"name: rf\ntrain:\n  command: {command}\n  repeats: {repeats}\n{extra}"
            "thresholds:\n  accuracy: {tolerance: 0.02}\n  repeat: {tolerance: 100}\n")


def _project(root: Path, cfg: str, **kw: Any) -> Path:
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (root / "train.py").write_text(train_py(**kw))
    (root / "mlgate.yaml").write_text(cfg)
    (root / ".gitignore").write_text("/metrics.json\n/.mlgate/\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "main")
    return root


def _result(root: Path) -> dict[str, Any]:
    return json.loads((root / ".mlgate" / "result.json").read_text())


def _row(doc: dict[str, Any], name: str = "accuracy") -> dict[str, Any]:
    return next(m for m in doc["metrics"] if m["name"] == name)


def _pr(root: Path, branch: str, **kw: Any) -> None:
    git(root, "checkout", "-q", "main")
    git(root, "checkout", "-q", "-b", branch)
    (root / "train.py").write_text(train_py(**kw))
    git(root, "commit", "-q", "-am", branch)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """main trained with repeats: 5 and its per-run scores recorded in the store."""
    root = _project(tmp_path_factory.mktemp("repeats") / "proj", config())
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        assert main(["train"]) == 0
        assert main(["baseline", "record"]) == 0
    return root


@pytest.mark.slow
def test_five_runs_with_their_seeds_make_per_run_lists(recorded: Path) -> None:
    folds = parse_folds(json.loads((recorded / ".mlgate" / FOLDS_FILE).read_text()), "f")
    assert folds.method == "repeats"
    assert folds.seeds == (42, 43, 44, 45, 46)  # train.seed's default, as the built-in trainer
    assert folds.scores["repeat"] == (0.0, 1.0, 2.0, 3.0, 4.0)  # MLGATE_REPEAT of each run
    assert len(set(folds.scores["accuracy"])) > 1  # the seed reached the script
    # The metrics file on disk is the last run's.
    assert json.loads((recorded / "metrics.json").read_text())["repeat"] == 4
    note = json.loads(git(recorded, "notes", "--ref=mlgate", "show", "HEAD"))
    stored = json.dumps(note)
    assert '"method": "repeats"' in stored and '"seeds": [42, 43, 44, 45, 46]' in stored


def _folds(root: Path) -> dict[str, Any]:
    return json.loads((root / ".mlgate" / FOLDS_FILE).read_text())


@pytest.mark.slow
def test_a_pr_that_changes_nothing_the_runs_see_stops_after_two_runs(
    recorded: Path, monkeypatch, capsys
) -> None:
    """The sequential stop: every paired difference 0 after two runs (same seeds, same code)
    is exact, so the verdict is decided there; compare pairs the two runs with the record's
    first two."""
    monkeypatch.chdir(recorded)
    _pr(recorded, "comment", comment="read by mlgate")
    capsys.readouterr()
    assert main(["train"]) == 0
    log = capsys.readouterr().out
    assert "sequential stop: paired with the baseline record" in log
    assert "stopped after 2 of 5 runs: accuracy, repeat decided: clearly inside" in log
    folds = _folds(recorded)
    assert (folds["repeats"], folds["max_repeats"], folds["fits"]) == (2, 5, 2)
    assert folds["seeds"] == [42, 43] and "stopped after 2 of 5 runs" in folds["stopped"]
    assert json.loads((recorded / "metrics.json").read_text())["repeat"] == 1  # the last run's
    assert main(["compare"]) == 0
    doc = _result(recorded)
    row = _row(doc)
    assert doc["baseline"]["source"] == "store" and doc["passed"] is True
    assert "stopped after 2 repeats: paired with the first of the baseline's 5" in (
        doc["baseline"]["note"])
    assert row["evaluation"] == "repeats" and row["paired"] is True and row["fits"] == 2
    assert len(row["folds"]["baseline"]) == len(row["folds"]["current"]) == 2
    assert row["folds"]["baseline"] == row["folds"]["current"]  # same seeds, same code
    assert row["spread"] == 0
    # Compared by the mean of the runs, not by the last run's file.
    runs = row["folds"]["current"]
    assert row["current"] == pytest.approx(sum(runs) / 2)
    # A training that stopped early is never recorded as a baseline.
    capsys.readouterr()
    assert main(["baseline", "record"]) == 2
    assert "stopped early" in capsys.readouterr().err


@pytest.mark.slow
def test_a_seed_change_inside_the_noise_passes(recorded: Path, monkeypatch) -> None:
    """Other forests and the same splits: the paired mean difference stays inside 0.02. The
    first two differences are equal (+0.01, +0.01: 6 of 600 rows each), a spread of 0 that a
    seed-dependent metric may give by chance, so run 2 decides nothing (core/noise.py); the
    runs after it may stop once 32.6 spreads inside."""
    monkeypatch.chdir(recorded)
    _pr(recorded, "reseed", offset=1000)
    assert main(["train"]) == 0
    folds = _folds(recorded)
    assert folds["repeats"] >= 3 and folds["max_repeats"] == 5
    assert main(["compare"]) == 0
    row = _row(_result(recorded))
    assert row["paired"] is True and row["spread"] > 0
    assert abs(row["delta"]) < 0.02


@pytest.mark.slow
def test_a_clear_regression_is_blocked(recorded: Path, monkeypatch, capsys) -> None:
    """A stump loses 0.05-0.09 per run, which is not 32.6 spreads of so few runs: no early
    stop, all five runs, and the gate fails."""
    monkeypatch.chdir(recorded)
    _pr(recorded, "stump", depth="1")
    assert main(["train"]) == 0
    folds = _folds(recorded)
    assert folds["repeats"] == folds["max_repeats"] == folds["fits"] == 5
    assert "stopped" not in folds
    assert main(["compare"]) == 0
    assert main(["gate"]) == 1
    row = _row(_result(recorded))
    assert row["evaluation"] == "repeats" and row["passed"] is False
    assert row["delta"] < -0.04


# A pipeline that reads MLGATE_SEED but does not move with it (fixed split, a deterministic
# model): its paired differences are exact, so a spread of 0 decides.
FIXED_PY = """import json
import os

from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

seed = int(os.environ["MLGATE_SEED"])
x, y = make_classification(n_samples=300, n_features=8, random_state=0)
model = LogisticRegression(C={c}).fit(x[:200], y[:200])
with open("metrics.json", "w") as f:
    json.dump({{"accuracy": float((model.predict(x[200:]) == y[200:]).mean())}}, f)
"""


@pytest.mark.slow
def test_sequential_stop_of_a_seed_insensitive_pipeline(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    """repeats: 5 recorded on main in full (no early stop there); a clear regression stops
    after 2 runs and fails; an unchanged model stops after 2 runs and passes; without a record
    with the PR's seeds there is no early stop."""
    root = tmp_path / "proj"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "train.py").write_text(FIXED_PY.format(c=1.0))
    (root / "mlgate.yaml").write_text(
        f"name: lr\ntrain:\n  command: {PYTHON} train.py\n  repeats: 5\n"
        "thresholds:\n  accuracy: {tolerance: 0.01}\n")
    (root / ".gitignore").write_text("/metrics.json\n/.mlgate/\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "main")
    monkeypatch.chdir(root)
    assert main(["train"]) == 0
    assert "no early stop (all 5 runs): on the base branch main" in capsys.readouterr().out
    assert _folds(root)["fits"] == 5 and "stopped" not in _folds(root)
    assert main(["baseline", "record"]) == 0
    note = json.loads(git(root, "notes", "--ref=mlgate", "show", "HEAD"))
    assert len(note["models"]["lr"]["folds"]["scores"]["accuracy"]) == 5

    for branch, c, passed in (("worse", 0.0001, False), ("same", 1.0, True)):
        git(root, "checkout", "-q", "main")
        git(root, "checkout", "-q", "-b", branch)
        (root / "train.py").write_text(FIXED_PY.format(c=c) + "# changed\n")
        git(root, "commit", "-q", "-am", branch)
        capsys.readouterr()
        assert main(["train"]) == 0
        log = capsys.readouterr().out
        assert "stopped after 2 of 5 runs: accuracy decided" in log
        folds = _folds(root)
        assert (folds["repeats"], folds["max_repeats"], folds["fits"]) == (2, 5, 2)
        assert main(["compare"]) == 0
        row = _row(_result(root))
        assert row["passed"] is passed and len(row["folds"]["baseline"]) == 2
        assert ("clearly outside its rule (a regression)" in log) is not passed

    # More seeds than the record has: it cannot be paired, so every run (and compare retrains
    # the merge base with the PR's seeds, as before).
    (root / "mlgate.yaml").write_text(
        f"name: lr\ntrain:\n  command: {PYTHON} train.py\n  repeats: 6\n"
        "thresholds:\n  accuracy: {tolerance: 0.01}\n")
    git(root, "commit", "-q", "-am", "six")
    capsys.readouterr()
    assert main(["train"]) == 0
    assert "no early stop (all 6 runs): the baseline record of" in capsys.readouterr().out
    assert _folds(root)["fits"] == 6


@pytest.mark.slow
def test_a_failing_repeat_exits_3_naming_it(tmp_path: Path, monkeypatch, capsys) -> None:
    root = _project(tmp_path / "proj", config(
        repeats=3, command=f"{PYTHON} train.py && test $MLGATE_REPEAT -lt 2"))
    monkeypatch.chdir(root)
    assert main(["train"]) == 3
    err = capsys.readouterr().err
    assert "train.py && test $MLGATE_REPEAT -lt 2" in err
    assert "repeat 2 of 3" in err and "MLGATE_SEED=44" in err
    assert "exit code 1" in err
    assert not (root / ".mlgate" / FOLDS_FILE).exists()


@pytest.mark.slow
def test_without_a_record_the_merge_base_is_retrained_with_the_same_seeds(
    tmp_path: Path, monkeypatch
) -> None:
    """`baseline: retrain` (nothing in the store): the merge base runs 5 times with seeds
    42-46 in a worktree, so the PR is paired run by run."""
    root = _project(tmp_path / "proj", config(extra="baseline: retrain\n"))
    monkeypatch.chdir(root)
    _pr(root, "stump", depth="1")
    assert main(["train"]) == 0
    assert main(["compare"]) == 0
    doc = _result(root)
    row = _row(doc)
    assert doc["baseline"]["source"] == "retrain"
    assert row["evaluation"] == "repeats" and row["paired"] is True
    assert len(row["folds"]["baseline"]) == 5
    assert row["passed"] is False
    # The merge base's runs are main's: what main gives on its own.
    git(root, "checkout", "-q", "main")
    assert main(["train"]) == 0
    main_runs = parse_folds(json.loads((root / ".mlgate" / FOLDS_FILE).read_text()), "f")
    assert list(main_runs.scores["accuracy"]) == row["folds"]["baseline"]


@pytest.mark.slow
def test_a_record_with_other_seeds_means_retraining_the_merge_base(
    tmp_path: Path, monkeypatch
) -> None:
    """The store has main's runs with seeds 42-44 (repeats: 3); the PR runs 5: the record
    cannot be paired, so the merge base is retrained with the PR's 5 seeds."""
    root = _project(tmp_path / "proj", config(repeats=3))
    monkeypatch.chdir(root)
    assert main(["train"]) == 0
    assert main(["baseline", "record"]) == 0
    git(root, "checkout", "-q", "-b", "more")
    (root / "mlgate.yaml").write_text(config(repeats=5))
    git(root, "commit", "-q", "-am", "five runs")
    assert main(["train"]) == 0
    assert main(["compare"]) == 0
    doc = _result(root)
    row = _row(doc)
    assert doc["baseline"]["source"] == "retrain"
    assert "other runs" in doc["baseline"]["note"]
    assert row["paired"] is True and len(row["folds"]["baseline"]) == 5
    assert row["folds"]["baseline"] == row["folds"]["current"]  # same code, same seeds


DVC_YAML = """\
stages:
  train:
    cmd: {python} train.py
    deps: [train.py]
    metrics:
      - ${{out}}:
          cache: false
"""


@pytest.mark.slow
def test_dvc_repro_runs_k_times_with_force(tmp_path: Path, monkeypatch, capfd) -> None:
    """`train: {repeats: 3}` without a command: `dvc repro --force` three times (DVC does not
    track MLGATE_SEED), metrics found through the templated dvc.yaml as compare finds them."""
    root = tmp_path / "proj"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    monkeypatch.chdir(root)
    import subprocess

    subprocess.run([sys.executable, "-m", "dvc", "init", "-q"], cwd=root, check=True)
    (root / "train.py").write_text(train_py(out="eval/scores.json"))
    (root / "eval").mkdir()
    (root / "params.yaml").write_text("out: eval/scores.json\n")
    (root / "dvc.yaml").write_text(DVC_YAML.format(python=PYTHON))
    (root / "mlgate.yaml").write_text(
        "name: rf\ntrain: {repeats: 3, seed: 7}\nthresholds:\n  accuracy: {tolerance: 0.02}\n"
        "  repeat: {tolerance: 100}\n")
    (root / ".gitignore").write_text("/.mlgate/\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "main")
    assert main(["train"]) == 0
    log = capfd.readouterr().out
    assert log.count("running `dvc repro --force`") == 3
    assert log.count("Running stage 'train'") == 3  # DVC did run it each time
    folds = parse_folds(json.loads((root / ".mlgate" / FOLDS_FILE).read_text()), "f")
    assert folds.seeds == (7, 8, 9)
    assert folds.files == ("eval/scores.json",)
    assert folds.scores["repeat"] == (0.0, 1.0, 2.0)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "lock")  # dvc.lock and the last run's metrics
    assert main(["baseline", "record"]) == 0
    git(root, "checkout", "-q", "-b", "pr")
    (root / "README.md").write_text("docs only\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "docs")
    assert main(["train"]) == 0
    assert main(["compare"]) == 0
    row = _row(_result(root))
    # Docs only: the runs' scores are the record's, so the sequential stop decides at run 2.
    assert row["evaluation"] == "repeats" and len(row["folds"]["current"]) == 2
    assert row["paired"] is True and row["delta"] == 0


@pytest.mark.slow
def test_baseline_record_reads_a_templated_dvc_yaml(tmp_path: Path, monkeypatch) -> None:
    """Issue 22: `mlgate baseline record` finds the metrics files of a templated dvc.yaml
    (`${...}` resolved by DVC) as compare does; it used to exit 2."""
    root = tmp_path / "proj"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    monkeypatch.chdir(root)
    (root / "params.yaml").write_text("out: eval/scores.json\n")
    (root / "dvc.yaml").write_text(
        "stages:\n  train:\n    cmd: python train.py\n    metrics:\n      - ${out}\n")
    (root / "eval").mkdir()
    (root / "eval" / "scores.json").write_text('{"accuracy": 0.9}')
    (root / "mlgate.yaml").write_text("name: m\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "main")
    assert main(["baseline", "record"]) == 0
    note = json.loads(git(root, "notes", "--ref=mlgate", "show", "HEAD"))
    assert '"accuracy": 0.9' in json.dumps(note)
