"""Run one step for the GitHub composite actions (internal: called by actions/setup/run-step.sh).

The action's inputs arrive as environment variables, one per input (``dry-run`` as
``IN_DRY_RUN``), never through ``${{ }}`` in a script. They are validated here, once, and
turned into the step's command-line arguments; an invalid input is an error naming it. The step
then runs in this process, and every failure ends in exactly one ``::error::`` annotation.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from mlgate.adapters.actions import GitHubEnv, annotate, copy_summary, group, mask, set_output
from mlgate.errors import (
    EXIT_GATE_FAILED,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_SERVICE,
    EXIT_USAGE,
    MlgateError,
    UsageError,
)

STEPS = ("pull", "train", "compare", "report", "gate", "deploy", "drift", "rollback")
# Steps that are a mode of another command: the command line they start with.
COMMAND_OF = {"rollback": ("deploy", "--rollback")}


@dataclass(frozen=True, slots=True)
class Input:
    """An action input: its name in action.yml, the CLI flag it sets, and its kind.

    Kinds: ``text`` (passed as is when not empty), ``words`` (a space- or newline-separated
    list), ``bool`` (true or false; true adds the flag), ``count`` (a positive integer),
    ``globs`` (patterns expanded here, each must match). Without a flag the input is read by
    this module itself (``pull``, ``fail``).
    """

    name: str
    flag: str | None = None
    kind: str = "text"

    @property
    def env(self) -> str:
        return "IN_" + self.name.upper().replace("-", "_")


COMMON = (Input("config", "--config"), Input("out", "--out"))
FAIL = Input("fail", kind="bool")
FAIL_ON_DRIFT = Input("fail-on-drift", kind="bool")
INPUTS: dict[str, tuple[Input, ...]] = {
    "pull": (
        Input("targets", "--targets", "words"),
        Input("remote", "--remote"),
        Input("jobs", "--jobs", "count"),
        Input("pull"),
    ),
    "train": (Input("command", "--command"),),
    "compare": (
        Input("base", "--base"),
        Input("metrics", "--metrics", "words"),
        Input("thresholds", "--thresholds"),
        Input("require-baseline", "--require-baseline", "bool"),
        Input("baseline-file", "--baseline-file"),
    ),
    "report": (
        Input("result", "--result"),
        Input("template", "--template"),
        Input("name", "--name"),
        Input("merge", "--merge", "globs"),
        Input("dry-run", "--dry-run", "bool"),
        Input("from-bundle", "--from-bundle"),
    ),
    "gate": (Input("result", "--result"), FAIL),
    "deploy": (
        Input("target", "--target"),
        Input("result", "--result"),
        Input("force", "--force", "bool"),
        Input("version", "--version"),
        Input("base", "--base"),
        Input("stage", "--stage"),
        Input("command", "--command"),
    ),
    "drift": (
        Input("current", "--current"),
        Input("reference", "--reference"),
        Input("model", "--model"),
        Input("name", "--name"),
        Input("dry-run", "--dry-run", "bool"),
        FAIL_ON_DRIFT,
    ),
    "rollback": (
        Input("target", "--target"),
        Input("to", "--to"),
        Input("stage", "--stage"),
        Input("command", "--command"),
    ),
}

GATE_FAILED = (
    "the gate failed: the rules listed above are not met. Fix: improve the model, or change "
    "thresholds in mlgate.yaml if the new metrics are acceptable"
)
DRIFT_FOUND = "data drift found: see the report in the job summary and the drift issue"
SERVICE_HINTS = {
    "pull": "check the DVC remote URL and its credentials (pass them with env: from secrets)",
    "report": "check that the token has 'pull-requests: write' and 'checks: write' "
    "permissions, then re-run",
    "deploy": "check the deploy target's credentials (a release needs 'contents: write'), "
    "then re-run",
    "rollback": "check the deploy target's credentials (a release needs 'contents: write'), "
    "then re-run",
}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("step", metavar="STEP", help=f"one of: {', '.join(STEPS)}")


def run(args: argparse.Namespace) -> int:
    return run_step(args.step, os.environ, Path.cwd())


# ----- inputs -> arguments ------------------------------------------------------------------


def inputs_of(step: str) -> tuple[Input, ...]:
    return (*COMMON, *INPUTS[step])


def read_bool(inp: Input, env: Mapping[str, str], default: bool = False) -> bool:
    value = env.get(inp.env, "").strip()
    if not value:
        return default
    if value not in ("true", "false"):
        raise UsageError(f"input '{inp.name}' must be true or false, got '{value}'")
    return value == "true"


def _values(inp: Input, env: Mapping[str, str], cwd: Path) -> list[str]:
    """The values of one input for its flag ([] when it adds nothing)."""
    value = env.get(inp.env, "")
    if inp.kind == "bool":
        return [""] if read_bool(inp, env) else []
    if not value:
        return []
    if inp.kind == "count":
        if not re.fullmatch(r"[1-9][0-9]*", value.strip()):
            raise UsageError(f"input '{inp.name}' must be a positive integer, got '{value}'")
        return [value.strip()]
    if inp.kind == "words":
        return value.split()
    if inp.kind == "globs":
        return [path for pattern in value.split() for path in _expand(inp, pattern, cwd)]
    return [value]


def _expand(inp: Input, pattern: str, cwd: Path) -> list[str]:
    import glob  # the `globs` inputs of report and deploy only

    found = sorted(glob.glob(pattern, root_dir=cwd))
    if not found:
        raise UsageError(
            f"input '{inp.name}': no file matches '{pattern}' (in {cwd})",
            fix="download the result artifacts first, or correct the pattern",
        )
    return found


def step_argv(step: str, env: Mapping[str, str], cwd: Path) -> list[str]:
    """The command line for ``step`` from the action inputs in ``env``."""
    if step not in INPUTS:
        raise UsageError(f"unknown step '{step}'", fix=f"use one of: {', '.join(STEPS)}")
    argv = list(COMMAND_OF.get(step, (step,)))
    for inp in inputs_of(step):
        values = _values(inp, env, cwd)
        if inp.flag and values:
            argv += [inp.flag] if values == [""] else [inp.flag, *values]
    if step == "pull" and env.get("IN_PULL", "").strip() == "all":
        argv.append("--all")  # stage outputs too
    return argv


def pull_skipped(env: Mapping[str, str], cwd: Path) -> str | None:
    """Why the pull step has nothing to do (input ``pull``: auto, true, all or false), else
    None."""
    value = env.get("IN_PULL", "").strip() or "true"
    if value not in ("auto", "true", "all", "false"):
        raise UsageError(f"input 'pull' must be auto, true or false, got '{value}' (or all: "
                         "the outputs of dvc.yaml stages too)")
    if value == "false":
        return "input 'pull' is false: nothing to pull"
    if value == "auto":
        from mlgate.adapters.dvc import find_root

        # The same DVC repository `mlgate pull` would use: a .dvc directory here or above.
        if not (find_root(cwd) / ".dvc").is_dir():
            return "no DVC repository here (no .dvc directory): nothing to pull"
    return None


# ----- running the step ---------------------------------------------------------------------

# The step's exit code and, when it raised one, the error to show.
Outcome = tuple[int, MlgateError | None]
StepRunner = Callable[[list[str]], Outcome]


def run_cli(argv: list[str]) -> Outcome:
    """Run ``mlgate ARGV`` in this process; errors are returned, not printed."""
    from mlgate.cli import COMMANDS, WidthFormatter, add_common_arguments

    step = argv[0]
    # A parser for the one step that raises instead of exiting, so that an argument the CLI
    # rejects (e.g. an unknown deploy target) is reported as the input that set it.
    parser = _RaisingParser(prog=f"mlgate {step}", exit_on_error=False,
                            formatter_class=WidthFormatter)
    add_common_arguments(parser)
    COMMANDS[step].configure(parser)
    try:
        args = parser.parse_args(argv[1:])
        return int(COMMANDS[step].run(args)), None
    except argparse.ArgumentError as err:
        return EXIT_USAGE, UsageError(
            f"input '{_input_for(step, err.argument_name)}': {err.message}"
        )
    except MlgateError as err:
        return err.exit_code, err
    except KeyboardInterrupt:
        return 130, MlgateError("interrupted")
    except BrokenPipeError:
        raise  # a closed stdout: cli.entry ends quietly (exit 141), as for every command
    except Exception as err:
        if os.environ.get("MLGATE_DEBUG"):
            raise
        return EXIT_INTERNAL, MlgateError(
            f"internal error: {type(err).__name__}: {err}",
            fix="this is a bug in mlgate. Re-run with MLGATE_DEBUG=1 for the traceback and "
            "report it",
        )


class _RaisingParser(argparse.ArgumentParser):
    """Raises instead of printing usage and exiting (e.g. for a missing required flag)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(re.sub(r"--([a-z-]+)", r"input '\1'", message),
                         fix="set the input in the workflow")


