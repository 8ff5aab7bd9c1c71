"""Real git repositories in temp dirs, for tests."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any


class GitRepo:
    def __init__(self, path: Path, *, init: bool = True, branch: str = "main") -> None:
        self.path = path
        if init:
            path.mkdir(parents=True, exist_ok=True)
            self.git("init", "-q", "-b", branch)

    def git(self, *args: str, check: bool = True) -> str:
        proc = subprocess.run(
            ["git", *args], cwd=self.path, capture_output=True, text=True, check=False
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
        return proc.stdout.strip()

    def write(self, rel: str, content: str | dict[str, Any]) -> Path:
        path = self.path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(content, indent=2) if isinstance(content, dict) else content
        path.write_text(text, encoding="utf-8")
        return path

    def commit(self, message: str, files: dict[str, str | dict[str, Any]] | None = None) -> str:
        for rel, content in (files or {}).items():
            self.write(rel, content)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")

    def checkout(self, ref: str, *, new: bool = False) -> None:
        if new:
            self.git("checkout", "-q", "-b", ref)
        else:
            self.git("checkout", "-q", ref)
