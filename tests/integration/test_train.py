"""The built-in scikit-learn trainer: real fits on small tables, files per the contract."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest
import yaml

from mlgate.cli import main
from mlgate.errors import UsageError
from mlgate.train import run_builtin
from mlgate.train.config import CLASSIFICATION_METRICS, REGRESSION_METRICS
from tests.helpers.dvcproject import (
    breast_cancer_frame,
    drop_local_data,
    git,
    make_dvc_project,
)

pytestmark = pytest.mark.filterwarnings("ignore:_NoneStep:DeprecationWarning")

MODEL_JSON_KEYS = {
    "name",
    "estimator",
    "params",
    "task",
    "target",
    "data",
    "metrics",
    "commit",
    "created_at",
    "mlgate_version",
    "train_config",
}


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    """OpenMP spin-waits make tiny fits slow on a busy 2-core machine (pytest -n 2)."""
    import sklearn.ensemble  # noqa: F401 - load OpenMP first: only loaded libraries are limited
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


def _quiet(_message: str) -> None:
    pass


def _write(root: Path, rel: str, frame: pd.DataFrame) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if rel.endswith(".parquet"):
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return path


def _train(root: Path, config: dict[str, Any], **kwargs: Any) -> Any:
    return run_builtin(config, root, root / ".mlgate", log=_quiet, **kwargs)


@pytest.fixture
def cancer(tmp_path: Path) -> Path:
    _write(tmp_path, "data/train.csv", breast_cancer_frame(300))
    return tmp_path


def mixed_frame(rows: int = 300, seed: int = 0) -> pd.DataFrame:
    """Numbers with gaps, a text column with gaps, a category, booleans; yes/no labels."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=rows)
    x2 = rng.normal(size=rows)
    color = rng.choice(["red", "green", "blue"], size=rows)
    score = x1 + (color == "red") * 1.5 + rng.normal(scale=0.3, size=rows)
    frame = pd.DataFrame(
        {
            "x1": x1,
            "x2": x2,
            "color": color,
            "size": pd.Categorical(rng.choice(["S", "M", "L"], size=rows)),
            "flag": rng.random(rows) > 0.5,
            "label": np.where(score > 0.5, "yes", "no"),
        }
    )
    frame.loc[::17, "x2"] = np.nan
    frame.loc[::13, "color"] = None
    return frame


# -- classification, regression, multiclass ----------------------------------------------------


def test_binary_classification_writes_metrics_and_model(cancer: Path) -> None:
    git(cancer, "init", "-q", "-b", "main")
    git(cancer, "add", "-A")
    git(cancer, "commit", "-q", "-m", "data")
    result = _train(cancer, {"data": "data/train.csv", "target": "target"}, name="cancer")

    assert result.task == "classification"
    assert tuple(result.metrics) == CLASSIFICATION_METRICS
    for name in ("accuracy", "balanced_accuracy", "precision", "recall", "f1", "roc_auc"):
        assert 0.8 < result.metrics[name] <= 1.0, name
    assert 0 < result.metrics["log_loss"] < 1

    written = json.loads((cancer / "metrics.json").read_text())
    assert written == pytest.approx(result.metrics)

    meta = json.loads((cancer / ".mlgate/model/model.json").read_text())
    assert set(meta) >= MODEL_JSON_KEYS
    assert meta["name"] == "cancer"
    assert meta["estimator"] == "sklearn.ensemble.HistGradientBoostingClassifier"
    assert meta["params"]["random_state"] == 42
    assert (
        meta["data"]["sha256"]
        == hashlib.sha256((cancer / "data/train.csv").read_bytes()).hexdigest()
    )
    assert meta["data"]["rows"] == 300
    assert meta["data"]["columns"][-1] == "target"
    assert meta["commit"] == git(cancer, "rev-parse", "HEAD")
    assert meta["train_config"] == {"data": "data/train.csv", "target": "target"}
    assert meta["metrics"] == pytest.approx(result.metrics)

    model = joblib.load(cancer / ".mlgate/model/model.joblib")
    frame = pd.read_csv(cancer / "data/train.csv")
    predictions = model.predict(frame.drop(columns=["target"]).head(5))
    assert set(predictions) <= {0, 1}
    assert set(result.timings) == {"load", "split", "fit", "evaluate", "save"}


def test_same_data_config_and_seed_give_identical_metrics(tmp_path: Path) -> None:
    _write(tmp_path, "d.csv", mixed_frame())
    config = {"data": "d.csv", "target": "label", "params": {"max_iter": 50}}
    first = _train(tmp_path, config).metrics
    (tmp_path / "metrics.json").unlink()
    second = _train(tmp_path, config).metrics
    assert first == second  # exactly, not approximately
    forest = {
        "data": "d.csv",
        "target": "label",
        "model": "sklearn.ensemble.RandomForestClassifier",
        "params": {"n_estimators": 20},
    }
    assert _train(tmp_path, forest).metrics == _train(tmp_path, forest).metrics


