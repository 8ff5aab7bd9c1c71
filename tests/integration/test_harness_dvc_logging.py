"""The suite's own harness: DVC logging keeps working after a test whose captured streams
are closed (see the session fixture in conftest.py)."""

from __future__ import annotations

import logging

import pytest


def test_dvc_logs_while_capsys_is_active(capsys: pytest.CaptureFixture[str]) -> None:
    import dvc.logger  # noqa: F401

    logging.getLogger("dvc").info("logged under capsys")
    assert "logged under capsys" in capsys.readouterr().out


def test_dvc_logs_after_the_previous_tests_capture_closed() -> None:
    # Before the fixture this raised dvc.logger.LoggingException (I/O on a closed file).
    logging.getLogger("dvc").info("logged after another test's capture closed")
