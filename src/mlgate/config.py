"""The project configuration, ``mlgate.yaml``, and where mlgate writes its files.

Every section is validated when the file is loaded (``train:``, ``deploy:`` and ``drift:`` by
the parsers of the modules that own them, so each error names its key) and kept as the typed
object its parser made (``train:`` and ``deploy:`` are parsed once, and their flags merged by
:meth:`TrainMode.with_overrides` and :meth:`DeployConfig.with_overrides`); the command-line
flags (and action inputs, which arrive as flags) are merged with the file here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate.core.drift_config import DriftThresholds, parse_drift_config
from mlgate.core.thresholds import Rule, parse_rules
from mlgate.errors import UsageError
from mlgate.yamlio import inside_repo, load_file, repo_top

if TYPE_CHECKING:
    from mlgate.adapters.dvc import PullOptions
    from mlgate.deploy.config import DeployConfig
    from mlgate.train.config import TrainMode

DEFAULT_CONFIG = "mlgate.yaml"
DEFAULT_OUT = ".mlgate"
BASELINE_MODES = ("auto", "committed", "store", "retrain")
# Whose thresholds apply: the baseline commit's mlgate.yaml (default) or the PR's own.
THRESHOLDS_FROM = ("baseline", "head")
REPORT_KEYS = ("name", "template")
PULL_KEYS = ("targets", "remote", "jobs", "allow-missing", "all")
DEFAULT_REPORT_NAME = "mlgate"

KNOWN_KEYS = {
    "name",
    "metrics",
    "params",
    "thresholds",
    "thresholds-from",
    "require-baseline",
    "baseline",
    "base",
    "train",
    "deploy",
    "pull",
    "report",
    "drift",
    "informational",
}


@dataclass(frozen=True, slots=True)
class PullSettings:
    """``pull:`` of mlgate.yaml, validated; :meth:`Config.pull_options` merges the flags."""

    targets: tuple[str, ...] = ()
    remote: str | None = None
    jobs: int | None = None
    allow_missing: bool = False
    all: bool = False  # the outputs of dvc.yaml stages too


@dataclass(frozen=True, slots=True)
class ReportSettings:
    """``report:`` of mlgate.yaml, validated (each key a non-empty string, as written);
    :meth:`Config.report_name` and :meth:`Config.report_template` merge the flags."""

    name: str | None = None
    template: str | None = None


@dataclass(frozen=True, slots=True)
class Config:
    path: Path | None = None
    name: str | None = None
    # The defaults are shared (a NamedTuple's): nothing mutates a loaded config.
    metrics: list[str] = field(default_factory=list)
    params: list[str] = field(default_factory=list)
    # `thresholds:` as written (compare diffs it against the baseline commit's) and parsed.
    thresholds: dict[str, Any] = field(default_factory=dict)
    rules: list[Rule] = field(default_factory=list)
    thresholds_set: bool = False  # `thresholds:` written (`{}` included): no default rules
    # Globs of metrics shown apart and given no default rule (added to core.thresholds')
    informational: tuple[str, ...] = ()
    thresholds_from: str = "baseline"
    require_baseline: bool = False
    baseline: str = "auto"
    base: str | None = None
    # None: no `train:` section; else the trainer it asks for (train/config parses it once)
    train: TrainMode | None = None
    # None: no `deploy:` section (its parser, deploy/config, is then never imported: compare
    # does not load the deploy package for nothing)
    deploy: DeployConfig | None = None
    pull: PullSettings = field(default_factory=PullSettings)
    report: ReportSettings = field(default_factory=ReportSettings)
    drift: DriftThresholds = field(default_factory=DriftThresholds)

    @property
    def where(self) -> str:
        """The config file's name, for error messages."""
        return self.path.name if self.path else DEFAULT_CONFIG

    def model_name(self, root: Path) -> str:
        return self.name or root.resolve().name

    # ----- the command line merged with the file (flags win) ----------------------------------

    def base_branch(self, flag: str | None, pr_base: str | None = None) -> str:
        """``--base``, else the PR's base branch (from the event: the PR's own ``base:`` must not
        choose what judges it), else ``base:``, else main."""
        return flag or pr_base or self.base or "main"

    def deploy_base_branch(self, flag: str | None) -> str:
        """The branch deploys run on: ``--base``, else ``base:``, else main (never the PR's)."""
        return flag or self.base or "main"

    def requires_baseline(self, flag: bool | None) -> bool:
        return bool(flag) or self.require_baseline

    def report_name(self, flag: str | None) -> str:
        name = flag or self.report.name or DEFAULT_REPORT_NAME
        if not name.strip():
            raise UsageError("the report name must be a non-empty string", where="--name")
        return name.strip()

    def report_template(self, flag: str | None) -> Path | None:
        template = flag or self.report.template
        return Path(template) if template else None

    def train_mode(self, command: str | None, has_dvc_yaml: bool) -> TrainMode:
        """The trainer: ``--command``, else ``train:``, else dvc.yaml (the run's overrides are
        merged by :meth:`TrainMode.with_overrides`)."""
        from mlgate.train.config import select_mode

        return select_mode(
            self.train, cli_command=command, has_dvc_yaml=has_dvc_yaml, where=self.where
        )

    def pull_options(
        self, targets: list[str] | None, remote: str | None, jobs: int | None, allow_missing: bool,
        pull_all: bool = False,
    ) -> PullOptions:
        """``pull:`` with the command-line flags (flags win), as the DVC adapter takes it."""
        from mlgate.adapters.dvc import PullOptions

        if jobs is not None and jobs < 1:
            raise UsageError(f"must be at least 1, got {jobs}", where="--jobs")
        section = self.pull
        return PullOptions(
            targets=list(targets) if targets else list(section.targets),
            remote=remote or section.remote,
            jobs=jobs if jobs is not None else section.jobs,
            allow_missing=allow_missing or section.allow_missing,
            all=pull_all or section.all,
        )

    def deploy_settings(
        self, *, target: str | None = None, version: str | None = None,
        stage: str | None = None, command: str | None = None,
    ) -> DeployConfig:
        """``deploy:`` with the command-line values (None: not given) merged in, the target
        (and the command target's command) then required."""
        section = self.deploy
        if section is None:
            from mlgate.deploy.config import DeployConfig

            section = DeployConfig(where=self.where)
        return section.with_overrides(target=target, version=version, stage=stage,
                                      command=command)


