"""Rendering of the PR report: golden Markdown, escaping, size limits, user templates.

Regenerate the golden files with ``MLGATE_UPDATE_GOLDEN=1 pytest tests/unit/test_report_render.py``
(the rewritten tests fail: review the diff and re-run; refused under CI).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from mlgate import __version__
from mlgate import markdown as esc
from mlgate.core.result import Result, parse_result
from mlgate.core.verdict import verdict
from mlgate.errors import UsageError
from mlgate.failure import FailedStep, failure_result
from mlgate.report.render import (
    COMMENT_LIMIT,
    LEVELS,
    Links,
    Renderer,
    hard_cut,
    report_view,
    utf16_len,
)
from tests.helpers import golden
from tests.helpers import report_fixtures as fx

GOLDEN = Path(__file__).parents[1] / "golden"
LINKS = Links("https://github.com", "octo/demo")


def check_golden(name: str, text: str) -> None:
    text = text.replace(f"mlgate {__version__} ·", "mlgate VERSION ·")  # survive releases
    golden.check_golden(GOLDEN / name, text)


def parsed(doc: dict[str, Any]) -> Result:
    return parse_result(doc, "result.json")


def render(results: list[dict[str, Any]], name: str = "mlgate",
           renderer: Renderer | None = None) -> str:
    docs = [parsed(doc) for doc in results]
    return (renderer or Renderer()).render(report_view(docs, name, LINKS, LEVELS[0]))


def table_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("|")]


def unescaped_pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line))


def assert_tables_intact(text: str) -> int:
    """Every row of every table has as many cells as its header; returns the table count."""
    blocks: list[list[str]] = []
    previous = ""
    for line in text.splitlines():
        if line.startswith("|"):
            if not previous.startswith("|"):
                blocks.append([])
            blocks[-1].append(line)
        previous = line
    for block in blocks:
        width = unescaped_pipes(block[0])
        assert all(unescaped_pipes(row) == width for row in block), block
    return len(blocks)


def test_golden_failing_report() -> None:
    text = render([fx.failing_result()])
    check_golden("report_failing.md", text)
    # gated metrics first, failures first, then by the margin left; ungated ones collapsed
    rows = table_rows(text.split("<details>")[0])
    names = [r.split("|")[2].strip() for r in rows[2:]]
    assert names == ["accuracy ↑", "auc ↑", "f1 ↑", "rmse ↓", "new\\_metric ↑"]
    ungated = text.split("<summary>Ungated metrics (2: 1 regressed, 1 removed)</summary>")[1]
    assert [r.split("|")[1].strip() for r in table_rows(ungated.split("</details>")[0])[2:]] \
        == ["latency\\_ms ↓†", "old\\_metric ↑"]
    assert text.split("\n\n")[1].startswith(
        "**Beyond the noise:** gated 2 failed, 1 improved, 1 new; ungated 1 regressed, 1 removed")
    assert "```mermaid\nxychart-beta" in text
    assert "[`a1b2c3d`](https://github.com/octo/demo/commit/" + fx.HEAD + ")" in text


def test_golden_passing_without_baseline() -> None:
    doc = fx.result([fx.metric("accuracy", None, 0.91, "new",
                               rules=[fx.rule("min", "min 0.9", "passed", "0.91 >= 0.9", 0.9)])],
                    found=False, note="no metrics recorded for main yet")
    text = render([doc])
    check_golden("report_no_baseline.md", text)
    assert "No baseline was found on main" in text
    assert "no metrics recorded for main yet" in text


def test_golden_merged_models() -> None:
    text = render([fx.passing_result("churn"), fx.failing_result() | {"name": "fraud"}])
    check_golden("report_merged.md", text)
    assert text.startswith("## ❌ mlgate: 1 of 2 models failed")
    assert "### ✅ churn: gate passed" in text and "### ❌ fraud: gate failed" in text


def test_baseline_note_from_store() -> None:
    doc = fx.passing_result()
    doc["baseline"].update(source="store", note="used the baseline of 0f1e2d3, 2 commits back")
    text = render([doc])
    assert "(baseline store)" in text and "2 commits back" in text


HOSTILE = "acc|ur\nacy <script>alert(1)</script> @octocat --> <!-- mlgate-report: other --> ``"


def test_golden_hostile_names() -> None:
    doc = fx.result(
        [fx.metric(HOSTILE, 1.0, 0.5, "regressed",
                   rules=[fx.rule("min", "min 0.9 | x", "failed", "0.5 < 0.9\n| a | b |")],
                   passed=False),
         fx.metric("[click](https://evil.example)", 1, 1, "unchanged")],
        name="<img src=x onerror=alert(1)>|@admin",
        ref="feat/`x`|@team\n# heading", subject="Fix @octo/team --> ![x](http://e/x.png)",
        failed_rules=[f"{HOSTILE}: min"],
        params=[{"name": "p|q", "file": "a|b.yaml", "baseline": "<b>", "current": {"k": "|"},
                 "status": "modified"}],
        data=[{"path": "data/<x>|y.csv", "status": "added"}],
    )
    text = render([doc], name="x --> y")
    check_golden("report_hostile.md", text)
    assert assert_tables_intact(text) == 4
    assert "<script" not in text and "<img" not in text and "<!--" not in text
    assert "-->" not in text.split("```mermaid")[0].replace("--> ", "")  # only mermaid's axis
    assert not re.search(r"@(?!&#8203;)[A-Za-z]", text)
    assert "](https://evil" not in text and "](http://e" not in text
    assert "\n# heading" not in text


def test_tables_keep_their_shape_for_any_name() -> None:
    names = ["a|b", "a\\|b", "a\\\\|b", "`|`", "x\r\ny", "\u202eevil", "a\tb|"]
    doc = fx.result([fx.metric(n, 1.0, 2.0, "improved") for n in names])
    text = render([doc])
    assert assert_tables_intact(text) == 1
    assert len(table_rows(text)) == 2 + len(names)
    assert "\u202e" not in text


def test_escape_helpers() -> None:
    assert esc.md("a|b") == "a\\|b"
    assert esc.md("@bob hi") == "@&#8203;bob hi"
    assert esc.md("mail me at a@b") == "mail me at a@&#8203;b"
    assert esc.md("<!-- x -->") == "&lt;\\!-- x --&gt;"
    assert esc.md("line\nbreak") == "line break"
    assert esc.marker("x --> <y>") == "<!-- mlgate-report: x_-___y_ -->"
    assert esc.short_sha("not a sha") is None and esc.short_sha("ABCDEF0123") == "abcdef0"
    assert esc.number(0.123456) == "0.1235" and esc.number(1e-7) == "1.000e-07"
    assert esc.number("Infinity") == "∞" and esc.signed(-0.5) == "-0.5"
    assert esc.signed(0.25) == "+0.25" and esc.percent(-0.021) == "-2.10%"
    assert esc.mermaid_label('a"b`c\n') == "a_b_c"
    assert esc.md("fixes #12, GH-3, www.x.org") == \
        "fixes \\#&#8203;12, GH-&#8203;3, www&#8203;.x.org"


def test_user_template_overrides_blocks(tmp_path: Path) -> None:
    tpl = tmp_path / "report.md.j2"
    tpl.write_text(
        '{% extends "report.md.j2" %}\n'
        "{% block chart %}{% endblock %}\n"
        "{% block footer %}\nOwned by team ML. {{ report.models[0].raw.name | md }}\n"
        "{% endblock %}\n", encoding="utf-8")
    text = render([fx.failing_result()], renderer=Renderer(tpl))
    check_golden("report_custom_template.md", text)
    assert "mermaid" not in text and text.endswith("Owned by team ML. churn\n")
    assert "| ❌ | accuracy" in text


@pytest.mark.parametrize("body", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ report.models[0].raw.__class__.__init__.__globals__ }}",
    "{% extends 'report.md.j2' %}{% block footer %}{{ undefined_thing.x }}{% endblock %}",
    "{% block %}",
])
def test_bad_or_unsafe_templates_are_usage_errors(tmp_path: Path, body: str) -> None:
    tpl = tmp_path / "evil.j2"
    tpl.write_text(body, encoding="utf-8")
    with pytest.raises(UsageError) as err:
        render([fx.passing_result()], renderer=Renderer(tpl))
    assert "evil.j2" in err.value.render()


def test_user_template_can_include_its_own_partials(tmp_path: Path) -> None:
    (tmp_path / "team.md.j2").write_text("Owned by {{ owner }}.\n", encoding="utf-8")
    tpl = tmp_path / "report.md.j2"
    tpl.write_text('{% extends "report.md.j2" %}{% block footer %}\n'
                   '{% set owner = "team ML" %}{% include "team.md.j2" %}{% endblock %}',
                   encoding="utf-8")
    text = render([fx.passing_result()], renderer=Renderer(tpl))
    assert text.endswith("Owned by team ML.\n")


def test_missing_template_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read"):
        Renderer(tmp_path / "nope.j2")


def huge_result(n: int = 4000) -> dict[str, Any]:
    metrics = [fx.metric(f"metric_{i:05d}_{'x' * 40}", 1.0, 0.5 + (i % 3) * 0.5,
                         ["regressed", "unchanged", "improved"][i % 3],
                         rules=[fx.rule("tolerance", "tolerance -5%",
                                        "failed" if i % 3 == 0 else "passed", "dropped")],
                         passed=i % 3 != 0)
               for i in range(n)]
    return fx.result(metrics, failed_rules=[f"metric_{i}: tolerance" for i in range(0, n, 3)],
                     params=[{"name": f"p{i}", "baseline": i, "current": i + 1,
                              "status": "modified"} for i in range(500)])


def test_comment_is_cut_to_the_limit_with_a_note() -> None:
    doc = huge_result()
    r = Renderer()
    full = render([doc])
    assert utf16_len(full) > COMMENT_LIMIT
    marker = esc.marker("mlgate") + "\n"
    body = r.fit([parsed(doc)], "mlgate", LINKS, COMMENT_LIMIT - 1, prefix=marker)
    assert utf16_len(body) < COMMENT_LIMIT
    assert body.startswith(marker)
    assert "more metrics not shown" in body and "job summary" in body
    assert "`.mlgate/report.md`" in body
    assert body.count("<details>") == body.count("</details>")


def test_hard_cut_closes_what_it_opened() -> None:
    text = "head\n<details><summary>x</summary>\n\n```mermaid\n" + "line\n" * 5000
    out = hard_cut(text, 1000, "see the summary")
    assert utf16_len(out) <= 1000
    assert out.count("```") % 2 == 0 and out.count("<details>") == out.count("</details>")
    assert out.rstrip().endswith("see the summary*")


def test_astral_characters_count_double() -> None:
    assert utf16_len("😀") == 2 and utf16_len("é") == 1


OUR_TAGS = re.compile(r"</?(details|summary|sub)>|<br>")


def test_random_hostile_text_never_escapes() -> None:
    import random

    rng = random.Random(1234)
    alphabet = [*"ab|\\`*_[]()<>!@#&;:/-\n\r\t ~.", "-->", "<!--", "```", "www.", "GH-1",
                "@x", "#9", "\u202e", "😀", "http://"]
    for _ in range(60):
        def text() -> str:
            return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 25)))

        doc = fx.result([fx.metric(text(), 1.0, 2.0, "improved",
                                   rules=[fx.rule("min", text(), "failed", text())],
                                   passed=False),
                         fx.metric(text(), 1, 1, "unchanged")],
                        name=text(), ref=text(), subject=text(), failed_rules=[text()],
                        params=[{"name": text(), "file": text(), "baseline": text(),
                                 "current": text(), "status": "modified"}],
                        data=[{"path": text(), "status": "added"}], note=text())
        out = render([doc], name=text())
        prose = re.sub(r"```mermaid\n.*?\n```", "", out, flags=re.S).replace("&#8203;", "\u200b")
        assert_tables_intact(prose)
        assert "```" not in prose
        assert not OUR_TAGS.sub("", prose).count("<"), prose
        assert not re.search(r"@[A-Za-z0-9]", prose)
        bad = re.search(r"(?<!\\)#\d|GH-\d|www\.", prose)
        assert not bad, prose[max(0, bad.start() - 60):bad.end() + 20]
        links = re.findall(r"(?<!\\)\]\(([^)]*)\)", prose)
        assert all(u.startswith("https://github.com/octo/demo/commit/") for u in links), links
        assert prose.count("://") == len(links)
        assert "\u202e" not in out


# ----- the chart plots improvement (up is better) -------------------------------------------


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


# ----- a failed pull/train step renders as a failure report ---------------------------------


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
    assert "the training command `dvc repro` failed with exit code 1\n>\n> No metrics" in text
    block = text.split("<details><summary>", 1)[1]
    assert block.startswith("The last 4 lines of the train step's log")
    fence = block.split("\n\n", 1)[1].split("\n", 1)[0]
    assert set(fence) == {"`"} and len(fence) > 3, "the fence is longer than any ``` inside"
    assert f"\n{fence}\n\n</details>" in block
    assert "@\u200boctocat" in block and "@octocat" not in block
    assert "\x1b" not in block
    assert "No metrics were compared" in text
    assert "| | Metric |" not in text, "no metrics table for a run that compared nothing"
