"""The trainer's metrics (train/scoring.py) pinned with exact values on tiny fixed data: the
positive label of binary metrics, RMSE (not MSE), macro one-vs-rest ROC AUC for multiclass."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.svm import LinearSVC

from mlgate.train.config import CLASSIFICATION_METRICS, REGRESSION_METRICS
from mlgate.train.scoring import (
    _preprocessed,
    default_metrics,
    encode_value,
    label_codes,
    mean_scores,
    score,
    score_classification,
    score_regression,
    unavailable_metrics,
)

ALL = CLASSIFICATION_METRICS
# 7 rows, class 1 is the positive (second) class
Y_TRUE = [0, 0, 0, 0, 0, 1, 1]
Y_PRED = [1, 1, 0, 0, 0, 1, 0]
P1 = [0.9, 0.6, 0.2, 0.1, 0.3, 0.8, 0.4]
PROBA = np.array([[1 - p, p] for p in P1])


def test_binary_metrics_score_the_second_class() -> None:
    got = score_classification(ALL, Y_TRUE, Y_PRED, [0, 1], PROBA, None)
    # class 1: tp 1, fp 2, fn 1 -> precision 1/3, recall 1/2, f1 0.4 (class 0 would give
    # 3/4, 3/5); accuracy 4/7; balanced accuracy (3/5 + 1/2) / 2
    assert got["precision"] == pytest.approx(1 / 3, abs=1e-12)
    assert got["recall"] == pytest.approx(0.5, abs=1e-12)
    assert got["f1"] == pytest.approx(0.4, abs=1e-12)
    assert got["accuracy"] == pytest.approx(4 / 7, abs=1e-12)
    assert got["balanced_accuracy"] == pytest.approx(0.55, abs=1e-12)
    # positives score 0.8 and 0.4: above 4 and 3 of the 5 negatives -> 7/10
    assert got["roc_auc"] == pytest.approx(0.7, abs=1e-12)
    p_true = [0.1, 0.4, 0.8, 0.9, 0.7, 0.8, 0.4]
    assert got["log_loss"] == pytest.approx(-sum(map(math.log, p_true)) / 7, abs=1e-12)
    assert list(got) == list(ALL)


def test_binary_with_text_labels_the_positive_is_the_second_sorted_class() -> None:
    classes = ["no", "yes"]
    y_true = label_codes(["no", "no", "no", "no", "no", "yes", "yes"], classes)
    y_pred = label_codes(["yes", "yes", "no", "no", "no", "yes", "no"], classes)
    got = score_classification(("precision", "recall"), y_true, y_pred, [0, 1], None, None)
    assert got == pytest.approx({"precision": 1 / 3, "recall": 0.5}, abs=1e-12)


def test_binary_roc_auc_from_the_decision_function() -> None:
    decision = np.array([2.0, 0.5, -1.0, -2.0, -0.5, 1.0, 0.0])  # same order as P1
    got = score_classification(("roc_auc", "log_loss"), Y_TRUE, Y_PRED, [0, 1], None, decision)
    assert got["roc_auc"] == pytest.approx(0.7, abs=1e-12)
    assert math.isnan(got["log_loss"])
    nothing = score_classification(("roc_auc",), Y_TRUE, Y_PRED, [0, 1], None, None)
    assert math.isnan(nothing["roc_auc"])


# 3 classes, imbalanced (4, 2, 2) so that macro, weighted and one-vs-one averages differ
Y3 = [0, 0, 0, 0, 1, 1, 2, 2]
PRED3 = [0, 0, 1, 2, 1, 0, 2, 2]
PROBA3 = np.array([
    [0.7, 0.2, 0.1], [0.3, 0.4, 0.3], [0.5, 0.3, 0.2], [0.2, 0.2, 0.6],
    [0.3, 0.6, 0.1], [0.5, 0.3, 0.2], [0.1, 0.3, 0.6], [0.2, 0.1, 0.7],
])


def test_multiclass_roc_auc_is_the_macro_one_vs_rest_average() -> None:
    got = score_classification(("roc_auc",), Y3, PRED3, [0, 1, 2], PROBA3, None)["roc_auc"]
    y = np.array(Y3)
    per_class = [skm.roc_auc_score(y == k, PROBA3[:, k]) for k in range(3)]
    assert got == pytest.approx(sum(per_class) / 3, abs=1e-12)
    weighted = skm.roc_auc_score(Y3, PROBA3, multi_class="ovr", average="weighted")
    ovo = skm.roc_auc_score(Y3, PROBA3, multi_class="ovo", average="macro")
    assert abs(got - weighted) > 1e-3 and abs(got - ovo) > 1e-3  # the data tells them apart


def test_multiclass_roc_auc_with_a_class_missing_from_the_split() -> None:
    # class 2 never occurs in y_true: the labels= argument keeps the columns aligned
    y, pred = [0, 0, 1, 1], [0, 1, 1, 1]
    proba = np.array([[0.8, 0.1, 0.1], [0.4, 0.5, 0.1], [0.2, 0.7, 0.1], [0.3, 0.6, 0.1]])
    got = score_classification(("roc_auc",), y, pred, [0, 1, 2], proba, None)
    assert math.isnan(got["roc_auc"])  # one-vs-rest for class 2 is undefined


def test_multiclass_precision_recall_f1_are_macro_averages() -> None:
    got = score_classification(("precision", "recall", "f1", "accuracy", "log_loss"), Y3,
                               PRED3, [0, 1, 2], PROBA3, None)
    # per class: precision 2/3, 1/2, 2/3; recall 1/2, 1/2, 1
    assert got["precision"] == pytest.approx((2 / 3 + 1 / 2 + 2 / 3) / 3, abs=1e-12)
    assert got["recall"] == pytest.approx((1 / 2 + 1 / 2 + 1) / 3, abs=1e-12)
    f1s = [2 * p * r / (p + r) for p, r in ((2 / 3, 1 / 2), (1 / 2, 1 / 2), (2 / 3, 1))]
    assert got["f1"] == pytest.approx(sum(f1s) / 3, abs=1e-12)
    assert got["accuracy"] == pytest.approx(5 / 8, abs=1e-12)
    assert got["log_loss"] == pytest.approx(skm.log_loss(Y3, PROBA3), abs=1e-12)


def test_regression_rmse_is_the_root_of_mse() -> None:
    # errors 0, 0, 0, 4: MSE 4, RMSE 2, MAE 1; R2 = 1 - 16 / 5
    got = score_regression(REGRESSION_METRICS, [1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 8.0])
    assert got == {"rmse": 2.0, "mae": 1.0, "r2": pytest.approx(-2.2, abs=1e-12)}
    assert score_regression(("mae",), [1.0], [3.0]) == {"mae": 2.0}


def test_undefined_metrics_are_nan_not_errors() -> None:
    got = score_classification(("roc_auc", "precision"), [1, 1, 1], [1, 1, 0], [0, 1],
                               np.array([[0.2, 0.8], [0.4, 0.6], [0.6, 0.4]]), None)
    assert math.isnan(got["roc_auc"])
    assert got["precision"] == 1.0
    none_predicted = score_classification(("precision",), [0, 1], [0, 0], [0, 1], None, None)
    assert none_predicted == {"precision": 0.0}  # zero_division=0
    assert math.isnan(score_regression(("r2",), [1.0], [1.0])["r2"])


# ----- with fitted models --------------------------------------------------------------------

X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0], [4.0, 1.0], [5.0, 0.0],
              [6.0, 1.0], [7.0, 0.0]])
Y_TEXT = np.array(["a", "a", "b", "a", "b", "b", "b", "a"])


def test_score_a_pipeline_classifier() -> None:
    model = Pipeline([("scale", StandardScaler()),
                      ("clf", LogisticRegression(C=0.5))]).fit(X, Y_TEXT)
    got = score("classification", ALL, model, X, Y_TEXT)
    pred, proba = model.predict(X), model.predict_proba(X)
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(Y_TEXT, pred), abs=1e-12)
    assert got["precision"] == pytest.approx(
        skm.precision_score(Y_TEXT, pred, pos_label="b", zero_division=0), abs=1e-12)
    assert got["recall"] == pytest.approx(skm.recall_score(Y_TEXT, pred, pos_label="b"),
                                          abs=1e-12)
    assert got["roc_auc"] == pytest.approx(skm.roc_auc_score(Y_TEXT == "b", proba[:, 1]),
                                           abs=1e-12)
    assert got["log_loss"] == pytest.approx(skm.log_loss(Y_TEXT, proba), abs=1e-12)


def test_score_a_classifier_without_probabilities_uses_its_decision_function() -> None:
    model = LinearSVC(C=1.0).fit(X, Y_TEXT)
    got = score("classification", ("roc_auc", "log_loss", "accuracy"), model, X, Y_TEXT)
    assert got["roc_auc"] == pytest.approx(
        skm.roc_auc_score(Y_TEXT == "b", model.decision_function(X)), abs=1e-12)
    assert math.isnan(got["log_loss"])
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(Y_TEXT, model.predict(X)))


def test_score_only_what_is_asked_and_regression() -> None:
    model = LogisticRegression().fit(X, Y_TEXT)
    assert list(score("classification", ("f1",), model, X, Y_TEXT)) == ["f1"]
    reg = LinearRegression().fit(X, X[:, 0] * 2.0 + 1.0)
    got = score("regression", ("rmse", "r2"), reg, X, X[:, 0] * 2.0)
    assert got == {"rmse": pytest.approx(1.0), "r2": pytest.approx(1 - 8 / 168)}


def test_preprocessed_steps() -> None:
    scaler = StandardScaler().fit(X)
    pipe = Pipeline([("scale", scaler), ("clf", LogisticRegression())]).fit(X, Y_TEXT)
    est, feats = _preprocessed(pipe, X)
    assert est is pipe[-1]
    assert np.allclose(feats, scaler.transform(X))
    single = LogisticRegression().fit(X, Y_TEXT)
    assert _preprocessed(single, X) == (single, X)
    one = Pipeline([("clf", LogisticRegression())]).fit(X, Y_TEXT)
    assert _preprocessed(one, X)[0] is one


# ----- small helpers -------------------------------------------------------------------------


def test_label_codes_mark_unseen_labels() -> None:
    assert list(label_codes(["b", "z", "a"], ["a", "b"])) == [1, -1, 0]


def test_unavailable_metrics() -> None:
    assert unavailable_metrics(ALL, LinearSVC()) == ["log_loss"]
    assert unavailable_metrics(ALL, LogisticRegression()) == []
    assert unavailable_metrics(ALL, LinearRegression()) == ["log_loss", "roc_auc"]
    assert unavailable_metrics(("accuracy",), LinearRegression()) == []


def test_an_undefined_fold_makes_the_mean_score_undefined() -> None:
    folds: list[dict[str, Any]] = [{"a": 1.0, "b": math.nan, "c": 2.0},
                                   {"a": 3.0, "b": math.nan, "c": math.nan}]
    got = mean_scores(folds)
    assert got["a"] == 2.0 and math.isnan(got["c"]) and math.isnan(got["b"])
    assert list(got) == ["a", "b", "c"]


def test_encode_value_and_default_metrics() -> None:
    assert encode_value(math.nan) == "NaN"
    assert encode_value(math.inf) == "Infinity" and encode_value(-math.inf) == "-Infinity"
    assert encode_value(0.25) == 0.25
    assert default_metrics("classification") == CLASSIFICATION_METRICS
    assert default_metrics("regression") == ("rmse", "mae", "r2")


def test_zero_division_counts_as_zero_and_log_loss_keeps_all_columns() -> None:
    # no positive in y_true: recall 0/0; nothing positive anywhere: f1 0/0
    assert score_classification(("recall",), [0, 0], [0, 1], [0, 1], None, None) == {
        "recall": 0.0}
    assert score_classification(("f1",), [0, 0], [0, 0], [0, 1], None, None) == {"f1": 0.0}
    # class 2 is absent from this split but the model gives it a probability column
    y, proba = [0, 1], np.array([[0.7, 0.2, 0.1], [0.2, 0.5, 0.3]])
    got = score_classification(("log_loss",), y, [0, 1], [0, 1, 2], proba, None)
    assert got["log_loss"] == pytest.approx(-(math.log(0.7) + math.log(0.5)) / 2, abs=1e-12)


class Threshold(ClassifierMixin, BaseEstimator):
    """A classifier with neither probabilities nor a decision function."""

    def fit(self, x: Any, y: Any) -> Threshold:
        self.classes_ = np.unique(y)
        return self

    def predict(self, x: Any) -> Any:
        return np.where(np.asarray(x)[:, 0] >= 4, self.classes_[1], self.classes_[0])


def test_a_classifier_without_scores_gets_nan_roc_auc() -> None:
    model = Threshold().fit(X, Y_TEXT)
    got = score("classification", ("accuracy", "roc_auc", "log_loss"), model, X, Y_TEXT)
    assert got["accuracy"] == pytest.approx(6 / 8)
    assert math.isnan(got["roc_auc"]) and math.isnan(got["log_loss"])
    assert unavailable_metrics(("roc_auc", "log_loss", "f1"), Threshold()) == [
        "log_loss", "roc_auc"]


def test_a_three_step_pipeline_is_transformed_by_all_but_the_last_step() -> None:
    pipe = Pipeline([("scale", StandardScaler()), ("minmax", MinMaxScaler()),
                     ("clf", LogisticRegression())]).fit(X, Y_TEXT)
    est, feats = _preprocessed(pipe, X)
    assert est is pipe.named_steps["clf"]
    assert np.allclose(feats, pipe[:-1].transform(X))
    assert feats.min() == 0.0 and feats.max() == 1.0


def test_mean_scores_of_one_fold() -> None:
    assert mean_scores([{"a": 0.5}]) == {"a": 0.5}
