"""Pass or fail the gate from result.json (exit 0 passed, 1 failed)."""

from __future__ import annotations

import argparse
import sys

from mlgate.adapters.actions import set_output
from mlgate.config import out_dir
from mlgate.core.result import read_result, result_path
from mlgate.errors import EXIT_GATE_FAILED, EXIT_OK, MlgateError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--result", metavar="FILE", help="result file (default: .mlgate/result.json)"
    )


def run(args: argparse.Namespace) -> int:
    path = result_path(out_dir(args.out), args.result)
    try:
        result = read_result(path)
    except MlgateError as err:
        # Fail closed: an unreadable result is a failed gate, and the outputs say so.
        set_output("passed", "false")
        set_output("failed-rules", f"error: {err.message}")
        raise
    failed = [str(rule) for rule in result.get("failed_rules", [])]
    passed = bool(result["passed"]) and not failed
    set_output("passed", "true" if passed else "false")
    set_output("failed-rules", "\n".join(failed))
    name = result.get("name", "mlgate")
    if passed:
        summary = result.get("summary", {})
        print(
            f"mlgate gate: PASSED ({name}): {summary.get('rules_passed', 0)} rule checks passed, "
            f"{summary.get('rules_skipped', 0)} skipped"
        )
        return EXIT_OK
    print(f"mlgate gate: FAILED ({name}): {len(failed)} rule(s) failed", file=sys.stderr)
    for rule in failed:
        print(f"  - {rule}", file=sys.stderr)
    return EXIT_GATE_FAILED
