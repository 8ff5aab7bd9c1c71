"""Issue 21 item 9: per-fold lists in metrics files. A list whose mean overflows is bad input
(exit 2 naming the metric); a NaN in a list makes the metric NaN, which fails its rules."""

from __future__ import annotations

import json
import math

import pytest

from mlgate.cli import main
from mlgate.core import noise
from mlgate.core.folds import parse_folds
from mlgate.errors import UsageError
from tests.helpers.gitrepo import GitRepo


@pytest.fixture
def project(repo: GitRepo) -> GitRepo:
    repo.commit("main", {"metrics.json": {"accuracy": 0.9}, "params.yaml": "depth: 4\n"})
    repo.checkout("feature", new=True)
    return repo


def _compare(repo: GitRepo, metrics: object, base: object, monkeypatch: pytest.MonkeyPatch,
             *extra: str) -> int:
    (repo.path / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    (repo.path / "base.json").write_text(json.dumps(base), encoding="utf-8")
    monkeypatch.chdir(repo.path)
    return main(["compare", "--baseline-file", "base.json", *extra])


@pytest.mark.parametrize("values", [[1e308, 1e308, 1e308], [-1e308, -1e308, -1e308]],
                         ids=["positive", "negative"])
def test_a_list_whose_mean_overflows_is_exit_2_naming_the_metric(
    project: GitRepo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    values: list[float],
) -> None:
    code = _compare(project, {"accuracy": values}, {"accuracy": 0.9}, monkeypatch)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "overflows" in err and "internal error" not in err


def test_a_list_whose_mean_overflows_names_the_metric_and_file(
    project: GitRepo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    code = _compare(project, {"accuracy": [1e308, 1e308, 1e308]}, {"accuracy": 0.9},
                    monkeypatch)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "metrics.json: accuracy" in err


def test_overflowing_baseline_list_is_exit_2_too(
    project: GitRepo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    code = _compare(project, {"accuracy": [0.9, 0.9, 0.9]},
                    {"accuracy": [1e308, 1e308, 1e308]}, monkeypatch)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "overflows" in err and "internal error" not in err


def test_a_nan_in_a_list_makes_the_metric_nan_and_fails_its_rule(
    project: GitRepo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    (project.path / "th.yaml").write_text("accuracy: {min: 0.5}\n", encoding="utf-8")
    code = _compare(project, {"accuracy": [0.95, "NaN", 0.95]}, {"accuracy": 0.9}, monkeypatch,
                    "--thresholds", "th.yaml")
    out = capsys.readouterr()
    assert code in (0, 1), out.err  # compare's exit code; `mlgate gate` decides
    result = json.loads((project.path / ".mlgate" / "result.json").read_text(encoding="utf-8"))
    assert result["passed"] is False, result
    assert main(["gate"]) == 1


def test_noise_mean_of_a_list_with_nan_is_nan() -> None:
    assert math.isnan(noise.mean([0.9, math.nan, 0.9]))
    assert noise.mean([0.5, 0.7]) == pytest.approx(0.6)
    stats = noise.compare_values((0.9, 0.9, 0.9), (0.95, math.nan, 0.95))
    assert stats is not None and math.isnan(stats.current_mean)
    _base, current = noise.means((0.9, 0.9, 0.9), (0.95, math.nan, 0.95))
    assert current is not None and math.isnan(current)


def test_check_scores_names_where() -> None:
    with pytest.raises(UsageError) as err:
        noise.check_scores((1e308, 1e308, 1e308), "metrics.json: accuracy")
    assert err.value.exit_code == 2
    assert err.value.render().startswith("metrics.json: accuracy: ")
    noise.check_scores((0.9, math.nan), "x")  # NaN is a value (it fails rules), not bad input


def test_folds_json_with_an_overflowing_list_is_exit_2_naming_the_metric() -> None:
    doc = {"schema": 1, "method": "cv", "k": 3, "repeats": 1, "fold_seed": 0,
           "metrics_file": "metrics.json", "scores": {"accuracy": [1e308, 1e308, 1e308]}}
    with pytest.raises(UsageError) as err:
        parse_folds(doc, ".mlgate/folds.json")
    assert ".mlgate/folds.json: scores.accuracy" in err.value.render()


def test_variance_and_differences_of_huge_scores_do_not_raise() -> None:
    stats = noise.compare_values((1e308, -1e308, 1e308), (-1e308, 1e308, -1e308))
    assert stats is not None and stats.paired
    assert noise.compare_values((math.inf, -math.inf), (0.5, 0.5)) is not None
