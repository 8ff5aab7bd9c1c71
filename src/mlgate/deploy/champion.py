"""Champion/challenger: the new model against the one deployed now, with the same thresholds.

Pure: the targets find the deployed model's metrics (a release, a gto stage), this module
decides and renders the decision.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from typing import Any

from mlgate.core.compare import Comparison, decode, diff, encode
from mlgate.core.thresholds import Rule
from mlgate.formatting import format_number
from mlgate.markdown import md

# Repo text (metric names, messages, labels) in the summary and the model card: the report's
# escaper, with names such as `max_iter` left as the deploy pages have always shown them.
_md = functools.partial(md, keep_word_underscores=True)
_EMBED = re.compile(r"<!--\s*mlgate-metrics:\s*(\{.*?\})\s*-->", re.DOTALL)


@dataclass(frozen=True)
class Champion:
    """The model deployed now."""

    label: str  # e.g. "release churn-v1.2.0"
    version: str | None
    commit: str | None
    metrics: dict[str, float]
    url: str | None = None


@dataclass
class Decision:
    champion: Champion | None
    passed: bool
    failed_rules: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""


def challenger_metrics(result: dict[str, Any]) -> dict[str, float]:
    """The current metric values of result.json (metrics removed in this commit are left out)."""
    out: dict[str, float] = {}
    for metric in result.get("metrics", []):
        value = decode(metric.get("current"))
        if value is not None:
            out[str(metric["name"])] = value
    return out


def decide(challenger: dict[str, float], champion: Champion | None, rules: list[Rule]) -> Decision:
    if champion is None:
        return Decision(None, True, note="no model is deployed yet: nothing to challenge")
    if not champion.metrics:
        return Decision(
            champion, True, note=f"the deployed model ({champion.label}) has no metrics on record"
        )
    outcome = diff(Comparison(current=challenger, baseline=champion.metrics, rules=rules))
    passed = outcome.passed
    note = (
        f"the new model is at least as good as the deployed one ({champion.label})"
        if passed
        else f"the new model does not beat the deployed one ({champion.label})"
    )
    rows = [row.to_json() for row in outcome.metrics]
    return Decision(champion, passed, list(outcome.failed_rules), rows, note)


def _rule_text(row: dict[str, Any]) -> str:
    failed = [c for c in row.get("rules", []) if c["status"] == "failed"]
    if failed:
        return "❌ " + "; ".join(f"{c['threshold']} ({c['message']})" for c in failed)
    if row.get("rules"):
        return "✅"
    return ""


def decision_markdown(decision: Decision, forced: bool = False) -> str:
    """The decision and its figures, for the job summary and the model card."""
    verdict = "passed"
    if not decision.passed:
        verdict = "failed (overridden by --force)" if forced else "failed"
    lines = [f"**Champion/challenger: {verdict}** — {_md(decision.note)}"]
    champion = decision.champion
    if champion is not None and decision.rows:
        commit = f", commit `{champion.commit[:12]}`" if champion.commit else ""
        lines += [
            "",
            f"Deployed model: {_md(champion.label)}{commit}",
            "",
            "| metric | deployed | new | Δ | status | rule |",
            "|---|---:|---:|---:|---|---|",
        ]
        for row in decision.rows:
            lines.append(
                f"| {_md(row['name'])} | {format_number(row['baseline'])} "
                f"| {format_number(row['current'])} | {format_number(row['delta'])} "
                f"| {row['status']} | {_md(_rule_text(row), 2000)} |"
            )
    return "\n".join(lines) + "\n"


def decision_text(decision: Decision) -> str:
    """Plain text for the log."""
    lines = [f"champion/challenger: {'PASSED' if decision.passed else 'FAILED'}: {decision.note}"]
    for row in decision.rows:
        lines.append(
            f"  {row['name']}: deployed {format_number(row['baseline'])}, "
            f"new {format_number(row['current'])} ({row['status']})"
        )
    lines += [f"  - failed: {rule}" for rule in decision.failed_rules]
    return "\n".join(lines)


def embed_metrics(metrics: dict[str, float]) -> str:
    """A hidden, machine-readable copy of the metrics for release bodies and tag messages."""
    text = json.dumps({k: encode(v) for k, v in metrics.items()}, sort_keys=True, allow_nan=False)
    # "<" and ">" escaped so the JSON can never close the HTML comment.
    text = text.replace("<", "\\u003c").replace(">", "\\u003e")
    return f"<!-- mlgate-metrics: {text} -->"


def extract_metrics(text: str | None) -> dict[str, float] | None:
    """The metrics embedded by :func:`embed_metrics`; None when absent or unreadable."""
    if not text:
        return None
    match = _EMBED.search(text)
    if not match:
        return None
    try:
        data = json.loads(match.group(1))
        return {str(k): v for k, v in ((k, decode(v)) for k, v in data.items()) if v is not None}
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def metrics_from_result_doc(doc: Any) -> dict[str, float] | None:
    """Current metrics of a result.json document (a release asset), or None."""
    if not isinstance(doc, dict) or not isinstance(doc.get("metrics"), list):
        return None
    try:
        return challenger_metrics(doc)
    except (KeyError, TypeError, ValueError):
        return None
