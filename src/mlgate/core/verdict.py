"""Did a result pass? The one answer that gate, report, check run, bundle and deploy all use."""

from __future__ import annotations

from dataclasses import dataclass

from mlgate.core.result import Result


@dataclass(frozen=True)
class Verdict:
    passed: bool
    failed_rules: tuple[str, ...]
    errors: tuple[str, ...]
    failed_metrics: tuple[str, ...]  # rows that say passed: false

    def reasons(self) -> list[str]:
        """Why it did not pass, one line each (empty when it passed)."""
        if self.passed:
            return []
        reasons = ["the gate did not pass (result.json: passed is false)"]
        reasons += [f"failed rule: {rule}" for rule in self.failed_rules]
        reasons += [f"error: {err}" for err in self.errors if err not in self.failed_rules]
        return reasons


def verdict(result: Result) -> Verdict:
    """Fail closed: a result passes only when it says so AND lists no failed rule, no error and
    no failing metric (a document that claims to pass while listing failures has failed)."""
    failed_metrics = tuple(row.name for row in result.metrics if not row.passed)
    passed = (
        result.passed
        and not result.failed_rules
        and not result.errors
        and not failed_metrics
    )
    return Verdict(
        passed=passed,
        failed_rules=result.failed_rules,
        errors=result.errors,
        failed_metrics=failed_metrics,
    )
