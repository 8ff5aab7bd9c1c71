"""Result documents for the report tests (schema 1, like docs/examples/result.json)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

HEAD = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
BASE = "0f1e2d3c4b5a69788796a5b4c3d2e1f009182736"


def rule(kind: str, threshold: str, status: str, message: str, limit: Any = None) -> dict:
    return {"rule": kind, "threshold": threshold, "limit": limit, "status": status,
            "message": message}


def metric(name: str, baseline: Any, current: Any, status: str, *, direction: str = "higher",
           source: str = "inferred", rules: list[dict] | None = None,
           passed: bool = True, delta: Any = None, rel: Any = None) -> dict[str, Any]:
    if delta is None and isinstance(baseline, (int, float)) and isinstance(current, (int, float)):
        delta = current - baseline
        rel = delta / abs(baseline) if baseline else None
    return {"name": name, "file": "metrics.json", "baseline": baseline, "current": current,
            "delta": delta, "relative_delta": rel, "direction": direction,
            "direction_source": source, "status": status, "rule": name,
            "rules": rules or [], "passed": passed}


def result(metrics: list[dict[str, Any]], *, name: str = "churn", found: bool = True,
           failed_rules: list[str] | None = None, skipped_rules: list[str] | None = None,
           params: list[dict] | None = None, data: list[dict] | None = None,
           errors: list[str] | None = None, note: str | None = None,
           ref: str = "feature/tune", subject: str = "Tune the model") -> dict[str, Any]:
    failed_rules = list(failed_rules or [])
    statuses = [m["status"] for m in metrics]
    rules = [r for m in metrics for r in m["rules"]]
    return {
        "schema": 1, "tool": {"name": "mlgate", "version": "0.1.0"}, "name": name,
        "created_at": "2026-11-23T05:00:00+00:00",
        "passed": not failed_rules and not errors and all(m["passed"] for m in metrics),
        "head": {"sha": HEAD, "ref": ref, "subject": subject},
        "baseline": {"found": found, "sha": BASE if found else None,
                     "source": "committed" if found else None, "base_ref": "main",
                     "merge_base": BASE, "note": note},
        "require_baseline": False, "metrics_files": ["metrics.json"],
        "summary": {"metrics": len(metrics),
                    **{s: statuses.count(s) for s in
                       ("improved", "regressed", "unchanged", "new", "removed")},
                    "rules_passed": sum(r["status"] == "passed" for r in rules),
                    "rules_failed": sum(r["status"] == "failed" for r in rules),
                    "rules_skipped": sum(r["status"] == "skipped" for r in rules)},
        "metrics": metrics, "failed_rules": failed_rules,
        "skipped_rules": list(skipped_rules or []), "params": params or [],
        "data": data or [], "errors": list(errors or []),
    }


def failing_result() -> dict[str, Any]:
    return result(
        [
            metric("f1", 0.88, 0.88, "unchanged",
                   rules=[rule("tolerance", "tolerance -5%", "passed", "did not drop", 0.836)]),
            metric("accuracy", 0.95, 0.93, "regressed",
                   rules=[rule("min", "min 0.9", "passed", "0.93 >= 0.9", 0.9),
                          rule("tolerance", "tolerance -0.01", "failed",
                               "dropped 0.02, allowed 0.01", 0.94)], passed=False),
            metric("rmse", 4.4, 4.2, "improved", direction="lower",
                   rules=[rule("max", "max 4.5", "passed", "4.2 <= 4.5", 4.5)]),
            metric("latency_ms", 12.0, 15.5, "regressed", direction="lower", source="explicit"),
            metric("new_metric", None, 1.0, "new",
                   rules=[rule("tolerance", "tolerance -5%", "skipped", "skipped: no baseline")]),
            metric("old_metric", 3.0, None, "removed"),
            metric("auc", 0.91, "NaN", "regressed", delta="NaN", rel="NaN",
                   rules=[rule("finite", "finite", "failed", "value is NaN")], passed=False),
        ],
        failed_rules=["accuracy: tolerance -0.01 (dropped 0.02, allowed 0.01)",
                      "auc: finite (value is NaN)"],
        skipped_rules=["new_metric: tolerance -5% (skipped: no baseline)"],
        params=[{"name": "train.params.max_iter", "file": "mlgate.yaml", "baseline": 100,
                 "current": 200, "status": "modified"},
                {"name": "train.params.layers", "file": "params.yaml", "baseline": None,
                 "current": [64, 32], "status": "added"}],
        data=[{"path": "data/train.csv", "status": "modified",
               "baseline_md5": "c" * 32, "current_md5": "d" * 32,
               "baseline_size": 1000, "current_size": 1200 * 1024}],
    )


def passing_result(name: str = "churn") -> dict[str, Any]:
    return result(
        [metric("accuracy", 0.90, 0.92, "improved",
                rules=[rule("min", "min 0.9", "passed", "0.92 >= 0.9", 0.9)]),
         metric("f1", 0.8, 0.8, "unchanged")],
        name=name,
    )


def write(path: Path, doc: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


def clone(doc: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(doc)
