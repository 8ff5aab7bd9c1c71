"""Records' shared empty defaults stay empty.

The records of the compare path are NamedTuples (docs: ARCHITECTURE.md, "Keeping mlgate
compare fast"); a NamedTuple's default is one object shared by every instance, so a `{}` or
`[]` default that some code appended to would leak into every later record. This runs compare,
gate and report on a real repository, in this process, and checks every such default after.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import mlgate
from mlgate.cli import main


def _mutable_defaults() -> dict[str, object]:
    found: dict[str, object] = {}
    for info in pkgutil.walk_packages(mlgate.__path__, "mlgate."):
        if info.name not in sys.modules:
            continue  # only what these commands loaded
        module = importlib.import_module(info.name)
        for name, cls in vars(module).items():
            defaults = getattr(cls, "_field_defaults", None)
            if not isinstance(cls, type) or not isinstance(defaults, dict):
                continue
            for field, value in defaults.items():
                if isinstance(value, (list, dict, set)):
                    found[f"{info.name}.{name}.{field}"] = value
    return found


def test_shared_empty_defaults_stay_empty_after_compare_gate_and_report(repo, monkeypatch):
    repo.commit("main", {"metrics.json": {"accuracy": 0.9, "loss": 0.3},
                         "params.yaml": "train:\n  depth: 3\n",
                         "mlgate.yaml": "name: m\nthresholds:\n  accuracy: {tolerance: 0.01}\n"})
    repo.checkout("pr", new=True)
    repo.commit("pr", {"metrics.json": {"accuracy": 0.95, "loss": 0.2},
                       "params.yaml": "train:\n  depth: 4\n"})
    monkeypatch.chdir(repo.path)
    assert main(["compare"]) == 0
    assert main(["gate"]) == 0
    assert main(["report"]) == 0
    defaults = _mutable_defaults()
    # The check sees the records it is about (Config, Baseline, Folds, TrainConfig...).
    assert {"mlgate.config.Config.thresholds", "mlgate.core.baseline.Baseline.metrics"} <= set(
        defaults), sorted(defaults)
    assert {k: v for k, v in defaults.items() if v} == {}
