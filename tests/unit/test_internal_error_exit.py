"""Issue 21 item 16: an internal error (a bug in mlgate) is exit 4, not 3 (an outside service)."""

from __future__ import annotations

import argparse

import pytest

from mlgate import cli
from mlgate.errors import EXIT_INTERNAL, EXIT_SERVICE


def _boom(_args: argparse.Namespace) -> int:
    raise ZeroDivisionError("boom")


def test_internal_error_is_exit_4(monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("MLGATE_DEBUG", raising=False)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.setattr(cli.COMMANDS["gate"], "run", _boom)
    code = cli.main(["gate"])
    err = capsys.readouterr().err
    assert EXIT_INTERNAL == 4 and EXIT_INTERNAL != EXIT_SERVICE
    assert code == EXIT_INTERNAL
    assert "internal error" in err and "bug in mlgate" in err and "MLGATE_DEBUG=1" in err
