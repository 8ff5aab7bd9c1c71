"""``mlgate train``: ``dvc repro``, the user's command, or the built-in scikit-learn trainer."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlgate.config import Config, Paths
from mlgate.console import PRINTING, Console
from mlgate.core.folds import FOLDS_FILE, Folds, FoldSpec, repeats_folds, repeats_text
from mlgate.errors import MlgateError, UsageError
from mlgate.train.config import REPEATS_ENV, SEED_ENV, TrainConfig, TrainMode

if TYPE_CHECKING:
    from mlgate.core.metrics import Metric


@dataclass(frozen=True)
class TrainOptions:
    config: Config
    paths: Paths
    command: str | None = None  # --command: run this instead of the configured trainer
    folds: FoldSpec | None = None  # --cv/--repeats/--fold-seed: the built-in trainer's folds


@dataclass(frozen=True)
class TrainOutcome:
    kind: str  # builtin | command | dvc-repro
    command: str | None  # the command run (command, dvc-repro)
    seconds: float
    model: dict[str, Any] | None = None  # model.json, when the training wrote one
    repeats: Folds | None = None  # train: {repeats: K}: every run's metrics (folds.json)

    def describe(self) -> str:
        """One line for the summary of ``mlgate run``."""
        ran = f"`{self.command}` finished in {self.seconds:.1f}s" if self.command else "trained"
        return describe_model(self.model) or ran


def run_train(options: TrainOptions, console: Console = PRINTING) -> TrainOutcome:
    config, paths = options.config, options.paths
    root, out = paths.root, paths.out
    mode = config.train_mode(options.command, has_dvc_yaml=(root / "dvc.yaml").exists())
    mode = mode.with_overrides(options.folds, os.environ)
    # folds.json belongs to the run that wrote it: never leave an earlier run's behind.
    (out / FOLDS_FILE).unlink(missing_ok=True)
    if options.folds is not None and mode.kind != "builtin":
        console.log(f"train: --cv/--repeats/--fold-seed apply to the built-in trainer only; "
                    f"ignored for {mode.kind}")
    if mode.kind in ("command", "dvc-repro"):
        return run_external(mode, options, console)
    assert mode.config is not None
    from mlgate.train.runner import run_builtin

    cfg = mode.config
    trained = run_builtin(
        cfg,
        root,
        out,
        name=config.model_name(root),
        metrics_file=config.metrics[0] if config.metrics else None,
        log=console.log,
        where=config.where,
        early=early_stop(options, cfg, console),
    )
    return TrainOutcome(kind="builtin", command=None, seconds=sum(trained.timings.values()),
                        model=trained.meta or None)


def run_external(mode: TrainMode, options: TrainOptions, console: Console) -> TrainOutcome:
    """The user's command, or ``dvc repro``, run ``train.repeats`` times (once without it):
    run i with ``MLGATE_SEED`` = seed + i and ``MLGATE_REPEAT`` = i. With several runs, each
    run's metrics are read after it and written, per metric a list in run order, to
    folds.json (method ``repeats``); the files on disk stay those of the last run."""
    from mlgate.train.external import Run, run_command, run_dvc_repro

    paths = options.paths
    root, out = paths.root, paths.out
    if mode.kind == "dvc-repro" and not (root / "dvc.yaml").exists():
        raise UsageError(
            "`train:` has no `command`, so training runs `dvc repro`, but there is no dvc.yaml",
            where=f"{options.config.where}: train",
            fix="add `command: python train.py` (your training command) under train:",
        )
    seeds = mode.seeds
    count = len(seeds)
    if count > 1:
        console.log(f"train: running the training {count} times (train.repeats), "
                    f"MLGATE_SEED {seeds[0]}–{seeds[-1]}")
    files = metrics_files(options) if count > 1 else []
    early = early_stop_runs(options, seeds, console) if count > 2 else None
    runs: list[list[Metric]] = []
    seconds = 0.0
    stopped: str | None = None
    for i, seed in enumerate(seeds):
        run = Run(i, count, seed)
        before = _stamps(paths, files)
        if mode.kind == "command" and mode.command:
            seconds += run_command(mode.command, root, out, log=console.log, run=run)
        else:
            seconds += run_dvc_repro(root, out, log=console.log, run=run)
        if count > 1:
            _warn_unchanged(paths, files, before, run, console)
            runs.append(_read_run(options, files, run))
        if early is not None:
            why = early(len(runs), count, run_scores(runs)[0])
            if why:
                stopped = f"stopped after {len(runs)} of {count} runs: {why}"
                console.log(f"train: {stopped}")
                break
    folds = None
    if count > 1:
        folds = _repeats_document(runs, seeds[:len(runs)], files, mode, console, stopped)
        from mlgate.adapters.result_file import write_json

        write_json(out / FOLDS_FILE, folds.to_json())
        console.log(f"train: {len(runs)} runs in {seconds:.1f}s; per-run scores of "
                    f"{len(folds.scores)} metrics in {out / FOLDS_FILE}")
    command = mode.command if mode.kind == "command" else "dvc repro"
    return TrainOutcome(kind=mode.kind, command=command, seconds=seconds,
                        model=read_model_meta(paths), repeats=folds)


def metrics_files(options: TrainOptions) -> list[str]:
    """The metrics files, found exactly as ``mlgate compare`` finds them (mlgate.yaml
    ``metrics:``, the resolved dvc.yaml files, metrics.json)."""
    from mlgate.core.metrics import discover_metrics_files
    from mlgate.services.compare import working_tree_pipeline, working_tree_reader

    root = options.paths.root
    read = working_tree_reader(root)
    files, _ = discover_metrics_files(read, options.config.metrics,
                                      pipeline=working_tree_pipeline(root, read))
    return files


def _read_run(options: TrainOptions, files: list[str], run: Any) -> list[Metric]:
    from mlgate.core.metrics import load_metrics
    from mlgate.services.compare import working_tree_reader

    try:
        return load_metrics(files, working_tree_reader(options.paths.root), missing_ok=False)
    except MlgateError as err:
        raise UsageError(
            f"after repeat {run.index} of {run.count} ({run.env_text()}): {err.message}",
            where=err.where, fix=err.fix,
        ) from err


def _stamps(paths: Paths, files: list[str]) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for file in files:
        try:
            out[file] = (paths.root / file).stat().st_mtime_ns
        except OSError:
            out[file] = None
    return out


def _warn_unchanged(paths: Paths, files: list[str], before: dict[str, int | None], run: Any,
                    console: Console) -> None:
    """A metrics file the run did not rewrite holds the previous run's values: say so."""
    after = _stamps(paths, files)
    for file in files:
        if file in before and before[file] is not None and before[file] == after[file]:
            console.log(f"train: warning: repeat {run.index} did not rewrite {file} (same "
                        "modification time): its values may be the previous run's")


