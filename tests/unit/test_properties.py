"""Property-based tests (Hypothesis) of what a PR's author controls: metric names and values,
params, and what the report template is given (model name, branch, commit subject).

Whatever they are: compare ends in exit 0, 1 or 2 (never an internal error), the report
renders with its marker first and every table row intact, the text can be written as UTF-8,
and each example finishes within the deadline."""

from __future__ import annotations

import json
import math
import re
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlgate import markdown as esc
from mlgate.core.changes import params_diff, read_params
from mlgate.core.compare import Comparison, diff
from mlgate.core.metrics import parse_metrics_text
from mlgate.core.result import (
    BaselineInfo,
    HeadInfo,
    Result,
    build_result,
    param_change,
    parse_result,
)
from mlgate.core.thresholds import parse_rules
from mlgate.core.verdict import verdict
from mlgate.errors import EXIT_GATE_FAILED, EXIT_OK, MlgateError
from mlgate.report.publish import comment_body
from mlgate.report.render import COMMENT_LIMIT, LEVELS, Links, Renderer, report_view
from mlgate.yamlio import parse_text

PROPERTY = settings(
    max_examples=40,
    deadline=timedelta(seconds=5),  # generous: the CI machine is shared
    suppress_health_check=[HealthCheck.too_slow],
    database=None,  # no .hypothesis folder in the checkout; failures print their example
)
LINKS = Links("https://github.com", "octo/demo")
RENDERER = Renderer()

# Any text, lone surrogates included (JSON's "\ud800" gives one).
names = st.text(st.characters(exclude_categories=()), min_size=1, max_size=40) | st.sampled_from(
    ["a\ud800b", "\udfff", "x|y", "<!-- mlgate-report: other -->", "@octocat", "a\nb"]
)
values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.sampled_from([1e-300, -1e-300, 1e308, -1e308, 5e-324, 0.0, -0.0]),
)
metric_maps = st.dictionaries(names, values, max_size=8)
param_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), names,
              st.sampled_from([math.inf, -math.inf, math.nan])),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(names, inner, max_size=3),
    max_leaves=8,
)
rules = st.dictionaries(
    st.one_of(names, st.just("*")),
    st.fixed_dictionaries({}, optional={
        "min": values, "max": values, "tolerance": st.one_of(values, st.just("2%"), names),
        "direction": st.sampled_from(["higher", "lower", "sideways"]),
    }),
    max_size=3,
)


def _json(metrics: dict[str, Any]) -> str:
    return "{" + ", ".join(
        f"{json.dumps(k)}: {_number(v)}" for k, v in metrics.items()
    ) + "}"


def _number(value: Any) -> str:
    if isinstance(value, float) and value != value:
        return '"NaN"'
    if value in (float("inf"), float("-inf")):
        return '"Infinity"' if value > 0 else '"-Infinity"'
    return repr(value)


def compare(head: str, base: str | None, thresholds: Any,
            params: list[dict[str, Any]] | None = None,
            head_info: HeadInfo | None = None, name: str = "model") -> tuple[int, Result | None]:
    """What `mlgate compare` does with the texts, mapped to its exit code."""
    try:
        current = parse_metrics_text(head, "metrics.json")
        baseline = parse_metrics_text(base, "base.json") if base is not None else None
        comparison = diff(Comparison(current=current, baseline=baseline,
                                     rules=parse_rules(thresholds, "mlgate.yaml: thresholds"),
                                     files={m: "metrics.json" for m in current}))
        result = build_result(
            name=name, head=head_info or HeadInfo(sha=None, ref="pr", subject="change"),
            baseline=BaselineInfo(found=baseline is not None, sha=None, source="file",
                                  base_ref="main", merge_base=None),
            comparison=comparison, require_baseline=False, metrics_files=["metrics.json"],
            params=[param_change(p) for p in params or ()],
        )
    except MlgateError as err:
        return err.exit_code, None
    # result.json as the report step reads it back
    doc = json.loads(json.dumps(result.to_json(), allow_nan=False))
    result = parse_result(doc, "result.json")
    return (EXIT_OK if verdict(result).passed else EXIT_GATE_FAILED), result


def _tables(body: str) -> list[list[str]]:
    """The Markdown tables of a page: runs of consecutive lines that start with a pipe."""
    tables: list[list[str]] = []
    previous = False
    for line in body.splitlines():
        row = line.startswith("|")
        if row and not previous:
            tables.append([])
        if row:
            tables[-1].append(line)
        previous = row
    return tables


def check_report(result: Result, name: str) -> None:
    body = comment_body(RENDERER, [result], name, LINKS, "note")
    assert body.startswith(esc.marker(name) + "\n")
    assert body.count("<!-- mlgate-report:") == 1
    body.encode("utf-8")  # no lone surrogate reaches the page
    tables = _tables(body)
    if result.metrics:
        assert tables, body
        for table in tables:  # each table keeps one width: no cell breaks out of its row
            widths = {len(re.findall(r"(?<!\\)\|", line)) for line in table}
            assert len(widths) == 1, table
    full = RENDERER.render(report_view([result], name, LINKS, LEVELS[0]))
    full.encode("utf-8")
    assert len(body) <= COMMENT_LIMIT


@PROPERTY
@given(head=metric_maps, base=st.one_of(st.none(), metric_maps), thresholds=rules)
def test_compare_exits_only_0_1_2_and_the_report_renders(
    head: dict[str, Any], base: dict[str, Any] | None, thresholds: Any
) -> None:
    code, result = compare(_json(head), _json(base) if base is not None else None, thresholds)
    assert code in (0, 1, 2)
    if result is not None:
        check_report(result, "mlgate")


@PROPERTY
@given(text=st.text(max_size=200), as_json=st.booleans())
def test_any_metrics_text_is_a_result_or_a_usage_error(text: str, as_json: bool) -> None:
    code, result = compare(text, None, None) if as_json else _yaml_compare(text)
    assert code in (0, 1, 2)
    if result is not None:
        check_report(result, "mlgate")


def _params_text(data: dict[str, Any], as_yaml: bool) -> str:
    """JSON text (YAML is a superset of it, and `.inf`/`.nan` are YAML's own spellings)."""
    text = json.dumps(data)
    if as_yaml:
        text = text.replace("Infinity", ".inf").replace("NaN", ".nan")
    return text


def _yaml_compare(text: str) -> tuple[int, Result | None]:
    try:
        data = parse_text(text, "metrics.yaml")
    except MlgateError as err:
        return err.exit_code, None
    if not isinstance(data, dict):
        return 2, None
    return compare(json.dumps(data, default=str), None, None)


params_maps = st.dictionaries(names, param_values, max_size=5)


@PROPERTY
@given(metrics=metric_maps, base_params=params_maps, head_params=params_maps,
       as_yaml=st.booleans(), ref=names, subject=names, model=names)
def test_report_renders_any_params_and_template_inputs(
    metrics: dict[str, Any], base_params: dict[str, Any], head_params: dict[str, Any],
    as_yaml: bool, ref: str, subject: str, model: str,
) -> None:
    file = "params.yaml" if as_yaml else "params.json"
    texts = {side: _params_text(data, as_yaml)
             for side, data in (("base", base_params), ("head", head_params))}
    params = params_diff(read_params(lambda f: texts["base"] if f == file else None, [file]),
                         read_params(lambda f: texts["head"] if f == file else None, [file]))
    code, result = compare(_json(metrics), _json(metrics), None, params=params,
                           head_info=HeadInfo(sha="0" * 40, ref=ref, subject=subject),
                           name=model)
    assert code in (0, 1, 2)
    if result is not None:
        check_report(result, model)
