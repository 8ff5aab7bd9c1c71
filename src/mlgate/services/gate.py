"""``mlgate gate``: pass or fail from result.json, fail closed."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from mlgate.adapters.actions import set_output
from mlgate.core.result import Result
from mlgate.core.verdict import Verdict, verdict
from mlgate.errors import MlgateError, UsageError
from mlgate.services.results import load_result


@dataclass(frozen=True, slots=True)
class GateOptions:
    result_path: Path


@dataclass(frozen=True, slots=True)
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
        if self.verdict.failed_rules:
            return f"FAILED ({name}): {len(self.verdict.failed_rules)} rule(s) failed"
        return f"FAILED ({name}): {'; '.join(self.reasons()) or 'the result says it failed'}"

    def reasons(self) -> list[str]:
        """Why it failed: the failed rules, else what the verdict found."""
        if self.verdict.failed_rules:
            return list(self.verdict.failed_rules)
        return [r for r in self.verdict.reasons() if not r.startswith("the gate did not pass")]

    def lines(self) -> list[str]:
        """What the gate prints: on stdout when it passed, else on stderr."""
        lines = [f"mlgate gate: {self.headline()}"]
        if not self.passed and self.verdict.failed_rules:
            lines += [f"  - {rule}" for rule in self.verdict.failed_rules]
        return lines


def run_gate(options: GateOptions) -> GateOutcome:
    """The verdict of the result file; sets the ``passed`` and ``failed-rules`` outputs.

    Fails closed: whatever goes wrong (a result that is a directory, not UTF-8, nested too
    deep, or a bug) the outputs say ``passed=false`` before the error surfaces."""
    try:
        result = _load(options.result_path)
        decided = verdict(result)
    except BaseException as err:
        fail_closed(err)
        raise
    outcome = GateOutcome(result=result, verdict=decided)
    set_output("passed", "true" if decided.passed else "false")
    set_output("failed-rules", "" if decided.passed else "\n".join(outcome.reasons()))
    return outcome


def fail_closed(err: BaseException) -> None:
    """Write ``passed=false`` (and the error as the failed rule) for a gate that errored."""
    message = err.message if isinstance(err, MlgateError) else f"{type(err).__name__}: {err}"
    # When even the outputs cannot be written, the error itself must still surface.
    with contextlib.suppress(MlgateError, OSError):
        set_output("passed", "false")
        set_output("failed-rules", f"error: {message}")


def _load(path: Path) -> Result:
    """``load_result``, with a file that cannot be read as JSON text a usage error."""
    where = str(path)
    if path.is_dir():
        raise UsageError("is a directory, expected the result file", where=where,
                         fix="pass the result.json file with --result")
    try:
        return load_result(path)
    except UnicodeDecodeError as err:
        raise UsageError("result file is not UTF-8 text", where=where,
                         fix="pass the result.json that `mlgate compare` wrote") from err
    except RecursionError as err:
        raise UsageError("result file is nested too deeply", where=where,
                         fix="pass the result.json that `mlgate compare` wrote") from err
    except (OSError, ValueError) as err:
        raise UsageError(f"cannot read the result file ({err})", where=where) from err
