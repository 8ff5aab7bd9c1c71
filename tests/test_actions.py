"""The composite actions and example workflows: contract checks and the shell scripts' behaviour.

The scripts run for real (bash), with a stand-in ``mlgate`` executable that records its
arguments, so that each input's path from ``action.yml`` to the CLI is checked without
installing anything. Schema validation and actionlint run in .ci/run; the end-to-end runs by act
are in test_e2e_act.py.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ACTION_FILES = sorted([ROOT / "action.yml", *ROOT.glob("actions/*/action.yml")])
WORKFLOW_FILES = sorted(
    [*ROOT.glob("examples/*/.github/workflows/*.yml"), *ROOT.glob("examples/workflows/*.yml")]
)
STEPS = ("pull", "train", "compare", "report", "gate", "deploy")
RUN_STEP = ROOT / "actions" / "setup" / "run-step.sh"
INSTALL = ROOT / "actions" / "setup" / "install.sh"


def load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in doc:  # YAML 1.1 reads the key `on` as a boolean
        doc["on"] = doc.pop(True)
    return doc


def ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(ROOT)) for p in paths]


def test_every_step_has_an_action() -> None:
    names = {p.parent.name for p in ROOT.glob("actions/*/action.yml")}
    assert names == {"setup", *STEPS, "drift"}  # drift: actions/drift/drift.sh, not run-step


@pytest.mark.parametrize("path", ACTION_FILES, ids=ids(ACTION_FILES))
def test_action_contract(path: Path) -> None:
    action = load(path)
    assert action["runs"]["using"] == "composite"
    inputs: dict[str, Any] = action.get("inputs") or {}
    for name, spec in inputs.items():
        assert re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", name), f"{name}: kebab-case"
        assert "Default" in spec["description"], f"{name}: the description states the default"
        assert "default" in spec, f"{name}: has a default"
    if "github-token" in inputs:
        assert inputs["github-token"]["default"] == "${{ github.token }}"

    steps = action["runs"]["steps"]
    step_ids = {s.get("id") for s in steps}
    for name, spec in (action.get("outputs") or {}).items():
        match = re.fullmatch(r"\$\{\{ steps\.([a-z-]+)\.outputs\.([a-z-]+) \}\}", spec["value"])
        assert match, f"output {name} is wired to a step output"
        assert match.group(1) in step_ids
        assert match.group(2) == name

    used = set()
    for step in steps:
        if "run" not in step:
            continue
        assert step["shell"] == "bash"
        assert "${{" not in step["run"], "inputs reach scripts through env:, never ${{ }} in run:"
        assert step["run"].lstrip().startswith("set -euo pipefail")
        for value in (step.get("env") or {}).values():
            used.update(re.findall(r"inputs\.([a-z0-9-]+)", str(value)))
    for step in steps:  # inputs used in `if:` and `with:` of other actions count too
        used.update(re.findall(r"inputs\.([a-z0-9-]+)", str(step.get("if", ""))))
        used.update(re.findall(r"inputs\.([a-z0-9-]+)", str(step.get("with", ""))))
    assert set(inputs) <= used, f"inputs never used: {set(inputs) - used}"


@pytest.mark.parametrize("step", STEPS)
def test_step_action_env_matches_what_run_step_reads(step: str) -> None:
    action = load(ROOT / "actions" / step / "action.yml")
    script = RUN_STEP.read_text(encoding="utf-8")
    run = next(s for s in action["runs"]["steps"] if s.get("id") == step)
    for var in run["env"]:
        if var.startswith("IN_"):
            assert f"${{{var}" in script, f"run-step.sh never reads {var}"
    # Every step action installs mlgate itself when an earlier step has not.
    assert "setup/install.sh" in action["runs"]["steps"][0]["run"]


def test_all_in_one_action_chains_the_steps_in_order() -> None:
    action = load(ROOT / "action.yml")
    order = [s.get("id") for s in action["runs"]["steps"]]
    assert order == ["setup", "pull", "train", "compare", "report", "gate"]
    step_inputs = set()
    for step in ("pull", "train", "compare", "report", "gate"):
        step_inputs |= set(load(ROOT / "actions" / step / "action.yml")["inputs"])
    # Step-specific inputs that the all-in-one does not take, on purpose.
    not_forwarded = {"result", "merge", "from-bundle", "baseline-file"}
    assert step_inputs - not_forwarded <= set(action["inputs"])


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=ids(WORKFLOW_FILES))
def test_example_workflow_is_least_privilege(path: Path) -> None:
    flow = load(path)
    perms = flow.get("permissions")
    assert isinstance(perms, dict), "top-level permissions: are explicit"
    assert "write-all" not in str(perms)
    text = path.read_text(encoding="utf-8")
    uses = re.findall(r"uses: (mlgate/mlgate[^\s@]*)@v1", text)
    assert uses, "uses the mlgate actions"
    for ref in uses:
        sub = ref.removeprefix("mlgate/mlgate").lstrip("/")
        assert (ROOT / sub / "action.yml").exists(), ref
    for job in flow["jobs"].values():
        for step in job["steps"]:
            assert "${{" not in step.get("run", ""), "no expressions inside run:"
    writes = {k for k, v in perms.items() if v == "write"}
    if flow["on"].get("pull_request") is not None and "fork" in path.name:
        assert not writes, "the fork half that runs untrusted code has a read-only token"


def test_example_data_matches_its_dvc_file() -> None:
    import hashlib

    data = ROOT / "examples" / "churn" / "data" / "churn.csv"
    out = load(data.with_name("churn.csv.dvc"))["outs"][0]
    assert out["md5"] == hashlib.md5(data.read_bytes()).hexdigest()
    assert out["size"] == data.stat().st_size


# ----- the scripts --------------------------------------------------------------------------

FAKE_MLGATE = """#!/usr/bin/env bash
# Records its arguments, one per line, and exits with $FAKE_RC.
printf '%s\\n' "$@" > "$FAKE_ARGS"
exit "${FAKE_RC:-0}"
"""


@pytest.fixture
def fake_mlgate(tmp_path: Path) -> Path:
    exe = tmp_path / "bin" / "mlgate"
    exe.parent.mkdir()
    exe.write_text(FAKE_MLGATE, encoding="utf-8")
    exe.chmod(0o755)
    return exe


def run_step(
    tmp_path: Path, mlgate: Path, step: str, rc: int = 0, **inputs: str
) -> tuple[subprocess.CompletedProcess[str], list[str], dict[str, str]]:
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    output = tmp_path / "github_output"
    output.write_text("", encoding="utf-8")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "MLGATE": str(mlgate),
        "FAKE_ARGS": str(tmp_path / "args"),
        "FAKE_RC": str(rc),
        "GITHUB_OUTPUT": str(output),
        **{f"IN_{k.upper()}": v for k, v in inputs.items()},
    }
    proc = subprocess.run(
        ["bash", str(RUN_STEP), step], cwd=work, env=env, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    args_file = tmp_path / "args"
    args = args_file.read_text(encoding="utf-8").splitlines() if args_file.exists() else []
    outputs = dict(
        line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines() if line
    )
    return proc, args, outputs


def test_run_step_maps_inputs_to_cli_arguments(tmp_path: Path, fake_mlgate: Path) -> None:
    proc, args, _ = run_step(
        tmp_path, fake_mlgate, "pull", TARGETS="data/a.csv.dvc\ndata/b.csv.dvc", REMOTE="s3",
        JOBS="4", CONFIG="ci/mlgate.yaml", OUT="build/mg",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert args == [
        "pull", "--config", "ci/mlgate.yaml", "--out", "build/mg",
        "--targets", "data/a.csv.dvc", "data/b.csv.dvc", "--remote", "s3", "--jobs", "4",
    ]  # fmt: skip
    assert "::group::mlgate pull" in proc.stdout


def test_run_step_deploy_maps_its_inputs(tmp_path: Path, fake_mlgate: Path) -> None:
    proc, args, _ = run_step(
        tmp_path, fake_mlgate, "deploy", TARGET="gto", FORCE="false", VERSION="2.0.0",
        BASE="release", STAGE="staging", COMMAND="./ship.sh --fast",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert args == [
        "deploy", "--target", "gto", "--version", "2.0.0", "--base", "release",
        "--stage", "staging", "--command", "./ship.sh --fast",
    ]  # fmt: skip


def test_run_step_compare_passes_thresholds_verbatim(tmp_path: Path, fake_mlgate: Path) -> None:
    yaml_text = 'accuracy: {min: 0.9}\n"*": {tolerance: "5%"}'
    proc, args, outputs = run_step(
        tmp_path, fake_mlgate, "compare", THRESHOLDS=yaml_text, REQUIRE_BASELINE="true",
        BASE="develop", METRICS="m.json  eval/m.yaml",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert args[:1] == ["compare"]
    joined = "\n".join(args)
    assert f"--thresholds\n{yaml_text}" in joined
    assert "--require-baseline" in args and "--base" in args
    assert args[args.index("--metrics") + 1 : args.index("--metrics") + 3] == [
        "m.json", "eval/m.yaml",
    ]  # fmt: skip
    assert "result-path" not in outputs  # the fake wrote no result.json


def test_run_step_pull_auto_skips_a_repository_without_dvc(
    tmp_path: Path, fake_mlgate: Path
) -> None:
    proc, args, _ = run_step(tmp_path, fake_mlgate, "pull", PULL="auto")
    assert proc.returncode == 0, proc.stderr
    assert "nothing to pull" in proc.stdout and args == []

    (tmp_path / "work" / ".dvc").mkdir(parents=True)
    (tmp_path / "work" / "sub").mkdir()
    proc, args, _ = run_step(tmp_path, fake_mlgate, "pull", PULL="auto")
    assert proc.returncode == 0 and args == ["pull"]
    proc, args, _ = run_step(tmp_path, fake_mlgate, "pull", PULL="auto", WORKING_DIRECTORY="sub")
    assert args == ["pull"], "a DVC repository above the working directory counts"

    proc, _, _ = run_step(tmp_path, fake_mlgate, "pull", PULL="maybe")
    assert proc.returncode == 2 and "input 'pull' must be auto, true or false" in proc.stdout


def test_run_step_rejects_a_bad_boolean(tmp_path: Path, fake_mlgate: Path) -> None:
    proc, args, _ = run_step(tmp_path, fake_mlgate, "report", DRY_RUN="yes")
    assert proc.returncode == 2
    assert "::error title=mlgate report::input 'dry-run' must be true or false" in proc.stdout
    assert args == [], "mlgate did not run"


def test_run_step_merge_expands_globs_and_names_a_missing_pattern(
    tmp_path: Path, fake_mlgate: Path
) -> None:
    for model in ("b", "a"):
        path = tmp_path / "work" / "results" / model / "result.json"
        path.parent.mkdir(parents=True)
        path.write_text("{}", encoding="utf-8")
    proc, args, _ = run_step(tmp_path, fake_mlgate, "report", MERGE="results/*/result.json")
    assert proc.returncode == 0, proc.stderr
    assert args[-3:] == ["--merge", "results/a/result.json", "results/b/result.json"]

    proc, _, _ = run_step(tmp_path, fake_mlgate, "report", MERGE="nothing/*.json")
    assert proc.returncode == 2
    assert "no file matches 'nothing/*.json'" in proc.stdout


def test_run_step_gate_failure_fails_the_step_with_an_annotation(
    tmp_path: Path, fake_mlgate: Path
) -> None:
    proc, _, _ = run_step(tmp_path, fake_mlgate, "gate", rc=1)
    assert proc.returncode == 1
    assert "::error title=mlgate gate::the gate failed" in proc.stdout
    assert "Fix:" in proc.stdout

    proc, _, _ = run_step(tmp_path, fake_mlgate, "gate", rc=1, FAIL="false")
    assert proc.returncode == 0
    assert "::warning title=mlgate gate::" in proc.stdout

    proc, _, _ = run_step(tmp_path, fake_mlgate, "gate", rc=2, FAIL="false")
    assert proc.returncode == 2, "an error never passes the gate, whatever 'fail' says"


def test_run_step_service_failure_says_what_to_check(tmp_path: Path, fake_mlgate: Path) -> None:
    proc, _, _ = run_step(tmp_path, fake_mlgate, "pull", rc=3)
    assert proc.returncode == 3
    assert "DVC remote URL and its credentials" in proc.stdout


def test_run_step_masks_the_token(tmp_path: Path, fake_mlgate: Path) -> None:
    output = tmp_path / "out"
    env = {
        "PATH": os.environ["PATH"], "MLGATE": str(fake_mlgate), "FAKE_ARGS": str(output),
        "GITHUB_TOKEN": "ghs_secret123",
    }  # fmt: skip
    proc = subprocess.run(
        ["bash", str(RUN_STEP), "gate"], cwd=tmp_path, env=env, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert proc.stdout.splitlines()[0] == "::add-mask::ghs_secret123"


def test_run_step_without_mlgate_says_to_run_setup(tmp_path: Path) -> None:
    proc, _, outputs = run_step(tmp_path, tmp_path / "missing" / "mlgate", "gate")
    assert proc.returncode == 2
    assert "run mlgate/mlgate/actions/setup" in proc.stdout
    assert outputs.get("passed") == "false", "the gate fails closed"


def test_run_step_rejects_a_missing_working_directory(tmp_path: Path, fake_mlgate: Path) -> None:
    proc, args, _ = run_step(tmp_path, fake_mlgate, "train", WORKING_DIRECTORY="nope")
    assert proc.returncode == 2
    assert "'working-directory': 'nope' does not exist" in proc.stdout
    assert args == []


def install(tmp_path: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("MLGATE_", "VIRTUAL_ENV"))}
    full.update(
        RUNNER_TEMP=str(tmp_path / "runner-temp"), GITHUB_OUTPUT=str(tmp_path / "out"),
        GITHUB_PATH=str(tmp_path / "path"), GITHUB_ENV=str(tmp_path / "env"), **env,
    )  # fmt: skip
    return subprocess.run(
        ["bash", str(INSTALL), *argv], env=full, capture_output=True, text=True, check=False
    )


def outputs_of(tmp_path: Path) -> dict[str, str]:
    text = (tmp_path / "out").read_text(encoding="utf-8")
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def test_install_rejects_an_unknown_extra(tmp_path: Path) -> None:
    proc = install(tmp_path, MLGATE_EXTRAS="dvc,tensorflow")
    assert proc.returncode == 2
    assert "unknown extra 'tensorflow' in input 'extras'" in proc.stdout
    assert not (tmp_path / "runner-temp" / "mlgate-venv").exists()


def test_install_plan_gives_a_cache_key_that_depends_on_the_extras(tmp_path: Path) -> None:
    assert install(tmp_path, "plan", MLGATE_EXTRAS="train, DVC").returncode == 0
    key1 = outputs_of(tmp_path)["cache-key"]
    (tmp_path / "out").unlink()
    assert install(tmp_path, "plan", MLGATE_EXTRAS="dvc").returncode == 0
    key2 = outputs_of(tmp_path)["cache-key"]
    assert key1.endswith("-dvc,train") and key2.endswith("-dvc")
    assert key1.rsplit("-", 1)[0] == key2.rsplit("-", 1)[0]


@pytest.mark.slow
def test_install_once_then_reuse(tmp_path: Path) -> None:
    """A real install of the light core into a venv, then a second step that reuses it."""
    first = install(tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    out = outputs_of(tmp_path)
    assert out["installed"] == "true"
    version = subprocess.run([out["mlgate"], "--version"], capture_output=True, text=True)
    assert version.stdout.startswith("mlgate ")
    bindir = (tmp_path / "path").read_text(encoding="utf-8").split()[0]
    assert sorted(os.listdir(bindir)) == ["mlgate"], "only mlgate goes on PATH, not python"
    assert f"MLGATE_VENV={out['venv']}" in (tmp_path / "env").read_text(encoding="utf-8")

    (tmp_path / "out").unlink()
    again = install(tmp_path)
    assert again.returncode == 0
    assert outputs_of(tmp_path)["installed"] == "false"
    assert "already installed" in again.stdout
