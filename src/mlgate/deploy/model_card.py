"""The model card: a Markdown page shipped with every deployed model.

Pure: everything comes in as arguments (result.json, model.json, the champion decision), so the
same inputs always render the same page (tests compare it with a golden file). As for the
report, :func:`card_view` escapes every value and the template ``model_card.md.j2`` lays them out.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from mlgate.core.result import parse_result
from mlgate.core.verdict import verdict
from mlgate.deploy.champion import Decision, challenger_metrics, decision_markdown, embed_metrics
from mlgate.formatting import format_number
from mlgate.markdown import code, md
from mlgate.templating import shipped_template

TEMPLATE = "model_card.md.j2"
COLUMNS_SHOWN = 50
# Repo text as Markdown, with names such as `max_iter` written as the card always has.
_md = functools.partial(md, keep_word_underscores=True)


@dataclass
class CardInput:
    name: str
    version: str
    commit: str
    target: str
    result: dict[str, Any]
    model: dict[str, Any] | None = None  # .mlgate/model/model.json
    decision: Decision | None = None
    forced: list[str] = field(default_factory=list)
    commit_url: str | None = None
    mlgate_version: str = ""


def render_model_card(card: CardInput) -> str:
    return str(shipped_template(TEMPLATE).render(card=card_view(card)))


def card_view(card: CardInput) -> dict[str, Any]:
    """Everything the template shows, already escaped Markdown."""
    if card.commit_url:
        commit = f"[{code(card.commit[:12])}]({card.commit_url})"
    else:
        commit = code(card.commit)
    decision = None
    if card.decision is not None:
        decision = decision_markdown(card.decision, bool(card.forced))
    return {
        "name": _md(card.name),
        "version": _md(card.version),
        "version_code": code(card.version),
        "commit": commit,
        "target": _md(card.target),
        "mlgate_version": _md(card.mlgate_version) if card.mlgate_version else "",
        "forced": [_md(reason, 1000) for reason in card.forced],
        "metrics": _metric_rows(card),
        "gate": _gate_view(card.result),
        "decision": decision,
        "model": _model_view(card.model) if card.model else None,
        "embedded_metrics": embed_metrics(challenger_metrics(card.result)),
    }


def _metric_rows(card: CardInput) -> list[dict[str, str]]:
    rows = [m for m in card.result.get("metrics", []) if m.get("current") is not None]
    if not rows and card.model and card.model.get("metrics"):
        rows = [{"name": k, "current": v} for k, v in card.model["metrics"].items()]
    return [
        {
            "name": _md(str(row["name"])),
            "value": format_number(row.get("current")),
            "baseline": format_number(row.get("baseline")),
            "delta": format_number(row.get("delta")),
            "direction": _md(str(row.get("direction") or "")),
        }
        for row in sorted(rows, key=lambda r: str(r["name"]))
    ]


def _gate_view(result: dict[str, Any]) -> dict[str, Any]:
    summary = result.get("summary", {})
    baseline = result.get("baseline", {})
    compared = None
    if baseline.get("found") and baseline.get("sha"):
        source = _md(str(baseline.get("source") or "baseline"))
        compared = f"{code(str(baseline['sha'])[:12])} ({source})"
    return {
        "passed": verdict(parse_result(result)).passed,
        "rules_passed": summary.get("rules_passed", 0),
        "rules_failed": summary.get("rules_failed", 0),
        "rules_skipped": summary.get("rules_skipped", 0),
        "compared": compared,
        "failed_rules": [_md(str(rule), 1000) for rule in result.get("failed_rules", [])],
    }


_MODEL_FIELDS = (
    ("Estimator", "estimator"),
    ("Task", "task"),
    ("Target", "target"),
    ("Trained at", "created_at"),
    ("Trained with mlgate", "mlgate_version"),
)
_DATA_FIELDS = (("Path", "path"), ("SHA-256", "sha256"), ("Rows", "rows"))


def _model_view(model: dict[str, Any]) -> dict[str, Any]:
    """model.json's estimator, data, parameters and training configuration."""
    data = model.get("data") or {}
    params = model.get("params")
    config = model.get("train_config")
    return {
        "fields": _fields(model, _MODEL_FIELDS),
        "data": _data_view(data) if isinstance(data, dict) and data else None,
        "params": [
            {"name": _md(str(key)), "value": code(_param_text(params[key]), 1000)}
            for key in sorted(params)
        ] if isinstance(params, dict) else [],
        "train_config": _yaml_block(config) if config else None,
    }


def _fields(record: dict[str, Any], fields: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    return [
        {"label": label, "value": code(str(record[key]), 1000)}
        for label, key in fields
        if record.get(key) is not None
    ]


def _data_view(data: dict[str, Any]) -> dict[str, Any]:
    columns = data.get("columns")
    view: dict[str, Any] = {"fields": _fields(data, _DATA_FIELDS), "columns": None}
    if isinstance(columns, list):
        more = len(columns) - COLUMNS_SHOWN
        view["columns"] = {
            "count": len(columns),
            "shown": ", ".join(code(str(c)) for c in columns[:COLUMNS_SHOWN]),
            "more": f" and {more} more" if more > 0 else "",
        }
    return view


def _param_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


def _yaml_block(config: Any) -> str:
    """The training configuration as a YAML code block (fenced past any backticks inside)."""
    text = yaml.safe_dump(config, sort_keys=False, default_flow_style=False, allow_unicode=True)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}yaml\n{text.rstrip()}\n{fence}"
