"""Turn one or more result documents into the Markdown report (pure: no I/O but templates).

The template sees a view model in which every string from the repository is already escaped
(see :mod:`mlgate.markdown`); raw values stay available under ``model.raw``.
"""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlgate import __version__
from mlgate import markdown as esc
from mlgate.core.result import MetricRow, Result, RuleCheck
from mlgate.core.thresholds import DEFAULT_TOLERANCE
from mlgate.core.verdict import verdict
from mlgate.errors import UsageError
from mlgate.formatting import format_bytes
from mlgate.templating import (
    USER_TEMPLATE,
    check_budget,
    environment,
    read_template,
    render_limits,
)

DEFAULT_TEMPLATE = "report.md.j2"
COMMENT_LIMIT = 65536  # GitHub's maximum issue comment body, in characters
CHECK_SUMMARY_LIMIT = 65535  # check run output.summary
JOB_SUMMARY_LIMIT = 1024 * 1024  # bytes per step summary
CHART_MAX = 20
DEFAULT_NOTE = "The full report is in the job summary and in `.mlgate/report.md`."

_SOURCES = {
    "committed": "metrics committed at that commit",
    "store": "baseline store",
    "retrain": "retrained in this job",
    "file": "baseline file",
}


@dataclass(frozen=True)
class Limits:
    """How much of each section to show; ``None`` means everything."""

    table: int | None = None
    details: int | None = None
    failed: int | None = None
    chart: bool = True


# Tried in order until the report fits its budget.
LEVELS = (
    Limits(),
    Limits(table=300, details=100, failed=100),
    Limits(table=100, details=20, failed=30, chart=False),
    Limits(table=30, details=0, failed=10, chart=False),
    Limits(table=5, details=0, failed=5, chart=False),
)


@dataclass(frozen=True)
class Links:
    """Where commit links point; no links when the repository is unknown."""

    server_url: str = "https://github.com"
    repository: str | None = None

    def commit(self, sha: object) -> str | None:
        short, full = esc.short_sha(sha), esc.safe_sha(sha)
        if not short:
            return None
        if self.repository and _safe_repo(self.repository):
            return f"[`{short}`]({self.server_url}/{self.repository}/commit/{full})"
        return f"`{short}`"


def _safe_repo(repository: str) -> bool:
    owner, _, name = repository.partition("/")
    ok = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
    return bool(owner and name) and set(owner) <= ok and set(name) <= ok


def utf16_len(text: str) -> int:
    """Length as GitHub's limits count it, on the safe side (astral characters count 2)."""
    return len(text.encode("utf-16-le")) // 2


# ----- view model --------------------------------------------------------------------------
def _cut(items: list[Any], limit: int | None) -> tuple[list[Any], int]:
    if limit is None or len(items) <= limit:
        return items, 0
    return items[:limit], len(items) - limit


# What the report calls each status of result.json (``within_noise``: a change inside the noise
# of the measurement, see core/noise.py).
_STATUS_WORDS = {"within_noise": "within noise", "improved": "improved", "regressed": "regressed",
                 "unchanged": "unchanged", "new": "new", "removed": "removed"}
# An informational metric (a timing, a count) has no better direction: it only changed.
_INFO_WORDS = {"improved": "changed", "regressed": "changed"}
# How the sections order rows that share a margin: changes beyond the noise first.
_GROUP_RANK = {"regressed": 0, "improved": 1, "new": 2, "removed": 3, "within_noise": 4,
               "unchanged": 5}
EXPLICIT_MARK = "†"  # a direction set in mlgate.yaml (the others are inferred from the name)


def _failed(m: MetricRow) -> bool:
    return not m.passed or any(r.status == "failed" for r in m.rules)


def _group(m: MetricRow) -> str:
    """``gated`` (a rule applies), ``informational`` (a timing or count with no rule) or
    ``ungated``."""
    if m.rules:
        return "gated"
    return "informational" if m.informational else "ungated"


def _bound_side(check: RuleCheck, m: MetricRow) -> str | None:
    """``min`` when the check wants the value at or above its limit, ``max`` at or below."""
    if check.rule in ("min", "max"):
        return check.rule
    if check.rule == "tolerance":
        return "max" if m.direction == "lower" else "min"
    return None


