"""The composite actions and example workflows: contract checks and the scripts' behaviour.

run-step.sh runs for real (bash), with a stand-in ``mlgate`` executable that records its
arguments, or with the real one; ``mlgate action`` (which turns the inputs into the step's
arguments) runs in-process with a stand-in for the step, so that each input's path from
``action.yml`` to the CLI is checked without running the steps. Schema validation and
actionlint run in .ci/run; the end-to-end runs by act are in test_e2e_act.py.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlgate.cli import action as cli_action
from mlgate.errors import MlgateError, ServiceError, UsageError

ROOT = Path(__file__).resolve().parents[2]
ACTION_FILES = sorted([ROOT / "action.yml", *ROOT.glob("actions/*/action.yml")])
WORKFLOW_FILES = sorted(
    [*ROOT.glob("examples/*/.github/workflows/*.yml"), *ROOT.glob("examples/workflows/*.yml")]
)
STEPS = ("pull", "train", "compare", "report", "gate", "deploy", "drift", "rollback")
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
    assert names == {"setup", *STEPS}


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
def test_step_action_env_matches_what_mlgate_action_reads(step: str) -> None:
    action = load(ROOT / "actions" / step / "action.yml")
    run = next(s for s in action["runs"]["steps"] if s.get("id") == step)
    given = {var for var in run["env"] if var.startswith("IN_")}
    read = {inp.env for inp in cli_action.inputs_of(step)} - {"IN_PULL"}  # pull: all-in-one only
    assert given - {"IN_WORKING_DIRECTORY"} == read, "mlgate action reads exactly the inputs given"
    assert "${IN_WORKING_DIRECTORY" in RUN_STEP.read_text(encoding="utf-8")
    for var in given:
        name = var.removeprefix("IN_").lower().replace("_", "-")
        assert run["env"][var] == f"${{{{ inputs.{name} }}}}", f"{var} carries input '{name}'"
    # Every step action installs mlgate itself when an earlier step has not.
    assert "setup/install.sh" in action["runs"]["steps"][0]["run"]


def test_all_in_one_action_chains_the_steps_in_order() -> None:
    action = load(ROOT / "action.yml")
    order = [s.get("id") for s in action["runs"]["steps"]]
    assert order == ["setup", "pull", "requirements", "train", "compare", "report", "gate"]
    step_inputs = set()
    for step in ("pull", "train", "compare", "report", "gate"):
        step_inputs |= set(load(ROOT / "actions" / step / "action.yml")["inputs"])
    # Step-specific inputs that the all-in-one does not take, on purpose.
    not_forwarded = {"result", "merge", "from-bundle", "baseline-file"}
    assert step_inputs - not_forwarded <= set(action["inputs"])
    for step in action["runs"]["steps"][1:]:
        if step["id"] == "requirements":  # requirements.sh reads it, not mlgate
            continue
        given = {var for var in step["env"] if var.startswith("IN_")}
        read = {inp.env for inp in cli_action.inputs_of(step["id"])}
        assert given - {"IN_WORKING_DIRECTORY"} <= read, f"{step['id']}: mlgate action reads them"


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


# ----- run-step.sh: the dispatcher ----------------------------------------------------------

FAKE_MLGATE = """#!/usr/bin/env bash
# Records its arguments, one per line, and the directory it ran in; exits with $FAKE_RC.
printf '%s\\n' "$@" > "$FAKE_ARGS"
pwd > "$FAKE_ARGS.cwd"
exit "${FAKE_RC:-0}"
"""


@pytest.fixture
def fake_mlgate(tmp_path: Path) -> Path:
    exe = tmp_path / "bin" / "mlgate"
    exe.parent.mkdir()
    exe.write_text(FAKE_MLGATE, encoding="utf-8")
    exe.chmod(0o755)
    return exe


def real_mlgate() -> Path:
    exe = Path(sys.executable).parent / "mlgate"
    assert exe.exists(), f"mlgate is not installed next to {sys.executable}"
    return exe


def run_step(
    tmp_path: Path,
    mlgate: Path,
    step: str,
    rc: int = 0,
    env: dict[str, str] | None = None,
    **inputs: str,
) -> tuple[subprocess.CompletedProcess[str], list[str], dict[str, str]]:
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    output = tmp_path / "github_output"
    output.write_text("", encoding="utf-8")
    full = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "MLGATE": str(mlgate),
        "FAKE_ARGS": str(tmp_path / "args"),
        "FAKE_RC": str(rc),
        "GITHUB_OUTPUT": str(output),
        **(env or {}),
        **{f"IN_{k.upper()}": v for k, v in inputs.items()},
    }
    proc = subprocess.run(
        ["bash", str(RUN_STEP), step], cwd=work, env=full, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    args_file = tmp_path / "args"
    args = args_file.read_text(encoding="utf-8").splitlines() if args_file.exists() else []
    return proc, args, read_outputs(output)


def read_outputs(path: Path) -> dict[str, str]:
    return dict(
        line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines() if "=" in line
    )


def test_run_step_execs_mlgate_action_in_the_working_directory(
    tmp_path: Path, fake_mlgate: Path
) -> None:
    (tmp_path / "work" / "sub").mkdir(parents=True)
    proc, args, _ = run_step(tmp_path, fake_mlgate, "train", rc=3, WORKING_DIRECTORY="sub")
    assert args == ["action", "train"]
    assert (tmp_path / "args.cwd").read_text(encoding="utf-8").strip() == str(
        tmp_path / "work" / "sub"
    )
    assert proc.returncode == 3, "the exit code of mlgate is the step's"
    assert "::error" not in proc.stdout, "mlgate annotates its own failures, once"


def test_run_step_finds_mlgate_in_the_venv(tmp_path: Path, fake_mlgate: Path) -> None:
    proc, args, _ = run_step(
        tmp_path, tmp_path / "nowhere", "gate", env={"MLGATE": "", "MLGATE_VENV": str(tmp_path)}
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert args == ["action", "gate"]


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


def test_run_step_masks_the_token(tmp_path: Path) -> None:
    env = {"GITHUB_TOKEN": "ghs_secret123"}
    proc, _, _ = run_step(tmp_path, real_mlgate(), "gate", env=env, RESULT="missing.json")
    assert proc.stdout.splitlines()[0] == "::add-mask::ghs_secret123"
    assert proc.stdout.count("::add-mask::") == 1


@pytest.mark.parametrize(
    ("step", "inputs", "message"),
    [
        ("report", {"DRY_RUN": "yes"}, "input 'dry-run' must be true or false, got 'yes'"),
        ("pull", {"JOBS": "x"}, "input 'jobs' must be a positive integer, got 'x'"),
        ("gate", {"RESULT": "missing.json"}, "missing.json"),
        ("deploy", {"TARGET": "ftp"}, "input 'target': invalid choice: 'ftp'"),
    ],
)
def test_real_mlgate_annotates_a_failure_exactly_once(
    tmp_path: Path, step: str, inputs: dict[str, str], message: str
) -> None:
    """With the real mlgate on GitHub Actions (where errors are annotations): one per failure."""
    proc, _, outputs = run_step(
        tmp_path, real_mlgate(), step, env={"GITHUB_ACTIONS": "true"}, **inputs
    )
    assert proc.returncode == 2
    log = proc.stdout + proc.stderr
    assert log.count("::error") == 1, log
    assert f"::error title=mlgate {step}::" in proc.stdout and message in proc.stdout
    if step == "gate":
        assert outputs["passed"] == "false", "the gate fails closed"


# ----- mlgate action: inputs -> the step's arguments, outputs, annotations -------------------


def action(
    tmp_path: Path,
    step: str,
    rc: int = 0,
    error: MlgateError | None = None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    **inputs: str,
) -> tuple[int, list[list[str]], dict[str, str]]:
    """``mlgate action STEP`` in this process, with a stand-in for the step that records its
    arguments and returns ``rc`` (and ``error``)."""
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    output = tmp_path / "github_output"
    output.write_text("", encoding="utf-8")
    full = {"GITHUB_OUTPUT": str(output), **(env or {})}
    full.update({f"IN_{k.upper()}": v for k, v in inputs.items()})
    calls: list[list[str]] = []

    def step_runner(argv: list[str]) -> tuple[int, MlgateError | None]:
        calls.append(argv)
        return rc, error

    code = cli_action.run_step(step, full, cwd or work, step_runner)
    return code, calls, read_outputs(output)


def test_action_maps_inputs_to_cli_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, calls, _ = action(
        tmp_path, "pull", TARGETS="data/a.csv.dvc\ndata/b.csv.dvc", REMOTE="s3",
        JOBS="4", CONFIG="ci/mlgate.yaml", OUT="build/mg",
    )  # fmt: skip
    assert code == 0
    assert calls == [[
        "pull", "--config", "ci/mlgate.yaml", "--out", "build/mg",
        "--targets", "data/a.csv.dvc", "data/b.csv.dvc", "--remote", "s3", "--jobs", "4",
    ]]  # fmt: skip
    out = capsys.readouterr().out
    assert "::group::mlgate pull" in out and "::endgroup::" in out


def test_action_deploy_maps_its_inputs(tmp_path: Path) -> None:
    code, calls, _ = action(
        tmp_path, "deploy", TARGET="gto", FORCE="false", VERSION="2.0.0",
        BASE="release", STAGE="staging", COMMAND="./ship.sh --fast",
    )  # fmt: skip
    assert code == 0
    assert calls == [[
        "deploy", "--target", "gto", "--version", "2.0.0", "--base", "release",
        "--stage", "staging", "--command", "./ship.sh --fast",
    ]]  # fmt: skip


def test_action_compare_passes_thresholds_verbatim(tmp_path: Path) -> None:
    yaml_text = 'accuracy: {min: 0.9}\n"*": {tolerance: "5%"}'
    code, calls, outputs = action(
        tmp_path, "compare", THRESHOLDS=yaml_text, REQUIRE_BASELINE="true",
        BASE="develop", METRICS="m.json  eval/m.yaml",
    )  # fmt: skip
    assert code == 0
    args = calls[0]
    assert args[:1] == ["compare"]
    joined = "\n".join(args)
    assert f"--thresholds\n{yaml_text}" in joined
    assert "--require-baseline" in args and "--base" in args
    assert args[args.index("--metrics") + 1 : args.index("--metrics") + 3] == [
        "m.json", "eval/m.yaml",
    ]  # fmt: skip
    assert "result-path" not in outputs, "compare sets result-path itself"


def test_action_every_mapped_argv_parses_with_the_real_cli(tmp_path: Path) -> None:
    from mlgate.cli import build_parser

    parser = build_parser()
    for step in STEPS:
        env = {inp.env: "x" for inp in cli_action.inputs_of(step) if inp.kind != "bool"}
        env |= {inp.env: "true" for inp in cli_action.inputs_of(step) if inp.kind == "bool"}
        env.update(IN_JOBS="2", IN_MERGE="", IN_TARGET="gto", IN_PULL="true")
        args = parser.parse_args(cli_action.step_argv(step, env, tmp_path))
        assert args.subcommand == cli_action.COMMAND_OF.get(step, (step,))[0]


def test_action_pull_auto_skips_a_repository_without_dvc(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, calls, _ = action(tmp_path, "pull", PULL="auto")
    assert code == 0
    assert "nothing to pull" in capsys.readouterr().out and calls == []

    (tmp_path / "work" / ".dvc").mkdir(parents=True)
    (tmp_path / "work" / "sub").mkdir()
    code, calls, _ = action(tmp_path, "pull", PULL="auto")
    assert code == 0 and calls == [["pull"]]
    code, calls, _ = action(tmp_path, "pull", cwd=tmp_path / "work" / "sub", PULL="auto")
    assert calls == [["pull"]], "a DVC repository above the working directory counts"

    code, calls, _ = action(tmp_path, "pull", PULL="false")
    assert code == 0 and calls == []

    code, _, _ = action(tmp_path, "pull", PULL="maybe")
    assert code == 2 and "input 'pull' must be auto, true or false" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("step", "inputs", "message"),
    [
        ("report", {"DRY_RUN": "yes"}, "input 'dry-run' must be true or false, got 'yes'"),
        ("compare", {"REQUIRE_BASELINE": "1"}, "input 'require-baseline' must be true or false"),
        ("deploy", {"FORCE": "True!"}, "input 'force' must be true or false"),
        ("gate", {"FAIL": "no"}, "input 'fail' must be true or false, got 'no'"),
        ("pull", {"JOBS": "0"}, "input 'jobs' must be a positive integer, got '0'"),
        ("pull", {"JOBS": "x"}, "input 'jobs' must be a positive integer, got 'x'"),
        ("pull", {"PULL": "maybe"}, "input 'pull' must be auto, true or false, got 'maybe'"),
        ("report", {"MERGE": "nothing/*.json"}, "input 'merge': no file matches 'nothing/*.json'"),
    ],
)
def test_action_rejects_a_bad_input_by_name_with_one_annotation(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    step: str,
    inputs: dict[str, str],
    message: str,
) -> None:
    code, calls, outputs = action(tmp_path, step, **inputs)
    assert code == 2
    assert calls == [], "the step did not run"
    out = capsys.readouterr().out
    assert out.count("::error") == 1, out
    assert f"::error title=mlgate {step}::{message}" in out
    if step == "gate":
        assert outputs["passed"] == "false", "the gate fails closed"


def test_action_rejects_an_unknown_step(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, calls, _ = action(tmp_path, "publish")
    assert code == 2 and calls == []
    assert "unknown step 'publish'" in capsys.readouterr().out


def test_action_merge_expands_globs(tmp_path: Path) -> None:
    for model in ("b", "a"):
        path = tmp_path / "work" / "results" / model / "result.json"
        path.parent.mkdir(parents=True)
        path.write_text("{}", encoding="utf-8")
    code, calls, _ = action(tmp_path, "report", MERGE="results/*/result.json")
    assert code == 0
    assert calls[0][-3:] == ["--merge", "results/a/result.json", "results/b/result.json"]


def test_action_gate_failure_fails_the_step_with_one_annotation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = action(tmp_path, "gate", rc=1)
    assert code == 1
    out = capsys.readouterr().out
    assert "::error title=mlgate gate::the gate failed" in out and "Fix:" in out
    assert out.count("::error") == 1
    assert "::group::" not in out, "the gate's verdict is not folded away"

    code, _, _ = action(tmp_path, "gate", rc=1, FAIL="false")
    assert code == 0
    out = capsys.readouterr().out
    assert "::warning title=mlgate gate::" in out and "::error" not in out

    code, _, _ = action(tmp_path, "gate", rc=2, FAIL="false")
    assert code == 2, "an error never passes the gate, whatever 'fail' says"


def test_action_drift_maps_its_inputs_and_fail_on_drift(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, calls, _ = action(tmp_path, "drift", rc=1, CURRENT="live.csv", REFERENCE="ref.csv",
                            DRY_RUN="true")
    assert code == 1
    assert calls == [["drift", "--current", "live.csv", "--reference", "ref.csv", "--dry-run"]]
    out = capsys.readouterr().out
    assert out.count("::error") == 1 and "::error title=mlgate drift::data drift found" in out

    code, _, _ = action(tmp_path, "drift", rc=1, CURRENT="live.csv", FAIL_ON_DRIFT="false")
    assert code == 0
    out = capsys.readouterr().out
    assert "::warning title=mlgate drift::" in out and "::error" not in out

    code, calls, _ = action(tmp_path, "drift", rc=0, FAIL_ON_DRIFT="maybe")
    assert code == 2 and calls == []
    assert "input 'fail-on-drift' must be true or false" in capsys.readouterr().out


def test_action_a_missing_required_input_is_named_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli_action.run_step("drift", {}, tmp_path)
    assert code == 2
    out = capsys.readouterr().out
    assert out.count("::error") == 1
    assert "the following arguments are required: input 'current'" in out


def test_action_failure_annotation_is_the_error_or_what_the_exit_code_means(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = action(tmp_path, "pull", rc=3)
    assert code == 3
    out = capsys.readouterr().out
    assert out.count("::error") == 1 and "DVC remote URL and its credentials" in out

    err = UsageError("unknown key 'tresholds'", where="mlgate.yaml", fix="spell it thresholds")
    code, _, _ = action(tmp_path, "compare", rc=2, error=err)
    assert code == 2
    out = capsys.readouterr().out
    assert out.count("::error") == 1
    assert "::error title=mlgate compare::mlgate.yaml: unknown key 'tresholds'%0A" in out
    assert "How to fix: spell it thresholds" in out

    fixed = ServiceError("the remote said 503", fix="retry later")
    assert cli_action.failure_message("report", 3, fixed).endswith("retry later")
    bare = ServiceError("the remote said 503")
    assert "'checks: write'" in cli_action.failure_message("report", 3, bare)
    assert cli_action.failure_message("deploy", 1, None).startswith("mlgate deploy refused")


def test_action_sets_the_outputs_the_steps_do_not_set_with_absolute_paths(
    tmp_path: Path,
) -> None:
    model = tmp_path / "work" / "build" / "model" / "model.joblib"
    model.parent.mkdir(parents=True)
    model.write_bytes(b"model")
    (tmp_path / "work" / ".mlgate" / "bundle").mkdir(parents=True)
    _, _, outputs = action(tmp_path, "train", OUT="build")
    assert outputs == {"model-path": str(model)}
    _, _, outputs = action(tmp_path, "report")
    assert outputs == {"bundle-path": str(tmp_path / "work" / ".mlgate" / "bundle")}
    _, _, outputs = action(tmp_path, "train")
    assert outputs == {}, "no model, no model-path"


def test_action_keeps_a_copy_of_the_job_summary(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("## mlgate\n", encoding="utf-8")
    copy = tmp_path / "copy.md"
    env = {"GITHUB_STEP_SUMMARY": str(summary), "MLGATE_SUMMARY_COPY": str(copy)}
    action(tmp_path, "report", env=env)
    action(tmp_path, "gate", rc=1, env=env)
    assert copy.read_text(encoding="utf-8") == "## mlgate\n## mlgate\n"


# ----- install.sh ---------------------------------------------------------------------------


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


# ----- the lock and the uv bootstrap ---------------------------------------------------------

LOCK = ROOT / "actions" / "setup" / "constraints.txt"


def lock_pins() -> dict[str, str]:
    """{normalised name: version} of the lock's pins that hold on every platform and Python."""
    pins = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        if "==" in line and not line.startswith((" ", "#")) and ";" not in line:
            name, version = line.split("==")
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    return pins


