"""Puts the uv binary of one version in a directory, for a runner that has no uv.

    python fetch_uv.py VERSION DEST     -> prints DEST/uv

The uv wheel from the package index is a zip holding the binary: this reads the index's JSON
page (PEP 691), downloads the one wheel for this platform, checks its sha256 and extracts the
binary: about 1 s, where `pip install uv` takes 8-20 s (pip's start, the index's HTML page of
every release, a venv with pip). When the index serves no JSON or this platform is unusual,
`pip download` fetches the wheel instead (slower, same result).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

JSON_PAGE = "application/vnd.pypi.simple.v1+json"


def index_url() -> str:
    for var in ("UV_DEFAULT_INDEX", "UV_INDEX_URL", "PIP_INDEX_URL"):
        if os.environ.get(var):
            return os.environ[var].rstrip("/")
    return "https://pypi.org/simple"


def platform_suffixes() -> tuple[str, list[str]]:
    """(tag family, accepted endings of the wheel's file name) for this machine."""
    machine = platform.machine().lower()
    if sys.platform == "darwin":
        return "macosx", [f"_{machine}.whl", "_universal2.whl"]
    if sys.platform.startswith("linux"):
        family = "manylinux" if platform.libc_ver()[0] == "glibc" else "musllinux"
        return family, [f"_{machine}.whl"]
    raise LookupError(f"no uv wheel selection for {sys.platform}")


def pick_wheel(files: list[dict[str, object]], version: str) -> dict[str, object]:
    family, endings = platform_suffixes()
    prefix = f"uv-{version}-"
    for entry in files:
        name = str(entry["filename"])
        if name.startswith(prefix) and family in name and name.endswith(tuple(endings)):
            return entry
    raise LookupError(f"no uv {version} wheel for {family} {endings}")


def download(url: str, dest: Path, sha256: str) -> None:
    digest = hashlib.sha256()
    with urllib.request.urlopen(url, timeout=60) as response, dest.open("wb") as out:
        while chunk := response.read(1 << 20):
            digest.update(chunk)
            out.write(chunk)
    if sha256 and digest.hexdigest() != sha256:
        raise ValueError(f"sha256 mismatch for {url}")


def wheel_from_index(version: str, tmp: Path) -> Path:
    request = urllib.request.Request(f"{index_url()}/uv/", headers={"Accept": JSON_PAGE})
    with urllib.request.urlopen(request, timeout=30) as response:
        if JSON_PAGE not in response.headers.get("Content-Type", ""):
            raise LookupError("the index serves no JSON page")
        page = json.load(response)
    entry = pick_wheel(page["files"], version)
    wheel = tmp / str(entry["filename"])
    hashes = entry.get("hashes")
    sha = str(hashes.get("sha256", "")) if isinstance(hashes, dict) else ""
    download(urllib.parse.urljoin(f"{index_url()}/uv/", str(entry["url"])), wheel, sha)
    return wheel


def wheel_from_pip(version: str, tmp: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
         "--disable-pip-version-check", f"uv=={version}", "-d", str(tmp)],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return next(tmp.glob("uv-*.whl"))


def extract(wheel: Path, dest: Path) -> Path:
    """The binary out of the wheel, written atomically (parallel jobs may share DEST)."""
    with zipfile.ZipFile(wheel) as archive:
        member = next(n for n in archive.namelist() if n.endswith(".data/scripts/uv"))
        dest.mkdir(parents=True, exist_ok=True)
        part = dest / f"uv.{os.getpid()}.part"
        part.write_bytes(archive.read(member))
    part.chmod(0o755)
    part.replace(dest / "uv")
    return dest / "uv"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    version, dest = argv[0], Path(argv[1])
    with tempfile.TemporaryDirectory(prefix="mlgate-uv-") as tmp:
        try:
            wheel = wheel_from_index(version, Path(tmp))
        except (OSError, LookupError, ValueError, KeyError) as err:
            print(f"fetching uv {version} from the index's JSON page failed ({err}); "
                  "trying pip download", file=sys.stderr)  # fmt: skip
            wheel = wheel_from_pip(version, Path(tmp))
        print(extract(wheel, dest))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
