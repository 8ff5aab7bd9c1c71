"""``mlgate demo``: a throw-away git + DVC project run through the whole pipeline, offline.

Layout of the demo directory::

    project/          the git repository: main (baseline commit, git notes) and the PR branches
    dvc-remote/       the DVC remote (a local directory) holding the data
    pr-1-.../         a fresh checkout (git worktree) of each PR branch, where the pipeline ran;
                      its .mlgate/ holds report.md, result.json and the trained model

Everything runs with an isolated environment (no user or system git config, fixed identity and
commit dates, no GitHub variables), so the output is the same on every machine and the user's
configuration is neither read nor changed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO, TypeVar

from mlgate.adapters.actions import GitHubEnv
from mlgate.adapters.git import Git
from mlgate.config import Config, Paths, load_config, paths_for
from mlgate.console import Console, recording
from mlgate.core.result import Result
from mlgate.errors import EXIT_GATE_FAILED, EXIT_OK, MlgateError, UsageError
from mlgate.services.baseline import BaselineOptions, run_baseline
from mlgate.services.pipeline import (
    GATE_FAILED,
    GATE_PASSED,
    PipelineOptions,
    PipelineResult,
    StepResult,
    format_step,
    run_pipeline,
)
from mlgate.services.results import load_result
from mlgate.services.train import TrainOptions, describe_model, run_train

T = TypeVar("T")

DATA_PATH = "data/breast_cancer.csv"
REMOTE_DIR = "dvc-remote"
PROJECT_DIR = "project"
REMOTE_NAME = "storage"
SEED = 42
IDENTITY = {
    "GIT_AUTHOR_NAME": "mlgate demo",
    "GIT_AUTHOR_EMAIL": "demo@mlgate.invalid",
    "GIT_COMMITTER_NAME": "mlgate demo",
    "GIT_COMMITTER_EMAIL": "demo@mlgate.invalid",
}
# Fixed commit dates make the commit SHAs, and so the whole report, reproducible.
EPOCH = "2026-01-05T09:00:00+00:00"
RULE = "─" * 78


@dataclass(frozen=True)
class ModelChoice:
    estimator: str
    params: dict[str, Any]

    @property
    def short(self) -> str:
        return self.estimator.rsplit(".", 1)[-1]

    def label(self) -> str:
        params = ", ".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.short}({params})"


@dataclass(frozen=True)
class Scenario:
    number: int
    slug: str
    title: str
    model: ModelChoice
    expect_pass: bool

    @property
    def branch(self) -> str:
        return f"pr/{self.slug}"

    @property
    def checkout_dir(self) -> str:
        return f"pr-{self.number}-{self.slug}"


BASELINE_MODEL = ModelChoice(
    "sklearn.tree.DecisionTreeClassifier", {"max_depth": 3, "random_state": 0}
)
SCENARIOS = (
    Scenario(
        1,
        "random-forest",
        "Switch the model to a random forest",
        ModelChoice(
            "sklearn.ensemble.RandomForestClassifier", {"n_estimators": 100, "random_state": 0}
        ),
        expect_pass=True,
    ),
    Scenario(
        2,
        "tree-stump",
        "Simplify the model to a single split",
        ModelChoice("sklearn.tree.DecisionTreeClassifier", {"max_depth": 1, "random_state": 0}),
        expect_pass=False,
    ),
)


# ----- the project's files (pure) -----------------------------------------------------------


def config_yaml(model: ModelChoice) -> str:
    params = ", ".join(f"{k}: {json.dumps(v)}" for k, v in model.params.items())
    return (
        "# mlgate demo project: scikit-learn's breast cancer data, a classifier, quality gates\n"
        "name: breast-cancer\n"
        "train:\n"
        f"  data: {DATA_PATH}\n"
        "  target: target\n"
        f"  model: {model.estimator}\n"
        f"  params: {{{params}}}\n"
        "  task: classification\n"
        "  # evaluated by the default: 3 x 5-fold cross-validation on folds that PRs do not\n"
        "  # change, compared fold by fold with the baseline (the report shows Δ ± spread)\n"
        f"  seed: {SEED}\n"
        "  metrics: [accuracy, f1, roc_auc]            # only the metrics the gate checks\n"
        "thresholds:\n"
        "  accuracy: {min: 0.90, tolerance: 0.01}   # never below 0.90; may drop at most 0.01\n"
        "  roc_auc: {min: 0.93, tolerance: 0.01}\n"
        '  "*": {tolerance: "2%"}                    # every other metric (here: f1)\n'
    )


GITIGNORE = "/.mlgate/\n"


def breast_cancer_csv() -> tuple[str, int, int]:
    """The data set as CSV text (columns without spaces), with its row and column counts."""
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame
    frame.columns = [str(c).replace(" ", "_") for c in frame.columns]
    return frame.to_csv(index=False), len(frame), len(frame.columns)


# ----- environment and tools ------------------------------------------------------------------


def _isolated_environ(base: Path, current: dict[str, str]) -> dict[str, str]:
    env = {
        k: v
        for k, v in current.items()
        if not k.startswith(("GITHUB_", "INPUT_", "GIT_", "DVC_")) and k != "CI"
    }
    env.update(IDENTITY)
    env.update(
        {
            "GIT_AUTHOR_DATE": EPOCH,
            "GIT_COMMITTER_DATE": EPOCH,
            # Neither read nor touch the user's git configuration (signing, hooks, templates).
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
            "DVC_NO_ANALYTICS": "1",
            "DVC_STUDIO_OFFLINE": "1",
            # Nor the user's DVC configuration; DVC's site cache stays in the demo directory.
            "DVC_GLOBAL_CONFIG_DIR": str(base / ".dvc-config"),
            "DVC_SYSTEM_CONFIG_DIR": str(base / ".dvc-config"),
            "DVC_SITE_CACHE_DIR": str(base / ".dvc-site-cache"),
        }
    )
    return env


@contextlib.contextmanager
def isolated(base: Path, cwd: Path) -> Iterator[None]:
    """Run with the demo's environment and working directory; restore both afterwards."""
    saved_env = dict(os.environ)
    saved_cwd = Path.cwd()
    os.environ.clear()
    os.environ.update(_isolated_environ(base, saved_env))
    os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)