def test_lock_records_the_requirements_of_pyproject(tmp_path: Path) -> None:
    check = subprocess.run(
        ["bash", str(ROOT / "actions" / "setup" / "lock.sh"), "--check"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
    pins = lock_pins()
    for name in ("pyyaml", "jinja2", "pygithub", "dvc", "joblib", "uv", "hatchling"):
        assert name in pins, f"{name} is pinned"

    # A dependency added to pyproject.toml without re-locking: the check names it.
    changed = tmp_path / "pyproject.toml"
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    changed.write_text(text.replace('"joblib>=1.3"', '"joblib>=1.4", "xgboost>=2"'), "utf-8")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "actions" / "setup" / "lock.py"), "check", str(changed),
         str(LOCK)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "pyproject.toml has '[train] xgboost>=2', the lock does not" in proc.stdout
    assert "the lock has '[train] joblib>=1.3', pyproject.toml does not" in proc.stdout
    assert "bash actions/setup/lock.sh" in proc.stdout


def test_fetch_uv_picks_this_platforms_wheel() -> None:
    import importlib.util
    import platform

    spec = importlib.util.spec_from_file_location("fetch_uv", ROOT / "actions/setup/fetch_uv.py")
    assert spec and spec.loader
    fetch_uv = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fetch_uv)
    machine = platform.machine().lower()
    files = [
        {"filename": f"uv-0.9.1-py3-none-manylinux_2_17_{machine}.manylinux2014_{machine}.whl"},
        {"filename": "uv-0.9.1.tar.gz"},
        {"filename": f"uv-0.9.0-py3-none-manylinux_2_17_{machine}.whl"},
        {"filename": f"uv-0.9.0-py3-none-musllinux_1_1_{machine}.whl"},
        {"filename": f"uv-0.9.0-py3-none-macosx_11_0_{machine}.whl"},
        {"filename": "uv-0.9.0-py3-none-win_amd64.whl"},
    ]
    family = fetch_uv.platform_suffixes()[0]
    picked = str(fetch_uv.pick_wheel(files, "0.9.0")["filename"])
    assert picked.startswith("uv-0.9.0-") and family in picked
    assert picked.endswith(f"_{machine}.whl")
    with pytest.raises(LookupError):
        fetch_uv.pick_wheel(files, "0.8.0")


