"""The whole pipeline in one process: pull → train → compare → report → gate.

Each step is the CLI command of the same name, parsed by ``mlgate.cli.build_parser()`` and run
through its handler, so ``mlgate run`` behaves exactly like the chained commands (and actions).
A step that fails stops the pipeline with its exit code; the gate's exit code is the pipeline's.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from mlgate.config import Config, out_dir
from mlgate.errors import EXIT_GATE_FAILED, EXIT_OK, MlgateError

STEPS = ("pull", "train", "compare", "report", "gate")

OK = "ok"
FAILED = "failed"
SKIPPED = "skipped"
NOT_RUN = "not run"
GATE_PASSED = "passed"
GATE_FAILED = "blocked"


@dataclass(frozen=True)
class Options:
    """What ``mlgate run`` passes through to the steps."""

    config: str | None = None
    out: str | None = None
    base: str | None = None
    dry_run: bool = False


@dataclass
class StepResult:
    name: str
    status: str
    exit_code: int = EXIT_OK
    seconds: float = 0.0
    detail: str = ""
    output: str = ""
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


def step_argv(name: str, options: Options) -> list[str]:
    """The command line of one step, as a user would type it after ``mlgate``."""
    argv = [name]
    if options.config:
        argv += ["--config", options.config]
    if options.out:
        argv += ["--out", options.out]
    if name == "compare" and options.base:
        argv += ["--base", options.base]
    if name == "report" and options.dry_run:
        argv.append("--dry-run")
    return argv


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


# ----- what each step did, from the files it wrote (pure on parsed data) --------------------


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def describe_train(model: dict[str, Any] | None) -> str | None:
    if not model:
        return None
    estimator = str(model.get("estimator") or "model").rsplit(".", 1)[-1]
    data = model.get("data") or {}
    rows = (
        f" on {data['rows']} rows of {data['path']}"
        if data.get("rows") and data.get("path")
        else ""
    )
    metrics = model.get("metrics") or {}
    shown = ", ".join(f"{k} {_fmt(v)}" for k, v in list(metrics.items())[:4])
    return f"fitted {estimator}{rows}" + (f": {shown}" if shown else "")


def describe_compare(result: dict[str, Any] | None) -> str | None:
    if not result:
        return None
    s = result.get("summary") or {}
    base = result.get("baseline") or {}
    if base.get("found"):
        against = f"{base.get('source')} baseline {str(base.get('sha') or '')[:12]}".rstrip()
    else:
        against = "no baseline"
    verdict = "rules pass" if result.get("passed") else "rules FAIL"
    return (
        f"{s.get('metrics', 0)} metrics vs {against}: {s.get('improved', 0)} improved, "
        f"{s.get('regressed', 0)} regressed, {s.get('unchanged', 0)} unchanged; {verdict} "
        f"({s.get('rules_failed', 0)} failed)"
    )


def own_lines(name: str, output: str) -> list[str]:
    """The step's own summary lines, ``mlgate <name>: ...`` or ``mlgate: <name>: ...``, without
    the prefix; continuation lines (indented after the prefix) are left out."""
    prefixes = (f"mlgate {name}:", f"mlgate {name} ", f"mlgate: {name}:")
    found = []
    for line in output.splitlines():
        for prefix in prefixes:
            if line.startswith(prefix):
                rest = line[len(prefix) :]
                if not rest.startswith("  "):
                    text = rest.lstrip(" :-—").strip()
                    if text:
                        found.append(text)
                break
    return found


def first_line_of(name: str, output: str) -> str | None:
    lines = own_lines(name, output)
    return lines[0] if lines else None


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def describe(name: str, output: str, out: Path, root: Path) -> str:
    own = first_line_of(name, output)
    if name == "train":
        return describe_train(_read_json(out / "model" / "model.json")) or own or "trained"
    if name == "compare":
        return describe_compare(_read_json(out / "result.json")) or own or "compared"
    if name == "report":
        report = out / "report.md"
        where = _display(report, root)
        return (
            f"wrote {where}" + (f"; {own}" if own else "")
            if report.exists()
            else (own or "reported")
        )
    if name == "pull":
        # The last summary line is the outcome (the first says where it pulls from).
        lines = own_lines(name, output)
        return lines[-1] if lines else "pulled the data"
    return own or name


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


# ----- running ------------------------------------------------------------------------------


class _Tee(io.TextIOBase):
    """Records what a step prints and, when ``echo`` is set, passes it on."""

    def __init__(self, buffer: io.StringIO, target: TextIO | None) -> None:
        self._buffer = buffer
        self._target = target

    def write(self, text: str) -> int:
        self._buffer.write(text)
        if self._target is not None:
            self._target.write(text)
        return len(text)

    def flush(self) -> None:
        if self._target is not None:
            self._target.flush()

    def isatty(self) -> bool:
        return False


@contextlib.contextmanager
def captured(echo: bool) -> Iterator[io.StringIO]:
    """Record what is printed, including by logging handlers (DVC logs to the streams it saw
    at import time); pass it on too when ``echo`` is set."""
    buffer = io.StringIO()
    out = _Tee(buffer, sys.stdout if echo else None)
    err = _Tee(buffer, sys.stderr if echo else None)
    swapped = _swap_log_streams(out, err)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            yield buffer
    finally:
        for handler, stream in swapped:
            _set_stream(handler, stream)


def _swap_log_streams(out: Any, err: Any) -> list[tuple[logging.StreamHandler[Any], Any]]:
    """Point console log handlers at ``out``/``err`` for a while. DVC's handlers keep the
    streams of the moment DVC set up logging, which may be gone since (closed captures)."""
    swapped = []
    std_out = {id(sys.stdout), id(sys.__stdout__)}
    std_err = {id(sys.stderr), id(sys.__stderr__)}
    for name in ("", "dvc"):
        for handler in logging.getLogger(name).handlers:
            if type(handler) is logging.FileHandler or not isinstance(
                handler, logging.StreamHandler
            ):
                continue
            if name == "dvc":
                target = err if handler.level >= logging.WARNING else out
            elif id(handler.stream) in std_out:
                target = out
            elif id(handler.stream) in std_err:
                target = err
            else:
                continue  # e.g. pytest's log capture: not a console
            swapped.append((handler, _set_stream(handler, target)))
    return swapped


def _set_stream(handler: logging.StreamHandler[Any], stream: Any) -> Any:
    # Not handler.setStream(): it flushes the old stream, which may be closed.
    handler.acquire()
    try:
        old, handler.stream = handler.stream, stream
    finally:
        handler.release()
    return old


def run_step(name: str, options: Options, *, echo: bool) -> StepResult:
    """Run one pipeline step through the CLI layer, timing it and recording its output."""
    return run_command(step_argv(name, options), echo=echo)


def run_command(argv: list[str], *, echo: bool) -> StepResult:
    """Run ``mlgate <argv>`` in-process; an MlgateError becomes a failed result."""
    from mlgate.cli import build_parser

    name = argv[0]
    args = build_parser().parse_args(argv)
    error: MlgateError | None = None
    start = time.perf_counter()
    with captured(echo) as buffer:
        try:
            code = int(args.handler(args))
        except MlgateError as err:
            error = err
            code = err.exit_code
    seconds = time.perf_counter() - start
    output = buffer.getvalue()
    if name == "gate" and error is None:
        status = GATE_PASSED if code == EXIT_OK else GATE_FAILED
    else:
        status = OK if code == EXIT_OK else FAILED
    return StepResult(name, status, code, seconds, "", output, error)


def run_pipeline(
    root: Path,
    options: Options,
    config: Config,
    *,
    echo: bool = True,
    on_start: Callable[[int, str], None] | None = None,
    on_done: Callable[[int, StepResult], None] | None = None,
) -> PipelineResult:
    """Run the steps in ``root`` (the current directory); stop at the first failing step."""
    has_dvc = (root / ".dvc").is_dir()
    has_dvc_yaml = (root / "dvc.yaml").is_file()
    out = out_dir(options.out, root)
    results: list[StepResult] = []
    exit_code = EXIT_OK
    stopped = False
    start = time.perf_counter()
    for index, name in enumerate(STEPS, 1):
        if stopped:
            results.append(StepResult(name, NOT_RUN))
            continue
        reason = skip_reason(name, has_dvc=has_dvc, has_dvc_yaml=has_dvc_yaml, config=config)
        if on_start:
            on_start(index, name)
        if reason:
            result = StepResult(name, SKIPPED, detail=reason)
        else:
            result = run_step(name, options, echo=echo)
            if result.error is not None:
                result.detail = result.error.render().splitlines()[0]
            elif result.status == FAILED:
                result.detail = (
                    first_line_of(name, result.output) or f"exited with {result.exit_code}"
                )
            else:
                result.detail = describe(name, result.output, out, root)
        results.append(result)
        if on_done:
            on_done(index, result)
        if result.status == FAILED:
            exit_code = result.exit_code
            stopped = True
        elif result.status == GATE_FAILED:
            exit_code = EXIT_GATE_FAILED
    return PipelineResult(results, exit_code, time.perf_counter() - start)


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
        lines.append(
            f"mlgate run: stopped at step `{failed.name}` (exit {failed.exit_code}); "
            "later steps did not run"
        )
    elif pipeline.exit_code == EXIT_GATE_FAILED:
        lines.append("mlgate run: gate FAILED (exit 1)")
    else:
        lines.append("mlgate run: gate passed (exit 0)")
    return "\n".join(lines)