def git(root: Path, *args: str, date: str | None = None) -> str:
    env = dict(os.environ)
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    return Git(root, env=env).out(*args)


@contextlib.contextmanager
def dvc_hints_off() -> Iterator[None]:
    """DVC's informational messages ("Initialized DVC repository", "To track the changes with
    git, run: ...") are for its own CLI's users; the demo says what it did itself. Warnings and
    errors still show."""
    dvc_logger = logging.getLogger("dvc")
    level = dvc_logger.level
    dvc_logger.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        dvc_logger.setLevel(level)


def require_extras() -> None:
    missing = []
    for module, package in (("sklearn", "scikit-learn"), ("pandas", "pandas"), ("dvc", "dvc")):
        try:
            __import__(module)
        except ImportError:
            missing.append(package)
    if missing:
        raise UsageError(
            f"the demo needs {', '.join(missing)}, which is not installed",
            fix="install mlgate with its extras: pip install 'mlgate[all]'",
        )


def _commit_date(hours: int) -> str:
    return EPOCH.replace("T09:", f"T{9 + hours:02d}:")


# ----- the demo -------------------------------------------------------------------------------


@dataclass
class ScenarioOutcome:
    """What one PR of the demo did."""

    scenario: Scenario
    pipeline: PipelineResult
    checkout: Path
    out: Path
    comment: str | None
    result: Result | None

    @property
    def gate(self) -> StepResult:
        return self.pipeline.step("gate")

    @property
    def as_expected(self) -> bool:
        wanted = GATE_PASSED if self.scenario.expect_pass else GATE_FAILED
        return self.gate.status == wanted


