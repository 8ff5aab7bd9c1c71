"""The docs never tell users to install mlgate by a bare package name: it is not on PyPI, and
the name is open to squatting. Installs come from the repository or a local checkout."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")),
        *sorted((ROOT / "examples").rglob("*.md"))]
# `pip install mlgate`, `pip install 'mlgate[dvc]'`, `uv pip install "mlgate[...]"`: a bare name.
BARE = re.compile(r"pip install\s+(?:-\S+\s+)*['\"]?mlgate(\[[^\]]*\])?(?!\s*@)['\"]?(\s|$)")


def test_no_doc_installs_mlgate_from_the_package_index() -> None:
    offenders = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
                 for path in DOCS
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if BARE.search(line)]
    assert offenders == []


def test_the_pattern_catches_a_bare_install() -> None:
    assert BARE.search("pip install 'mlgate[dvc,train]'")
    assert BARE.search("pip install mlgate")
    assert not BARE.search(
        "pip install 'mlgate[dvc,train] @ git+https://github.com/mlgate/mlgate@v1'")
    assert not BARE.search("pip install '.[all]'")
