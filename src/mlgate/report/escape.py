"""Make text from the repository safe to put in the Markdown report.

Everything a PR author controls (metric names, params, paths, branch names, commit subjects,
model names) goes through :func:`md` before it reaches the template: it cannot break a table
row, inject HTML, open a hidden HTML comment (which could fake or close the report marker),
@-mention anyone or smuggle a link.
"""

from __future__ import annotations

import math
import re

# Control characters (newlines included) would end a table row; bidi overrides can disguise
# text ("Trojan Source").
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
# Markdown punctuation that could start emphasis, code, links, or escape our own escapes.
_MD_PUNCT = re.compile(r"([\\`*_\[\]~|#!])")
_MENTION = re.compile(r"@(?=[A-Za-z0-9])")
_ZERO_WIDTH_SPACE = "&#8203;"
_WWW = re.compile(r"(?i)www\.")
_REFERENCE = re.compile(r"(?i)(\\#|GH-)(?=\d)")
_SHA = re.compile(r"[0-9a-f]{7,64}")
MARKER_NAME = re.compile(r"[^A-Za-z0-9._-]")


def clean(text: object, limit: int = 300) -> str:
    """One line of plain text: control and bidi characters gone, bounded length."""
    s = _BIDI.sub("", _CONTROL.sub(" ", str(text)))
    return s if len(s) <= limit else s[: limit - 1] + "…"


def md(text: object, limit: int = 300) -> str:
    """Inline Markdown that shows ``text`` literally (safe in table cells and headings)."""
    s = clean(text, limit)
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _MD_PUNCT.sub(r"\\\1", s)
    # GitHub ignores a backslash before '@'; a zero-width space breaks the mention instead.
    s = _MENTION.sub("@" + _ZERO_WIDTH_SPACE, s)
    # No autolinks ("://", "www.") and no issue references ("#12", "GH-12"), which would add
    # "mentioned this" events to other issues.
    s = s.replace("://", ":&#8203;//")
    s = _WWW.sub(lambda m: m.group(0)[:-1] + "&#8203;.", s)
    return _REFERENCE.sub(lambda m: m.group(0) + _ZERO_WIDTH_SPACE, s)


def mermaid_label(text: object, limit: int = 40) -> str:
    """A label inside a quoted mermaid string: no quotes, fences or markup."""
    s = re.sub(r"[^A-Za-z0-9 ._:/+()-]", "_", clean(text, limit))
    return s.strip() or "_"


def marker_name(name: str) -> str:
    """The report name as used in the hidden marker: it can never close the HTML comment."""
    return re.sub(r"-{2,}", "-", MARKER_NAME.sub("_", name))[:100] or "mlgate"


def marker(name: str) -> str:
    return f"<!-- mlgate-report: {marker_name(name)} -->"


def short_sha(sha: object) -> str | None:
    """The first 7 characters of a well-formed SHA, else None (never echo junk into links)."""
    if isinstance(sha, str) and _SHA.fullmatch(sha.lower()):
        return sha.lower()[:7]
    return None


def safe_sha(sha: object) -> str | None:
    return sha.lower() if isinstance(sha, str) and _SHA.fullmatch(sha.lower()) else None


def number(value: object) -> str:
    """A metric value for display: numbers rounded sensibly, NaN/∞ spelled out, None as —."""
    v = _as_float(value)
    if v is None:
        return "—"
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    if abs(v) >= 1e6 or abs(v) < 1e-4:
        return f"{v:.3e}"
    return f"{v:.4f}".rstrip("0").rstrip(".")


def signed(value: object) -> str:
    v = _as_float(value)
    if v is None:
        return "—"
    if v == 0:
        return "0"
    text = number(v)
    return text if text.startswith("-") or math.isnan(v) else "+" + text


def percent(value: object) -> str:
    v = _as_float(value)
    if v is None:
        return "—"
    if not math.isfinite(v):
        return signed(v)
    pct = v * 100
    if abs(pct) < 0.005:
        return "0%"
    return f"{pct:+.2f}%"


def _as_float(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        table = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
        return table.get(value)
    return None


def as_float(value: object) -> float | None:
    return _as_float(value)
