"""Did a result pass? The one answer that gate, report, check run, bundle and deploy all use."""

from __future__ import annotations

from dataclasses import dataclass

from mlgate.core.result import Result


@dataclass(frozen=True, slots=True)
class Verdict:
    passed: bool
    failed_rules: tuple[str, ...]
    errors: tuple[str, ...]
    failed_metrics: tuple[str, ...]  # rows that say passed: false, or have a failed check
    compared: int = 0  # metrics the PR has (rows with a current value)

    def reasons(self) -> list[str]:
        """Why it did not pass, one line each (empty when it passed)."""
        if self.passed:
            return []
        reasons = ["the gate did not pass (result.json: passed is false)"]
        reasons += [f"failed rule: {rule}" for rule in self.failed_rules]
        reasons += [f"error: {err}" for err in self.errors if err not in self.failed_rules]
        if not self.failed_rules:
            reasons += [f"failed metric: {name}" for name in self.failed_metrics]
        if not self.compared:
            reasons.append("no metric was compared (the PR has no metrics)")
        return reasons


def verdict(result: Result) -> Verdict:
    """Fail closed: a result passes only when it says so AND lists no failed rule, no error, no
    failing metric or rule check, and at least one metric of the PR was compared (a document
    that claims to pass while listing failures, or compares nothing, has failed)."""
    failed_metrics = tuple(
        row.name for row in result.metrics
        if not row.passed or (row.rules and any(c.status == "failed" for c in row.rules))
    )
    compared = sum(1 for row in result.metrics if row.current is not None)
    passed = (
        result.passed
        and not result.failed_rules
        and not result.errors
        and not failed_metrics
        and compared > 0
    )
    return Verdict(
        passed=passed,
        failed_rules=result.failed_rules,
        errors=result.errors,
        failed_metrics=failed_metrics,
        compared=compared,
    )