@dataclass(frozen=True, slots=True)
class Paths:
    """Where mlgate reads and writes its files: everything under ``--out`` (default .mlgate)."""

    root: Path
    out: Path

    @property
    def result(self) -> Path:
        from mlgate.core.result import RESULT_FILE

        return self.out / RESULT_FILE

    def result_file(self, explicit: str | None) -> Path:
        """``--result FILE`` (relative to the working directory), else the default."""
        return Path(explicit) if explicit else self.result

    @property
    def report(self) -> Path:
        return self.out / "report.md"

    @property
    def bundle(self) -> Path:
        return self.out / "bundle"

    @property
    def model_dir(self) -> Path:
        from mlgate.train.save import MODEL_DIR

        return self.out / MODEL_DIR

    @property
    def model_file(self) -> Path:
        from mlgate.train.save import MODEL_FILE

        return self.model_dir / MODEL_FILE

    @property
    def model_meta(self) -> Path:
        from mlgate.train.save import MODEL_META

        return self.model_dir / MODEL_META

    def deploy_model(self, settings: DeployConfig) -> Path:
        """The model file deploy ships: ``deploy.model`` when set, else the trained model under
        ``--out``."""
        if settings.model is None:
            return self.model_file
        path = Path(settings.model)
        return path if path.is_absolute() else self.root / path


def paths_for(out_flag: str | None, root: Path | None = None) -> Paths:
    root = root or Path.cwd()
    return Paths(root=root, out=out_dir(out_flag, root))


def _where(path: Path | None, key: str) -> str:
    return f"{path or DEFAULT_CONFIG}: {key}"


