"""Make text from the repository safe to put in Markdown: the report, the model card and the
deploy summary.

Everything a PR author controls (metric names, params, paths, branch names, commit subjects,
model names) goes through :func:`md` (or :func:`code` for a code span) before it reaches the
page: it cannot break a table row, inject HTML, open a hidden HTML comment (which could fake or
close the report marker), @-mention anyone or smuggle a link.
"""

from __future__ import annotations

import math
import re

from mlgate.formatting import as_number, format_number

# Control characters (newlines included) would end a table row; bidi overrides can disguise
# text ("Trojan Source").
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
# A lone surrogate (JSON's "\ud800") is not a character: it cannot even be written as UTF-8.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# Markdown punctuation that could start emphasis, code, links, or escape our own escapes.
_MD_PUNCT = re.compile(r"([\\`*_\[\]~|#!])")
_MD_PUNCT_BUT_UNDERSCORE = re.compile(r"([\\`*\[\]~|#!])")
# "_" unless it has a letter or digit on both sides (Markdown never reads that one as emphasis).
_UNDERSCORE_AT_WORD_EDGE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
_MENTION = re.compile(r"@(?=[A-Za-z0-9])")
_ZERO_WIDTH_SPACE = "&#8203;"
_WWW = re.compile(r"(?i)www\.")
_REFERENCE = re.compile(r"(?i)(\\#|GH-)(?=\d)")
_SHA = re.compile(r"[0-9a-f]{7,64}")
MARKER_NAME = re.compile(r"[^A-Za-z0-9._-]")


def clean(text: object, limit: int = 300) -> str:
    """One line of plain text: control and bidi characters gone, bounded length."""
    s = _SURROGATE.sub("\ufffd", _BIDI.sub("", _CONTROL.sub(" ", str(text))))
    return s if len(s) <= limit else s[: limit - 1] + "…"


def md(text: object, limit: int = 300, *, keep_word_underscores: bool = False) -> str:
    """Inline Markdown that shows ``text`` literally (safe in table cells and headings).

    ``keep_word_underscores`` leaves an ``_`` between two letters or digits as it is (it cannot
    start emphasis), so identifiers such as ``max_iter`` read the same in the raw text; the model
    card has always written them so. The report escapes every ``_``.
    """
    s = clean(text, limit)
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if keep_word_underscores:
        s = _MD_PUNCT_BUT_UNDERSCORE.sub(r"\\\1", s)
        s = _UNDERSCORE_AT_WORD_EDGE.sub(r"\\_", s)
    else:
        s = _MD_PUNCT.sub(r"\\\1", s)
    # GitHub ignores a backslash before '@'; a zero-width space breaks the mention instead.
    s = _MENTION.sub("@" + _ZERO_WIDTH_SPACE, s)
    # No autolinks ("://", "www.") and no issue references ("#12", "GH-12"), which would add
    # "mentioned this" events to other issues.
    s = s.replace("://", ":&#8203;//")
    s = _WWW.sub(lambda m: m.group(0)[:-1] + "&#8203;.", s)
    return _REFERENCE.sub(lambda m: m.group(0) + _ZERO_WIDTH_SPACE, s)


def code(text: object, limit: int = 300) -> str:
    """``text`` as an inline code span (backticks included), shown literally.

    Inside a code span Markdown reads nothing, so only what could end the span or the table row
    is changed: the fence is longer than any run of backticks inside, ``|`` is escaped (tables
    split on it even inside code), and ``<``, ``>`` and ``@`` are neutralised too so the raw text
    carries no HTML and no mention wherever it is pasted.
    """
    s = clean(text, limit).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
    s = _MENTION.sub("@\u200b", s)
    longest = max((len(run) for run in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


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
    return format_number(value, style="compact", digits=4)


def signed(value: object) -> str:
    v = as_float(value)
    if v is None:
        return "—"
    if v == 0:
        return "0"
    text = number(v)
    return text if text.startswith("-") or math.isnan(v) else "+" + text


def percent(value: object) -> str:
    v = as_float(value)
    if v is None:
        return "—"
    if not math.isfinite(v):
        return signed(v)
    pct = v * 100
    if not math.isfinite(pct):  # a relative change too large for a float, e.g. 1e-300 -> 1e7
        return signed(pct)
    if abs(pct) < 0.005:
        return "0%"
    return f"{pct:+.2f}%"


def chart_percent(relative: object) -> float | None:
    """A relative change as the percentage a chart bar shows (2 decimals), bounded to
    ±``CHART_PERCENT_MAX``; None when it is not a finite number."""
    v = as_float(relative)
    if v is None or not math.isfinite(v):
        return None
    pct = max(-CHART_PERCENT_MAX, min(CHART_PERCENT_MAX, v * 100))
    return round(pct, 2)


CHART_PERCENT_MAX = 1e6
as_float = as_number
