"""The lock's header: which top-level requirements of pyproject.toml it was resolved from.

    python lock.py header PYPROJECT         -> the header lines (lock.sh puts them on top)
    python lock.py check PYPROJECT LOCK     -> exit 0 when the lock's inputs match pyproject.toml

The check compares the recorded inputs with pyproject.toml without resolving anything, so it
is cheap and needs no network: it catches a dependency added, removed or re-bounded without
running `bash actions/setup/lock.sh`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

PREFIX = "# input: "
# The installer is pinned in the same file: install.sh reads uv's version from it.
INSTALLER = "[installer] uv"
INTRO = """\
# mlgate lock: the tested version of every package that mlgate and its extras install
# (all extras, Python >= 3.10, every platform). actions/setup and .ci/run install with
# `uv pip install -c` of this file, so one tag always installs the same packages.
# Regenerate after changing pyproject.toml's dependencies: bash actions/setup/lock.sh
# Checked by CI against pyproject.toml: bash actions/setup/lock.sh --check
"""


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        import tomllib
    except ImportError:  # Python 3.10: pip vendors the same parser
        from pip._vendor import tomli as tomllib
    with path.open("rb") as handle:
        return tomllib.load(handle)


def inputs(pyproject: Path) -> list[str]:
    """The top-level requirements the lock is resolved from, one line each, in a stable order."""
    project = _load_toml(pyproject)["project"]
    lines = [f"requires-python {project.get('requires-python', '')}".rstrip()]
    lines += [f"[core] {req}" for req in project.get("dependencies", [])]
    for extra, reqs in sorted(project.get("optional-dependencies", {}).items()):
        lines += [f"[{extra}] {req}" for req in reqs]
    return [*lines, INSTALLER]


def header(pyproject: Path) -> str:
    return INTRO + "".join(f"{PREFIX}{line}\n" for line in inputs(pyproject))


def recorded(lock: Path) -> list[str]:
    text = lock.read_text(encoding="utf-8")
    return [line[len(PREFIX) :] for line in text.splitlines() if line.startswith(PREFIX)]


def check(pyproject: Path, lock: Path) -> list[str]:
    """What differs between pyproject.toml and the lock's recorded inputs (empty: in sync)."""
    if not lock.exists():
        return [f"{lock} does not exist"]
    want, have = inputs(pyproject), recorded(lock)
    problems = [f"pyproject.toml has '{ln}', the lock does not" for ln in want if ln not in have]
    problems += [f"the lock has '{ln}', pyproject.toml does not" for ln in have if ln not in want]
    return problems


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "header":
        sys.stdout.write(header(Path(argv[1])))
        return 0
    if len(argv) == 3 and argv[0] == "check":
        problems = check(Path(argv[1]), Path(argv[2]))
        for problem in problems:
            print(f"::error title=mlgate lock::{argv[2]}: {problem}")
        if problems:
            print("Fix: run `bash actions/setup/lock.sh` and commit the lock file")
            return 1
        print(f"{argv[2]} matches {argv[1]}")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