def test_install_plan_keys_the_cache_on_the_lock_and_the_python(tmp_path: Path) -> None:
    from tests.helpers.act import make_action_repo

    copy = make_action_repo(tmp_path / "action")
    script = copy / "actions" / "setup" / "install.sh"

    def plan() -> dict[str, str]:
        (tmp_path / "out").unlink(missing_ok=True)
        full = {k: v for k, v in os.environ.items() if not k.startswith("MLGATE_")}
        full.update(GITHUB_OUTPUT=str(tmp_path / "out"), RUNNER_TEMP=str(tmp_path / "rt"),
                    MLGATE_EXTRAS="dvc")  # fmt: skip
        proc = subprocess.run(["bash", str(script), "plan"], env=full, capture_output=True,
                              text=True, check=False)  # fmt: skip
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return outputs_of(tmp_path)

    first = plan()
    version = ".".join(str(n) for n in sys.version_info[:3])
    assert f"-py{version}-" in first["cache-key"]
    assert first["cache-key"].startswith(first["restore-key"]), "restore-key is a prefix"
    assert first["cache-key"].endswith("-dvc")
    lock = copy / "actions" / "setup" / "constraints.txt"
    lock.write_text(lock.read_text(encoding="utf-8") + "# re-locked\n", encoding="utf-8")
    second = plan()
    assert second["restore-key"] != first["restore-key"], "other pins, other cache"


