"""How numbers and byte sizes are written for people: rule messages, logs, the report, the model
card and the deploy summary. One function each; the spellings that differ on purpose between
those places (``none`` or ``—`` for a missing value, ``Infinity`` or ``∞``, significant digits or
fixed decimals) are parameters, so every caller keeps its printed text.
"""

from __future__ import annotations

import math

# result.json cannot hold NaN/Infinity, so they are written as these strings.
_ENCODED = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
STYLES = ("significant", "fixed", "compact")


def as_number(value: object) -> float | None:
    """A float from a number or an encoded ``"NaN"``/``"Infinity"``/``"-Infinity"``; None for
    anything else (booleans included)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        return _ENCODED.get(value)
    return None


def format_number(
    value: object,
    *,
    style: str = "significant",
    digits: int = 6,
    missing: str = "—",
    infinity: str = "∞",
) -> str:
    """``value`` (a number or result.json's encoded NaN/Infinity) for display.

    ``style``: ``significant`` writes ``digits`` significant digits (``0.905``, ``1e-07``);
    ``fixed`` writes ``digits`` decimals (``0.9050``); ``compact`` writes whole numbers whole,
    very large or small ones as ``1.000e-07`` and the rest with at most ``digits`` decimals.
    ``missing`` stands for None (or a value that is not a number), ``infinity`` for +∞ (-∞ gets a
    minus sign); NaN is always ``NaN``.
    """
    number = value if type(value) is float else as_number(value)
    if number is None:
        return missing
    if not math.isfinite(number):
        return "NaN" if math.isnan(number) else (infinity if number > 0 else "-" + infinity)
    if style == "significant":
        return f"{number:.{digits}g}"
    if style == "fixed":
        return f"{number:.{digits}f}"
    if style == "compact":
        return _compact(number, digits)
    raise ValueError(f"unknown number style {style!r}; use one of: {', '.join(STYLES)}")


def _compact(number: float, digits: int) -> str:
    if number == int(number) and abs(number) < 1e15:
        return str(int(number))
    if abs(number) >= 1e6 or abs(number) < 1e-4:
        return f"{number:.3e}"
    return f"{number:.{digits}f}".rstrip("0").rstrip(".")


def format_bytes(size: object, *, missing: str = "—") -> str:
    """A byte count in binary units (``512 B``, ``1.2 MiB``, at most GiB); ``missing`` when
    ``size`` is not a whole number (None, a boolean, text)."""
    if not isinstance(size, int) or isinstance(size, bool):
        return missing
    value = float(size)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"