def _check_margin(check: RuleCheck, m: MetricRow) -> float | None:
    """How far the value stays from the check's limit, relative to the allowance (the
    distance from the baseline to the limit): 1 at the baseline, 0 at the limit, below 0
    failed, above 1 moved away from the limit. None when the check has no numeric limit."""
    side = _bound_side(check, m)
    limit, current = esc.as_float(check.limit), esc.as_float(m.current)
    if side is None or check.status == "skipped" or limit is None or current is None:
        return None
    if not (math.isfinite(limit) and math.isfinite(current)):
        return None
    slack = current - limit if side == "min" else limit - current
    base = esc.as_float(m.baseline)
    allowance = abs(base - limit) if base is not None and math.isfinite(base) else 0.0
    if allowance == 0:
        allowance = abs(limit) or 1.0
    return slack / allowance


def _margin(m: MetricRow) -> float | None:
    """The row's smallest margin over its checks (see :func:`_check_margin`)."""
    margins = [x for x in (_check_margin(c, m) for c in m.rules) if x is not None]
    return min(margins) if margins else None


def _rules_cell(m: MetricRow) -> str:
    if not m.rules:
        return "not gated"
    parts = []
    for r in m.rules:
        mark = {"passed": "✅", "failed": "❌"}.get(r.status, "⏭️")
        text = f"{mark} {esc.md(r.threshold, 80)}"
        if r.status != "passed":
            text += f": {esc.md(r.message, 120)}"
        else:
            text += _used_text(r, m)
        parts.append(text)
    return "<br>".join(parts)


def _used_text(check: RuleCheck, m: MetricRow) -> str:
    """For a passed check the value moved towards: how much of its allowance it used."""
    margin = _check_margin(check, m)
    base, limit = esc.as_float(m.baseline), esc.as_float(check.limit)
    if margin is None or not 0 <= margin < 1 or base is None or limit is None:
        return ""
    if not (base > limit if _bound_side(check, m) == "min" else base < limit):
        return ""  # the baseline was not inside the limit: there was no allowance to use
    used = round((1 - margin) * 100)
    return f" ({used}% used)" if used else ""


def _status_text(m: MetricRow, group: str) -> str:
    word = _STATUS_WORDS.get(m.status) or esc.md(m.status, 20)
    if _failed(m):
        return "**failed**" if m.status == "regressed" else f"**failed** ({word})"
    if group == "informational":
        return _INFO_WORDS.get(m.status, word)
    if m.status == "regressed" and any(r.status == "passed" for r in m.rules):
        return "within tolerance"  # moved in its bad direction, less than its rule allows
    return word


def _metric_row(m: MetricRow, raw: Any) -> dict[str, Any]:
    group = _group(m)
    inferred = m.direction_source == "inferred"
    if group == "informational":
        direction = ""  # a timing or a count: neither direction is better
    else:
        direction = ("↓" if m.direction == "lower" else "↑") + ("" if inferred else EXPLICIT_MARK)
    if _failed(m):
        mark = "❌"
    elif any(r.status == "passed" for r in m.rules):
        mark = "✅"
    elif m.rules:
        mark = "⏭️"
    else:
        mark = "—"
    return {
        "mark": mark,
        "name": esc.md(m.name, 120),
        "direction": direction,
        "baseline": esc.number(m.baseline),
        "current": esc.number(m.current),
        "delta": esc.signed(m.delta) + _spread_text(m),
        "pct": esc.percent(m.relative_delta),
        "status": _status_text(m, group),
        "rules": _rules_cell(m),
        "group": group,
        "margin": _margin(m),
        "inferred": inferred and group != "informational",
        "raw": raw,
        "row": m,
    }


def _spread_text(m: MetricRow) -> str:
    """`` ± spread`` of the difference, for metrics compared over folds (core/noise.py)."""
    spread = esc.as_float(m.noise.get("spread"))
    return f" ± {esc.number(spread)}" if spread is not None and math.isfinite(spread) else ""