def without_uv(path: str) -> str:
    return os.pathsep.join(d for d in path.split(os.pathsep) if d and not (Path(d) / "uv").exists())


@pytest.mark.slow
def test_install_without_uv_fetches_the_locked_uv_and_installs_the_pins(tmp_path: Path) -> None:
    """A runner without uv (GitHub's images have none): the lock's uv is fetched into the tool
    cache, the venv gets the lock's versions and mlgate's bytecode."""
    tool_cache = tmp_path / "tool-cache"
    proc = install(tmp_path, PATH=without_uv(os.environ["PATH"]), RUNNER_TOOL_CACHE=str(tool_cache))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    pins = lock_pins()
    fetched = list(tool_cache.glob("mlgate-uv/*/*/uv"))
    assert [p.parent.parent.name for p in fetched] == [pins["uv"]], proc.stderr
    assert "installing with pip" not in proc.stdout, "uv was used"

    python = outputs_of(tmp_path)["python"]
    versions = subprocess.run(
        [python, "-c", "import importlib.metadata as m\n"
         "for name in ('PyYAML', 'Jinja2', 'PyGithub'): print(name.lower(), m.version(name))"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    installed = dict(zip(versions[::2], versions[1::2], strict=True))
    for name, version in installed.items():
        assert version == pins[name], f"{name} {version} is not the lock's {pins[name]}"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert list((Path(site) / "mlgate" / "__pycache__").glob("cli*.pyc")) or list(
        (Path(site) / "mlgate" / "__pycache__").glob("__init__*.pyc")
    ), "mlgate's bytecode is compiled at install"


# ----- requirements.sh: the user's packages in the job's Python ------------------------------

REQUIREMENTS = ROOT / "actions" / "setup" / "requirements.sh"


def requirements(
    tmp_path: Path, workdir: Path, path: str, **inputs: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLGATE_", "VIRTUAL_ENV"))}
    env.update(PATH=path, RUNNER_TEMP=str(tmp_path / "runner-temp"))
    env.update({f"IN_{k.upper()}": v for k, v in inputs.items()})
    return subprocess.run(["bash", str(REQUIREMENTS)], cwd=workdir, env=env, capture_output=True,
                          text=True, check=False)  # fmt: skip


@pytest.mark.parametrize(
    ("inputs", "code", "message"),
    [
        ({}, 0, "no requirements.txt in .: nothing to install"),
        ({"REQUIREMENTS": "false"}, 0, "installing no requirements"),
        (
            {"REQUIREMENTS": "ci/reqs.txt"},
            2,
            "::error title=mlgate requirements::input 'requirements': 'ci/reqs.txt' not found",
        ),
        (
            {"WORKING_DIRECTORY": "nope"},
            2,
            "input 'working-directory': 'nope' does not exist",
        ),
    ],
)
def test_requirements_without_a_file_to_install(
    tmp_path: Path, inputs: dict[str, str], code: int, message: str
) -> None:
    proc = requirements(tmp_path, tmp_path, os.environ["PATH"], **inputs)
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert message in proc.stdout


def tiny_wheel(dest: Path, name: str = "tinydep", version: str = "1.0") -> Path:
    """A pure-Python wheel made here, so that installing it needs no network."""
    import base64
    import hashlib
    import zipfile

    files = {
        f"{name}/__init__.py": "SCORE = 0.875\n",
        f"{name}-{version}.dist-info/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        ),
        f"{name}-{version}.dist-info/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: mlgate-tests\nRoot-Is-Purelib: true\n"
            "Tag: py3-none-any\n"
        ),
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    record.append(f"{name}-{version}.dist-info/RECORD,,")
    files[f"{name}-{version}.dist-info/RECORD"] = "\n".join(record) + "\n"
    dest.mkdir(parents=True, exist_ok=True)
    wheel = dest / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return wheel


TRAIN_PY = """\
import json, sys
import tinydep  # from requirements.txt, not from mlgate's venv
json.dump({"score": tinydep.SCORE, "python": sys.executable}, open("metrics.json", "w"))
"""
DVC_YAML = """\
stages:
  train:
    cmd: python train.py
    deps: [train.py]
    metrics:
      - metrics.json:
          cache: false
"""


@pytest.mark.slow
def test_requirements_reach_the_users_dvc_pipeline_run_with_the_jobs_python(
    tmp_path: Path,
) -> None:
    """issue 15: a dvc.yaml pipeline whose train.py needs a package from requirements.txt.

    The job's Python (setup-python's in a workflow; a fresh venv here) gets the requirements;
    `dvc repro`, run by mlgate from its own venv, runs the stage with the job's Python.
    """
    job_python = tmp_path / "job-python"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(job_python)], check=True)
    mlgate_bin = tmp_path / "mlgate-bin"  # what install.sh puts on PATH: mlgate and dvc only
    mlgate_bin.mkdir()
    for tool in ("mlgate", "dvc"):
        (mlgate_bin / tool).symlink_to(Path(sys.executable).parent / tool)
    beside = Path(sys.executable).parent
    others = [d for d in os.environ["PATH"].split(os.pathsep) if Path(d) != beside]
    path = os.pathsep.join([str(job_python / "bin"), str(mlgate_bin), *others])

    project = tmp_path / "project"
    project.mkdir()
    tiny_wheel(project / "wheels")
    (project / "requirements.txt").write_text("./wheels/tinydep-1.0-py3-none-any.whl\n", "utf-8")
    (project / "train.py").write_text(TRAIN_PY, encoding="utf-8")
    (project / "dvc.yaml").write_text(DVC_YAML, encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    subprocess.run([str(mlgate_bin / "dvc"), "init", "-q"], cwd=project, check=True)

    def train() -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MLGATE_", "VIRTUAL_ENV"))}
        env.update(PATH=path, MLGATE=str(mlgate_bin / "mlgate"))
        return subprocess.run(["bash", str(RUN_STEP), "train"], cwd=project, env=env,
                              capture_output=True, text=True, check=False)  # fmt: skip

    before = train()
    assert before.returncode != 0, "without the requirements, train.py cannot import tinydep"
    assert "No module named 'tinydep'" in before.stdout + before.stderr

    proc = requirements(tmp_path, project, path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"installed requirements.txt into {job_python / 'bin' / 'python3'}" in proc.stdout

    after = train()
    assert after.returncode == 0, after.stdout + after.stderr
    metrics = json.loads((project / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["score"] == 0.875
    assert Path(metrics["python"]).parent == job_python / "bin", "the job's Python ran train.py"


@pytest.mark.slow
def test_requirements_install_failure_names_the_input(tmp_path: Path) -> None:
    job_python = tmp_path / "job-python"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(job_python)], check=True)
    (tmp_path / "reqs.txt").write_text("./missing/nothing-1.0-py3-none-any.whl\n", "utf-8")
    path = os.pathsep.join([str(job_python / "bin"), os.environ["PATH"]])
    proc = requirements(tmp_path, tmp_path, path, REQUIREMENTS="reqs.txt")
    assert proc.returncode == 3
    assert "::error title=mlgate requirements::input 'requirements': installing 'reqs.txt'" in (
        proc.stdout
    )


# ----- the act recipe of docs/actions.md is the one the e2e tests run ------------------------


def recipe_flags(argv: list[str]) -> set[tuple[str, str]]:
    """(flag, what it names) of an act command line: values that are paths or secrets are
    reduced to what they map (`--local-repository REF=dir` -> REF)."""
    no_value = {"--no-cache-server", "--json"}
    flags, i = set(), 2  # after `act EVENT`
    while i < len(argv):
        flag = argv[i]
        if flag in no_value:
            flags.add((flag, ""))
            i += 1
            continue
        value = argv[i + 1]
        if flag in ("--local-repository", "--env", "-s"):
            value = value.split("=", 1)[0]
        elif flag in ("-W", "-e", "--action-cache-path"):
            value = ""
        flags.add((flag, value))
        i += 2
    return flags


def test_the_documented_act_recipe_is_the_one_the_e2e_tests_run(tmp_path: Path) -> None:
    import shlex

    from tests.helpers import act

    documented = shlex.split(act.documented_block("act-command").replace("\\\n", " "))
    stubs = act.write_stub_actions(tmp_path / "stubs")
    used = act.act_command(
        "act", "pull_request", tmp_path / "pr.yml", tmp_path / "event.json",
        action_repo=tmp_path / "action", stubs=stubs, api_url="http://127.0.0.1:1", token="t",
        cache_dir=tmp_path / "cache",
    )  # fmt: skip
    assert documented[:2] == ["act", "pull_request"]
    missing = recipe_flags(documented) - recipe_flags(used)
    assert not missing, f"the e2e helper does not pass what docs/actions.md says: {missing}"
    assert ("--local-repository", "actions/cache@v5") in recipe_flags(documented)

    # The documented stand-in for actions/cache is a composite action taking setup's inputs.
    stub = load(stubs["actions/cache@v5"] / "action.yml")
    assert stub["runs"]["using"] == "composite"
    setup = load(ROOT / "actions" / "setup" / "action.yml")
    cache_step = next(s for s in setup["runs"]["steps"] if "actions/cache" in s.get("uses", ""))
    assert cache_step["uses"] == "actions/cache@v5"
    assert set(cache_step["with"]) <= set(stub["inputs"])
