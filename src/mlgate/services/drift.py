"""The ``mlgate drift`` use case: reference and current data in, drift.json and report out.

Typed options in, a typed outcome out; no argparse, no GitHub (the sticky issue is
:mod:`mlgate.services.drift_issue`, called by the CLI layer with a client it builds).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate import __version__
from mlgate.adapters.result_file import write_json
from mlgate.core.drift import (
    CATEGORICAL,
    CORRECTION,
    NUMERIC,
    DriftResult,
    FeatureDrift,
    compute_drift,
)
from mlgate.core.drift_config import DriftThresholds
from mlgate.errors import UsageError
from mlgate.report.drift_view import render_drift
from mlgate.services.drift_reference import (
    DataFile,
    given_file,
    model_reference,
    read_table,
)

if TYPE_CHECKING:
    from mlgate.adapters.actions import GitHubEnv
    from mlgate.adapters.github import Connect

SCHEMA_VERSION = 1
DRIFT_FILE = "drift.json"
REPORT_FILE = "drift.md"
Log = Callable[[str], None]


@dataclass(frozen=True)
class DriftOptions:
    root: Path
    out: Path
    current: str  # --current, relative to root or absolute
    reference: str | None = None  # --reference; None: the deployed model's training data
    model: str | None = None  # --model: that model's JSON (default <out>/model/model.json)
    thresholds: DriftThresholds = field(default_factory=DriftThresholds)
    exclude: tuple[str, ...] = ()  # never compared (the training target)
    name: str | None = None  # the model's name; default: the model JSON's, else the repo's
    config_where: str = "mlgate.yaml"
    run_url: str | None = None


@dataclass(frozen=True)
class DriftOutcome:
    result: DriftResult
    document: dict[str, Any]
    json_path: Path
    report_path: Path
    report: str
    name: str

    @property
    def drifted(self) -> bool:
        return bool(self.result.drifting)


def run_drift(
    options: DriftOptions, log: Log = print, gh: GitHubEnv | None = None,
    connect: Connect | None = None,
) -> DriftOutcome:
    """``gh``, ``connect``: the command's GitHub environment and client builder, to fetch the
    live release's model JSON when the workspace has none (None: not asked)."""
    root = options.root
    if options.reference:
        reference = given_file(root, options.reference, "--reference")
    else:
        reference = model_reference(root, options.out, options.model, log, gh, connect)
    current = given_file(root, options.current, "--current")
    ref_frame = read_table(reference, reference.shown)
    cur_frame = read_table(current, current.shown)
    for frame, file, flag in ((ref_frame, reference, "--reference"),
                              (cur_frame, current, "--current")):
        if not len(frame):
            raise UsageError(
                "the data has no rows (a header at most): there is nothing to compare",
                where=file.shown,
                fix=f"pass data with rows as {flag}" if flag == "--current" or options.reference
                else "retrain on data with rows, or pass --reference FILE")
    exclude = set(options.exclude)
    model = reference.model or {}
    if isinstance(model.get("target"), str):
        exclude.add(model["target"])
    result = compute_drift(ref_frame, cur_frame, options.thresholds, exclude,
                           options.config_where, current.shown,
                           warn=lambda message: log(f"drift: warning: {message}"))
    name = options.name or (model.get("name") if isinstance(model.get("name"), str)
                            else None) or root.resolve().name
    document = drift_document(result, name, _side(reference, len(ref_frame)),
                              _side(current, len(cur_frame)))
    json_path = options.out / DRIFT_FILE
    write_json(json_path, document)
    report = render_drift(document, run_url=options.run_url)
    report_path = options.out / REPORT_FILE
    report_path.write_text(report, encoding="utf-8")
    return DriftOutcome(result, document, json_path, report_path, report, name)


def _side(file: DataFile, rows: int) -> dict[str, Any]:
    return {"path": file.shown, "sha256": file.sha256, "rows": rows, "source": file.source,
            "commit": file.commit}


def _feature(f: FeatureDrift) -> dict[str, Any]:
    s = f.stats
    return {
        "name": s.name, "kind": s.kind, "test": s.test, "statistic": s.statistic,
        "p_value": s.p_value, "p_value_adjusted": f.p_adjusted, "psi": round(s.psi, 6),
        "drifted": f.drifted, "reasons": list(f.reasons), "unseen": s.unseen,
        "reference": {"rows": s.reference_rows, "missing": s.reference_missing},
        "current": {"rows": s.current_rows, "missing": s.current_missing},
        "bins": {"labels": list(s.distribution.labels),
                 "reference": list(s.distribution.reference),
                 "current": list(s.distribution.current)},
    }


def drift_document(result: DriftResult, name: str, reference: dict[str, Any],
                   current: dict[str, Any]) -> dict[str, Any]:
    """drift.json, schema 1 (docs/drift.md, src/mlgate/schema/drift-v1.schema.json)."""
    t = result.thresholds
    kinds = [f.stats.kind for f in result.features]
    return {
        "schema": SCHEMA_VERSION,
        "kind": "drift",
        "name": name,
        "created_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "mlgate_version": __version__,
        "drifted": bool(result.drifting),
        "thresholds": {"psi": t.psi, "p-value": t.p_value, "features": list(t.features),
                       "correction": CORRECTION},
        "reference": reference,
        "current": current,
        "summary": {
            "features": len(result.features), "drifted": len(result.drifting),
            "numeric": kinds.count(NUMERIC), "categorical": kinds.count(CATEGORICAL),
            "tested": sum(1 for f in result.features if f.p_adjusted is not None),
        },
        "features": [_feature(f) for f in result.features],
    }
