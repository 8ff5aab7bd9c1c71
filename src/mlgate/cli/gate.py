"""Pass or fail the gate from result.json (exit 0 passed, 1 failed)."""

from __future__ import annotations

import argparse
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--result", metavar="FILE", help="result file (default: .mlgate/result.json)"
    )


def run(args: argparse.Namespace) -> int:
    from mlgate.config import paths_for
    from mlgate.errors import EXIT_GATE_FAILED, EXIT_OK
    from mlgate.services.gate import GateOptions, fail_closed, run_gate

    try:
        result_path = paths_for(args.out).result_file(args.result)
    except BaseException as err:  # e.g. --out naming a file: the gate still fails closed
        fail_closed(err)
        raise
    outcome = run_gate(GateOptions(result_path=result_path))
    stream = sys.stdout if outcome.passed else sys.stderr
    for line in outcome.lines():
        print(line, file=stream)
    return EXIT_OK if outcome.passed else EXIT_GATE_FAILED
