"""The PR comment's layout (issue 24): it answers, in order, did the gate pass; which gated
metrics moved, by how much, against what allowance, beyond the noise or not; what else changed.

Two golden cases from a real project's breast-cancer model (five rules on four gated metrics,
per-class rows from a classification report, timings and ``support`` counts):

- ``report_seed_only.md``: a PR that only changes the seed. Every metric moved inside its
  noise: the comment says "No change beyond the noise", calls nothing regressed, and keeps the
  timings apart.
- ``report_improvement.md``: a PR that improves the model and makes it slower to fit. The gated
  improvements come first; ``fit_time_s`` +444 % is shown apart, not as a regression, and out of
  the chart.

And every golden comment is rendered to HTML (GitHub renders CommonMark with tables) to check
what a reader sees: the gated table before the ungated metrics, no informational metric in a
mermaid chart, a legend only for the markers in use.

Regenerate the golden files with ``MLGATE_UPDATE_GOLDEN=1 pytest tests/unit/test_report_layout.py``.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from markdown_it import MarkdownIt

from mlgate.core.result import Result, parse_result
from mlgate.errors import UsageError
from mlgate.report.render import LEVELS, Links, Renderer, report_view
from tests.helpers import report_fixtures as fx
from tests.unit.test_report_render import GOLDEN, assert_tables_intact, check_golden

LINKS = Links("https://github.com", "octo/demo")


def typed(doc: dict[str, Any]) -> Result:
    """The typed result; while the schema does not know the status ``within_noise`` yet (it
    is being added in core/ alongside this report), such rows are parsed as ``unchanged`` and
    their status put back, so the report sees exactly the document."""
    try:
        return parse_result(doc, "result.json")
    except UsageError:
        if not any(m["status"] == "within_noise" for m in doc["metrics"]):
            raise
    stand_in = copy.deepcopy(doc)
    for m in stand_in["metrics"]:
        if m["status"] == "within_noise":
            m["status"] = "unchanged"
    parsed = parse_result(stand_in, "result.json")
    rows = tuple(dataclasses.replace(row, status=m["status"])
                 for row, m in zip(parsed.metrics, doc["metrics"], strict=True))
    return dataclasses.replace(parsed, metrics=rows, raw=doc)


def render(doc: dict[str, Any]) -> str:
    return Renderer().render(report_view([typed(doc)], "mlgate", LINKS, LEVELS[0]))


# ----- the breast-cancer cases ----------------------------------------------------------------
def tol(percent: float, baseline: float, current: float, direction: str = "higher") -> dict:
    """A tolerance check of ``percent`` % as core/compare.py writes it."""
    allowed = abs(baseline) * percent / 100
    limit = baseline - allowed if direction == "higher" else baseline + allowed
    sign = "-" if direction == "higher" else "+"
    worse = current < baseline if direction == "higher" else current > baseline
    if not worse:
        message = "did not drop" if direction == "higher" else "did not rise"
        return fx.rule("tolerance", f"tolerance {sign}{percent:g}%", "passed", message, limit)
    moved = abs(current - baseline) / abs(baseline) * 100
    ok = current >= limit if direction == "higher" else current <= limit
    verb = "dropped" if direction == "higher" else "rose"
    message = (f"{verb} {moved:.3g}% ({baseline:g} → {current:g}), allowed {percent:g}% "
               f"({allowed:.6g})")
    return fx.rule("tolerance", f"tolerance {sign}{percent:g}%", "passed" if ok else "failed",
                   message, limit)


def bound(kind: str, limit: float, current: float) -> dict:
    ok = current >= limit if kind == "min" else current <= limit
    word = (">=" if kind == "min" else "<=") if ok else ("is below" if kind == "min" else
                                                        "is above")
    return fx.rule(kind, f"{kind} {limit:g}", "passed" if ok else "failed",
                   f"{current:g} {word} {limit:g}", limit)


def row(name: str, baseline: float, current: float, status: str, *, spread: float | None = None,
        rules: list[dict] | None = None, direction: str = "higher",
        informational: bool = False) -> dict[str, Any]:
    doc = fx.metric(name, baseline, current, status, direction=direction, rules=rules,
                    passed=all(r["status"] != "failed" for r in rules or []))
    if spread is not None:
        doc.update(evaluation="cv", folds={"baseline": [baseline] * 5, "current": [current] * 5},
                   paired=True, spread=spread)
    if informational:
        doc["informational"] = True
    return doc


def breast_cancer(metrics: list[dict[str, Any]], subject: str) -> dict[str, Any]:
    doc = fx.result(metrics, name="breast-cancer", ref="pr/change", subject=subject)
    doc["baseline"]["source"] = "store"
    return doc


def per_class(values: dict[str, tuple[float, float, str]]) -> list[dict[str, Any]]:
    return [row(name, b, c, status, spread=0.004) for name, (b, c, status) in values.items()]


def seed_only_result() -> dict[str, Any]:
    """Only `random_state` changed: every metric moved within its noise."""
    gated = [
        row("accuracy", 0.9561, 0.9543, "within_noise", spread=0.0031,
            rules=[bound("min", 0.9, 0.9543), tol(2, 0.9561, 0.9543)]),
        row("f1", 0.9652, 0.9637, "within_noise", spread=0.0027, rules=[tol(2, 0.9652, 0.9637)]),
        row("roc_auc", 0.9911, 0.9902, "within_noise", spread=0.0019,
            rules=[tol(1, 0.9911, 0.9902)]),
        row("precision", 0.9598, 0.9555, "within_noise", spread=0.0052,
            rules=[tol(2, 0.9598, 0.9555)]),
    ]
    ungated = per_class({
        "0.precision": (0.9513, 0.9487, "within_noise"), "0.recall": (0.9292, 0.9245,
                                                                      "within_noise"),
        "0.f1-score": (0.9401, 0.9364, "within_noise"), "1.precision": (0.9598, 0.9555,
                                                                        "within_noise"),
        "1.recall": (0.9720, 0.9748, "within_noise"), "1.f1-score": (0.9652, 0.9637,
                                                                     "within_noise"),
        "macro avg.f1-score": (0.9526, 0.9501, "within_noise"),
    })
    info = [
        row("fit_time_s", 0.0412, 0.0398, "improved", direction="lower", informational=True),
        row("score_time_s", 0.0061, 0.0064, "regressed", direction="lower", informational=True),
        row("0.support", 212, 212, "unchanged", informational=True),
        row("1.support", 357, 357, "unchanged", informational=True),
    ]
    doc = breast_cancer(gated + ungated + info, "Try another random_state")
    doc["params"] = [{"name": "train.params.random_state", "file": "mlgate.yaml",
                      "baseline": 0, "current": 1, "status": "modified"}]
    return doc


def improvement_result() -> dict[str, Any]:
    """A random forest instead of a tree: better, and 444 % slower to fit."""
    gated = [
        row("accuracy", 0.9227, 0.9619, "improved", spread=0.0041,
            rules=[bound("min", 0.9, 0.9619), tol(2, 0.9227, 0.9619)]),
        row("f1", 0.9384, 0.9697, "improved", spread=0.0033, rules=[tol(2, 0.9384, 0.9697)]),
        row("roc_auc", 0.9864, 0.9907, "within_noise", spread=0.0087,
            rules=[tol(1, 0.9864, 0.9907)]),
        row("precision", 0.9611, 0.9583, "within_noise", spread=0.0049,
            rules=[tol(2, 0.9611, 0.9583)]),
    ]
    ungated = per_class({
        "0.precision": (0.8902, 0.9515, "improved"), "0.recall": (0.9057, 0.9481, "improved"),
        "0.f1-score": (0.8979, 0.9498, "improved"), "1.precision": (0.9611, 0.9583,
                                                                    "within_noise"),
        "1.recall": (0.9160, 0.9748, "improved"), "1.f1-score": (0.9384, 0.9697, "improved"),
        "macro avg.f1-score": (0.9182, 0.9598, "improved"),
    })
    info = [
        row("fit_time_s", 0.0412, 0.2243, "regressed", direction="lower", informational=True),
        row("score_time_s", 0.0061, 0.0188, "regressed", direction="lower", informational=True),
        row("0.support", 212, 212, "unchanged", informational=True),
        row("1.support", 357, 357, "unchanged", informational=True),
    ]
    doc = breast_cancer(gated + ungated + info, "Switch the model to a random forest")
    doc["params"] = [{"name": "train.model", "file": "mlgate.yaml",
                      "baseline": "sklearn.tree.DecisionTreeClassifier",
                      "current": "sklearn.ensemble.RandomForestClassifier", "status": "modified"}]
    return doc


def headline(text: str) -> list[str]:
    return text.split("\n\n")[:2]


def test_golden_seed_only_pr_reads_as_no_change_beyond_the_noise() -> None:
    text = render(seed_only_result())
    check_golden("report_seed_only.md", text)
    assert headline(text) == ["## ✅ breast-cancer: gate passed",
                              "**No change beyond the noise** · **Rules:** 0 failed, 5 passed, "
                              "0 skipped · **Metrics:** 4 gated, 7 ungated, 4 informational"]
    assert "regressed" not in text.lower()
    assert "**" not in "".join(table_rows(text)), "nothing in bold in the tables"
    # precision used the most of its allowance (0.45 % of 2 %), so it comes first; then
    # accuracy, roc_auc (9 %) and f1 (8 %)
    assert gated_names(text) == ["precision", "accuracy", "roc\\_auc", "f1"]
    assert "<summary>Ungated metrics (7: 7 within noise)</summary>" in text
    assert "```mermaid" not in text, "nothing changed beyond the noise: no chart"


def test_golden_improvement_pr_shows_the_timing_apart() -> None:
    text = render(improvement_result())
    check_golden("report_improvement.md", text)
    assert headline(text)[1].startswith(
        "**Beyond the noise:** gated 2 improved; ungated 6 improved · ")
    # the first rows are the gated metrics, not fit_time_s
    assert gated_names(text)[0] == "precision"
    assert "fit\\_time\\_s regressed" not in text
    info = text.split("<summary>Informational metrics", 1)[1].split("</details>", 1)[0]
    assert "| fit\\_time\\_s | 0.0412 | 0.2243 | +0.1831 | +444.42% | changed |" in info
    chart = text.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert "fit_time" not in chart and "score_time" not in chart
    low = int(re.search(r'up is better" (-?\d+) -->', chart).group(1))  # type: ignore[union-attr]
    assert low == 0, "no timing drags the axis down"


def test_a_gated_metric_that_moved_the_bad_way_but_passed_is_within_tolerance() -> None:
    doc = breast_cancer([row("accuracy", 0.95, 0.94, "regressed", rules=[tol(2, 0.95, 0.94)])],
                        "x")
    text = render(doc)
    line = table_rows(text)[2]
    assert "| within tolerance |" in line and "**" not in line
    assert "(53% used)" in line
    assert "gated 1 worse within tolerance" in text
    assert "within tolerance: moved the bad way, less than its rule allows" in text


def test_rows_closest_to_failing_come_first() -> None:
    doc = breast_cancer([
        row("a_score", 1.0, 1.05, "improved", rules=[tol(10, 1.0, 1.05)]),
        row("b_score", 1.0, 0.95, "regressed", rules=[tol(10, 1.0, 0.95)]),  # 50 % used
        row("c_score", 1.0, 0.98, "regressed", rules=[tol(10, 1.0, 0.98)]),  # 20 % used
        row("d_score", 1.0, 0.85, "regressed", rules=[tol(10, 1.0, 0.85)]),  # failed
        row("e_score", 1.0, 0.99, "regressed", rules=[bound("min", 0.985, 0.99)]),  # 33 % left
        row("f_score", None, 1.0, "new",  # type: ignore[arg-type]
            rules=[fx.rule("tolerance", "tolerance -10%", "skipped", "skipped: no baseline")]),
    ], "x")
    assert gated_names(render(doc)) == ["d\\_score", "e\\_score", "b\\_score", "c\\_score",
                                        "a\\_score", "f\\_score"]


def test_the_legend_names_only_the_markers_in_use() -> None:
    doc = breast_cancer([row("rmse", 4.4, 4.2, "improved", direction="lower",
                             rules=[bound("max", 4.5, 4.2)])], "x")
    legend = render(doc).split("<sub>")[1].split("</sub>")[0]
    assert legend == "↓ lower is better: inferred from the metric's name"
    doc["metrics"].append(row("accuracy", 0.9, 0.95, "improved", spread=0.01))
    doc["metrics"][-1]["direction_source"] = "explicit"
    legend = render(doc).split("<sub>")[1].split("</sub>")[0]
    assert legend.startswith("↑ higher is better, ↓ lower is better: inferred from the "
                             "metric's name unless marked † (set in mlgate.yaml); Δ ± spread")


def test_failed_training_comment_has_no_stray_quote_mark_and_real_code() -> None:
    from mlgate.failure import FailedStep, failure_result

    failed = FailedStep(step="train", exit_code=3, command="python train.py",
                        message="the training command `python train.py` failed with exit code "
                                "1", log_tail=("boom",))
    result = failure_result(failed, name="breast-cancer", head_sha=fx.HEAD)
    text = Renderer().render(report_view([result], "mlgate", LINKS, LEVELS[0]))
    caution = text.split("> [!CAUTION]\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert caution == [
        "> The **train** step failed (exit 3): the training command `python train.py` failed "
        "with exit code 1",
        ">",
        "> No metrics were compared, so the gate fails closed. Fix the step and push again; the "
        "comment is updated in place.",
    ]
    html = to_html(text)
    assert "<code>python train.py</code>" in html and "`" not in html.split("<pre>")[0]
    assert "&gt;" not in html.split("<pre>")[0], "no stray > shows"


# ----- every golden comment, as GitHub would show it -------------------------------------------
def table_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("|")]


def gated_names(text: str) -> list[str]:
    rows = table_rows(text.split("<details>")[0])
    assert rows and "Gated metric" in rows[0]
    return [r.split("|")[2].strip().removesuffix(" ↑").removesuffix(" ↓") for r in rows[2:]]


def to_html(markdown: str) -> str:
    md = MarkdownIt("commonmark", {"html": True}).enable("table")  # as scripts/comment_png.py
    return str(md.render(markdown))


class Outline(HTMLParser):
    """What a reader meets, in order: ("table", first header cell, [first cell of each row])
    for each table, ("mermaid", source) for each chart."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[tuple[str, Any, Any]] = []
        self._cell: list[str] | None = None
        self._row: list[str] = []
        self._rows: list[list[str]] = []
        self._code: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._rows = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "code" and ("class", "language-mermaid") in attrs:
            self._code = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr":
            self._rows.append(self._row)
        elif tag == "table":
            header, *body = self._rows
            self.items.append(("table", header, body))
        elif tag == "code" and self._code is not None:
            self.items.append(("mermaid", "".join(self._code), None))
            self._code = None

    def handle_data(self, data: str) -> None:
        for sink in (self._cell, self._code):
            if sink is not None:
                sink.append(data)


