"""Where a service's messages go: injected, so a caller decides (print, record, drop)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

Write = Callable[[str], None]


def _print_out(text: str) -> None:
    print(text, file=sys.stdout, flush=True)


def _print_err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass(frozen=True, slots=True)
class Console:
    """``out`` for progress and results, ``err`` for problems; one call per line (or block)."""

    out: Write = _print_out
    err: Write = _print_err

    def log(self, message: str) -> None:
        """A progress line of a step, as ``mlgate: <message>``."""
        self.out(f"mlgate: {message}")


def recording(lines: list[str]) -> Console:
    """A console that keeps what it is given (both streams, in order) instead of printing."""
    return Console(out=lines.append, err=lines.append)


PRINTING = Console()
