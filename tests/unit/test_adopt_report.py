"""issue 15 (adopting mlgate): what the report says, pure parts.

- 8: the chart shows improvement (sign by direction: up is better) and says so; a percentage
  tolerance reports the move and the allowance as percentages, with the values in units after;
- 9: outputs of dvc.yaml stages are not "data changed";
- 1: a failed pull/train step renders as a failure report (which step, the escaped log tail).
"""

from __future__ import annotations

from typing import Any

from mlgate.core.changes import tracked_data
from mlgate.core.compare import Comparison, diff
from mlgate.core.result import parse_result
from mlgate.core.thresholds import parse_rules
from mlgate.core.verdict import verdict
from mlgate.failure import FailedStep, failure_result
from mlgate.report.render import LEVELS, Links, Renderer, report_view
from tests.helpers import report_fixtures as fx


def compared(current: dict[str, float], baseline: dict[str, float],
             rules: dict[str, Any]) -> dict[str, Any]:
    return diff(Comparison(current=current, baseline=baseline,
                           rules=parse_rules(rules, "thresholds"))).to_json()


def check(res: dict[str, Any], name: str) -> dict[str, Any]:
    row = next(m for m in res["metrics"] if m["name"] == name)
    return row["rules"][-1]


# ----- 8: rule messages in the rule's own terms -------------------------------------------------


def test_percentage_tolerance_says_the_move_and_the_allowance_in_percent() -> None:
    res = compared({"rmse": 0.22}, {"rmse": 0.2}, {"rmse": {"tolerance": "5%"}})
    failed = check(res, "rmse")
    assert failed["status"] == "failed"
    assert failed["message"] == "rose 10% (0.2 → 0.22), allowed 5% (0.01)"
    assert res["failed_rules"] == ["rmse: tolerance +5% (rose 10% (0.2 → 0.22), allowed 5% (0.01))"]


def test_percentage_tolerance_higher_is_better_drop() -> None:
    res = compared({"r2": 0.4}, {"r2": 0.5}, {"r2": {"tolerance": "2%"}})
    assert check(res, "r2")["message"] == "dropped 20% (0.5 → 0.4), allowed 2% (0.01)"
    ok = compared({"r2": 0.495}, {"r2": 0.5}, {"r2": {"tolerance": "2%"}})
    assert (check(ok, "r2")["status"], check(ok, "r2")["message"]) == (
        "passed", "dropped 1% (0.5 → 0.495), allowed 2% (0.01)")


def test_absolute_tolerance_keeps_its_units() -> None:
    res = compared({"accuracy": 0.93}, {"accuracy": 0.95}, {"accuracy": {"tolerance": 0.01}})
    assert check(res, "accuracy")["message"] == "dropped 0.02, allowed 0.01"


# ----- 8: the chart is one of improvement ----------------------------------------------------


def rendered(doc: dict[str, Any]) -> str:
    return Renderer().render(report_view([parse_result(doc)], "mlgate", Links(), LEVELS[0]))


def test_chart_plots_improvement_up_is_better() -> None:
    # rmse rose 9.18 % (worse: lower is better), r2 fell 19.7 % (worse): both bars go down.
    doc = fx.result([
        fx.metric("rmse", 54.9, 59.94, "regressed", direction="lower"),
        fx.metric("r2", 0.45, 0.3613, "regressed"),
        fx.metric("mae", 44.0, 40.0, "improved", direction="lower"),
    ])
    text = rendered(doc)
    chart = text.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert 'x-axis ["r2", "rmse", "mae"]' in chart  # regressions first, as in the table
    assert "bar [-19.71, -9.18, 9.09]" in chart, chart
    assert 'y-axis "improvement %, up is better"' in chart
    summary = text.split("```mermaid", 1)[0].rsplit("<details>", 1)[1]
    assert "improvement % (up is better)" in summary


# ----- 9: stage outputs are not data ------------------------------------------------------------

DVC_LOCK = """\
schema: '2.0'
stages:
  prepare:
    cmd: python prepare.py
    deps:
    - path: data/raw.csv
      md5: aaa
      size: 10
    - path: prepare.py
      md5: bbb
      size: 5
    outs:
    - path: data/prepared.csv
      md5: ccc
      size: 20
  train:
    cmd: python train.py
    deps:
    - path: data/prepared.csv
      md5: ccc
      size: 20
    - path: data/diabetes.csv
      md5: ddd
      size: 30
    - path: train.py
      md5: eee
      size: 7
    - path: src
      md5: fff.dir
      size: 9
    outs:
    - path: models/model.joblib
      md5: ggg
      size: 40
    - path: eval/metrics.json
      md5: hhh
      size: 3
"""


def test_stage_outputs_are_not_data_but_tracked_deps_are() -> None:
    files = {
        "dvc.lock": DVC_LOCK,
        "data/diabetes.csv.dvc": "outs:\n- md5: ddd\n  size: 30\n  path: diabetes.csv\n",
    }
    git_files = ["dvc.yaml", "dvc.lock", "data/diabetes.csv.dvc", "prepare.py", "train.py",
                 "src/util.py"]
    data = tracked_data(files.get, git_files, {"eval/metrics.json"})
    assert data == {"data/diabetes.csv": ("ddd", 30), "data/raw.csv": ("aaa", 10)}


# ----- 1: the failure report ----------------------------------------------------------------------


def failed_train(tail: list[str]) -> FailedStep:
    return FailedStep(step="train", exit_code=3, command="dvc repro",
                      message="the training command `dvc repro` failed with exit code 1",
                      log_tail=tuple(tail))


def test_failure_report_names_the_step_and_shows_the_escaped_log_tail() -> None:
    tail = ["Traceback (most recent call last):", "```", "@octocat <b>hi</b> \x1b[31mred",
            "ValueError: boom"]
    result = failure_result(failed_train(tail), name="diabetes", head_sha=fx.HEAD)
    assert not verdict(result).passed, "the gate fails closed"
    text = Renderer().render(report_view([result], "mlgate", Links(), LEVELS[0]))
    assert text.startswith("## ❌ diabetes: gate failed\n")
    assert "The **train** step failed (exit 3)" in text
    assert "the training command \\`dvc repro\\` failed with exit code 1" in text
    block = text.split("<details><summary>", 1)[1]
    assert block.startswith("The last 4 lines of the train step's log")
    fence = block.split("\n\n", 1)[1].split("\n", 1)[0]
    assert set(fence) == {"`"} and len(fence) > 3, "the fence is longer than any ``` inside"
    assert f"\n{fence}\n\n</details>" in block
    assert "@\u200boctocat" in block and "@octocat" not in block
    assert "\x1b" not in block
    assert "No metrics were compared" in text
    assert "| | Metric |" not in text, "no metrics table for a run that compared nothing"
