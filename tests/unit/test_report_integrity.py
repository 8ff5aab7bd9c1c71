"""The gate's integrity in the report: warnings, the "Thresholds changed" section, the
no-baseline reason.

Regenerate the golden file with
``MLGATE_UPDATE_GOLDEN=1 pytest tests/unit/test_report_integrity.py``.
"""

from __future__ import annotations

from tests.helpers import report_fixtures as fx
from tests.unit.test_report_render import check_golden, render


def integrity_result() -> dict:
    doc = fx.result(
        [fx.metric("accuracy", 0.95, 0.8, "regressed",
                   rules=[fx.rule("min", "min 0.9", "failed", "0.8 is below 0.9", 0.9)],
                   passed=False),
         fx.metric("loss", 0.2, None, "removed",
                   rules=[fx.rule("present", "present", "failed",
                                  "removed: the metric is missing from the current metrics")],
                   passed=False)],
        failed_rules=["accuracy: min 0.9 (0.8 is below 0.9)",
                      "loss: present (removed: the metric is missing from the current metrics)"],
    )
    doc["baseline"]["source"] = "store"
    doc["warnings"] = ["the metrics committed at 0f1e2d3c4b5a differ from those the baseline "
                       "store recorded for it (accuracy 0.9 committed vs 0.95 recorded)"]
    doc["thresholds"] = {"source": "baseline", "commit": fx.BASE, "changed": [
        {"pattern": "accuracy", "baseline": {"min": 0.9}, "head": {"min": 0.5}},
        {"pattern": "*", "baseline": None, "head": {"tolerance": "50%"}},
    ]}
    return doc


def test_golden_integrity_sections() -> None:
    text = render([integrity_result()])
    check_golden("report_integrity.md", text)
    assert "**Thresholds changed**" in text
    assert "| accuracy | {\"min\": 0.9} | {\"min\": 0.5} |" in text
    assert "> [!WARNING]\n> the metrics committed at 0f1e2d3c4b5a differ" in text
    assert "## ❌ churn: gate failed" in text


def test_no_baseline_reason_is_shown() -> None:
    doc = fx.result([fx.metric("accuracy", None, 0.91, "new")], found=False,
                    note="no baseline for the merge base 0f1e2d3c4b5a of main. Looked for the "
                    "metrics files committed at 0f1e2d3c4b5a (metrics.json, as listed by "
                    "default there): not found or empty. Record one on pushes to the base "
                    "branch with `mlgate baseline record --push` (after training), or set "
                    "`baseline: retrain` in mlgate.yaml to train the merge base in this job.")
    text = render([doc])
    assert "No baseline was found on main" in text
    # The note is escaped like any text from the repository (backticks included).
    assert "\\`mlgate baseline record --push\\`" in text
    assert "\\`baseline: retrain\\`" in text
