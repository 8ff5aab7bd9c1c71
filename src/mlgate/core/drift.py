"""Data drift between a reference table and a current one: per-feature tests and the verdict.

Pure: data frames in, typed results out; no files, no network. Only ``mlgate drift`` imports
this module, so numpy and scipy are imported at the top.

Per feature:
- numeric columns: the two-sample Kolmogorov-Smirnov test (``scipy.stats.ks_2samp``) and the
  population stability index (PSI) over the reference's deciles;
- every other column (strings, booleans, categories): Pearson's chi-square test of the 2 x K
  table of counts (``scipy.stats.chi2_contingency``) and the PSI over the categories. A
  category the reference never had is a column of its own (counted, never dropped).
Missing values are left out of the tests and form a bin of their own in the PSI, so a column
that goes missing drifts too. p-values are adjusted with Holm's step-down method (controls the
family-wise error rate like Bonferroni, and rejects at least as much). A feature drifts when
its PSI exceeds ``drift.psi`` or its adjusted p-value falls below ``drift.p-value``.

Memory: numeric columns are processed in blocks of at most ``BLOCK_ELEMENTS`` values (sorted
once, vectorised over the columns of the block), so the working set beyond the data itself is
bounded by the block size, not by the number of features.
"""

from __future__ import annotations

import fnmatch
import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats as sstats

from mlgate.core.drift_config import EXCLUDE, DriftThresholds, split_features
from mlgate.errors import UsageError

CORRECTION = "holm"
PSI_BINS = 10
PSI_FLOOR = 1e-4  # share given to an empty bin, so that ln(p/q) stays finite
CHART_CATEGORIES = 8  # categories shown per chart; the rest are summed as "other"
BLOCK_ELEMENTS = 1 << 22  # numeric values (per side) sorted at once: 32 MiB of float64
MISSING = "(missing)"
OTHER = "(other)"
NUMERIC = "numeric"
CATEGORICAL = "categorical"


def select_features(reference: Sequence[str], current: Sequence[str],
                    thresholds: DriftThresholds, exclude: Iterable[str],
                    where: str = "mlgate.yaml", current_where: str = "--current",
                    warn: Callable[[str], None] | None = None) -> list[str]:
    """Reference columns matching the globs, in reference order, without ``exclude``.

    A column is chosen when some positive glob matches it and no ``!`` glob does (the order of
    the globs does not matter). A positive glob that matches no column is bad input; a ``!``
    glob that matches none is only a warning (``warn``): leaving out what is not there is
    harmless, and one list can then serve data sets that differ slightly."""
    excluded = set(exclude)
    names = [str(c) for c in reference if str(c) not in excluded]
    include, leave_out = split_features(thresholds.features)
    fix = f"columns: {', '.join(names[:30]) or '(none)'}"
    for pattern in include:
        if not any(fnmatch.fnmatchcase(n, pattern) for n in names):
            raise UsageError(f"{pattern!r} matches no column of the reference data",
                             where=f"{where}: drift.features", fix=fix)
    for pattern in leave_out:
        if warn is not None and not any(fnmatch.fnmatchcase(n, pattern) for n in names):
            warn(f"{where}: drift.features: {EXCLUDE + pattern!r} matches no column of the "
                 f"reference data (nothing to leave out)")
    chosen = [n for n in names
              if any(fnmatch.fnmatchcase(n, p) for p in include)
              and not any(fnmatch.fnmatchcase(n, p) for p in leave_out)]
    if not chosen:
        raise UsageError("the `!` patterns leave no column to check",
                         where=f"{where}: drift.features", fix=fix)
    missing = [n for n in chosen if n not in set(map(str, current))]
    if missing:
        raise UsageError(f"the current data lacks column(s) of the reference: "
                         f"{', '.join(missing[:20])} (it has: "
                         f"{', '.join(map(str, list(current)[:20])) or 'no columns'})",
                         where=current_where,
                         fix="pass the current data as a table (CSV or Parquet) with the same "
                             "columns as the reference, or leave these out with "
                             "`drift: {features: [...]}`")
    return chosen


# ----- per-feature statistics ---------------------------------------------------------------
@dataclass(frozen=True)
class Distribution:
    """Shares (of all rows, missing included) per bin, for the charts."""

    labels: tuple[str, ...]
    reference: tuple[float, ...]
    current: tuple[float, ...]


@dataclass(frozen=True)
class FeatureStats:
    name: str
    kind: str  # numeric | categorical
    test: str  # ks | chi2
    statistic: float | None  # None when a side has no values to test
    p_value: float | None
    psi: float
    reference_rows: int
    current_rows: int
    reference_missing: int
    current_missing: int
    distribution: Distribution
    unseen: int = 0  # current rows in categories the reference never had