def test_regression_is_inferred_and_scored(tmp_path: Path) -> None:
    from sklearn.datasets import load_diabetes

    _write(tmp_path, "d.csv", load_diabetes(as_frame=True).frame.head(300))
    result = _train(tmp_path, {"data": "d.csv", "target": "target"})
    assert result.task == "regression"
    assert result.estimator == "sklearn.ensemble.HistGradientBoostingRegressor"
    assert tuple(result.metrics) == REGRESSION_METRICS
    assert result.metrics["rmse"] > result.metrics["mae"] > 0
    assert -1 < result.metrics["r2"] < 1


def test_multiclass_uses_macro_averages_and_ovr_auc(tmp_path: Path) -> None:
    from sklearn.datasets import load_iris

    _write(tmp_path, "iris.csv", load_iris(as_frame=True).frame)
    result = _train(
        tmp_path,
        {
            "data": "iris.csv",
            "target": "target",
            "model": "sklearn.linear_model.LogisticRegression",
            "params": {"max_iter": 1000},
        },
    )
    assert result.task == "classification"
    assert all(math.isfinite(v) for v in result.metrics.values())
    assert result.metrics["roc_auc"] > 0.9
    assert result.meta["classes"] == [0, 1, 2]


def test_mixed_columns_and_text_labels(tmp_path: Path) -> None:
    frame = mixed_frame()
    _write(tmp_path, "d.parquet", frame)
    result = _train(tmp_path, {"data": "d.parquet", "target": "label", "test-size": 0.25})
    assert result.meta["features"] == {
        "numeric": ["x1", "x2", "flag"],
        "categorical": ["color", "size"],
        "ignored": [],
    }
    assert result.meta["classes"] == ["no", "yes"]
    assert result.metrics["accuracy"] > 0.7
    model = joblib.load(result.model_path)
    unseen = frame.drop(columns=["label"]).head(3).assign(color=["purple", None, "red"])
    assert set(model.predict(unseen)) <= {"no", "yes"}


def test_csv_and_parquet_give_the_same_metrics(tmp_path: Path) -> None:
    frame = mixed_frame()
    _write(tmp_path, "d.csv", frame)
    _write(tmp_path, "d.parquet", frame)
    csv = _train(tmp_path, {"data": "d.csv", "target": "label"}).metrics
    parquet = _train(tmp_path, {"data": "d.parquet", "target": "label"}).metrics
    assert csv == pytest.approx(parquet)


def test_cross_validation(cancer: Path) -> None:
    result = _train(
        cancer, {"data": "data/train.csv", "target": "target", "cv": 3, "metrics": ["accuracy"]}
    )
    assert set(result.metrics) == {"accuracy"}
    assert result.metrics["accuracy"] > 0.85
    # Issue 13: repeated (3 times by default) on folds from fold-seed, stratified.
    assert result.meta["evaluation"] == {"method": "cv", "folds": 3, "repeats": 3,
                                         "fold-seed": 0, "stratified": True, "seed": 42}
    # The saved model is fitted on all the rows.
    model = joblib.load(result.model_path)
    assert model[-1].n_features_in_ == 30


def test_estimator_without_probabilities(cancer: Path) -> None:
    result = _train(
        cancer,
        {"data": "data/train.csv", "target": "target", "model": "sklearn.svm.LinearSVC"},
    )
    assert "log_loss" not in result.metrics  # skipped: no predict_proba
    assert result.metrics["roc_auc"] > 0.9  # from decision_function
    with pytest.raises(UsageError) as err:
        _train(
            cancer,
            {
                "data": "data/train.csv",
                "target": "target",
                "model": "sklearn.svm.LinearSVC",
                "metrics": ["log_loss"],
            },
        )
    assert err.value.where == "mlgate.yaml: train.metrics"


def test_params_and_seed_reach_the_estimator(cancer: Path) -> None:
    result = _train(
        cancer,
        {
            "data": "data/train.csv",
            "target": "target",
            "seed": 7,
            "model": "sklearn.ensemble.RandomForestClassifier",
            "params": {"n_estimators": 15, "max_depth": 3},
        },
    )
    assert result.params["n_estimators"] == 15
    assert result.params["max_depth"] == 3
    assert result.params["random_state"] == 7
    assert result.meta["evaluation"]["seed"] == 7