def run_scores(runs: list[list[Metric]]) -> tuple[dict[str, tuple[float, ...]], list[str]]:
    """Per metric (those of the last run) its value in every run, and the metrics left out
    because they are not a number in every run."""
    names = list(dict.fromkeys(m.name for m in runs[-1]))
    by_run = [{m.name: m.value for m in metrics} for metrics in runs]
    scores: dict[str, tuple[float, ...]] = {}
    skipped: list[str] = []
    for name in names:
        values = [values.get(name) for values in by_run]
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            scores[name] = tuple(float(v) for v in values)  # type: ignore[arg-type]
        else:
            skipped.append(name)
    return scores, skipped


def _repeats_document(runs: list[list[Metric]], seeds: tuple[int, ...], files: list[str],
                      mode: TrainMode, console: Console, stopped: str | None = None) -> Folds:
    """Per metric its value in every run; metrics not a number in every run are left out.
    ``max_repeats`` is the runs configured, ``fits`` the runs made (``seeds``: one per run
    made), ``stopped`` why the sequential stop ended it early."""
    scores, skipped = run_scores(runs)
    if skipped:
        console.log(f"train: {len(skipped)} metric(s) are not one number in every run, so "
                    f"they are compared as the last run wrote them: {', '.join(skipped[:5])}")
    same = [n for n, v in scores.items() if len(set(v)) == 1 and not math.isnan(v[0])]
    if scores and len(same) == len(scores):
        console.log("train: warning: every run gave the same metrics: does the training read "
                    "MLGATE_SEED (e.g. `seed = int(os.environ.get(\"MLGATE_SEED\", 0))`)?")
    extra: dict[str, Any] = {
        "seed": mode.seed,
        "command": mode.command if mode.kind == "command" else "dvc repro --force",
        "fits": len(runs), "max_repeats": len(mode.seeds)}
    if stopped:
        extra["stopped"] = stopped
    return repeats_folds(scores, seeds, files, extra)


