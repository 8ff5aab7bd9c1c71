"""The ``gto`` target: register a version and assign a stage with GTO's git tags, then push.

Tags are created locally through the ``gto`` library, then pushed in one atomic push; when any
step fails, the tags this run created are deleted again, so neither the local repository nor the
remote is left with a version that has no stage (or the reverse).
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

from mlgate.adapters.dvc_pipeline import commit_dvc_files, resolver, work_prefix
from mlgate.adapters.git import commit_reader, push_failed
from mlgate.core.metrics import discover_metrics_files, load_metrics, number, read_pipeline
from mlgate.deploy.base import DeployContext, Deployed
from mlgate.deploy.champion import Champion, challenger_metrics, embed_metrics, extract_metrics
from mlgate.deploy.rollback import (
    MADE_LIVE,
    Plan,
    Registry,
    concurrent_change,
    markers,
    rollback_note,
)
from mlgate.deploy.version import next_version, parse_version, versions_with_prefix
from mlgate.errors import ServiceError, UsageError

BOT_NAME = "github-actions[bot]"
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"


def version_tag(name: str, version: str) -> str:
    return f"{name}@v{version}"


class GtoTarget:
    def __init__(self, ctx: DeployContext) -> None:
        self.ctx = ctx
        self.git = ctx.git
        self.name = ctx.name
        self.stage = ctx.config.stage
        self.remote = ctx.config.remote
        self._check_name()
        self.git.remote_url(self.remote)
        # The registry is the tags: without the remote's, the next version could clash.
        self.git.fetch_tags(self.remote)

    def _check_name(self) -> None:
        from gto.constants import assert_fullname_is_valid

        try:
            assert_fullname_is_valid(self.name)
            assert_fullname_is_valid(self.stage)
        except Exception as err:
            raise UsageError(
                f"not a valid GTO name: {err}",
                where="mlgate.yaml: name / deploy.stage",
                fix="use letters, digits, '-', '_' or '/', starting and ending with a letter "
                "or a digit",
            ) from err

    # -- the registry as it is now ------------------------------------------------------------

    def _version_at(self, commit: str) -> str | None:
        prefix = f"{self.name}@v"
        found = versions_with_prefix(self.git.tags_at(commit), prefix)
        return max(found, key=lambda v: parse_version(v) or (0, 0, 0)) if found else None

    def _in_stage(self) -> Any | None:
        import gto.api
        from gto.exceptions import ArtifactNotFound

        try:
            found = gto.api.find_versions_in_stage(
                str(self.ctx.root), self.name, self.stage
            )
        except ArtifactNotFound:
            return None  # no version of this model was ever registered
        except Exception as err:
            raise UsageError(f"gto could not read the registry: {err}", where="git tags") from err
        if isinstance(found, list):
            return found[0] if found else None
        return found

    def _url(self, tag: str) -> str:
        gh = self.ctx.gh
        if gh.repository:
            return f"{gh.server_url}/{gh.repository}/releases/tag/{quote(tag, safe='')}"
        return ""

    def existing(self) -> Deployed | None:
        version = self._version_at(self.ctx.commit)
        if version is None:
            return None
        if version in self.registry().rolled_back:
            tag = version_tag(self.name, version)
            return Deployed(version=version, url=self._url(tag), already=True, rolled_back=True,
                            detail=f"{tag} was rolled back in stage {self.stage}")
        current = self._in_stage()
        if current is None or current.commit_hexsha != self.ctx.commit:
            return None
        return Deployed(
            version=version,
            url=self._url(version_tag(self.name, version)),
            already=True,
            detail=f"{version_tag(self.name, version)} is in stage {self.stage}",
        )

    def champion(self) -> Champion | None:
        current = self._in_stage()
        if current is None:
            return None
        commit = str(current.commit_hexsha)
        version = str(current.version).removeprefix("v")
        tag = version_tag(self.name, version)
        metrics = extract_metrics(self.git.tag_message(tag)) if self.git.tags(tag) else None
        if metrics is None:
            metrics = self._committed_metrics(commit)
        return Champion(
            label=f"{tag} (stage {self.stage})", version=version, commit=commit,
            metrics=metrics or {}, url=self._url(tag),
        )

    def _committed_metrics(self, commit: str) -> dict[str, float] | None:
        """The metrics committed at ``commit``, found as ``compare`` finds a baseline's: the
        config's ``metrics:``, else what the dvc.yaml files committed there list (templated ones
        resolved through DVC), read relative to the working directory."""
        read = commit_reader(self.git, commit)
        try:
            pipeline = None if self.ctx.metrics_files else read_pipeline(
                read, commit_dvc_files(self.git, commit), resolver(read), work_prefix(self.git))
            files, _ = discover_metrics_files(read, self.ctx.metrics_files, pipeline=pipeline)
            found = load_metrics(files, read, missing_ok=True)
        except UsageError:
            return None
        return {m.name: number(m.value) for m in found} or None

    def next_version(self) -> str:
        tags = self.git.tags(f"{self.name}@v*")
        return next_version(versions_with_prefix(tags, f"{self.name}@v"), self.ctx.config.bump)

    # -- deploying ----------------------------------------------------------------------------

    def _identity(self) -> tuple[str, str]:
        name, email = self.git.user_identity()
        return name or BOT_NAME, email or BOT_EMAIL

    def deploy(self, version: str, card: str) -> Deployed:
        tag = version_tag(self.name, version)
        registered = self._version_at(self.ctx.commit)
        if registered is not None and registered != version:
            raise UsageError(
                f"this commit is already registered as {version_tag(self.name, registered)}",
                where="deploy.version",
                fix=f"deploy it as version {registered} (or leave the version unset)",
            )
        if registered is None and self.git.tags(tag):
            raise UsageError(
                f"version {version} is already registered (tag {tag}) for another commit",
                where="deploy.version",
                fix="choose another version, or leave it unset for the next one",
            )
        before = set(self.git.tags(f"{self.name}*"))
        try:
            created = self._create_tags(version, registered is None)
            self._push(created)
        except BaseException:
            leftover = sorted(set(self.git.tags(f"{self.name}*")) - before)
            self.git.delete_tags(leftover)
            raise
        return Deployed(
            version=version, url=self._url(tag), detail=f"pushed {', '.join(created)}"
        )

    def _create_tags(self, version: str, register: bool) -> list[str]:
        import gto.api
        from gto.exceptions import GTOException
        from scmrepo.exceptions import SCMError

        author, email = self._identity()
        metrics = embed_metrics(challenger_metrics(self.ctx.result))
        if self.ctx.forced:
            metrics = "Forced deploy (--force) although:\n" + "".join(
                f"- {reason}\n" for reason in self.ctx.forced
            ) + "\n" + metrics
        created = []
        try:
            if register:
                event = gto.api.register(
                    str(self.ctx.root), self.name, ref=self.ctx.commit, version=f"v{version}",
                    message=f"Registering artifact {self.name} version v{version} "
                    f"(mlgate deploy)\n\n{metrics}",
                    author=author, author_email=email,
                )
                created.append(str(event.tag))
            event = gto.api.assign(
                str(self.ctx.root), self.name, self.stage, version=f"v{version}",
                author=author, author_email=email,
            )
            created.append(str(event.tag))
        except GTOException as err:
            raise UsageError(f"gto refused: {err}", where="deploy (gto)") from err
        except (SCMError, OSError) as err:
            raise tag_failed(version, err) from err
        return created

    def _push(self, tags: list[str], plan: Plan | None = None) -> None:
        refs = [f"refs/tags/{t}" for t in tags]
        proc = self.git.run("push", "--atomic", self.remote, *refs, check=False)
        if proc.returncode != 0 and plan is not None and "already exists" in proc.stderr:
            # Another run pushed the same stage tag first (the caller deletes ours).
            raise concurrent_change(plan, None, f"the remote has the stage tags "
                                    f"{', '.join(tags)} already, pushed by another run")
        if proc.returncode != 0:
            raise push_failed(
                self.remote, f"the tags {', '.join(tags)}", proc.stderr, where="git push",
                fix="check the remote's permissions (the workflow needs `contents: write`); "
                "no tag was left behind, re-run the deploy",
            )


    # -- rollback -----------------------------------------------------------------------------
    # GTO shows the highest version that has an active assignment in the stage, so a rollback
    # unassigns the versions above the one put back (and assigns that one if it is not active).

    def _stage_tags(self) -> list[str]:
        """The stage's assignment and unassignment tags (``name#stage#N``, ``name#stage!#N``),
        oldest first."""
        found = []
        for pattern in (f"{self.name}#{self.stage}#*", f"{self.name}#{self.stage}!#*"):
            for tag in self.git.tags(pattern):
                number = tag.rsplit("#", 1)[-1]
                found.append((int(number) if number.isdigit() else -1, tag))
        return [tag for _, tag in sorted(found)]

    def _live_version(self) -> str | None:
        current = self._in_stage()
        return str(current.version).removeprefix("v") if current is not None else None

    def _active(self) -> list[str]:
        """Every version with an active assignment in the stage."""
        import gto.api

        found = gto.api.find_versions_in_stage(str(self.ctx.root), self.name, self.stage,
                                               versions_per_stage=-1)
        found = found if isinstance(found, list) else [found] if found else []
        return [str(v.version).removeprefix("v") for v in found]

    def registry(self) -> Registry:
        prefix = f"{self.name}@v"
        versions = tuple(versions_with_prefix(self.git.tags(f"{prefix}*"), prefix))
        tags = self._stage_tags()
        assigned = set()
        for tag in tags:
            commit = self.git.rev(tag) if "!#" not in tag else None
            version = self._version_at(commit) if commit else None
            if version:
                assigned.add(version)
        live = self._live_version() if tags else None
        found = markers(self.git.tag_message(tags[-1])) if tags else []
        run = found[-1].run if found and found[-1].kind == MADE_LIVE and found[-1].to == live \
            else None
        url = self._url(version_tag(self.name, live)) if live else ""
        down = frozenset(assigned - set(self._active())) if tags else frozenset()
        return Registry(versions, live, down, run, url)

    def restore(self, plan: Plan) -> Deployed:
        """Unassign the versions above ``plan.to`` and assign it when it is not active: new
        stage tags, pushed in one atomic push."""
        live = self._live_version()
        if live is None or live != plan.source:
            raise concurrent_change(plan, live)
        key = parse_version(plan.to) or (0, 0, 0)
        active = self._active()
        above = [v for v in active if (parse_version(v) or (0, 0, 0)) > key]
        note = rollback_note(MADE_LIVE, plan, self.ctx.run_id, self.ctx.run_url).strip()
        # GTO orders a version's events by their tag time in whole seconds.
        time.sleep(1.01 - time.time() % 1)
        before = set(self.git.tags(f"{self.name}*"))
        try:
            created = self._rollback_tags(plan, above, plan.to not in active, note)
            self._push(created, plan)
        except BaseException:
            self.git.delete_tags(sorted(set(self.git.tags(f"{self.name}*")) - before))
            raise
        tag = version_tag(self.name, plan.to)
        return Deployed(version=plan.to, url=self._url(tag),
                        detail=f"pushed {', '.join(created)}: stage {self.stage} is {tag} again")

    def _rollback_tags(self, plan: Plan, above: list[str], assign: bool, note: str) -> list[str]:
        import gto.api
        from gto.exceptions import GTOException
        from scmrepo.exceptions import SCMError

        author, email = self._identity()
        message = f"Rollback of {self.name} in stage {self.stage} (mlgate deploy --rollback)" \
            f"\n\n{note}"
        created = []
        try:
            for version in above:
                event = gto.api.unassign(str(self.ctx.root), self.name, stage=self.stage,
                                         version=f"v{version}", message=message,
                                         author=author, author_email=email)
                created.append(str(event.tag))
            if assign:
                event = gto.api.assign(str(self.ctx.root), self.name, self.stage,
                                       version=f"v{plan.to}", message=message, author=author,
                                       author_email=email, force=True)
                created.append(str(event.tag))
        except GTOException as err:
            raise UsageError(f"gto refused: {err}", where="deploy --rollback (gto)") from err
        except (SCMError, OSError) as err:
            raise tag_failed(plan.to, err) from err
        return created

    def commit_of(self, version: str) -> str | None:
        return self.git.rev(version_tag(self.name, version))


def tag_failed(version: str, err: Exception) -> ServiceError:
    """Git could not write a tag (a held ref lock, a read-only repository, ...)."""
    detail = str(err).strip()
    if err.__cause__ is not None:  # scmrepo says "Failed to create tag"; git's reason is the cause
        detail = f"{detail}: {str(err.__cause__).strip()}"
    return ServiceError(
        f"creating the git tags for version {version} failed: {detail}",
        where="git tag",
        fix="check that the repository is writable and that no other git process holds a lock "
        "(remove a stale `.lock` file under .git/refs/tags); no tag was left behind, "
        "re-run the deploy",
    )