def _input_for(step: str, flag: str | None) -> str:
    flags = (flag or "").split("/")
    names = [inp.name for inp in inputs_of(step) if inp.flag and inp.flag in flags]
    return names[0] if names else str(flag)


def failure_message(step: str, code: int, error: MlgateError | None) -> str:
    """The one annotation a failed step gets: the error, or what its exit code means."""
    detail = error.render() if error else None
    if code == EXIT_GATE_FAILED:
        if step == "gate" and detail is None:
            return GATE_FAILED
        if step == "drift" and detail is None:
            return DRIFT_FOUND
        return detail or f"mlgate {step} refused (exit 1): see the message above"
    if code == EXIT_USAGE:
        return detail or (
            "bad input (exit 2): see the message above, which names the file, key or input to fix"
        )
    if code == EXIT_SERVICE:
        lead = detail or "an outside service failed after retries (exit 3)"
        if error and error.fix:
            return lead
        hint = SERVICE_HINTS.get(step, "re-run the job; if it persists, see the message above")
        return f"{lead}\nFix: {hint}"
    return detail or f"mlgate {step} exited with {code}"


def write_outputs(step: str, env: Mapping[str, str], cwd: Path, gh: GitHubEnv) -> None:
    """The outputs the steps do not set themselves (absolute paths)."""
    from mlgate.config import out_dir

    out = out_dir(env.get("IN_OUT") or None, cwd)
    if step == "train":
        from mlgate.train.save import MODEL_DIR, MODEL_FILE

        model = out / MODEL_DIR / MODEL_FILE
        if model.is_file():
            set_output("model-path", str(model), gh)
    if step == "report":
        from mlgate.report.publish import BUNDLE_DIR

        if (out / BUNDLE_DIR).is_dir():
            set_output("bundle-path", str(out / BUNDLE_DIR), gh)


