"""The ``deploy:`` section of mlgate.yaml, parsed once at load, and the command-line values
merged into it (:meth:`DeployConfig.with_overrides`)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from mlgate.deploy.version import normalize_version
from mlgate.errors import UsageError

if TYPE_CHECKING:
    from mlgate.deploy.base import DeployContext, Target

# Every deploy target, by its name in `deploy.target` (and `deploy.registry`): the module and
# class. A module is imported only when its target is chosen (PyGithub, gto).
TARGETS: dict[str, tuple[str, str]] = {
    "github-release": ("mlgate.deploy.github_release", "GitHubReleaseTarget"),
    "gto": ("mlgate.deploy.gto_target", "GtoTarget"),
    "command": ("mlgate.deploy.command_target", "CommandTarget"),
}
BUMPS = ("major", "minor", "patch")
DEFAULT_MODEL_PATH = ".mlgate/model/model.joblib"
DEFAULT_STAGE = "prod"
DEFAULT_REMOTE = "origin"
REGISTRIES = ("github-release", "gto")
KNOWN_KEYS = (
    "target", "stage", "command", "version", "model", "tag-prefix", "bump", "remote", "champion",
    "verify", "registry",
)


@dataclass(frozen=True, slots=True)
class DeployConfig:
    """``deploy:`` of mlgate.yaml, parsed once when the file loads (:func:`parse_deploy_config`).

    ``target`` (and the command target's ``command``) may still be unset then: they can come
    from ``--target`` / ``--command``. :meth:`with_overrides` merges the command-line values
    and checks what becomes required; deploy and rollback only see its result."""

    target: str | None = None
    model: str | None = None  # `deploy.model` as written (None: the trained model under --out)
    stage: str = DEFAULT_STAGE
    command: str | None = None
    version: str | None = None
    tag_prefix: str | None = None  # None: "<model name>-v"
    bump: str = "patch"
    remote: str = DEFAULT_REMOTE
    champion: bool = True
    verify: str | None = None  # run after every deploy; a failure rolls back
    registry: str | None = None  # command target: where each model is also recorded
    where: str = field(default="mlgate.yaml", compare=False)  # the file, for error messages

    @property
    def model_path(self) -> str:
        return self.model or DEFAULT_MODEL_PATH

    @property
    def target_name(self) -> str:
        """The target of a merged section (:meth:`with_overrides` requires one)."""
        return _target({"target": self.target}, self.where)

    def release_prefix(self, model_name: str) -> str:
        return self.tag_prefix if self.tag_prefix is not None else f"{model_name}-v"

    def with_overrides(
        self, *, target: str | None = None, version: str | None = None,
        stage: str | None = None, command: str | None = None,
    ) -> DeployConfig:
        """The section with the command-line values (None: not given) on top, checked for
        what they make required: a target, the command target's command, a registry only
        with the command target. Errors name the ``deploy.`` key, in the order the merged
        section has always been checked (target, command, version, stage, registry)."""
        given = {key: value for key, value in (
            ("target", target), ("command", command), ("version", version), ("stage", stage),
        ) if value is not None}
        where = self.where
        merged_target = _target({"target": given.get("target", self.target)}, where)
        merged_command = _command({"command": given.get("command", self.command)},
                                  merged_target, where)
        merged_version = _version(given, where) if "version" in given else self.version
        merged_stage = _string(given, "stage", where) or self.stage
        _registry_for(self.registry, merged_target, where)
        return replace(self, target=merged_target, command=merged_command,
                       version=merged_version, stage=merged_stage)


def _string(data: dict[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise UsageError(f"must be a string, got {value!r}", where=f"{where}: deploy.{key}")
    text = str(value).strip()
    if not text:
        raise UsageError("must not be empty", where=f"{where}: deploy.{key}")
    return text


def parse_deploy_config(raw: dict[str, Any] | None, where: str = "mlgate.yaml") -> DeployConfig:
    """Validate ``deploy:`` (``where``: the file's name, for the errors); the target and
    command may be left to the command line (:meth:`DeployConfig.with_overrides`)."""
    data = dict(raw or {})
    unknown = sorted(set(map(str, data)) - set(KNOWN_KEYS))
    if unknown:
        raise UsageError(
            f"unknown key(s) {', '.join(unknown)}",
            where=f"{where}: deploy",
            fix=f"use only: {', '.join(KNOWN_KEYS)}",
        )
    # Checked in this order, so that the first problem reported stays the same.
    target = _string(data, "target", where)
    if target is not None:
        target = _one_of(target, tuple(TARGETS), "target", where)
    command = _string(data, "command", where)
    version = _version(data, where)
    bump = _bump(data, where)
    champion = _champion(data, where)
    tag_prefix = _tag_prefix(data, where)
    return DeployConfig(
        target=target,
        model=_string(data, "model", where),
        stage=_string(data, "stage", where) or DEFAULT_STAGE,
        command=command,
        version=version,
        tag_prefix=tag_prefix,
        bump=bump,
        remote=_string(data, "remote", where) or DEFAULT_REMOTE,
        champion=champion,
        verify=_string(data, "verify", where),
        registry=_registry(data, target, where),
        where=where,
    )


def _target(data: dict[str, Any], where: str) -> str:
    target = _string(data, "target", where)
    if target is None:
        raise UsageError(
            "no deploy target",
            where=f"{where}: deploy.target",
            fix=f"set `deploy: {{target: github-release}}` or pass --target ({', '.join(TARGETS)})",
        )
    return _one_of(target, tuple(TARGETS), "target", where)


def _command(data: dict[str, Any], target: str, where: str) -> str | None:
    command = _string(data, "command", where)
    if target == "command" and not command:
        raise UsageError(
            "the command target needs a command",
            where=f"{where}: deploy.command",
            fix="set `deploy: {target: command, command: ./deploy.sh}` or pass --command",
        )
    return command


def _version(data: dict[str, Any], where: str) -> str | None:
    version = _string(data, "version", where)
    return None if version is None else normalize_version(version, f"{where}: deploy.version")


def _bump(data: dict[str, Any], where: str) -> str:
    return _one_of(_string(data, "bump", where) or "patch", BUMPS, "bump", where)


def _one_of(value: str, choices: tuple[str, ...], key: str, where: str) -> str:
    if value not in choices:
        raise UsageError(
            f"unknown {key} {value!r}",
            where=f"{where}: deploy.{key}",
            fix=f"use one of: {', '.join(choices)}",
        )
    return value


def _champion(data: dict[str, Any], where: str) -> bool:
    champion = data.get("champion", True)
    if not isinstance(champion, bool):
        raise UsageError("must be true or false", where=f"{where}: deploy.champion")
    return champion


def _tag_prefix(data: dict[str, Any], where: str) -> str | None:
    prefix = data.get("tag-prefix")
    if prefix is not None and not isinstance(prefix, str):
        raise UsageError("must be a string", where=f"{where}: deploy.tag-prefix")
    return prefix


def _registry(data: dict[str, Any], target: str | None, where: str) -> str | None:
    """``registry:`` records the command target's models (for rollback); other targets are
    their own registry (checked again against the target the command line may set)."""
    registry = _string(data, "registry", where)
    if registry is None:
        return None
    _registry_for(registry, target, where)
    return _one_of(registry, REGISTRIES, "registry", where)


def _registry_for(registry: str | None, target: str | None, where: str) -> None:
    if registry is not None and target is not None and target != "command":
        raise UsageError(
            f"registry is for the command target only (the {target} target is its own registry)",
            where=f"{where}: deploy.registry", fix="remove deploy.registry",
        )


def make_target(ctx: DeployContext, key: str = "target") -> Target:
    """The target named by ``deploy.target`` (or ``deploy.registry``, ``key``), from
    :data:`TARGETS`; a name not in the table is a usage error, never a default target."""
    name = ctx.config.registry if key == "registry" else ctx.config.target
    if name not in TARGETS or (key == "registry" and name not in REGISTRIES):
        choices = REGISTRIES if key == "registry" else tuple(TARGETS)
        raise UsageError(f"unknown deploy {key} {name!r}", where=f"deploy.{key}",
                         fix=f"use one of: {', '.join(choices)}")
    module, cls = TARGETS[name]
    target: Target = getattr(importlib.import_module(module), cls)(ctx)
    return target