def _str_list(value: Any, path: Path | None, key: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise UsageError(
        "must be a file path or a list of file paths",
        where=_where(path, key),
        fix=f"write e.g. `{key}: [metrics.json]`",
    )


def _mapping(value: Any, path: Path | None, key: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise UsageError("must be a mapping", where=_where(path, key))
    return value


def _top_level(data: Any, path: Path | None) -> dict[str, Any]:
    """The file's mapping (empty for an empty file), with only known keys."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError("the top level must be a mapping of keys", where=str(path or "config"))
    unknown = sorted(set(map(str, data)) - KNOWN_KEYS)
    if unknown:
        raise UsageError(
            f"unknown key(s): {', '.join(unknown)}",
            where=str(path or DEFAULT_CONFIG),
            fix=f"use only: {', '.join(sorted(KNOWN_KEYS))}",
        )
    return data


def _optional_mapping(data: dict[str, Any], path: Path | None, key: str) -> Any:
    value = data.get(key)
    if value is not None and not isinstance(value, dict):
        raise UsageError("must be a mapping", where=_where(path, key))
    return value


def parse_config(data: Any, path: Path | None = None) -> Config:
    data = _top_level(data, path)
    name = data.get("name")
    if name is not None and not isinstance(name, str):
        raise UsageError("must be a string", where=_where(path, "name"))
    require = data.get("require-baseline", False)
    if not isinstance(require, bool):
        raise UsageError("must be true or false", where=_where(path, "require-baseline"))
    baseline = data.get("baseline", "auto")
    if baseline not in BASELINE_MODES:
        raise UsageError(
            f"unknown baseline mode {baseline!r}",
            where=_where(path, "baseline"),
            fix=f"use one of: {', '.join(BASELINE_MODES)}",
        )
    base = data.get("base")
    if base is not None and not isinstance(base, str):
        raise UsageError("must be a branch name", where=_where(path, "base"))
    train = _optional_mapping(data, path, "train")
    deploy = _optional_mapping(data, path, "deploy")
    where = path.name if path else DEFAULT_CONFIG
    thresholds = _mapping(data.get("thresholds"), path, "thresholds")
    config = Config(
        path=path,
        name=name,
        metrics=_str_list(data.get("metrics"), path, "metrics"),
        params=_str_list(data.get("params"), path, "params"),
        thresholds=thresholds,
        thresholds_set="thresholds" in data,
        informational=tuple(_str_list(data.get("informational"), path, "informational")),
        rules=parse_rules(thresholds, f"{where}: thresholds"),
        thresholds_from=thresholds_from(data, path),
        require_baseline=require,
        baseline=baseline,
        base=base,
        pull=parse_pull_section(data.get("pull"), path),
        report=_report_section(data.get("report"), path),
        drift=parse_drift_config(data.get("drift"), where),
    )
    if train is not None:
        from mlgate.train.config import parse_train_section  # only with a train: section

        config = replace(config, train=parse_train_section(train, where))
    if deploy is None:
        return config
    from mlgate.deploy.config import parse_deploy_config  # only with a deploy: section

    return replace(config, deploy=parse_deploy_config(deploy, where))


def thresholds_from(data: dict[str, Any], path: Path | None) -> str:
    """``thresholds-from:`` of a parsed mlgate.yaml mapping, validated (default ``baseline``)."""
    value = data.get("thresholds-from", "baseline")
    if value not in THRESHOLDS_FROM:
        raise UsageError(
            f"unknown value {value!r}",
            where=_where(path, "thresholds-from"),
            fix=f"use one of: {', '.join(THRESHOLDS_FROM)} (baseline: the thresholds of the "
            "baseline commit's mlgate.yaml apply; head: the PR's own)",
        )
    return str(value)


def parse_pull_section(value: Any, path: Path | None = None) -> PullSettings:
    """``pull:`` of mlgate.yaml, validated (errors name the key)."""
    section = _mapping(value, path, "pull")
    name = path.name if path else DEFAULT_CONFIG  # as the DVC errors have always named it
    unknown = sorted(set(map(str, section)) - set(PULL_KEYS))
    if unknown:
        raise UsageError(
            f"unknown key(s) in pull: {', '.join(unknown)}",
            where=f"{name}: pull",
            fix=f"use only: {', '.join(PULL_KEYS)}",
        )
    targets = section.get("targets")
    if isinstance(targets, str):
        targets = [targets]
    if targets is not None and not (
        isinstance(targets, list) and all(isinstance(t, str) for t in targets)
    ):
        raise UsageError(
            "must be a path or a list of paths",
            where=f"{name}: pull.targets",
            fix="write e.g. `targets: [data/train.csv]`",
        )
    remote = section.get("remote")
    if remote is not None and not isinstance(remote, str):
        raise UsageError("must be the name of a DVC remote", where=f"{name}: pull.remote")
    jobs = section.get("jobs")
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise UsageError(
            f"must be a whole number of at least 1, got {jobs!r}",
            where=f"{name}: pull.jobs",
        )
    allow_missing, pull_all = section.get("allow-missing", False), section.get("all", False)
    for key, flag in (("allow-missing", allow_missing), ("all", pull_all)):
        if not isinstance(flag, bool):
            raise UsageError("must be true or false", where=f"{name}: pull.{key}")
    return PullSettings(tuple(targets or ()), remote, jobs, allow_missing, pull_all)


def _report_section(value: Any, path: Path | None) -> ReportSettings:
    section = _mapping(value, path, "report")
    unknown = sorted(set(map(str, section)) - set(REPORT_KEYS))
    if unknown:
        raise UsageError(
            f"unknown key(s) in report: {', '.join(unknown)}",
            where=_where(path, "report"),
            fix=f"use only: {', '.join(REPORT_KEYS)}",
        )
    for key in REPORT_KEYS:
        item = section.get(key)
        if item is not None and (not isinstance(item, str) or not item.strip()):
            raise UsageError(
                f"must be a non-empty string, got {item!r}",
                where=_where(path, f"report.{key}"),
                fix="write e.g. `report: {name: churn-report, template: ci/report.md.j2}`",
            )
    return ReportSettings(name=section.get("name"), template=section.get("template"))


def load_config(config_path: str | None = None, root: Path | None = None) -> Config:
    """Load ``--config PATH``, else ``mlgate.yaml`` in ``root`` when present, else defaults."""
    root = root or Path.cwd()
    if config_path:
        path = Path(config_path)
        if not path.is_absolute():
            path = root / path
        if not path.exists():
            raise UsageError(
                "config file not found", where=config_path, fix="check the --config path"
            )
    else:
        path = root / DEFAULT_CONFIG
        if not path.exists():
            return Config()
        inside_repo(path, repo_top(root), DEFAULT_CONFIG)
    return parse_config(
        load_file(path, str(path.relative_to(root)) if path.is_relative_to(root) else str(path)),
        path,
    )


def out_dir(args_out: str | None, root: Path | None = None) -> Path:
    """The directory mlgate writes into (``--out``, default ``.mlgate``), created with its own
    ``.gitignore`` (see :func:`ensure_out_dir`): every command finds its paths here."""
    root = root or Path.cwd()
    path = Path(args_out) if args_out else Path(DEFAULT_OUT)
    path = path if path.is_absolute() else root / path
    if path.exists() and not path.is_dir():
        raise UsageError(
            f"{path} is a file, not a directory",
            where="--out" if args_out else DEFAULT_OUT,
            fix="pass a directory (it is created when missing), or remove the file",
        )
    ensure_out_dir(path, root)
    return path


OUT_GITIGNORE = "*\n"


def ensure_out_dir(path: Path, root: Path) -> None:
    """Create the out directory with a ``.gitignore`` of ``*``, so nothing mlgate writes shows
    in ``git status``. Only in a directory mlgate owns: one it creates, ``.mlgate`` or an empty
    one, and never the repository itself or a directory above it."""
    try:
        resolved, top = path.resolve(), root.resolve()
        if resolved == top or resolved in top.parents or (path / ".git").exists():
            return
        new = not path.exists()
        path.mkdir(parents=True, exist_ok=True)
        ignore = path / ".gitignore"
        if ignore.exists() or not (new or path.name == DEFAULT_OUT or not any(path.iterdir())):
            return
        ignore.write_text(OUT_GITIGNORE, encoding="utf-8")
    except OSError:
        return  # a writer reports an unwritable directory, with its own file named
