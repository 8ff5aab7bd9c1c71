"""The ``github-release`` target: a GitHub release with the model, result.json and model card.

The release is made as a draft first, its assets are uploaded, and only then is it published
(which is when GitHub creates the tag, on the HEAD commit). When anything fails on the way, the
draft (and, if publishing got as far as creating it, the tag) is deleted: a release never exists
without its assets; a tag that existed before is never deleted, and one on another commit stops
the deploy before anything is written (publishing would attach the release to it). Every call
goes through :class:`mlgate.adapters.github.GitHubApi` and its one retry policy.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from mlgate.adapters.github import GitHubApi, Refused
from mlgate.deploy.base import DeployContext, Deployed
from mlgate.deploy.champion import Champion, extract_metrics, metrics_from_result_doc
from mlgate.deploy.rollback import (
    MADE_LIVE,
    TAKEN_DOWN,
    Plan,
    Registry,
    concurrent_change,
    markers,
    rollback_note,
)
from mlgate.deploy.version import next_version, parse_version, versions_with_prefix
from mlgate.errors import MlgateError, ServiceError, UsageError

CARD_ASSET = "model_card.md"
RESULT_ASSET = "result.json"
MODEL_JSON_ASSET = "model.json"


def taken_down(body: str | None, version: str) -> bool:
    """Whether the release notes say this version was rolled back (and not made live since)."""
    found = markers(body)
    return bool(found) and found[-1].kind == TAKEN_DOWN and found[-1].source == version


def _metrics_from_asset(name: str, data: Any) -> dict[str, float] | None:
    # PyGithub parses JSON answers (adding "url"); other text comes back as {"data": text}.
    if isinstance(data, dict) and set(data) <= {"data", "url"} and "data" in data:
        data = data["data"]
    if isinstance(data, bytes):
        data = data.decode("utf-8", "replace")
    if isinstance(data, dict) and name == RESULT_ASSET:
        return metrics_from_result_doc(data)
    if not isinstance(data, str):
        return None
    if name == CARD_ASSET:
        return extract_metrics(data)
    try:
        return metrics_from_result_doc(json.loads(data))
    except ValueError:
        return None


class GitHubReleaseTarget:
    def __init__(self, ctx: DeployContext, api: GitHubApi | None = None) -> None:
        self.ctx = ctx
        gh = ctx.gh
        if not gh.repository:
            raise UsageError(
                "the github-release target needs the repository",
                where="GITHUB_REPOSITORY",
                fix="run on GitHub Actions, or set GITHUB_REPOSITORY=owner/name",
            )
        if not gh.token:
            raise UsageError(
                "the github-release target needs a token",
                where="GITHUB_TOKEN",
                fix="pass `github-token: ${{ github.token }}` (with `permissions: contents: "
                "write`) or set GITHUB_TOKEN",
            )
        self.prefix = ctx.config.release_prefix(ctx.name)
        if api is None:
            if ctx.github is None:
                raise UsageError("the github-release target needs a GitHub client",
                                 fix="deploy with `mlgate deploy` (its main builds the client)")
            api = ctx.github(lazy=False, permissions="contents: write")
        self.api = api
        self._releases: list[Any] | None = None

    def releases(self, refresh: bool = False) -> list[Any]:
        """This model's releases (tags starting with the prefix), drafts included."""
        if self._releases is None or refresh:
            repo = self.api.repo()
            self._releases = self.api.call(
                "list releases",
                lambda: [r for r in repo.get_releases() if r.tag_name.startswith(self.prefix)],
            )
        return self._releases

    def _version(self, release: Any) -> str:
        return str(release.tag_name)[len(self.prefix):]

    # -- the registry as it is now ------------------------------------------------------------

    def existing(self) -> Deployed | None:
        for release in self.releases():
            if release.draft or release.target_commitish != self.ctx.commit:
                continue
            version = self._version(release)
            return Deployed(
                version=version, url=str(release.html_url), already=True,
                detail=f"release {release.tag_name} exists for this commit",
                rolled_back=taken_down(release.body, version),
            )
        return None

    def _published(self) -> list[Any]:
        return [
            r for r in self.releases()
            if not r.draft and not r.prerelease and parse_version(self._version(r)) is not None
        ]

    def champion(self) -> Champion | None:
        live = self.registry().live
        if live is None:
            return None
        latest = self._by_version()[live]
        metrics = extract_metrics(latest.body) or self._result_asset_metrics(latest) or {}
        commitish = str(latest.target_commitish or "")
        return Champion(
            label=f"release {latest.tag_name}", version=self._version(latest),
            commit=commitish if len(commitish) == 40 else None, metrics=metrics,
            url=str(latest.html_url),
        )

    def _result_asset_metrics(self, release: Any) -> dict[str, float] | None:
        """The metrics of the release's result.json asset, else of its model card asset."""

        def fetch() -> dict[str, float] | None:
            assets = {asset.name: asset for asset in release.get_assets()}
            for name in (RESULT_ASSET, CARD_ASSET):
                if name not in assets:
                    continue
                found = _metrics_from_asset(name, self.api.asset_content(assets[name]))
                if found is not None:
                    return found
            return None

        try:
            return self.api.call(f"download the assets of {release.tag_name}", fetch)
        except ServiceError:
            return None

    def next_version(self) -> str:
        tags = [str(r.tag_name) for r in self.releases() if not r.draft]
        return next_version(versions_with_prefix(tags, self.prefix), self.ctx.config.bump)

    # -- deploying ----------------------------------------------------------------------------

    def _assets(self, card: str) -> list[tuple[Path, str, str]]:
        model = self.ctx.model_path
        if not model.is_file():
            raise UsageError(
                "the model file does not exist",
                where=str(model),
                fix="train first (`mlgate train`) or set `deploy: {model: PATH}`",
            )
        card_path = self.ctx.card_path
        if not card_path.is_file():
            card_path.parent.mkdir(parents=True, exist_ok=True)
            card_path.write_text(card, encoding="utf-8")
        assets = [
            (model, model.name, "application/octet-stream"),
            (self.ctx.result_path, RESULT_ASSET, "application/json"),
            (card_path, CARD_ASSET, "text/markdown"),
        ]
        meta = model.parent / MODEL_JSON_ASSET  # for `mlgate drift` in a scheduled job
        if meta.is_file() and model.name != MODEL_JSON_ASSET:
            assets.append((meta, MODEL_JSON_ASSET, "application/json"))
        return assets

    def deploy(self, version: str, card: str) -> Deployed:
        tag = f"{self.prefix}{version}"
        assets = self._assets(card)
        for release in self.releases():
            if release.tag_name == tag:
                if not release.draft:
                    raise UsageError(
                        f"release {tag} already exists for commit "
                        f"{str(release.target_commitish)[:12]}",
                        where="deploy.version",
                        fix="choose another version, or leave it unset for the next one",
                    )
                # A draft left by a run that was killed: start again from scratch.
                self.api.delete_if_present(f"delete the stale draft {tag}",
                                           release.delete_release)
        tag_commit = self.api.tag_commit(tag)
        if tag_commit is not None and tag_commit != self.ctx.commit:
            # Publishing would attach the release to this tag, not to the commit deployed.
            raise UsageError(
                f"tag {tag} already exists on commit {tag_commit[:12]}, not on "
                f"{self.ctx.commit[:12]}",
                where="deploy.version",
                fix=f"delete the tag (`git push origin :refs/tags/{tag}`) if it is stale, "
                "or choose another version with --version",
            )
        tag_existed = tag_commit is not None
        try:
            release = self._create_draft(tag, card)
        except Refused as err:
            if err.status != 422:
                raise
            return self._lost_race(tag, version, err)
        publishing = False
        try:
            for path, name, ctype in assets:
                self._upload(release, path, name, ctype)
            publishing = True
            published = self.api.call(
                f"publish release {tag}",
                lambda: release.update_release(
                    name=f"{self.ctx.name} {version}", message=card, draft=False,
                    tag_name=tag, target_commitish=self.ctx.commit,
                ),
            )
        except BaseException:
            self._cleanup(release, tag if publishing and not tag_existed else None)
            raise
        url = str(getattr(published, "html_url", None) or release.html_url)
        return Deployed(version=version, url=url, detail=f"release {tag}")

    def _lost_race(self, tag: str, version: str, err: Refused) -> Deployed:
        """GitHub refused our release as a duplicate: another run (a concurrent deploy of the
        same commit) made it between our listing and our create. Its release is the deploy
        when it is published for this commit; else say what is going on, not "permissions"."""
        for release in self.releases(refresh=True):
            if release.tag_name != tag:
                continue
            if not release.draft and release.target_commitish == self.ctx.commit:
                return Deployed(version=version, url=str(release.html_url), already=True,
                                detail=f"another run deployed release {tag} at the same time")
            state = "is still uploading it" if release.draft else \
                f"made it for commit {str(release.target_commitish)[:12]}"
            raise ServiceError(f"another run created release {tag} at the same time and "
                               f"{state}", where="deploy",
                               fix="two deploys ran at once (use a `concurrency:` group on "
                                   "the deploy job); re-run this one once the other finished"
                               ) from err
        raise err

    def _create_draft(self, tag: str, card: str) -> Any:
        repo = self.api.repo()

        def create() -> Any:
            return repo.create_git_release(
                tag, name=f"{self.ctx.name} {tag[len(self.prefix):]}", message=card, draft=True,
                target_commitish=self.ctx.commit,
            )

        def drop_partial() -> None:
            # A create that failed on GitHub's side may still have made the draft.
            for release in self.releases(refresh=True):
                if release.tag_name == tag and release.draft:
                    self.api.delete_if_present(f"delete the partial draft {tag}",
                                               release.delete_release)

        return self.api.call(f"create release {tag}", create, before_retry=drop_partial)

    def _upload(self, release: Any, path: Path, name: str, ctype: str) -> None:
        def upload() -> Any:
            return release.upload_asset(str(path), name=name, content_type=ctype)

        def drop_partial() -> None:
            def drop() -> None:
                for asset in release.get_assets():
                    if asset.name == name:
                        asset.delete_asset()

            self.api.call(f"remove a partial {name} from release {release.tag_name}", drop)

        self.api.call(f"upload {name} to release {release.tag_name}", upload, drop_partial)

    def _cleanup(self, release: Any, tag: str | None) -> None:
        """Delete the half-made release, and the tag when publishing may have created it
        (best effort: the error that got us here is the one the user needs to see)."""
        with contextlib.suppress(MlgateError):
            self.api.delete_if_present(f"delete the draft {release.tag_name}",
                                       release.delete_release)
        if tag is not None:  # no tag (404): publishing failed before GitHub created it
            with contextlib.suppress(MlgateError):
                self.api.delete_tag(tag)

    # -- rollback -----------------------------------------------------------------------------

    def _by_version(self) -> dict[str, Any]:
        return {self._version(r): r for r in self._published()}

    def _latest_tag(self) -> str | None:
        """The tag of the repository's latest release (what releases/latest serves)."""
        from github import GithubException

        repo = self.api.repo()

        def read() -> str | None:
            try:
                return str(repo.get_latest_release().tag_name)
            except GithubException as err:
                if err.status == 404:
                    return None
                raise

        return self.api.call("read the latest release", read)

    def registry(self, refresh: bool = False) -> Registry:
        """Live is the repository's latest release when it is this model's; else (another
        model's release is the latest) the highest version not rolled back."""
        if refresh:
            self.releases(refresh=True)
        found = self._by_version()
        down = frozenset(v for v, r in found.items() if taken_down(r.body, v))
        latest = self._latest_tag() or ""
        live: str | None = latest[len(self.prefix):]
        if not latest.startswith(self.prefix) or live not in found:
            up = [v for v in found if v not in down]
            live = max(up, key=lambda v: parse_version(v) or (0, 0, 0)) if up else None
        if live is None:
            return Registry(tuple(found), None, down)
        last = markers(found[live].body)
        run = last[-1].run if last and last[-1].kind == MADE_LIVE and last[-1].to == live else None
        return Registry(tuple(found), live, down, run, str(found[live].html_url))

    def restore(self, plan: Plan) -> Deployed:
        """The release of ``plan.to`` becomes the latest again; both releases' notes record it."""
        now = self.registry(refresh=True)
        if now.live != plan.source:
            raise concurrent_change(plan, now.live)
        found = self._by_version()
        target, source = found[plan.to], found.get(plan.source)
        run_id, run_url = self.ctx.run_id, self.ctx.run_url
        body = (target.body or "") + rollback_note(MADE_LIVE, plan, run_id, run_url)
        self.api.call(
            f"make release {target.tag_name} the latest again",
            lambda: target.update_release(name=target.name or target.tag_name, message=body,
                                          make_latest="true"),
        )
        if source is not None:
            down = (source.body or "") + rollback_note(TAKEN_DOWN, plan, run_id, run_url)
            self.api.call(
                f"record the rollback in release {source.tag_name}",
                lambda: source.update_release(name=source.name or source.tag_name,
                                              message=down),
            )
        return Deployed(version=plan.to, url=str(target.html_url),
                        detail=f"release {target.tag_name} is the latest release again")

    def download(self, version: str, dest: Path) -> dict[str, Path]:
        """Every asset of the release of ``version``, saved in ``dest``: {name: path}."""
        release = self._by_version()[version]
        dest.mkdir(parents=True, exist_ok=True)
        saved: dict[str, Path] = {}
        assets = self.api.call(f"list the assets of {release.tag_name}",
                               lambda: list(release.get_assets()))
        for asset in assets:
            path = dest / Path(str(asset.name)).name
            part = path.with_name(f".{path.name}.part")

            def get(a: Any = asset, to: Path = part) -> None:
                a.download_asset(str(to), chunk_size=1 << 20)

            self.api.call(f"download {asset.name} of release {release.tag_name}", get)
            part.replace(path)
            saved[path.name] = path
        return saved