def _noise_view(result: Result) -> dict[str, Any]:
    """Noise warnings (a tolerance below the noise floor) and whether anything is noise-blind."""
    warnings = [f"{esc.md(m.name, 120)}: {esc.md(m.noise['noise_warning'], 300)}"
                for m in result.metrics if m.noise.get("noise_warning")]
    folds = [m for m in result.metrics if m.noise.get("folds")]
    return {
        "noise_warnings": warnings[:20],
        "noise_blind": any(m.noise.get("evaluation") == "holdout" for m in result.metrics),
        "noise_paired": sum(1 for m in folds if m.noise.get("paired")),
        "noise_unpaired": sum(1 for m in folds if not m.noise.get("paired")),
    }


def _value(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, (dict, list)):
        return esc.md(json.dumps(v, sort_keys=True), 120)
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return esc.number(v)
    return esc.md(v, 120)


def _chart(rows: list[dict[str, Any]]) -> str:
    """Bars of improvement: the relative change signed by the metric's direction, so that up
    is better for every metric (a rising rmse is a bar going down). Only changes beyond the
    noise, and no informational metric (a timing would dwarf the rest)."""
    points = []
    for view in rows:
        m: MetricRow = view["row"]
        pct = esc.chart_percent(m.relative_delta)
        if (view["group"] != "informational" and m.status in ("improved", "regressed")
                and pct is not None):
            points.append((esc.mermaid_label(m.name), -pct if m.direction == "lower" else pct))
    points = points[:CHART_MAX]
    if not points:
        return ""
    labels = ", ".join(f'"{label}"' for label, _ in points)
    values = ", ".join(esc.number(v) for _, v in points)
    low = min(0.0, *(v for _, v in points))
    high = max(0.0, *(v for _, v in points))
    if low == high:
        high = low + 1
    return "\n".join([
        "xychart-beta",
        '    title "Improvement vs baseline (%)"',
        f"    x-axis [{labels}]",
        f'    y-axis "improvement %, up is better" {esc.number(math.floor(low))} --> '
        f"{esc.number(math.ceil(high))}",
        f"    bar [{values}]",
    ])


def _gated_key(view: dict[str, Any]) -> tuple[int, float, int, str]:
    """Closest to failing first: failed rows, then the smallest margin (rows with no
    numeric limit last)."""
    m: MetricRow = view["row"]
    margin = view["margin"]
    return (0 if view["mark"] == "❌" else 1, math.inf if margin is None else margin,
            _GROUP_RANK.get(m.status, 9), m.name)


def _other_key(view: dict[str, Any]) -> tuple[int, int, str]:
    m: MetricRow = view["row"]
    return (0 if view["mark"] == "❌" else 1, _GROUP_RANK.get(m.status, 9), m.name)


def _metric_views(result: Result) -> dict[str, list[dict[str, Any]]]:
    """The metric rows in report order, by section: ``gated`` (a rule applies), ``ungated``,
    ``informational`` and ``unchanged`` (ungated rows that did not change at all)."""
    raws = result.raw.get("metrics") or [m.to_json() for m in result.metrics]
    views = [_metric_row(m, raw) for m, raw in zip(result.metrics, raws, strict=True)]
    out: dict[str, list[dict[str, Any]]] = {
        "gated": [], "ungated": [], "informational": [], "unchanged": []}
    for view in views:
        group = view["group"]
        if group == "ungated" and view["row"].status == "unchanged" and view["mark"] != "❌":
            group = "unchanged"
        out[group].append(view)
    out["gated"].sort(key=_gated_key)
    for name in ("ungated", "informational", "unchanged"):
        out[name].sort(key=_other_key)
    return out


def _counts(views: list[dict[str, Any]]) -> dict[str, int]:
    """How many rows ended how: ``failed``, and of the others ``improved``, ``regressed``,
    ``within_tolerance`` (regressed, but passed its rule), ``new``, ``removed`` (changes
    beyond the noise), ``within_noise`` and ``unchanged``; ``changed``: the changes beyond the
    noise in all."""
    counts = dict.fromkeys(("failed", "improved", "regressed", "within_tolerance", "new",
                            "removed", "within_noise", "unchanged"), 0)
    for view in views:
        m: MetricRow = view["row"]
        if view["mark"] == "❌":
            key = "failed"
        elif view["status"] == "within tolerance":
            key = "within_tolerance"
        else:
            key = m.status if m.status in counts else "unchanged"
        counts[key] += 1
    counts["changed"] = sum(counts[k] for k in ("failed", "improved", "regressed",
                                                 "within_tolerance", "new", "removed"))
    return counts


