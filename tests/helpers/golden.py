"""Golden files: compare, or (deliberately, never in CI) rewrite and fail.

``MLGATE_UPDATE_GOLDEN=1`` rewrites a golden file that differs and then FAILS the test
("golden updated, review and re-run"), so an update is always a reviewed diff and a stray
variable can never turn a mismatch into a pass. Under CI (``CI`` set, as ``.ci/run`` and
GitHub Actions set it) updating is refused outright and the file is left alone.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

UPDATE_VAR = "MLGATE_UPDATE_GOLDEN"


def in_ci(env: Mapping[str, str] | None = None) -> bool:
    value = (os.environ if env is None else env).get("CI", "").strip().lower()
    return value not in ("", "0", "false", "no")


def _update_requested() -> bool:
    if not os.environ.get(UPDATE_VAR):
        return False
    if in_ci():
        pytest.fail(
            f"{UPDATE_VAR} is set under CI (CI={os.environ.get('CI')!r}): golden files are "
            f"never rewritten in CI; unset {UPDATE_VAR}",
            pytrace=False,
        )
    return True


def _rewritten(path: Path) -> None:
    pytest.fail(
        f"golden updated, review and re-run: {path} was rewritten ({UPDATE_VAR} is set); "
        "check `git diff` on it, then run the tests again without the variable",
        pytrace=False,
    )


def check_golden(path: Path, text: str) -> None:
    """``text`` must equal the golden file ``path`` byte for byte."""
    if _update_requested():
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if old != text:
            path.write_text(text, encoding="utf-8")
            _rewritten(path)
    assert path.exists(), f"{path} missing: run locally with {UPDATE_VAR}=1 and review it"
    assert text == path.read_text(encoding="utf-8")


def check_golden_json(path: Path, data: Any) -> None:
    """``data`` must equal the JSON document in the golden file ``path``."""
    if _update_requested():
        old = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
        if old != data:
            path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            _rewritten(path)
    assert path.exists(), f"{path} missing: run locally with {UPDATE_VAR}=1 and review it"
    assert data == json.loads(path.read_text(encoding="utf-8"))
