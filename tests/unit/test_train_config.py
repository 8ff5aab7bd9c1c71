"""Bad training config: exit 2, and the message names the key (and how to fix it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlgate.cli import main
from mlgate.errors import UsageError
from mlgate.train.config import TrainConfig, parse_train_config, select_mode
from tests.helpers.dvcproject import breast_cancer_frame


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    import sklearn.ensemble  # noqa: F401 - load OpenMP first: only loaded libraries are limited
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


def test_defaults() -> None:
    cfg = parse_train_config({"data": "d.csv", "target": "y"})
    assert cfg == TrainConfig(data="d.csv", target="y", raw={"data": "d.csv", "target": "y"})
    # Issue 13: the default is 3 x 5-fold cross-validation on folds from fold-seed 0, fits on
    # all cores; a hold-out only when test-size asks for one.
    assert (cfg.test_size, cfg.cv, cfg.seed, cfg.model, cfg.metrics) == (None, 5, 42, None, ())
    assert (cfg.repeats, cfg.fold_seed, cfg.jobs, cfg.dask) == (3, 0, -1, None)
    assert parse_train_config({"data": "d", "target": "y", "cv": 5}).test_size is None
    holdout = parse_train_config({"data": "d", "target": "y", "test-size": 100})
    assert (holdout.test_size, holdout.cv) == (100, None)
    custom = parse_train_config(
        {"data": "d", "target": "y", "cv": 10, "repeats": 2, "fold-seed": 7, "jobs": 2,
         "dask": " tcp://s:8786 "}
    )
    assert (custom.cv, custom.repeats, custom.fold_seed, custom.jobs, custom.dask) == (
        10, 2, 7, 2, "tcp://s:8786")


@pytest.mark.parametrize(
    ("raw", "where", "text"),
    [
        (
            {"data": "d", "target": "y", "test_size": 0.2},
            "train.test_size",
            "did you mean 'test-size'",
        ),
        ({"target": "y"}, "train", "missing required key 'data'"),
        ({"data": "d"}, "train", "missing required key 'target'"),
        ({"data": "", "target": "y"}, "train.data", "non-empty"),
        ({"data": "d", "target": "y", "model": "RandomForest"}, "train.model", "import path"),
        ({"data": "d", "target": "y", "params": [1]}, "train.params", "mapping"),
        ({"data": "d", "target": "y", "task": "ranking"}, "train.task", "unknown task"),
        ({"data": "d", "target": "y", "test-size": 1.5}, "train.test-size", "between 0 and 1"),
        ({"data": "d", "target": "y", "test-size": 0}, "train.test-size", "positive"),
        ({"data": "d", "target": "y", "test-size": "20%"}, "train.test-size", "number"),
        ({"data": "d", "target": "y", "test-size": True}, "train.test-size", "number"),
        ({"data": "d", "target": "y", "cv": 1}, "train.cv", "at least 2"),
        ({"data": "d", "target": "y", "cv": 3, "test-size": 0.2}, "train.test-size", "not both"),
        ({"data": "d", "target": "y", "seed": -1}, "train.seed", ">= 0"),
        ({"data": "d", "target": "y", "repeats": 0}, "train.repeats", ">= 1"),
        ({"data": "d", "target": "y", "fold-seed": "a"}, "train.fold-seed", ">= 0"),
        ({"data": "d", "target": "y", "jobs": 0}, "train.jobs", "-1: all cores"),
        ({"data": "d", "target": "y", "dask": 8786}, "train.dask", "scheduler address"),
        ({"data": "d", "target": "y", "test-size": 0.2, "repeats": 3}, "train.repeats",
         "hold-out"),
        ({"data": "d", "target": "y", "foldseed": 1}, "train.foldseed", "did you mean"),
        ({"data": "d", "target": "y", "metrics": ["acc"]}, "train.metrics", "unknown metric"),
        (
            {"data": "d", "target": "y", "task": "regression", "metrics": ["f1"]},
            "train.metrics",
            "do not apply to regression",
        ),
        ({"data": "d", "target": "y", "command": "x"}, "train.command", "cannot be combined"),
    ],
)
def test_invalid_config_names_the_key(raw: dict[str, Any], where: str, text: str) -> None:
    with pytest.raises(UsageError) as err:
        parse_train_config(raw)
    assert err.value.where == f"mlgate.yaml: {where}"
    assert text in err.value.message


def test_select_mode() -> None:
    assert select_mode(None, cli_command="make", has_dvc_yaml=True).kind == "command"
    assert select_mode({"command": "python t.py"}, cli_command=None, has_dvc_yaml=True).command == (
        "python t.py"
    )
    builtin = select_mode({"data": "d", "target": "y"}, cli_command=None, has_dvc_yaml=True)
    assert builtin.kind == "builtin" and builtin.config is not None
    assert select_mode(None, cli_command=None, has_dvc_yaml=True).kind == "dvc-repro"
    with pytest.raises(UsageError, match="nothing to train"):
        select_mode(None, cli_command=None, has_dvc_yaml=False)
    with pytest.raises(UsageError) as err:
        select_mode({"command": ""}, cli_command=None, has_dvc_yaml=False)
    assert err.value.where == "mlgate.yaml: train.command"
    with pytest.raises(UsageError) as err:
        select_mode({"comand": "x"}, cli_command=None, has_dvc_yaml=False)
    assert "did you mean 'command'" in err.value.message


# -- errors found at run time, through the CLI ---------------------------------------------------


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    frame = breast_cancer_frame(120)
    frame.to_csv(tmp_path / "data.csv", index=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(root: Path, train_yaml: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    (root / "mlgate.yaml").write_text("train:\n" + train_yaml)
    code = main(["train"])
    return code, capsys.readouterr().err


BASE = "  data: data.csv\n  target: target\n"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "  model: sklearn.ensemble.NoSuchForest\n",
            "mlgate.yaml: train.model: module 'sklearn.ensemble' has no 'NoSuchForest'",
        ),
        (
            "  model: nosuchpackage.Model\n",
            "mlgate.yaml: train.model: cannot import module 'nosuchpackage'",
        ),
        (
            "  model: os.path.join\n",
            "mlgate.yaml: train.model: os.path.join is not a scikit-learn-compatible estimator",
        ),
        (
            "  model: sklearn.linear_model.Ridge\n  task: classification\n",
            "mlgate.yaml: train.model: sklearn.linear_model.Ridge is a regression estimator",
        ),
        (
            "  params: {max_iterations: 10}\n",
            "mlgate.yaml: train.params.max_iterations: "
            "sklearn.ensemble.HistGradientBoostingClassifier has no parameter 'max_iterations'",
        ),
        (
            "  params: {max_iter: -3}\n",
            "mlgate.yaml: train.params.max_iter: The 'max_iter' parameter",
        ),
        (
            "  test-size: 500\n",
            "mlgate.yaml: train.test-size: test-size 500 rows leaves no training rows",
        ),
        (
            "  metrics: [rmse]\n",
            "mlgate.yaml: train.metrics: metric(s) rmse do not apply to classification",
        ),
    ],
)
def test_runtime_config_errors(
    project: Path, capsys: pytest.CaptureFixture[str], extra: str, expected: str
) -> None:
    code, err = _run(project, BASE + extra, capsys)
    assert code == 2, err
    assert expected in err
    assert "How to fix:" in err
    assert "Traceback" not in err


def test_missing_target_column_lists_the_columns(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _run(project, "  data: data.csv\n  target: churn\n", capsys)
    assert code == 2
    assert "mlgate.yaml: train.target: target column 'churn' is not in data.csv" in err
    assert "mean_radius" in err


def test_empty_data(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "empty.csv").write_text("a,b,target\n")
    code, err = _run(project, "  data: empty.csv\n  target: target\n", capsys)
    assert code == 2
    assert "mlgate.yaml: train.data: empty.csv has no rows" in err


def test_single_class_target(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "one.csv").write_text("a,target\n1,x\n2,x\n3,x\n")
    code, err = _run(project, "  data: one.csv\n  target: target\n", capsys)
    assert code == 2
    assert "single class" in err


def test_unreadable_data(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "bad.parquet").write_text("version https://git-lfs.github.com/spec/v1\n")
    (project / "bad.parquet.dvc").write_text("outs:\n- path: bad.parquet\n")
    code, err = _run(project, "  data: bad.parquet\n  target: target\n", capsys)
    assert code == 2
    assert "mlgate.yaml: train.data: cannot read PARQUET data bad.parquet" in err
    assert "run `mlgate pull`" in err


def test_missing_data_file_not_tracked(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run(project, "  data: nope.csv\n  target: target\n", capsys)
    assert code == 2
    assert "data file not found: nope.csv" in err
    assert "mlgate pull" not in err  # not DVC-tracked: pulling would not help


def test_unsupported_format(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "data.xlsx").write_text("x")
    code, err = _run(project, "  data: data.xlsx\n  target: target\n", capsys)
    assert code == 2
    assert "unsupported data format" in err


def test_nothing_to_train(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train"]) == 2
    assert "nothing to train" in capsys.readouterr().err