_COUNT_WORDS = (("failed", "failed"), ("regressed", "regressed"),
                ("within_tolerance", "worse within tolerance"), ("improved", "improved"),
                ("new", "new"), ("removed", "removed"))


def _counts_text(counts: dict[str, int], informational: bool = False) -> str:
    """``2 improved, 1 within noise``: the non-zero counts, changes first."""
    words = (*_COUNT_WORDS, ("within_noise", "within noise"), ("unchanged", "unchanged"))
    parts = []
    for key, word in words:
        if counts[key]:
            if informational and key in ("improved", "regressed"):
                continue
            parts.append(f"{counts[key]} {word}")
    if informational and counts["improved"] + counts["regressed"]:
        parts.insert(0, f"{counts['improved'] + counts['regressed']} changed")
    return ", ".join(parts)


def _headline_counts(gated: dict[str, int], ungated: dict[str, int]) -> str:
    """The verdict's second line: the changes beyond the noise of the gated and the ungated
    metrics (informational ones apart), or that there were none."""
    groups = []
    for name, counts in (("gated", gated), ("ungated", ungated)):
        parts = [f"{counts[key]} {word}" for key, word in _COUNT_WORDS if counts[key]]
        if parts:
            groups.append(f"{name} {', '.join(parts)}")
    if not groups:
        return "**No change beyond the noise**"
    return "**Beyond the noise:** " + "; ".join(groups)


def _legend(rows: list[dict[str, Any]], noise: dict[str, Any]) -> str:
    """The markers the metric tables use, and only those."""
    judged = [r for r in rows if r["group"] != "informational"]
    arrows = [text for arrow, text in (("↑", "↑ higher is better"), ("↓", "↓ lower is better"))
              if any(r["direction"].startswith(arrow) for r in judged)]
    parts = []
    if arrows:
        explicit = sum(1 for r in judged if r["direction"].endswith(EXPLICIT_MARK))
        if explicit == 0:
            source = "inferred from the metric's name"
        elif explicit < len(judged):
            source = (f"inferred from the metric's name unless marked {EXPLICIT_MARK} "
                      "(set in mlgate.yaml)")
        else:
            source = "as set in mlgate.yaml"
        parts.append(f"{', '.join(arrows)}: {source}")
    if any(r["row"].noise.get("spread") is not None for r in rows) and (
            noise["noise_paired"] or noise["noise_unpaired"]):
        kind = "paired " if noise["noise_paired"] else ""
        parts.append(f"Δ ± spread: the mean {kind}difference over folds ± its standard error")
    statuses = {r["status"] for r in rows}
    if "within noise" in statuses:
        parts.append("within noise: a change the noise of the measurement explains")
    if any("% used)" in r["rules"] for r in rows):
        parts.append("N% used: how much of its allowance (baseline to limit) the change used")
    if "within tolerance" in statuses:
        parts.append("within tolerance: moved the bad way, less than its rule allows")
    if any("⏭️" in r["rules"] for r in rows):
        parts.append("⏭️ rule skipped")
    return "; ".join(parts)


def _params_view(result: Result) -> list[dict[str, Any]]:
    return [{"name": esc.md(p.name, 120), "file": _value(p.file),
             "baseline": _value(p.baseline), "current": _value(p.current),
             "status": esc.md(p.status, 20)} for p in result.params]


def _data_view(result: Result) -> list[dict[str, Any]]:
    return [{"path": esc.md(d.path, 200), "status": esc.md(d.status, 20),
             "baseline_size": format_bytes(d.baseline_size),
             "current_size": format_bytes(d.current_size),
             "md5": f"{esc.md(d.baseline_md5 or '—', 12)} → "
                    f"{esc.md(d.current_md5 or '—', 12)}"} for d in result.data]


