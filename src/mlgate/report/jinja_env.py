"""The one Jinja environment for mlgate's Markdown pages (the report, the model card).

Sandboxed (a user's report template cannot reach Python internals), no autoescape (values are
escaped Markdown already, see :mod:`mlgate.report.escape`), undefined names are errors, and the
escape helpers are the filters. Jinja is imported here, on first use, not at import time.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from mlgate.report import escape as esc

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
USER_TEMPLATE = "user-template"  # the name a user's template text is loaded under


def environment(user_template: str | None = None, user_dir: str | None = None) -> Any:
    """A sandboxed environment loading the shipped templates; ``user_template`` (template text)
    is available as :data:`USER_TEMPLATE`, and ``user_dir`` serves the user's partials."""
    from jinja2 import ChoiceLoader, DictLoader, FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    loaders: list[Any] = []
    if user_template is not None:
        loaders.append(DictLoader({USER_TEMPLATE: user_template}))
    loaders.append(FileSystemLoader(str(TEMPLATE_DIR)))
    if user_dir is not None:  # the user's partials ({% include %}), after the shipped names
        loaders.append(FileSystemLoader(user_dir))
    env = SandboxedEnvironment(
        loader=ChoiceLoader(loaders), autoescape=False, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True, undefined=StrictUndefined,
    )
    env.filters.update(md=esc.md, num=esc.number, signed=esc.signed, pct=esc.percent)
    return env


@functools.lru_cache(maxsize=8)
def shipped_template(name: str) -> Any:
    """A template shipped in ``mlgate/templates``, compiled once per process."""
    return environment().get_template(name)