# What exit 1 means when the input that decides whether it fails the job is false.
KEEP_GOING = {
    "gate": "the gate failed; the job goes on because input 'fail' is false",
    "drift": "data drift found; the job goes on because input 'fail-on-drift' is false",
}


def _fails_job(step: str, env: Mapping[str, str]) -> bool:
    """Whether exit 1 (gate failed, drift found) fails the job."""
    if step == "gate":
        return read_bool(FAIL, env, default=True)
    if step == "drift":
        return read_bool(FAIL_ON_DRIFT, env, default=True)
    return True


# ----- steps before compare: a failure is recorded for the report ------------------------------

# The steps whose failure `mlgate report` renders (there is no result.json after them).
RECORDED = ("pull", "requirements", "train")
# Steps that are a script of the action, run (and recorded) here: the script annotates itself.
SCRIPTS = {"requirements": "actions/setup/requirements.sh"}


def _out(env: Mapping[str, str], cwd: Path) -> Path:
    from mlgate.config import out_dir

    return out_dir(env.get("IN_OUT") or None, cwd)


def run_recorded(
    step: str, argv: list[str], env: Mapping[str, str], cwd: Path, runner: StepRunner
) -> Outcome:
    """Run a step before compare, keeping the tail of its log (its child processes' output
    too); when it fails, leave ``failed-step.json`` for the report step."""
    from mlgate import failure

    out = _out(env, cwd)
    failure.clear(out)
    tail = failure.LogTail()
    with failure.capture_output(tail):
        code, error = runner(argv)
    if code != EXIT_OK:
        message = error.render().splitlines()[0] if error else f"{step} exited with {code}"
        failure.save(out, failure.FailedStep(
            step=step, exit_code=code, command=getattr(error, "command", None),
            message=message, log_tail=tail.result()))
    return code, error


def run_script(step: str, env: Mapping[str, str], cwd: Path) -> int:
    """A script of the action (e.g. the requirements install), recorded as a step: exit code
    as is, no annotation of ours (the script writes its own)."""
    import subprocess

    script = Path(env.get("ACTION_PATH") or ".") / SCRIPTS[step]
    # run-step.sh has already changed to the working directory.
    child_env = {**env, "IN_WORKING_DIRECTORY": "."}

    def runner(_argv: list[str]) -> Outcome:
        proc = subprocess.run(["bash", str(script)], cwd=cwd, env=child_env, check=False)
        return proc.returncode, None

    code, _ = run_recorded(step, [step], env, cwd, runner)
    return code


def run_step(step: str, env: Mapping[str, str], cwd: Path, runner: StepRunner = run_cli) -> int:
    """Validate the inputs, run the step, set its outputs; returns the step's exit code."""
    gh = GitHubEnv.from_env(env)
    mask(gh.token)
    title = f"mlgate {step}"
    if step in SCRIPTS:
        return run_script(step, env, cwd)
    try:
        argv = step_argv(step, env, cwd)
        fail_job = _fails_job(step, env)
        skipped = pull_skipped(env, cwd) if step == "pull" else None
    except UsageError as err:
        if step == "gate":
            set_output("passed", "false", gh)  # the gate fails closed
        annotate("error", title, err.render())
        return EXIT_USAGE
    if skipped:
        print(skipped, flush=True)
        return EXIT_OK
    # The gate's verdict stays visible; the other steps' logs are folded.
    with group(None if step == "gate" else f"mlgate {' '.join(argv)}"):
        if step in RECORDED:
            code, error = run_recorded(step, argv, env, cwd, runner)
        else:
            code, error = runner(argv)
    copy_summary(gh, env.get("MLGATE_SUMMARY_COPY"))
    write_outputs(step, env, cwd, gh)
    if code == EXIT_OK:
        return EXIT_OK
    if code == EXIT_GATE_FAILED and not fail_job:
        annotate("warning", title, KEEP_GOING[step])
        return EXIT_OK
    annotate("error", title, failure_message(step, code, error))
    return code