def _commits_view(result: Result, links: Links) -> dict[str, Any]:
    head, base = result.head, result.baseline
    merge_base = base.merge_base
    return {
        "head": {
            "link": links.commit(head.sha) or "the working tree",
            "ref": esc.md(head.ref, 100) if head.ref else "",
            "subject": esc.md(head.subject, 120) if head.subject else "",
        },
        "baseline": {
            "found": base.found,
            "link": links.commit(base.sha) or "(unknown commit)",
            "base_ref": esc.md(base.base_ref, 100) if base.base_ref else "",
            "source": _SOURCES.get(str(base.source), esc.md(base.source or "", 40)),
            "merge_base_link": links.commit(merge_base)
            if merge_base and esc.safe_sha(merge_base) != esc.safe_sha(base.sha) else "",
            "note": esc.md(base.note, 1000) if base.note else "",
        },
    }


def _rule_lists(result: Result, limits: Limits) -> dict[str, Any]:
    failed = [esc.md(x, 300) for x in result.failed_rules if x not in result.errors]
    failed_shown, failed_omitted = _cut(failed, limits.failed)
    skipped = [esc.md(x, 300) for x in result.skipped_rules]
    skipped_shown, skipped_omitted = _cut(skipped, limits.details)
    return {
        "failed_rules": failed_shown,
        "failed_rules_omitted": failed_omitted,
        "errors": [esc.md(x, 500) for x in result.errors[:20]],
        "skipped_rules": skipped_shown,
        "skipped_rules_omitted": skipped_omitted,
        "skipped_count": len(skipped),
    }


def _integrity_view(result: Result, links: Links) -> dict[str, Any]:
    """Warnings (e.g. a stale committed baseline) and the PR's changes to the thresholds."""
    info = result.thresholds
    changed = [{"pattern": esc.md(str(c.get("pattern", "")), 120),
                "baseline": _value(c.get("baseline")), "head": _value(c.get("head"))}
               for c in (info.changed if info else ())]
    return {
        "warnings": [esc.md(w, 1000) for w in result.warnings[:20]],
        "thresholds_changed": changed,
        "thresholds_commit": links.commit(info.commit) if info and info.commit else "",
        "default_rules": bool(info and info.default_rules),
        "default_tolerance": DEFAULT_TOLERANCE.text(),
    }


_MENTION = re.compile(r"@(?=[A-Za-z0-9])")


