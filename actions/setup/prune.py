"""Removes from mlgate's venv the files that nothing in it loads at run time.

    python prune.py SITE_PACKAGES     -> prints what it removed (files, MB)

The venv runs only mlgate and DVC (install.sh puts nothing else on PATH; the user's pipeline
runs with the job's own Python), so what they never import is dead weight in the venv that
actions/cache saves and restores: with the dvc,train extras, about a fifth of its bytes and a
third of its files, and the restore time follows both. Removed:

- packages' own test suites: directories named ``tests`` or ``test`` inside a package (not a
  module ``tests.py``, not ``testing/``, not mlgate);
- from pyarrow, which pandas needs only to read Parquet files from disk: Arrow Flight (RPC),
  the S3 filesystem library, pyarrow's C++ test module, and the C++ headers and sources that
  only building an extension against pyarrow reads.

Only files are removed, never a package's metadata: uv and pip still see every package as
installed (a top-up install does not reinstall them), and importlib.metadata is unchanged.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

TEST_DIRS = frozenset({"tests", "test"})
KEEP = frozenset({"mlgate"})
PYARROW_UNUSED = (
    "include",
    "src",
    "libarrow_flight.so*",
    "libarrow_python_flight.so*",
    "_flight.*.so",
    "libarrow_s3.so*",
    "_pyarrow_cpp_tests.*.so",
)


def bundled_test_suites(site: Path) -> list[Path]:
    """Directories named tests/test below a top-level package of ``site``."""
    found: list[Path] = []
    for top in sorted(site.iterdir()):
        if not top.is_dir() or top.is_symlink() or top.name in KEEP or "." in top.name:
            continue  # *.dist-info, *.libs, *.data: not packages
        for root, dirs, _files in os.walk(top):
            for name in sorted(dirs):
                if name in TEST_DIRS:
                    found.append(Path(root) / name)
            dirs[:] = [d for d in dirs if d not in TEST_DIRS]
    return found


def pyarrow_unused(site: Path) -> list[Path]:
    pyarrow = site / "pyarrow"
    if not (pyarrow / "__init__.py").is_file():
        return []
    return sorted({p for pattern in PYARROW_UNUSED for p in pyarrow.glob(pattern)})


def prunable(site: Path) -> list[Path]:
    """Everything prune() removes from ``site``, files and whole directories."""
    return bundled_test_suites(site) + pyarrow_unused(site)


def size_of(path: Path) -> tuple[int, int]:
    """(files, bytes) under ``path`` (the path itself when it is a file)."""
    if not path.is_dir() or path.is_symlink():
        return 1, path.lstat().st_size
    files = size = 0
    for root, _dirs, names in os.walk(path):
        for name in names:
            files += 1
            size += (Path(root) / name).lstat().st_size
    return files, size


def prune(site: Path) -> tuple[int, int]:
    """Remove prunable(site); returns (files, bytes) removed."""
    files = size = 0
    for path in prunable(site):
        count, nbytes = size_of(path)
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
        files, size = files + count, size + nbytes
    return files, size


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not Path(argv[0]).is_dir():
        print("usage: prune.py SITE_PACKAGES (an existing directory)", file=sys.stderr)
        return 2
    files, size = prune(Path(argv[0]))
    print(f"pruned {files} files ({size / 1e6:.0f} MB) that nothing in the venv loads")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
