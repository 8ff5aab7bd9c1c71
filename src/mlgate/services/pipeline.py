"""``mlgate run``: the whole pipeline in one process, pull → train → compare → report → gate.

Each step calls the service of the command of the same name, with the options ``mlgate run``
was given, so it behaves like the chained commands (and actions). A step that fails stops the
pipeline with its exit code; the gate's exit code is the pipeline's. What each step did comes
from its typed outcome.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mlgate import failure
from mlgate.adapters.actions import GitHubEnv
from mlgate.config import Config, Paths
from mlgate.console import PRINTING, Console, Write
from mlgate.errors import EXIT_GATE_FAILED, EXIT_OK, MlgateError
from mlgate.services.compare import CompareOptions, run_compare
from mlgate.services.gate import GateOptions, run_gate
from mlgate.services.pull import PullOptions, run_pull
from mlgate.services.report import ReportOptions, run_report
from mlgate.services.train import TrainOptions, run_train

if TYPE_CHECKING:
    from mlgate.adapters.github import Connect

STEPS = ("pull", "train", "compare", "report", "gate")
# Steps whose failure is recorded (mlgate.failure) and reported: there is no result.json.
RECORDED = ("pull", "train")

OK = "ok"
FAILED = "failed"
SKIPPED = "skipped"
NOT_RUN = "not run"
GATE_PASSED = "passed"
GATE_FAILED = "blocked"


@dataclass(frozen=True)
class PipelineOptions:
    """What ``mlgate run`` passes on to the steps."""

    config: Config
    paths: Paths
    config_file: str | None = None  # --config, for a retrained baseline's own run
    base: str | None = None
    dry_run: bool = False


@dataclass
class StepResult:
    name: str
    status: str
    exit_code: int = EXIT_OK
    seconds: float = 0.0
    detail: str = ""
    output: str = ""  # what the step said (its console lines)
    error: MlgateError | None = field(default=None, repr=False)


@dataclass
class PipelineResult:
    steps: list[StepResult]
    exit_code: int
    seconds: float

    @property
    def failed_step(self) -> StepResult | None:
        return next((s for s in self.steps if s.status == FAILED), None)

    def step(self, name: str) -> StepResult:
        return next(s for s in self.steps if s.name == name)


# ----- planning (pure) ----------------------------------------------------------------------


def skip_reason(name: str, *, has_dvc: bool, has_dvc_yaml: bool, config: Config) -> str | None:
    """Why a step is skipped in this repository, or None when it runs."""
    if name == "pull" and not has_dvc:
        return "no .dvc directory: the repository does not use DVC, nothing to pull"
    if name == "train" and config.train is None and not has_dvc_yaml:
        return (
            "nothing to train: no `train:` in the config and no dvc.yaml; "
            "the metrics files are compared as they are"
        )
    return None


# ----- the steps: each calls its service and says what it did -------------------------------

# A step's (status, one-line description) when it did not raise.
# ``connect``: builds the GitHub client (the command's main makes it; only report uses it).
StepRun = Callable[[PipelineOptions, GitHubEnv, Console, "Connect | None"], "tuple[str, str]"]


def _pull(
    options: PipelineOptions, _gh: GitHubEnv, console: Console, _connect: Connect | None
) -> tuple[str, str]:
    pulled = run_pull(PullOptions(config=options.config, cwd=options.paths.root), console)
    return OK, pulled.describe()


def _train(
    options: PipelineOptions, _gh: GitHubEnv, console: Console, _connect: Connect | None
) -> tuple[str, str]:
    trained = run_train(TrainOptions(config=options.config, paths=options.paths), console)
    return OK, trained.describe()


def compare_options(options: PipelineOptions) -> CompareOptions:
    return CompareOptions(config=options.config, paths=options.paths, base=options.base,
                          config_file=options.config_file)


def _compare(
    options: PipelineOptions, gh: GitHubEnv, console: Console, _connect: Connect | None
) -> tuple[str, str]:
    return OK, run_compare(compare_options(options), gh, console).describe()


def report_options(options: PipelineOptions) -> ReportOptions:
    return ReportOptions(config=options.config, paths=options.paths, dry_run=options.dry_run)


def _report(
    options: PipelineOptions, gh: GitHubEnv, console: Console, connect: Connect | None
) -> tuple[str, str]:
    reported = run_report(report_options(options), gh, console, connect)
    return OK, reported.describe(options.paths.root)


def _gate(
    options: PipelineOptions, _gh: GitHubEnv, console: Console, _connect: Connect | None
) -> tuple[str, str]:
    gate = run_gate(GateOptions(result_path=options.paths.result))
    write = console.out if gate.passed else console.err
    for line in gate.lines():
        write(line)
    return (GATE_PASSED if gate.passed else GATE_FAILED), gate.headline()


STEP_RUNS: dict[str, StepRun] = {
    "pull": _pull,
    "train": _train,
    "compare": _compare,
    "report": _report,
    "gate": _gate,
}


# ----- running ------------------------------------------------------------------------------


def _tee(lines: list[str], write: Write) -> Write:
    def both(text: str) -> None:
        lines.append(text)
        write(text)

    return both


def run_step(
    name: str, options: PipelineOptions, gh: GitHubEnv, console: Console = PRINTING,
    connect: Connect | None = None,
) -> StepResult:
    """Run one step, timing it and keeping what it said; an MlgateError becomes a failure."""
    lines: list[str] = []
    step_console = Console(out=_tee(lines, console.out), err=_tee(lines, console.err))
    start = time.perf_counter()
    tail = failure.LogTail()
    try:
        # Before compare, a failure is reported with the tail of the step's log (the output of
        # its child processes, `dvc repro` or the user's command, included).
        with failure.capture_output(tail) if name in RECORDED else contextlib.nullcontext():
            status, detail = STEP_RUNS[name](options, gh, step_console, connect)
        error, code = None, EXIT_GATE_FAILED if status == GATE_FAILED else EXIT_OK
    except MlgateError as err:
        status, detail, error, code = FAILED, err.render().splitlines()[0], err, err.exit_code
    if name in RECORDED:
        failure.clear(options.paths.out)
        if status == FAILED:
            failure.save(options.paths.out, failure.FailedStep(
                step=name, exit_code=code, command=getattr(error, "command", None),
                message=detail, log_tail=tail.result() or tuple(lines[-failure.TAIL_LINES:])))
    return StepResult(
        name=name,
        status=status,
        exit_code=code,
        seconds=time.perf_counter() - start,
        detail=detail,
        output="\n".join(lines),
        error=error,
    )


def run_pipeline(
    options: PipelineOptions,
    gh: GitHubEnv,
    console: Console = PRINTING,
    *,
    on_start: Callable[[int, str], None] | None = None,
    on_done: Callable[[int, StepResult], None] | None = None,
    connect: Connect | None = None,
) -> PipelineResult:
    """Run the steps in the project's root; stop at the first failing step. ``connect``:
    builds the GitHub client of the report step (None: it posts nothing)."""
    root = options.paths.root
    has_dvc = (root / ".dvc").is_dir()
    has_dvc_yaml = (root / "dvc.yaml").is_file()
    results: list[StepResult] = []
    exit_code = EXIT_OK
    stopped = False
    start = time.perf_counter()
    for index, name in enumerate(STEPS, 1):
        # After a failed pull or train the report still runs: it says which step failed.
        if stopped and not (name == "report" and failed_before_compare(results)):
            results.append(StepResult(name=name, status=NOT_RUN))
            continue
        reason = skip_reason(name, has_dvc=has_dvc, has_dvc_yaml=has_dvc_yaml,
                             config=options.config)
        if on_start:
            on_start(index, name)
        if reason:
            result = StepResult(name=name, status=SKIPPED, detail=reason)
        else:
            result = run_step(name, options, gh, console, connect)
        results.append(result)
        if on_done:
            on_done(index, result)
        if result.status == FAILED and not stopped:
            exit_code = result.exit_code
            stopped = True
        elif result.status == GATE_FAILED:
            exit_code = EXIT_GATE_FAILED
    return PipelineResult(
        steps=results, exit_code=exit_code, seconds=time.perf_counter() - start
    )


def failed_before_compare(results: list[StepResult]) -> bool:
    return any(r.status == FAILED and r.name in RECORDED for r in results)


# ----- the summary (pure) -------------------------------------------------------------------


def format_step(result: StepResult) -> str:
    took = f"{result.seconds:6.2f} s" if result.status not in (SKIPPED, NOT_RUN) else " " * 8
    code = f" (exit {result.exit_code})" if result.status == FAILED else ""
    detail = f"  {result.detail}" if result.detail else ""
    return f"{result.name:<8} {result.status + code:<16}{took}{detail}".rstrip()


def format_summary(pipeline: PipelineResult) -> str:
    lines = [f"mlgate run: {len(STEPS)} steps in {pipeline.seconds:.2f} s"]
    lines += [f"  {format_step(step)}" for step in pipeline.steps]
    failed = pipeline.failed_step
    if failed:
        later = ("the report says so; compare and gate did not run" if failed.name in RECORDED
                 else "later steps did not run")
        lines.append(
            f"mlgate run: stopped at step `{failed.name}` (exit {failed.exit_code}); {later}"
        )
    elif pipeline.exit_code == EXIT_GATE_FAILED:
        lines.append("mlgate run: gate FAILED (exit 1)")
    else:
        lines.append("mlgate run: gate passed (exit 0)")
    return "\n".join(lines)