@dataclass
class Demo:
    base: Path
    out: TextIO
    outcomes: list[ScenarioOutcome] = field(default_factory=list)

    @property
    def project(self) -> Path:
        return self.base / PROJECT_DIR

    @property
    def remote(self) -> Path:
        return self.base / REMOTE_DIR

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def build_main(self) -> str:
        """Create the project with its baseline on main; return the main commit's SHA."""
        project = self.project
        self.remote.mkdir(parents=True)
        git(project, "init", "-q", "-b", "main")
        rows, columns = self.add_data()
        (project / "mlgate.yaml").write_text(config_yaml(BASELINE_MODEL), encoding="utf-8")
        (project / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
        self.say(
            f"  data      {DATA_PATH}: {rows} rows × {columns} columns (scikit-learn's breast "
            f"cancer set), tracked by DVC"
        )
        config, paths = load_config(None, project), paths_for(None, project)
        trained = self.setup_step(
            "train", lambda console: run_train(TrainOptions(config=config, paths=paths), console)
        )
        self.say(f"  train     {describe_model(trained.model) or trained.describe()}  "
                 f"({trained.seconds:.1f} s)")

        git(project, "add", "-A")
        git(
            project,
            "commit",
            "-q",
            "-m",
            f"Breast cancer classifier: {BASELINE_MODEL.label()}",
            date=EPOCH,
        )
        sha = git(project, "rev-parse", "HEAD")
        committed = ", ".join(git(project, "ls-files").splitlines())
        self.say(f"  commit    {sha[:12]} on main: {committed}")
        self.say(f"  dvc push  {self.push_data()} file(s) to the DVC remote {self.remote}")
        self.record_baseline(config)
        self.say(f"  baseline  recorded for {sha[:12]} in git notes (refs/notes/mlgate)")
        return sha

    def add_data(self) -> tuple[int, int]:
        """Write the data set and track it with DVC (remote: the demo's directory)."""
        from dvc.repo import Repo

        project = self.project
        csv, rows, columns = breast_cancer_csv()
        with dvc_hints_off():
            Repo.init(str(project)).close()
        with dvc_hints_off(), Repo(str(project)) as repo:
            with repo.config.edit() as conf:
                # Relative to the project, so the committed .dvc/config is the same anywhere.
                conf["remote"][REMOTE_NAME] = {"url": f"../{REMOTE_DIR}"}
                conf["core"]["remote"] = REMOTE_NAME
            (project / DATA_PATH).parent.mkdir(parents=True, exist_ok=True)
            (project / DATA_PATH).write_text(csv, encoding="utf-8")
            repo.add(str(project / DATA_PATH))
        return rows, columns

    def push_data(self) -> int:
        from dvc.repo import Repo

        with dvc_hints_off(), Repo(str(self.project)) as repo:
            return int(repo.push())

    def record_baseline(self, config: Config) -> None:
        options = BaselineOptions(action="record", root=self.project, config=config)
        self.setup_step("baseline", lambda console: run_baseline(options, console))

    def setup_step(self, name: str, step: Callable[[Console], T]) -> T:
        """Run a set-up step quietly; when it fails, show what it said and stop the demo."""
        lines: list[str] = []
        try:
            return step(recording(lines))
        except MlgateError as err:
            self.say("\n".join(lines))
            raise UsageError(
                f"demo set-up: `mlgate {name}` failed: {err.message}", where=err.where, fix=err.fix
            ) from err

    def run_scenario(self, scenario: Scenario) -> ScenarioOutcome:
        checkout = self.base / scenario.checkout_dir
        git(self.project, "worktree", "add", "-q", "-b", scenario.branch, str(checkout), "main")
        (checkout / "mlgate.yaml").write_text(config_yaml(scenario.model), encoding="utf-8")
        git(checkout, "commit", "-q", "-am", scenario.title, date=_commit_date(scenario.number))
        self.say(
            f"  change    mlgate.yaml train: {BASELINE_MODEL.label()} → "
            f"{scenario.model.label()}"
        )
        self.say(f"  checkout  {checkout} (a fresh checkout, as CI makes: no data, no DVC cache)")
        with isolated(self.base, checkout):
            config, paths = load_config(None, checkout), paths_for(None, checkout)
            options = PipelineOptions(config=config, paths=paths, base="main", dry_run=True)
            pipeline = run_pipeline(
                options,
                GitHubEnv.from_env(),
                recording([]),  # each step keeps what it said (shown when it fails)
                on_done=lambda _i, result: self.say(f"  {format_step(result)}"),
            )
        out = paths.out
        comment = pr_comment(paths, config) if paths.report.exists() else None
        result = load_result(paths.result) if paths.result.exists() else None
        return ScenarioOutcome(scenario=scenario, pipeline=pipeline, checkout=checkout, out=out,
                               comment=comment, result=result)

    def show(self, outcome: ScenarioOutcome) -> None:
        failed = outcome.pipeline.failed_step
        if failed is not None:
            self.say(f"\n  step `{failed.name}` failed (exit {failed.exit_code}); it printed:")
            self.say(_indent(failed.output.rstrip() or "(nothing)", "    | "))
            if failed.error is not None:
                self.say(_indent(failed.error.render(), "    ! "))
        if outcome.comment is not None:
            self.say("")
            self.say(f"┌{RULE}")
            self.say("│ The PR comment, exactly as it would be posted:")
            self.say(f"└{RULE}")
            self.say(outcome.comment.rstrip())
            self.say(f"{RULE}─")
        gate = outcome.gate
        if gate.status == GATE_PASSED:
            decision = "Gate: PASSED (exit 0), the PR may merge"
        elif gate.status == GATE_FAILED:
            decision = "Gate: FAILED (exit 1), the PR is blocked"
        else:
            decision = "Gate: not decided (the pipeline stopped before the gate)"
        expected = "pass" if outcome.scenario.expect_pass else "be blocked"
        verdict = (
            "as expected" if outcome.as_expected else f"NOT as expected (it should {expected})"
        )
        self.say(f"\n  {decision}: {verdict}.")
        if gate.status == GATE_FAILED and outcome.result is not None:
            for rule in outcome.result.failed_rules:
                self.say(f"    - {rule}")

    def files(self, kept: bool) -> None:
        self.say("")
        self.say("Files" + ("" if kept else " (deleted now; run with --keep or --dir DIR to keep)"))
        self.say(f"  project (git repository: main, PR branches, notes)  {self.project}")
        self.say(f"  DVC remote (a local directory)                       {self.remote}")
        for outcome in self.outcomes:
            self.say(f"  PR {outcome.scenario.number} checkout ({outcome.scenario.branch})")
            self.say(f"    {outcome.checkout}")
            paths = Paths(root=outcome.checkout, out=outcome.out)
            files = (paths.report, paths.result, paths.model_file)
            found = [display(f, outcome.checkout) for f in files if f.exists()]
            if found:
                self.say(f"    {', '.join(found)}")
        if kept and self.outcomes:
            self.say("")
            self.say("Try it by hand: the same pipeline, in a PR checkout")
            self.say(f"  cd {self.outcomes[-1].checkout} && mlgate run")


def pr_comment(paths: Paths, config: Config) -> str:
    """The body ``mlgate report`` posts on a PR: the hidden marker it finds the comment by,
    then the report fitted to GitHub's comment limit (links need a repository: none here)."""
    from mlgate.report.publish import comment_body
    from mlgate.report.render import DEFAULT_NOTE, Links, Renderer

    renderer = Renderer(config.report_template(None))
    results = [load_result(paths.result)]
    return comment_body(renderer, results, config.report_name(None),
                        Links(server_url="https://github.com", repository=None), DEFAULT_NOTE)


def display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def prepare_dir(requested: str | None) -> tuple[Path, bool]:
    """The demo's base directory and whether it was created as a temporary one."""
    if requested is None:
        return Path(tempfile.mkdtemp(prefix="mlgate-demo-")), True
    path = Path(requested).expanduser().resolve()
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise UsageError(
            "the directory exists and is not empty",
            where=f"--dir {requested}",
            fix="pass a new or empty directory (the demo refuses to write over files)",
        )
    path.mkdir(parents=True, exist_ok=True)
    return path, False


def run_demo(requested_dir: str | None, keep: bool, out: TextIO) -> int:
    """Build the project, run both scenarios; 0 when PR 1 passed and PR 2 was blocked."""
    require_extras()
    base, temporary = prepare_dir(requested_dir)
    kept = keep or not temporary
    demo = Demo(base, out)
    try:
        demo.say(
            "mlgate demo: a throw-away git + DVC project and two pull requests through the\n"
            "whole pipeline (pull → train → compare → report → gate); no network, no GitHub."
        )
        demo.say(f"Directory: {base}")
        demo.say("")
        demo.say(f"main: the baseline, {BASELINE_MODEL.label()}")
        demo.project.mkdir(parents=True)
        with isolated(base, demo.project):
            demo.build_main()
        for scenario in SCENARIOS:
            expected = "should pass" if scenario.expect_pass else "should be blocked"
            demo.say("")
            demo.say(f"PR {scenario.number}: {scenario.branch}, “{scenario.title}” ({expected})")
            with isolated(base, base):
                outcome = demo.run_scenario(scenario)
            demo.outcomes.append(outcome)
            demo.show(outcome)
        demo.files(kept)
    finally:
        if not kept:
            shutil.rmtree(base, ignore_errors=True)
    good = all(o.as_expected for o in demo.outcomes) and len(demo.outcomes) == len(SCENARIOS)
    demo.say("")
    if good:
        demo.say("mlgate demo: both scenarios behaved as expected: PR 1 passed, PR 2 was blocked.")
        return EXIT_OK
    demo.say("mlgate demo: a scenario did NOT behave as expected (see above).")
    return EXIT_GATE_FAILED