GOLDEN_COMMENTS = sorted(p.name for p in GOLDEN.glob("report_*.md"))


def test_the_golden_comments_are_the_ones_checked() -> None:
    assert {"report_seed_only.md", "report_improvement.md", "report_failing.md"} <= set(
        GOLDEN_COMMENTS)


def metric_tables(html: str) -> list[str]:
    """The kinds of the metric tables in ``html``, in order: ``gated`` or ``other``."""
    outline = Outline()
    outline.feed(html)
    return ["gated" if header[:2] == ["", "Gated metric"] else "other"
            for kind, header, _ in outline.items
            if kind == "table" and ("Gated metric" in header or "Metric" in header)]


@pytest.mark.parametrize("name", GOLDEN_COMMENTS)
def test_golden_comment_renders_gated_first_and_keeps_timings_out_of_the_chart(
        name: str) -> None:
    text = (GOLDEN / name).read_text(encoding="utf-8")
    assert_tables_intact(text)
    html = to_html(text)
    # in each model's section (a merged comment has one per model, under an <h3>), the gated
    # table comes before every other metric table
    for section in html.split("<h3>"):
        kinds = metric_tables(section)
        assert kinds == sorted(kinds, key=lambda kind: kind != "gated"), (name, kinds)
    # no informational metric is a bar of a chart
    informational = _informational_names(text)
    outline = Outline()
    outline.feed(html)
    charts = [source for kind, source, _ in outline.items if kind == "mermaid"]
    for source in charts:
        labels = re.findall(r'"([^"]*)"', source.split("x-axis", 1)[1].split("\n", 1)[0])
        assert not informational & set(labels), (name, labels)
    # the old markers are gone: no ➖ "no rule", no asterisk on every direction
    assert "➖" not in text and "↑\\*" not in text and "↓\\*" not in text


def _informational_names(text: str) -> set[str]:
    """The plain names of the metrics in the "Informational metrics" sections."""
    names: set[str] = set()
    for block in text.split("<summary>Informational metrics")[1:]:
        for line in table_rows(block.split("</details>", 1)[0])[2:]:
            names.add(line.split("|")[1].strip().replace("\\", ""))
    return names


def test_informational_metrics_are_found_in_the_golden_files() -> None:
    """The chart check above has something to check."""
    text = (GOLDEN / "report_improvement.md").read_text(encoding="utf-8")
    assert {"fit_time_s", "score_time_s", "0.support", "1.support"} <= _informational_names(text)