def log_block(lines: tuple[str, ...] | list[str]) -> str:
    """Log lines as a fenced code block that shows them literally: each line cleaned of
    control and bidi characters and bounded, mentions broken, and a fence longer than any run
    of backticks inside, so no line can close it."""
    cleaned = [_MENTION.sub("@\u200b", esc.clean(line, 500)) for line in lines]
    longest = max((len(run) for line in cleaned for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return "\n".join([fence, *cleaned, fence])


_CODE_SPAN = re.compile(r"`([^`]+)`")


def _md_with_code(text: str, limit: int) -> str:
    """``text`` escaped like :func:`mlgate.markdown.md`, except that its `code spans` stay
    code spans (a message such as "the training command `dvc repro` failed")."""
    cleaned = esc.clean(text, limit)
    parts = []
    last = 0
    for match in _CODE_SPAN.finditer(cleaned):
        if match.start() > last:
            parts.append(esc.md(cleaned[last:match.start()], limit))
        parts.append(esc.code(match.group(1), limit))
        last = match.end()
    if last < len(cleaned):
        parts.append(esc.md(cleaned[last:], limit))
    return "".join(parts)


def _failure_view(result: Result) -> dict[str, Any] | None:
    """The step that failed before compare (see mlgate.failure), when this result is one."""
    from mlgate.failure import FailedStep

    failed = FailedStep.from_json(result.raw.get("failed_step"))
    if failed is None:
        return None
    return {
        "step": esc.md(failed.step, 40),
        "exit_code": failed.exit_code,
        "command": esc.code(failed.command, 200) if failed.command else "",
        "message": _md_with_code(failed.message, 500),
        "log": log_block(failed.log_tail) if failed.log_tail else "",
        "log_lines": len(failed.log_tail),
    }


def model_view(result: Result, links: Links, limits: Limits) -> dict[str, Any]:
    sections = _metric_views(result)
    table, table_omitted = _cut(sections["gated"], limits.table)
    ungated, ungated_omitted = _cut(sections["ungated"], limits.details)
    info, info_omitted = _cut(sections["informational"], limits.details)
    unchanged_shown, unchanged_omitted = _cut(sections["unchanged"], limits.details)
    params, data = _params_view(result), _data_view(result)
    params_shown, params_omitted = _cut(params, limits.details)
    data_shown, data_omitted = _cut(data, limits.details)
    noise = _noise_view(result)
    judged = _counts(sections["gated"] + sections["ungated"] + sections["unchanged"])
    gated_counts = _counts(sections["gated"])
    ungated_counts = _counts(sections["ungated"] + sections["unchanged"])
    shown = table + ungated + info + unchanged_shown
    return {
        "name": esc.md(result.name, 100),
        "passed": verdict(result).passed,
        "summary": result.summary.to_json(),
        "counts": judged,
        "gated_counts": gated_counts,
        "ungated_counts": ungated_counts,
        "informational_counts": _counts(sections["informational"]),
        "headline_counts": _headline_counts(gated_counts, ungated_counts),
        "metric_groups": ", ".join(
            f"{n} {word}" for n, word in ((len(sections["gated"]), "gated"),
                                          (len(sections["ungated"] + sections["unchanged"]),
                                           "ungated"),
                                          (len(sections["informational"]), "informational"))
            if n) or "none",
        "gated_count": len(sections["gated"]),
        "ungated_count": len(sections["ungated"]) + len(sections["unchanged"]),
        "informational_count": len(sections["informational"]),
        "ungated_summary": _counts_text(ungated_counts),
        "informational_summary": _counts_text(_counts(sections["informational"]),
                                              informational=True),
        **_commits_view(result, links),
        **_integrity_view(result, links),
        "table": table,
        "table_omitted": table_omitted,
        "ungated": ungated,
        "ungated_omitted": ungated_omitted,
        "informational": info,
        "informational_omitted": info_omitted,
        "legend": _legend(shown, noise),
        "any_inferred": any(r["inferred"] for r in shown),
        "unchanged": unchanged_shown,
        "unchanged_omitted": unchanged_omitted,
        "unchanged_count": len(sections["unchanged"]),
        "params": params_shown,
        "params_omitted": params_omitted,
        "params_count": len(params),
        "data": data_shown,
        "data_omitted": data_omitted,
        "data_count": len(data),
        **_rule_lists(result, limits),
        **noise,
        "chart": _chart(sections["gated"] + sections["ungated"]) if limits.chart else "",
        "failure": _failure_view(result),
        "raw": result.raw,
    }


def report_view(results: list[Result], name: str, links: Links, limits: Limits,
                note: str = DEFAULT_NOTE, cut: bool = False) -> dict[str, Any]:
    models = [model_view(r, links, limits) for r in results]
    return {
        "name": esc.md(name, 100),
        "passed": bool(models) and all(m["passed"] for m in models),
        "multi": len(models) > 1,
        "failed_models": sum(1 for m in models if not m["passed"]),
        "models": models,
        "full_report_note": note,
        "cut": cut,
        "version": esc.md(__version__, 40),
    }


# ----- templates ---------------------------------------------------------------------------
@functools.lru_cache(maxsize=8)
def _compiled(user_template: str | None, user_dir: str | None = None) -> Any:
    """The compiled template (compiling takes ~50 ms; the sandbox keeps no state per render)."""
    env = environment(user_template, user_dir)
    return env.get_template(USER_TEMPLATE if user_template is not None else DEFAULT_TEMPLATE)


def _user_template(template_path: Path, root: Path | None) -> tuple[str, str]:
    """(text, folder) of a user's template; with ``root`` (the repository) it must lie in it,
    outside hidden folders. Its partials come from its own folder only (see mlgate.templating)."""
    if not template_path.exists() and not template_path.is_symlink():
        raise UsageError("cannot read the report template (No such file or directory)",
                         where=str(template_path), fix="pass an existing file to --template")
    folder = template_path.absolute().parent
    if root is not None:
        try:
            rel = folder.resolve().relative_to(root.resolve())
        except ValueError:
            rel = None
        if rel is None or any(part.startswith(".") for part in rel.parts):
            raise UsageError("the report template must be in the repository, outside hidden "
                             "folders", where=str(template_path),
                             fix="keep the template in the repository, e.g. ci/report.md.j2")
    return read_template(template_path, folder), str(folder.resolve())


def verdict_headline(view: dict[str, Any]) -> str:
    """The headline the verdict decides (the shipped template's headline block, word for
    word): a user template cannot replace it, see :meth:`Renderer.render`."""
    mark = "✅" if view["passed"] else "❌"
    if view["multi"]:
        return (f"## {mark} {view['name']}: {view['failed_models']} of {len(view['models'])} "
                "models failed")
    word = "passed" if view["passed"] else "failed"
    return f"## {mark} {view['models'][0]['name']}: gate {word}"


class Renderer:
    """Renders the report with the shipped template or a user's template extending it.

    ``root`` is the repository: a user template must be inside it (default: only its own
    folder is checked, for callers that already chose the file)."""

    def __init__(self, template_path: Path | None = None, root: Path | None = None) -> None:
        self.template_path = template_path
        text = folder = None
        if template_path is not None:
            text, folder = _user_template(template_path, root)
        self._cache: dict[tuple[Any, ...], str] = {}
        self._raws: dict[int, tuple[Any, Any]] = {}
        try:
            self._template = _compiled(text, folder)
        except Exception as err:
            raise self._error(err) from err

    def _error(self, err: Exception) -> UsageError:
        where = str(self.template_path or DEFAULT_TEMPLATE)
        line = getattr(err, "lineno", None)
        if line:
            where += f":{line}"
        return UsageError(f"report template error: {type(err).__name__}: {err}", where=where,
                          fix="fix the template (it must `{% extends \"report.md.j2\" %}` and "
                              "override blocks; see docs/report.md)")

    def _raw_copy(self, raw: Any) -> Any:
        """The template's own copy of a result document (the sandbox already refuses to
        change lists and dicts; this keeps even a way around it off the real result)."""
        if raw is None:
            return None
        key = id(raw)
        if key not in self._raws:
            self._raws[key] = (raw, json.loads(json.dumps(raw)))
        return self._raws[key][1]

    def render(self, view: dict[str, Any]) -> str:
        """The template's text under the render limits; a copy of ``view`` is all it sees,
        and its first line is the verdict's headline whatever the template wrote."""
        sandboxed = dict(view, models=[dict(m, raw=self._raw_copy(m.get("raw")))
                                       for m in view["models"]])
        try:
            with render_limits():
                chunks: list[str] = []
                size = 0
                for chunk in self._template.generate(report=sandboxed):
                    chunks.append(chunk)
                    size += len(chunk)
                    check_budget(size)
        except Exception as err:
            raise self._error(err) from err
        text = _tidy("".join(chunks))
        headline = verdict_headline(view)
        if text.split("\n", 1)[0] != headline:
            text = f"{headline}\n\n{text}"
        return text

    def fit(self, results: list[Result], name: str, links: Links, budget: int,
            note: str = DEFAULT_NOTE, prefix: str = "") -> str:
        """The fullest rendering whose length (with ``prefix``) fits ``budget``."""
        for i, limits in enumerate(LEVELS):
            key = (id(results), name, links, note, i)
            if key not in self._cache:
                self._cache[key] = self.render(report_view(results, name, links, limits, note,
                                                           cut=i > 0))
            text = prefix + self._cache[key]
            if utf16_len(text) <= budget:
                return text
        return hard_cut(text, budget, note)


def _tidy(text: str) -> str:
    """Collapse runs of blank lines the template may leave, end with one newline."""
    lines = text.replace("\r\n", "\n").split("\n")
    out: list[str] = []
    for line in lines:
        line = line.rstrip()
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    return "\n".join(out).strip("\n") + "\n"


def hard_cut(text: str, budget: int, note: str) -> str:
    """Last resort: cut at a line boundary and close what was left open."""
    tail = f"\n\n*The report was cut to fit GitHub's size limit. {note}*\n"
    room = budget - utf16_len(tail) - 40
    lines = text.split("\n")
    kept: list[str] = []
    used = 0
    for line in lines:
        cost = utf16_len(line) + 1
        if used + cost > room:
            break
        kept.append(line)
        used += cost
    closing = ""
    if sum(1 for line in kept if line.startswith("```")) % 2:
        closing += "\n```"
    opened = sum(line.count("<details>") - line.count("</details>") for line in kept)
    closing += "\n\n</details>" * max(opened, 0)
    return "\n".join(kept) + closing + tail
