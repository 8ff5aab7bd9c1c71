"""The ``drift:`` section of mlgate.yaml (light: read when the config loads, for every command).

See :mod:`mlgate.core.drift` for the statistics these thresholds apply to.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from mlgate.errors import UsageError

DRIFT_KEYS = ("psi", "p-value", "features")
DEFAULT_PSI = 0.2
DEFAULT_P_VALUE = 0.01
EXCLUDE = "!"  # a drift.features pattern starting with it leaves the columns it matches out


@dataclass(frozen=True, slots=True)
class DriftThresholds:
    psi: float = DEFAULT_PSI
    p_value: float = DEFAULT_P_VALUE
    features: tuple[str, ...] = ("*",)


def parse_drift_config(raw: Any, where: str = "mlgate.yaml") -> DriftThresholds:
    """Validate the ``drift:`` mapping of ``mlgate.yaml`` (``where`` is the file's name)."""
    if raw is None:
        return DriftThresholds()
    if not isinstance(raw, dict):
        raise UsageError("must be a mapping", where=f"{where}: drift",
                         fix="write e.g. `drift: {psi: 0.2, p-value: 0.01}`")
    unknown = sorted(str(k) for k in raw if k not in DRIFT_KEYS)
    if unknown:
        raise UsageError(f"unknown key(s): {', '.join(unknown)}",
                         where=f"{where}: drift.{unknown[0]}",
                         fix=f"use only: {', '.join(DRIFT_KEYS)}")
    psi = _number(raw.get("psi", DEFAULT_PSI), f"{where}: drift.psi", low=0.0, high=None)
    p_value = _number(raw.get("p-value", DEFAULT_P_VALUE), f"{where}: drift.p-value",
                      low=0.0, high=1.0)
    return DriftThresholds(psi, p_value, _globs(raw.get("features", ["*"]), where))


def _number(value: Any, where: str, *, low: float, high: float | None) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    number = float(value) if ok else math.nan
    if not ok or not math.isfinite(number) or number <= low or (high is not None
                                                                and number >= high):
        limits = f"between {low:g} and {high:g}" if high is not None else f"above {low:g}"
        raise UsageError(f"must be a number {limits}, got {value!r}", where=where)
    return number


def _globs(value: Any, where: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(
            isinstance(v, str) and v.removeprefix(EXCLUDE) for v in items):
        raise UsageError(f"must be a list of column names or globs (`!glob` leaves columns "
                         f"out), got {value!r}",
                         where=f"{where}: drift.features",
                         fix='write e.g. `features: ["*", "!id_*"]`')
    return tuple(items)


def split_features(features: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``drift.features`` as (positive globs, exclusion globs without their ``!``).

    Only exclusions: every column but those (the positive globs are ``("*",)``)."""
    include = tuple(p for p in features if not p.startswith(EXCLUDE))
    exclude = tuple(p[len(EXCLUDE):] for p in features if p.startswith(EXCLUDE))
    return include or ("*",), exclude
