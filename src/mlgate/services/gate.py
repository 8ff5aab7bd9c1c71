"""``mlgate gate``: pass or fail from result.json, fail closed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mlgate.adapters.actions import set_output
from mlgate.core.result import Result, load_result
from mlgate.core.verdict import Verdict, verdict
from mlgate.errors import MlgateError


@dataclass(frozen=True)
class GateOptions:
    result_path: Path


@dataclass(frozen=True)
class GateOutcome:
    result: Result
    verdict: Verdict

    @property
    def passed(self) -> bool:
        return self.verdict.passed

    def headline(self) -> str:
        name = self.result.name
        if self.passed:
            s = self.result.summary
            return (
                f"PASSED ({name}): {s.rules_passed} rule checks passed, {s.rules_skipped} skipped"
            )
        return f"FAILED ({name}): {len(self.verdict.failed_rules)} rule(s) failed"

    def lines(self) -> list[str]:
        """What the gate prints: on stdout when it passed, else on stderr."""
        lines = [f"mlgate gate: {self.headline()}"]
        if not self.passed:
            lines += [f"  - {rule}" for rule in self.verdict.failed_rules]
        return lines


def run_gate(options: GateOptions) -> GateOutcome:
    """The verdict of the result file; sets the ``passed`` and ``failed-rules`` outputs."""
    try:
        result = load_result(options.result_path)
    except MlgateError as err:
        # Fail closed: an unreadable result is a failed gate, and the outputs say so.
        set_output("passed", "false")
        set_output("failed-rules", f"error: {err.message}")
        raise
    decided = verdict(result)
    set_output("passed", "true" if decided.passed else "false")
    set_output("failed-rules", "\n".join(decided.failed_rules))
    return GateOutcome(result=result, verdict=decided)
