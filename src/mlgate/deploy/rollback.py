"""Rollback, the pure part: which version goes back, and how a rollback is recorded.

A rollback is recorded where the target keeps its models: in the notes of the releases
(github-release) or in the message of the stage tag (gto), as a Markdown line for people
followed by an HTML comment that mlgate reads back::

    <!-- mlgate-rollback {"from": "1.0.1", "to": "1.0.0", "run": "123"} -->      (made live)
    <!-- mlgate-rolled-back {"from": "1.0.1", "to": "1.0.0", "run": "123"} -->   (taken down)

The last marker of a release says whether it was rolled back; ``run`` (GITHUB_RUN_ID, the same
for a re-run of a workflow run) makes a re-run of a rollback without ``--to`` change nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone

from mlgate.deploy.version import parse_version
from mlgate.errors import ServiceError, UsageError

CONCURRENCY_FIX = (
    "this run changed nothing; check what is live now and re-run the rollback if it is still "
    "needed. Run deploys and rollbacks in one `concurrency:` group (docs/monitoring.md)"
)

MADE_LIVE = "mlgate-rollback"
TAKEN_DOWN = "mlgate-rolled-back"
_MARKER = re.compile(r"<!-- (mlgate-rollback|mlgate-rolled-back) (\{[^\n]*?\}) -->")


@dataclass(frozen=True)
class Marker:
    kind: str  # MADE_LIVE | TAKEN_DOWN
    source: str  # the version rolled back
    to: str  # the version made live
    run: str | None = None


@dataclass(frozen=True)
class Registry:
    """What a target's registry says now: the versions that can be made live, the live one,
    the ones rolled back (and not made live since), and the run whose rollback made the live
    version live (None when a deploy did)."""

    versions: tuple[str, ...]
    live: str | None
    rolled_back: frozenset[str] = frozenset()
    live_run: str | None = None
    live_url: str = ""


@dataclass(frozen=True)
class Plan:
    to: str
    source: str  # the version live when the rollback started
    why: str = ""  # when nothing changes: why

    @property
    def changes(self) -> bool:
        return self.to != self.source


def _key(version: str) -> tuple[int, int, int]:
    return parse_version(version) or (0, 0, 0)


def plan_rollback(reg: Registry, to: str | None, run_id: str | None) -> Plan:
    """The version to make live (``to``, else the one before the live one); UsageError when
    nothing is deployed or there is nothing to roll back to."""
    if reg.live is None:
        raise UsageError(
            "nothing to roll back: no version of this model is deployed",
            where="mlgate deploy --rollback",
            fix="deploy a model first (`mlgate deploy`)",
        )
    listed = ", ".join(sorted(reg.versions, key=_key)) or "none"
    if to is not None:
        if to not in reg.versions:
            raise UsageError(
                f"version {to} is not a deployed version of this model (deployed: {listed})",
                where="--to", fix="choose one of the deployed versions",
            )
        why = f"{to} is live already" if to == reg.live else ""
        return Plan(to=to, source=reg.live, why=why)
    if run_id and reg.live_run == run_id:
        return Plan(to=reg.live, source=reg.live,
                    why=f"this run (id {run_id}) rolled back to {reg.live} already")
    earlier = [v for v in reg.versions
               if _key(v) < _key(reg.live) and v not in reg.rolled_back]
    if not earlier:
        raise UsageError(
            f"nothing to roll back to: {reg.live} is live and no earlier version that was not "
            f"rolled back exists (deployed: {listed})",
            where="mlgate deploy --rollback",
            fix="deploy a fixed model instead, or choose a version with --to",
        )
    return Plan(to=max(earlier, key=_key), source=reg.live)


def marker(kind: str, plan: Plan, run_id: str | None) -> str:
    data = {"from": plan.source, "to": plan.to, "run": run_id or None}
    return f"<!-- {kind} {json.dumps(data, sort_keys=True)} -->"


def rollback_note(kind: str, plan: Plan, run_id: str | None, run_url: str | None,
                  now: datetime | None = None) -> str:
    """The lines appended to a release's notes (or written into a stage tag's message)."""
    when = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    by = f" by [workflow run {run_id}]({run_url})" if run_url and run_id else ""
    if kind == MADE_LIVE:
        text = (f"**Rollback:** {plan.to} was made live again on {when}{by}, "
                f"replacing {plan.source}.")
    else:
        text = f"**Rolled back:** {plan.source} was taken down on {when}{by}; {plan.to} is live."
    return f"\n\n---\n{text}\n{marker(kind, plan, run_id)}\n"


def markers(text: str | None) -> list[Marker]:
    found = []
    for match in _MARKER.finditer(text or ""):
        try:
            data = json.loads(match[2])
        except ValueError:
            continue
        if isinstance(data, dict) and isinstance(data.get("from"), str) and isinstance(
                data.get("to"), str):
            run = data.get("run")
            found.append(Marker(match[1], data["from"], data["to"],
                                run if isinstance(run, str) else None))
    return found


def rolled_back_versions(events: Iterable[tuple[str, list[Marker]]]) -> frozenset[str]:
    """The versions rolled back, from the assignments in order: (version assigned, its
    markers). A version is rolled back until it is assigned (deployed) again."""
    down: set[str] = set()
    for version, found in events:
        for mark in found:
            down.add(mark.source)
        down.discard(version)
    return frozenset(down)


def concurrent_change(plan: Plan, live_now: str | None, seen: str = "") -> ServiceError:
    """The loser of two deploys or rollbacks at once."""
    now = seen or f"{live_now or 'nothing'} is live now, not {plan.source}"
    return ServiceError(
        f"another deploy or rollback changed the live version while this rollback ran: {now}",
        where="mlgate deploy --rollback", fix=CONCURRENCY_FIX,
    )