def test_rows_with_missing_target_are_dropped(tmp_path: Path) -> None:
    frame = breast_cancer_frame(200).astype({"target": "float64"})
    frame.loc[:9, "target"] = np.nan
    _write(tmp_path, "d.csv", frame)
    logs: list[str] = []
    result = run_builtin(
        {"data": "d.csv", "target": "target"}, tmp_path, tmp_path / "o", log=logs.append
    )
    assert result.task == "classification"
    assert any("dropped 10 rows" in line for line in logs)
    done = [line.split(":")[1].strip() for line in logs if line.endswith("s)")]
    assert done == ["load", "split", "fit", "evaluate", "save"]
    assert any(line.startswith("train: fit: fitting HistGradientBoosting") for line in logs)
    assert any("on 15 folds (3 × 5-fold, stratified, fold-seed 0)" in line for line in logs)


# -- through the CLI ----------------------------------------------------------------------------


def test_cli_train_metrics_file_from_config(
    cancer: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (cancer / "mlgate.yaml").write_text(
        "name: bc\nmetrics: [results/metrics.yaml, other.json]\n"
        "train:\n  data: data/train.csv\n  target: target\n  metrics: [accuracy, f1]\n"
    )
    monkeypatch.chdir(cancer)
    assert main(["train", "--out", "build"]) == 0
    written = yaml.safe_load((cancer / "results/metrics.yaml").read_text())
    assert set(written) == {"accuracy", "f1"}
    assert not (cancer / "metrics.json").exists()
    meta = json.loads((cancer / "build/model/model.json").read_text())
    assert meta["name"] == "bc"
    out = capsys.readouterr().out
    for phase in ("load", "split", "fit", "evaluate", "save"):
        assert f"mlgate: train: {phase}: " in out


def test_pull_then_train_in_a_dvc_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_dvc_project(
        tmp_path / "proj",
        remote_dir=tmp_path / "remote",
        data_frame_or_csv_text=breast_cancer_frame(200),
        config_yaml="train:\n  data: data/train.csv\n  target: target\n",
    )
    drop_local_data(root)
    monkeypatch.chdir(root)
    assert main(["train"]) == 2
    err = capsys.readouterr().err
    assert "mlgate.yaml: train.data: data file not found: data/train.csv" in err
    assert "run `mlgate pull`" in err
    assert main(["pull"]) == 0
    assert main(["train"]) == 0
    assert json.loads((root / "metrics.json").read_text())["accuracy"] > 0.8


def test_label_codes_and_boolean_targets(tmp_path: Path) -> None:
    from mlgate.train.scoring import label_codes

    assert list(label_codes(pd.Series(["b", "a", "z"]), ["a", "b"])) == [1, 0, -1]
    assert list(label_codes(pd.Series([True, False]), [np.False_, np.True_])) == [1, 0]
    frame = breast_cancer_frame(200).assign(target=lambda f: f["target"] == 1)
    _write(tmp_path, "d.parquet", frame)
    result = _train(tmp_path, {"data": "d.parquet", "target": "target", "metrics": ["f1"]})
    assert result.meta["classes"] == [False, True]
    assert result.metrics["f1"] > 0.8


def test_pure_metric_helpers() -> None:
    from mlgate.train.scoring import encode_value, mean_scores, score_classification

    got = mean_scores([{"a": 1.0, "b": math.nan}, {"a": 0.5, "b": 2.0}])
    assert got["a"] == 0.75 and math.isnan(got["b"])  # an undefined fold: undefined metric
    assert math.isnan(mean_scores([{"a": math.nan}])["a"])
    assert [encode_value(v) for v in (0.5, math.nan, math.inf, -math.inf)] == [
        0.5,
        "NaN",
        "Infinity",
        "-Infinity",
    ]
    # One class only in the evaluated rows: ROC AUC is undefined, not a crash.
    proba = np.array([[0.2, 0.8], [0.4, 0.6]])
    got = score_classification(("roc_auc", "accuracy"), [1, 1], [1, 0], [0, 1], proba, None)
    assert math.isnan(got["roc_auc"]) and got["accuracy"] == 0.5


def test_id_like_text_column_is_capped(tmp_path: Path) -> None:
    frame = mixed_frame().assign(customer=lambda f: [f"c{i:05d}" for i in range(len(f))])
    _write(tmp_path, "d.csv", frame)
    result = _train(tmp_path, {"data": "d.csv", "target": "label", "metrics": ["accuracy"]})
    encoder = joblib.load(result.model_path)["preprocess"].named_transformers_["categorical"]
    widths = [len(c) for c in encoder["onehot"].categories_]
    # Issue 13: cross-validation is the default, the saved model is fitted on all 300 rows.
    assert widths[-1] == 300  # every training row's ID was seen ...
    infrequent = encoder["onehot"].infrequent_categories_[-1]
    assert widths[-1] - len(infrequent) + 1 == 100  # ... but it makes 100 columns