def psi(reference: np.ndarray, current: np.ndarray) -> float:
    """Population stability index of two count (or share) vectors over the same bins.

    An empty bin gets the share ``PSI_FLOOR``, or a tenth of an even share when there are more
    than a thousand bins: with 10,000 categories, 1/10,000 each, a fixed floor of 1e-4 equals
    every real share, and a column whose values are all new would score 0."""
    floor = min(PSI_FLOOR, 0.1 / max(len(reference), 1))
    p = np.maximum(reference / max(float(reference.sum()), 1.0), floor)
    q = np.maximum(current / max(float(current.sum()), 1.0), floor)
    return float(np.sum((q - p) * np.log(q / p)))


def _shares(counts: np.ndarray) -> tuple[float, ...]:
    total = float(counts.sum())
    return tuple(round(float(c) / total, 6) if total else 0.0 for c in counts)


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def numeric_stats(reference: Any, current: Any, names: Sequence[str]) -> list[FeatureStats]:
    """KS and PSI for numeric columns of two data frames, a block of columns at a time."""
    rows = max(len(reference), len(current), 1)
    width = max(1, BLOCK_ELEMENTS // rows)
    out: list[FeatureStats] = []
    for start in range(0, len(names), width):
        block = list(names[start:start + width])
        ref = _sorted_block(reference, block)
        cur = _sorted_block(current, block)
        out += _numeric_block(block, ref, cur)
    return out


def _sorted_block(frame: Any, names: list[str]) -> np.ndarray:
    """(columns, rows) float64, each row sorted ascending with NaNs at its end."""
    block = np.empty((len(names), len(frame)), dtype=np.float64)
    for i, name in enumerate(names):
        block[i] = frame[name].to_numpy(dtype=np.float64, na_value=np.nan)
    block.sort(axis=1)
    return block


def _numeric_block(names: list[str], ref: np.ndarray, cur: np.ndarray) -> list[FeatureStats]:
    ref_valid = ref.shape[1] - np.isnan(ref).sum(axis=1)
    cur_valid = cur.shape[1] - np.isnan(cur).sum(axis=1)
    quantiles = np.arange(1, PSI_BINS) / PSI_BINS
    idx = np.floor(quantiles[None, :] * np.maximum(ref_valid[:, None] - 1, 0)).astype(np.intp)
    edges = np.take_along_axis(ref, idx, axis=1) if ref.shape[1] else idx.astype(float)
    out = []
    for i, name in enumerate(names):
        a, b = ref[i, : ref_valid[i]], cur[i, : cur_valid[i]]
        cuts = np.unique(edges[i]) if len(a) else np.empty(0)
        out.append(_numeric_feature(name, a, b, cuts, ref.shape[1] - len(a),
                                    cur.shape[1] - len(b)))
    return out


def _numeric_feature(name: str, a: np.ndarray, b: np.ndarray, cuts: np.ndarray,
                     a_missing: int, b_missing: int) -> FeatureStats:
    """``a`` and ``b`` sorted, NaN-free; bins are (-inf, c1], (c1, c2], ..., (ck, inf)."""
    def counts(values: np.ndarray) -> np.ndarray:
        below = np.searchsorted(values, cuts, side="right")
        return np.diff(np.concatenate(([0], below, [len(values)])))

    ref_counts, cur_counts = counts(a), counts(b)
    labels = _numeric_labels(cuts)
    if a_missing or b_missing:
        ref_counts = np.append(ref_counts, a_missing)
        cur_counts = np.append(cur_counts, b_missing)
        labels.append(MISSING)
    statistic = p_value = None
    if len(a) and len(b):
        result = sstats.ks_2samp(a, b)
        statistic, p_value = _finite(result.statistic), _finite(result.pvalue)
    return FeatureStats(
        name=name, kind=NUMERIC, test="ks", statistic=statistic, p_value=p_value,
        psi=psi(ref_counts, cur_counts), reference_rows=len(a) + a_missing,
        current_rows=len(b) + b_missing, reference_missing=a_missing,
        current_missing=b_missing,
        distribution=Distribution(tuple(labels), _shares(ref_counts), _shares(cur_counts)))


def _numeric_labels(cuts: np.ndarray) -> list[str]:
    if not len(cuts):
        return ["all values"]
    labels = [f"up to {_fmt(cuts[0])}"]
    labels += [f"{_fmt(lo)} to {_fmt(hi)}" for lo, hi in itertools.pairwise(cuts)]
    return [*labels, f"over {_fmt(cuts[-1])}"]


def _finite(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def categorical_stats(reference: Any, current: Any, name: str) -> FeatureStats:
    """Chi-square and PSI of one column (pandas Series), values compared as text."""
    ref_counts = reference.dropna().astype(str).value_counts(sort=False)
    cur_counts = current.dropna().astype(str).value_counts(sort=False)
    categories = list(ref_counts.index) + [c for c in cur_counts.index
                                           if c not in ref_counts.index]
    table = np.vstack([ref_counts.reindex(categories, fill_value=0).to_numpy(np.int64),
                       cur_counts.reindex(categories, fill_value=0).to_numpy(np.int64)])
    a_missing = len(reference) - int(table[0].sum())
    b_missing = len(current) - int(table[1].sum())
    statistic = p_value = None
    if table[0].sum() and table[1].sum():
        result = sstats.chi2_contingency(table)
        statistic, p_value = _finite(result.statistic), _finite(result.pvalue)
    unseen = int(table[1, len(ref_counts):].sum())
    full = np.hstack([table, [[a_missing], [b_missing]]]) if a_missing or b_missing else table
    return FeatureStats(
        name=name, kind=CATEGORICAL, test="chi2", statistic=statistic, p_value=p_value,
        psi=psi(full[0], full[1]), reference_rows=len(reference), current_rows=len(current),
        reference_missing=a_missing, current_missing=b_missing,
        distribution=_category_chart(categories, table, a_missing, b_missing), unseen=unseen)


def _category_chart(categories: list[str], table: np.ndarray, a_missing: int,
                    b_missing: int) -> Distribution:
    order = np.argsort(-(table[0] + table[1]), kind="stable")
    top = order[:CHART_CATEGORIES]
    labels = [categories[i] for i in top]
    ref = [int(table[0, i]) for i in top]
    cur = [int(table[1, i]) for i in top]
    if len(order) > CHART_CATEGORIES:
        rest = order[CHART_CATEGORIES:]
        labels.append(OTHER)
        ref.append(int(table[0, rest].sum()))
        cur.append(int(table[1, rest].sum()))
    if a_missing or b_missing:
        labels.append(MISSING)
        ref.append(a_missing)
        cur.append(b_missing)
    return Distribution(tuple(labels), _shares(np.array(ref)), _shares(np.array(cur)))


def is_numeric(reference: Any, current: Any) -> bool:
    """Both sides numbers (booleans are categories)."""
    from pandas.api import types

    return all(types.is_numeric_dtype(s) and not types.is_bool_dtype(s)
               for s in (reference, current))


def feature_stats(reference: Any, current: Any, names: Sequence[str]) -> list[FeatureStats]:
    """Statistics of every named column of two pandas data frames, in ``names`` order."""
    numeric = [n for n in names if is_numeric(reference[n], current[n])]
    found = {s.name: s for s in numeric_stats(reference, current, numeric)}
    for n in names:
        if n not in found:
            found[n] = categorical_stats(reference[n], current[n], n)
    return [found[n] for n in names]


# ----- correction and verdict ---------------------------------------------------------------
def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm-adjusted p-values (step-down); None stays None and does not count as a test."""
    tested = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    m = len(tested)
    adjusted: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(tested):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[i] = running
    return adjusted


@dataclass(frozen=True)
class FeatureDrift:
    stats: FeatureStats
    p_adjusted: float | None
    reasons: tuple[str, ...]  # "psi", "p-value": why it drifts; empty when it does not

    @property
    def drifted(self) -> bool:
        return bool(self.reasons)


@dataclass(frozen=True)
class DriftResult:
    thresholds: DriftThresholds
    features: tuple[FeatureDrift, ...] = field(default_factory=tuple)  # drifting first

    @property
    def drifting(self) -> tuple[FeatureDrift, ...]:
        return tuple(f for f in self.features if f.drifted)


def all_new(s: FeatureStats) -> bool:
    """A categorical column whose current values are all categories the reference never had:
    drift, whatever its PSI comes to."""
    values = s.current_rows - s.current_missing
    return s.kind == CATEGORICAL and values > 0 and s.unseen == values


def decide(all_stats: Sequence[FeatureStats], thresholds: DriftThresholds) -> DriftResult:
    adjusted = holm([s.p_value for s in all_stats])
    features = []
    for s, p in zip(all_stats, adjusted, strict=True):
        reasons = []
        if s.psi > thresholds.psi or all_new(s):
            reasons.append("psi")
        if p is not None and p < thresholds.p_value:
            reasons.append("p-value")
        features.append(FeatureDrift(s, p, tuple(reasons)))
    features.sort(key=lambda f: (not f.drifted, -f.stats.psi, f.stats.name))
    return DriftResult(thresholds, tuple(features))


def compute_drift(reference: Any, current: Any, thresholds: DriftThresholds,
                  exclude: Iterable[str] = (), where: str = "mlgate.yaml",
                  current_where: str = "--current",
                  warn: Callable[[str], None] | None = None) -> DriftResult:
    """Everything from two data frames to the verdict (``warn``: told of harmless oddities
    in the configuration)."""
    reference, current = reference.rename(columns=str), current.rename(columns=str)
    names = select_features(list(reference.columns), list(current.columns), thresholds,
                            exclude, where, current_where, warn)
    return decide(feature_stats(reference, current, names), thresholds)
