"""The Markdown drift report, rendered from a drift.json document (pure but for templates).

Every string from the data (column names, categories, paths) goes through
:func:`mlgate.markdown.md` (or ``mermaid_label`` inside charts) before the template sees it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlgate import markdown as esc

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
TEMPLATE = "drift.md.j2"
ISSUE_LIMIT = 65536  # GitHub's maximum issue body, in characters
TESTS = {"ks": "KS", "chi2": "χ²"}


@dataclass(frozen=True)
class Limits:
    rows: int | None = None  # None: every feature
    charts: int = 10


LEVELS = (Limits(), Limits(rows=200, charts=5), Limits(rows=50, charts=2),
          Limits(rows=10, charts=0))


def _source(side: dict[str, Any]) -> str:
    text = f"`{esc.clean(side.get('path', ''), 200).replace('`', '')}`"
    details = [f"{side.get('rows', 0)} rows"]
    short = esc.short_sha(side.get("sha256"))
    if short:
        details.append(f"SHA-256 {short}")
    commit = esc.short_sha(side.get("commit"))
    if side.get("source") == "dvc" and commit:
        details.append(f"fetched with DVC at commit {commit}")
    elif commit:
        details.append(f"trained at commit {commit}")
    return f"{text} ({', '.join(details)})"


def _row(f: dict[str, Any]) -> dict[str, str]:
    reasons = {"psi": "PSI", "p-value": "p-value"}
    why = ", ".join(reasons.get(r, esc.md(r)) for r in f.get("reasons", []))
    unseen = f.get("unseen", 0)
    if unseen:
        why = (why + "; " if why else "") + f"{unseen} rows in new categories"
    ref, cur = f.get("reference", {}), f.get("current", {})
    return {
        "mark": "❌" if f.get("drifted") else "✅",
        "name": esc.md(f.get("name", ""), 120),
        "kind": esc.md(f.get("kind", "")),
        "test": TESTS.get(str(f.get("test")), esc.md(f.get("test", ""))),
        "statistic": esc.number(f.get("statistic")),
        "p_adjusted": esc.number(f.get("p_value_adjusted")),
        "psi": esc.number(f.get("psi")),
        "missing": f"{ref.get('missing', 0)} → {cur.get('missing', 0)}",
        "why": why or "—",
    }


def chart(f: dict[str, Any]) -> str:
    """A mermaid bar (reference) + line (current) chart of a feature's bins, in %."""
    bins = f.get("bins", {})
    labels = [esc.mermaid_label(label, 24) for label in bins.get("labels", [])]
    ref = [round(100 * float(v), 1) for v in bins.get("reference", [])]
    cur = [round(100 * float(v), 1) for v in bins.get("current", [])]
    if not labels or len(ref) != len(labels) or len(cur) != len(labels):
        return ""
    top = max(1.0, *ref, *cur)
    return "\n".join([
        "xychart-beta",
        f'    title "{esc.mermaid_label(f.get("name", ""), 60)}"',
        "    x-axis [" + ", ".join(f'"{label}"' for label in labels) + "]",
        f'    y-axis "% of rows" 0 --> {esc.number(float(int(top + 0.999)))}',
        "    bar [" + ", ".join(esc.number(v) for v in ref) + "]",
        "    line [" + ", ".join(esc.number(v) for v in cur) + "]",
    ])


def drift_view(doc: dict[str, Any], limits: Limits, run_url: str | None = None
               ) -> dict[str, Any]:
    features = list(doc.get("features", []))
    shown = features if limits.rows is None else features[: limits.rows]
    drifting = [f for f in features if f.get("drifted")]
    charts = [c for c in (chart(f) for f in drifting[: limits.charts]) if c]
    thresholds = doc.get("thresholds", {})
    kinds = sorted({str(f.get("test")) for f in features})
    return {
        "raw": doc,
        "name": esc.md(doc.get("name", "mlgate"), 100),
        "drifted": bool(doc.get("drifted")),
        "summary": doc.get("summary", {}),
        "reference": {"text": _source(doc.get("reference", {}))},
        "current": {"text": _source(doc.get("current", {}))},
        "thresholds": {"psi": esc.number(thresholds.get("psi")),
                       "p_value": esc.number(thresholds.get("p-value")),
                       "tests": " / ".join(TESTS.get(k, esc.md(k)) for k in kinds) or "—"},
        "rows": [_row(f) for f in shown],
        "rows_omitted": len(features) - len(shown),
        "charts": charts,
        "charts_omitted": len(drifting) - min(len(drifting), limits.charts),
        "version": esc.md(doc.get("mlgate_version", "")),
        "schema": doc.get("schema", 1),
        "run_link": f"[workflow run]({run_url})" if run_url else "",
    }


@functools.lru_cache(maxsize=1)
def _template() -> Any:
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)), autoescape=False, trim_blocks=True,
        lstrip_blocks=True, keep_trailing_newline=True, undefined=StrictUndefined)
    env.filters.update(md=esc.md, num=esc.number)
    return env.get_template(TEMPLATE)


def render_drift(doc: dict[str, Any], limits: Limits = LEVELS[0],
                 run_url: str | None = None) -> str:
    text = str(_template().render(drift=drift_view(doc, limits, run_url)))
    lines: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        line = line.rstrip()
        if line or (lines and lines[-1]):
            lines.append(line)
    return "\n".join(lines).strip("\n") + "\n"


def fit_drift(doc: dict[str, Any], budget: int, prefix: str = "",
              run_url: str | None = None) -> str:
    """The fullest rendering that, with ``prefix``, fits ``budget`` characters."""
    text = ""
    for limits in LEVELS:
        text = prefix + render_drift(doc, limits, run_url)
        if len(text.encode("utf-16-le")) // 2 <= budget:
            return text
    return text[: budget - 200] + "\n\n*The report was cut to fit GitHub's size limit.*\n"
