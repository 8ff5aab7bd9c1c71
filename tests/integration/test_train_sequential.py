"""The built-in trainer's sequential stop (issue 23, item 4): on a PR whose baseline record is
on the same folds, repeats are fitted one at a time and the training stops once the verdict is
decided; ``mlgate compare`` pairs the PR's repeats with the first repeats of the record, and the
record made on main keeps every repeat."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlgate.cli import main
from tests.helpers.dvcproject import git

CONFIG = """\
name: iris
train:
  data: data/train.csv
  target: target
  model: sklearn.linear_model.LogisticRegression
  params: {{C: {c}, max_iter: 500}}
  cv: 3
  repeats: 3
  jobs: 1
  metrics: [accuracy]
thresholds:
  accuracy: {{tolerance: 0.01}}
# {comment}
"""


def _commit(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", message)


def _pr(root: Path, branch: str, c: float, capsys: pytest.CaptureFixture[str],
        comment: str = "") -> tuple[dict[str, object], dict[str, object], str]:
    git(root, "checkout", "-q", "main")
    git(root, "checkout", "-q", "-b", branch)
    (root / "mlgate.yaml").write_text(CONFIG.format(c=c, comment=comment))
    _commit(root, branch)
    capsys.readouterr()
    assert main(["train"]) == 0
    log = capsys.readouterr().out
    folds = json.loads((root / ".mlgate/folds.json").read_text())
    main(["compare", "--base", "main"])
    return folds, json.loads((root / ".mlgate/result.json").read_text()), log


@pytest.mark.slow
def test_a_clear_regression_stops_after_the_first_repeat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sklearn.datasets import load_iris

    root = tmp_path / "p"
    (root / "data").mkdir(parents=True)
    load_iris(as_frame=True).frame.to_csv(root / "data/train.csv", index=False)
    (root / ".gitignore").write_text("/.mlgate/\n/metrics.json\n")
    (root / "mlgate.yaml").write_text(CONFIG.format(c=1.0, comment=""))
    git(root, "init", "-q", "-b", "main")
    _commit(root, "main")
    monkeypatch.chdir(root)
    for key in ("GIT_AUTHOR", "GIT_COMMITTER"):
        monkeypatch.setenv(f"{key}_NAME", "t")
        monkeypatch.setenv(f"{key}_EMAIL", "t@t")
    for name in ("GITHUB_EVENT_PATH", "GITHUB_BASE_REF", "GITHUB_HEAD_REF"):
        monkeypatch.delenv(name, raising=False)

    # On main: every repeat, recorded in full.
    assert main(["train"]) == 0
    assert "no early stop" in capsys.readouterr().out
    assert main(["baseline", "record"]) == 0
    note = json.loads(git(root, "notes", "--ref=mlgate", "show", "main"))
    recorded = note["models"]["iris"]["folds"]
    assert (recorded["k"], recorded["repeats"], recorded["fits"]) == (3, 3, 10)
    assert len(recorded["scores"]["accuracy"]) == 9

    # A clear regression: decided after the first repeat (3 folds + the final fit).
    folds, result, log = _pr(root, "worse", 0.0001, capsys)
    assert "stopped after 1 of 3 repeats: accuracy decided" in log
    assert (folds["repeats"], folds["max_repeats"], folds["fits"]) == (1, 3, 4)
    assert result["passed"] is False
    row = next(m for m in result["metrics"] if m["name"] == "accuracy")
    assert row["fits"] == 4 and row["paired"] is True
    assert row["folds"]["baseline"] == recorded["scores"]["accuracy"][:3]
    assert "stopped after 1 repeats" in str(result["baseline"]["note"])

    # A PR that does not touch the model (a deterministic one): decided at once, passes.
    folds, result, log = _pr(root, "same", 1.0, capsys, comment="a comment")
    assert "stopped after 1 of 3 repeats" in log and folds["fits"] == 4
    assert result["passed"] is True

    # A training that stopped early is never recorded as a baseline (it lacks repeats).
    capsys.readouterr()
    assert main(["baseline", "record"]) == 2
    assert "stopped early" in capsys.readouterr().err