def read_model_meta(paths: Paths) -> dict[str, Any] | None:
    """model.json when the training wrote one (a user's command may, into MLGATE_MODEL_DIR)."""
    try:
        data = json.loads(paths.model_meta.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _short_number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def describe_model(model: dict[str, Any] | None) -> str | None:
    """``fitted <Estimator> on <rows> rows of <data>: <metric> <value>, ...``."""
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
    shown = ", ".join(f"{k} {_short_number(v)}" for k, v in list(metrics.items())[:4])
    return f"fitted {estimator}{rows}" + (f": {shown}" if shown else "")


# ----- the sequential stop of the built-in trainer (issue 23, item 4) -------------------------


def early_stop(options: TrainOptions, cfg: TrainConfig, console: Console) -> Any:
    """The built-in trainer's sequential stop on a PR: the baseline record ``mlgate compare``
    will pair with (the store's record of the baseline commit, on the same folds with at least
    as many repeats) and the rules it will apply (services/compare.py ``_thresholds``); None
    (every repeat, as before) without such a record, with ``baseline: retrain``, on the base
    branch itself (what ``mlgate baseline record`` records keeps every repeat), or with explicit
    folds (``--cv/--repeats/--fold-seed``: a retrained baseline)."""
    if options.folds is not None or not cfg.cv or cfg.repeats < 2:
        return None
    found = _pairing(options, console, f"all {cfg.repeats} repeats", "on the PR's folds",
                     lambda: _paired_record(options, cfg, console))
    if found is None:
        return None
    baseline, stored = found
    console.log(f"train: sequential stop: paired with the baseline record of "
                f"{(baseline.sha or '')[:12]} ({stored.text()}); fitting repeat by repeat "
                f"until the verdict is decided")
    return _Sequential(options, baseline, stored, console)


def _pairing(options: TrainOptions, console: Console, every: str, retrained: str,
             find: Any) -> Any:
    """The (baseline, stored record) a sequential stop pairs with, or None with the reason
    logged: ``baseline: retrain``, no matching record (``find`` returns why), or an error."""
    if options.config.baseline == "retrain":
        console.log(f"train: no early stop ({every}): `baseline: retrain` retrains the merge "
                    f"base {retrained}")
        return None
    try:
        found = find()
    except MlgateError as err:
        console.log(f"train: no early stop ({every}): {err.message}")
        return None
    if isinstance(found, str):
        console.log(f"train: no early stop ({every}): {found}")
        return None
    return found


def _paired_record(options: TrainOptions, cfg: TrainConfig, console: Console) -> Any:
    """(baseline, its recorded folds) when they can be paired with this training's folds; else
    why not."""
    found = _store_baseline(options, console, "repeat")
    if isinstance(found, str):
        return found
    baseline, recorded, stored = found
    if stored is None or stored.spec is None or stored.method != "cv":
        what = "no per-fold scores" if recorded else "no record in the baseline store"
        return f"the baseline {baseline.sha[:12]} has {what}"
    spec = stored.spec
    if (spec.k, spec.fold_seed) != (cfg.cv, cfg.fold_seed) or spec.repeats < cfg.repeats:
        return (f"the baseline record of {baseline.sha[:12]} was scored on other folds "
                f"({stored.text()})")
    return baseline, stored


def _store_baseline(options: TrainOptions, console: Console, what: str) -> Any:
    """(baseline, whether the store has a record of it, its folds), found as compare finds
    it; else why there is none."""
    from mlgate.adapters.actions import GitHubEnv
    from mlgate.adapters.git import Git
    from mlgate.adapters.notes import NotesStore
    from mlgate.services.compare import CompareOptions, _baseline
    from mlgate.services.noise import stored_folds

    config, root = options.config, options.paths.root
    git = Git(root)
    git.require_repo()
    store = NotesStore(git)
    base = config.base_branch(None, GitHubEnv.from_env().pr_base_branch())
    baseline = _baseline(CompareOptions(config=config, paths=options.paths), git, store, base,
                         console)
    if baseline.on_base:
        return f"on the base branch {base} (its record keeps every {what})"
    if not baseline.found or not baseline.sha:
        return f"no baseline found on {base}"
    recorded, stored = stored_folds(store, baseline.sha, config.model_name(root))
    return baseline, recorded, stored


def _compare_rules(options: TrainOptions, baseline: Any, names: list[str]) -> Any:
    """The rules ``mlgate compare`` will apply to these metrics (services/compare.py)."""
    from mlgate.adapters.git import Git
    from mlgate.services.compare import CompareOptions, _thresholds

    compare = CompareOptions(config=options.config, paths=options.paths)
    return _thresholds(compare, Git(options.paths.root), baseline, names).rules


class _Sequential:
    """After each repeat: the early verdict of the per-fold scores so far against the same
    positions of the baseline record, under the rules compare applies."""

    def __init__(self, options: TrainOptions, baseline: Any, stored: Folds,
                 console: Console) -> None:
        self.options, self.baseline, self.stored, self.console = options, baseline, stored, console
        self.rules: Any = None
        self.off = False  # the record cannot be paired, or the rules cannot be read

    def __call__(self, look: int, looks: int, k: int, data_sha: str,
                 scores: dict[str, tuple[float, ...]]) -> str | None:
        from mlgate.core import noise
        from mlgate.core.compare import early_verdict

        if self.off or not noise.is_look(look, looks):
            return None
        baseline = self.baseline
        if self.stored.data_sha256 != data_sha and baseline.sha != baseline.merge_base:
            self.console.log(f"train: no early stop (all {looks} repeats): the baseline record "
                             "was scored on other data, at an ancestor of the merge base")
            self.off = True
            return None
        if self.rules is None:
            try:
                self.rules = _compare_rules(self.options, self.baseline, list(scores))
            except MlgateError as err:
                self.console.log(f"train: no early stop (all {looks} repeats): the rules "
                                 f"cannot be read: {err.message}")
                self.off = True
                return None
        verdict = early_verdict(self.stored.scores, scores, self.rules, k)
        if verdict.state == noise.OPEN:
            return None
        names = ", ".join(verdict.decided) or "no gated metric"
        if verdict.state == noise.FAIL:
            return f"{names} decided: clearly outside its rule (a regression)"
        return f"{names} decided: clearly inside their rules"



# ----- the same stop for a user pipeline run K times (train: {repeats: K}) ------------------


def early_stop_runs(options: TrainOptions, seeds: tuple[int, ...], console: Console) -> Any:
    """The sequential stop of ``train: {repeats: K}`` on a PR: the store's record of the
    baseline commit made with the same seeds (the PR's first; more runs are fine) and the rules
    compare will apply; after each run from the second, one score per metric and run
    (core/noise.py SEQUENTIAL_RUNS_Z). None (every run) without such a record, with
    ``baseline: retrain``, on the base branch, or when baseline retraining set the runs
    (MLGATE_TRAIN_REPEATS / MLGATE_TRAIN_SEED: the merge base runs every one)."""
    if REPEATS_ENV in os.environ or SEED_ENV in os.environ:
        return None
    found = _pairing(options, console, f"all {len(seeds)} runs", "with the PR's seeds",
                     lambda: _paired_runs(options, seeds, console))
    if found is None:
        return None
    baseline, stored = found
    console.log(f"train: sequential stop: paired with the baseline record of "
                f"{(baseline.sha or '')[:12]} ({stored.text()}); from the second run on, "
                f"stopping once the verdict is decided")
    return _SequentialRuns(options, baseline, stored, console)


def _paired_runs(options: TrainOptions, seeds: tuple[int, ...], console: Console) -> Any:
    """(baseline, its recorded runs) when their seeds start with ``seeds``; else why not."""
    found = _store_baseline(options, console, "run")
    if isinstance(found, str):
        return found
    baseline, recorded, stored = found
    if stored is None or stored.method != "repeats" or not stored.seeds:
        what = "no per-run scores" if recorded else "no record in the baseline store"
        return f"the baseline {baseline.sha[:12]} has {what}"
    if stored.seeds[:len(seeds)] != seeds:
        return (f"the baseline record of {baseline.sha[:12]} was made with other seeds "
                f"({stored.text()}; this training: {repeats_text(seeds)})")
    return baseline, stored


class _SequentialRuns:
    """After each run from the second: the early verdict of the per-run scores so far against
    the record's first runs, under the rules compare applies."""

    def __init__(self, options: TrainOptions, baseline: Any, stored: Folds,
                 console: Console) -> None:
        self.options, self.baseline, self.stored, self.console = options, baseline, stored, console
        self.rules: Any = None
        self.off = False  # the rules cannot be read

    def __call__(self, done: int, count: int, scores: dict[str, tuple[float, ...]]
                 ) -> str | None:
        from mlgate.core import noise
        from mlgate.core.compare import early_verdict

        if self.off or not noise.is_run_look(done, count):
            return None
        if self.rules is None:
            try:
                self.rules = _compare_rules(self.options, self.baseline, list(scores))
            except MlgateError as err:
                self.console.log(f"train: no early stop (all {count} runs): the rules cannot "
                                 f"be read: {err.message}")
                self.off = True
                return None
        verdict = early_verdict(self.stored.scores, scores, self.rules, 1)
        if verdict.state == noise.OPEN:
            return None
        names = ", ".join(verdict.decided) or "no gated metric"
        if verdict.state == noise.FAIL:
            return f"{names} decided: clearly outside its rule (a regression)"
        return f"{names} decided: clearly inside their rules"
