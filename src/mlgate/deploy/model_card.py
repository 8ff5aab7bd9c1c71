"""The model card: a Markdown page shipped with every deployed model.

Pure: everything comes in as arguments (result.json, model.json, the champion decision), so the
same inputs always render the same page (tests compare it with a golden file).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from mlgate.deploy.champion import (
    Decision,
    challenger_metrics,
    decision_markdown,
    embed_metrics,
    format_value,
    md_escape,
)


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


def _fence(text: str, lang: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{text.rstrip()}\n{fence}"


def _metrics_section(card: CardInput) -> list[str]:
    rows = [m for m in card.result.get("metrics", []) if m.get("current") is not None]
    lines = ["## Metrics", ""]
    if not rows and card.model and card.model.get("metrics"):
        rows = [{"name": k, "current": v} for k, v in card.model["metrics"].items()]
    if not rows:
        return [*lines, "No metrics were recorded.", ""]
    lines += ["| metric | value | baseline | Δ | direction |", "|---|---:|---:|---:|---|"]
    for row in sorted(rows, key=lambda r: str(r["name"])):
        lines.append(
            f"| {md_escape(str(row['name']))} | {format_value(row.get('current'))} | "
            f"{format_value(row.get('baseline'))} | {format_value(row.get('delta'))} | "
            f"{md_escape(str(row.get('direction') or ''))} |"
        )
    return [*lines, ""]


def _gate_section(card: CardInput) -> list[str]:
    result = card.result
    summary = result.get("summary", {})
    baseline = result.get("baseline", {})
    passed = result.get("passed") is True and not result.get("failed_rules")
    lines = [
        "## Gate",
        "",
        f"- Gate: {'passed' if passed else '**not passed**'} "
        f"({summary.get('rules_passed', 0)} rule checks passed, "
        f"{summary.get('rules_failed', 0)} failed, {summary.get('rules_skipped', 0)} skipped)",
    ]
    if baseline.get("found") and baseline.get("sha"):
        lines.append(
            f"- Compared with: `{md_escape(str(baseline['sha'])[:12])}` "
            f"({md_escape(str(baseline.get('source') or 'baseline'))})"
        )
    else:
        lines.append("- Compared with: no baseline")
    for rule in result.get("failed_rules", []):
        lines.append(f"  - failed: {md_escape(str(rule))}")
    return [*lines, ""]


def _model_section(model: dict[str, Any] | None) -> list[str]:
    if not model:
        return ["## Model", "", "No model.json was found: the model was not trained by mlgate's "
                "built-in trainer, so its parameters and data are not recorded here.", ""]
    lines = ["## Model", ""]
    for label, key in (("Estimator", "estimator"), ("Task", "task"), ("Target", "target"),
                       ("Trained at", "created_at"), ("Trained with mlgate", "mlgate_version")):
        if model.get(key) is not None:
            lines.append(f"- {label}: `{md_escape(str(model[key]))}`")
    data = model.get("data") or {}
    if isinstance(data, dict) and data:
        lines += ["", "### Data", ""]
        for label, key in (("Path", "path"), ("SHA-256", "sha256"), ("Rows", "rows")):
            if data.get(key) is not None:
                lines.append(f"- {label}: `{md_escape(str(data[key]))}`")
        columns = data.get("columns")
        if isinstance(columns, list):
            shown = ", ".join(f"`{md_escape(str(c))}`" for c in columns[:50])
            more = f" and {len(columns) - 50} more" if len(columns) > 50 else ""
            lines.append(f"- Columns ({len(columns)}): {shown}{more}")
    params = model.get("params")
    if isinstance(params, dict) and params:
        lines += ["", "### Parameters", "", "| parameter | value |", "|---|---|"]
        for key in sorted(params):
            lines.append(f"| {md_escape(str(key))} | `{md_escape(params[key])}` |")
    config = model.get("train_config")
    if config:
        text = yaml.safe_dump(config, sort_keys=False, default_flow_style=False, allow_unicode=True)
        lines += ["", "### Training configuration", "", _fence(text, "yaml")]
    return [*lines, ""]


def render_model_card(card: CardInput) -> str:
    commit = f"[`{card.commit[:12]}`]({card.commit_url})" if card.commit_url else f"`{card.commit}`"
    lines = [
        f"# Model card: {md_escape(card.name)} {md_escape(card.version)}",
        "",
        f"- Version: `{md_escape(card.version)}`",
        f"- Commit: {commit}",
        f"- Deployed to: {md_escape(card.target)}",
    ]
    if card.mlgate_version:
        lines.append(f"- Deployed with: mlgate {md_escape(card.mlgate_version)}")
    lines.append("")
    if card.forced:
        lines += ["> [!WARNING]", "> **Forced deploy** (`--force`): deployed although"]
        lines += [f"> - {md_escape(reason)}" for reason in card.forced]
        lines.append("")
    lines += _metrics_section(card)
    lines += _gate_section(card)
    if card.decision is not None:
        lines += ["## Champion/challenger", "", decision_markdown(card.decision, bool(card.forced))]
    lines += _model_section(card.model)
    lines.append(embed_metrics(challenger_metrics(card.result)))
    return "\n".join(lines) + "\n"
