"""Reading the JSON and YAML files a PR's author writes (metrics, params, config, thresholds),
bounded: size, nesting depth, alias expansions and nodes are limited before anything walks the
data, so a small hostile file (a YAML alias bomb, JSON nested a thousand deep, a 5,000-digit
integer) is a usage error naming the file, never a hang, a MemoryError or a RecursionError.

The limits are listed in docs/limits.md (a unit test keeps the two equal).

YAML is read by PyYAML only, with libyaml's loader (``yaml.CSafeLoader``; ``yaml.SafeLoader``
where PyYAML was built without it): the bounds are checked on the parser's events and on the
composed node graph before anything is constructed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlgate.errors import UsageError

# A metrics, params or config file larger than this is refused unread.
MAX_FILE_BYTES = 8 * 1024 * 1024
# Mappings and lists nested deeper than this.
MAX_DEPTH = 64
# Uses of YAML aliases (``*name``), counted as they are expanded.
MAX_ALIASES = 1_000
# Values, keys and containers in one document, aliases expanded (bounds the metrics per file).
MAX_NODES = 100_000
# Digits of an integer: Python's own limit for converting text to int.
MAX_INT_DIGITS = 4_300

_FIX_LIMIT = "the file is too large or too deeply nested for mlgate; see docs/limits.md"


class LimitError(UsageError):
    """Input beyond one of the bounds above (exit 2). Never tolerated, even where a merely
    malformed file is (the other side of a params diff)."""


class OversizedInt(str):
    """An integer literal with more than ``MAX_INT_DIGITS`` digits, kept as its text so that
    the reader of the value can name its key (``int()`` would raise without one)."""


def read_text(path: Path, where: str | None = None) -> str:
    """The UTF-8 text of ``path``, at most ``MAX_FILE_BYTES``; errors name ``where``."""
    name = where or str(path)
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError as err:
        raise UsageError("file not found", where=name) from err
    except IsADirectoryError as err:
        raise UsageError("is a directory, expected a file", where=name) from err
    except OSError as err:
        raise UsageError(f"cannot read the file ({err.strerror or err})", where=name) from err
    if len(data) > MAX_FILE_BYTES:
        raise LimitError(f"file is larger than {MAX_FILE_BYTES} bytes", where=name,
                         fix=_FIX_LIMIT)
    return decode(data, name)


def decode(data: bytes, where: str) -> str:
    fix = "save the file as UTF-8 (without NUL characters)"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise UsageError(f"file is not UTF-8 text (bad byte at offset {err.start})",
                         where=where, fix=fix) from err
    if "\x00" in text:  # UTF-16 without a byte-order mark decodes "fine" as UTF-8
        raise UsageError("file is not UTF-8 text (it holds NUL characters: UTF-16?)",
                         where=where, fix=fix)
    return text


# ----- inside the repository ----------------------------------------------------------------


def repo_top(start: Path) -> Path:
    """The top of the git work tree holding ``start`` (the nearest folder with ``.git``);
    ``start`` itself outside any."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


def inside_repo(path: Path, top: Path, where: str) -> Path:
    """``path`` with symlinks resolved; a usage error when that leaves ``top``."""
    resolved = path.resolve()
    if not resolved.is_relative_to(top.resolve()):
        raise UsageError(
            f"is outside the repository ({resolved} is not under {top})",
            where=where,
            fix="keep metrics, params and config files inside the repository (no `..`, no "
            "symlink to a file elsewhere)",
        )
    return resolved


# ----- parsing --------------------------------------------------------------------------------


def _json_int(text: str) -> int | OversizedInt:
    digits = len(text) - (text[0] == "-")
    return OversizedInt(text) if digits > MAX_INT_DIGITS else int(text)


_LOADER: list[Any] = []  # the loader class, made once per process


def _yaml_loader(text: str) -> Any:
    if not _LOADER:
        _LOADER.append(_bounded_loader_class())
    return _LOADER[0](text)


def _bounded_loader_class() -> Any:
    import yaml  # not at module level: `mlgate --help` must not pay for it

    # libyaml composes several times faster; the bounds are checked on its node graph.
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class BoundedLoader(base):  # type: ignore[misc, valid-type]
        def construct_yaml_int(self, node: Any) -> Any:
            digits = str(node.value).replace("_", "").lstrip("+-")
            if len(digits) > MAX_INT_DIGITS:
                return OversizedInt(node.value)
            return super().construct_yaml_int(node)

    BoundedLoader.add_constructor("tag:yaml.org,2002:int", BoundedLoader.construct_yaml_int)
    return BoundedLoader


def _check_yaml_graph(root: Any, where: str) -> None:
    """Walk the composed nodes as construction would see them (aliases expanded), stopping
    at the first bound crossed; a node that contains itself is a recursive alias."""
    seen: set[int] = {id(root)}
    on_path: set[int] = set()
    nodes, aliases = 1, 0
    stack: list[tuple[Any, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth < 0:  # leaving a container
            on_path.discard(id(node))
            continue
        if node.id == "scalar":
            continue
        on_path.add(id(node))
        stack.append((node, -1))
        children = node.value if node.id == "sequence" else [p for kv in node.value for p in kv]
        for child in children:
            if id(child) in seen:
                aliases += 1
                if id(child) in on_path:
                    raise LimitError("recursive YAML alias (a node that contains itself)",
                                     where=where, fix="remove the alias to its own parent")
            else:
                seen.add(id(child))
            if child.id != "scalar":
                stack.append((child, depth + 1))
        nodes += len(children)
        _check_counts(nodes, aliases, depth + 1 if len(children) else depth, where)


def _prescan(text: str, where: str) -> None:
    """Count nodes and depth on the parser's events (several times cheaper than composing
    nodes) and stop at the first bound crossed: composing is then bounded too."""
    from yaml import events

    starts = (events.SequenceStartEvent, events.MappingStartEvent)
    ends = (events.SequenceEndEvent, events.MappingEndEvent)
    leaves = (events.ScalarEvent, events.AliasEvent)
    scanner = _yaml_loader(text)
    nodes = depth = 0
    try:
        while scanner.check_event():
            event = scanner.get_event()
            if isinstance(event, ends):
                depth -= 1
                continue
            if isinstance(event, starts):
                depth += 1
            elif not isinstance(event, leaves):
                continue
            nodes += 1
            if nodes > MAX_NODES or depth >= MAX_DEPTH:
                _check_counts(nodes, 0, depth + isinstance(event, leaves), where)
    finally:
        scanner.dispose()


def _check_counts(nodes: int, aliases: int, depth: int, where: str) -> None:
    if aliases > MAX_ALIASES:
        raise LimitError(f"more than {MAX_ALIASES} YAML alias expansions (an alias bomb?)",
                         where=where, fix=_FIX_LIMIT)
    if nodes > MAX_NODES:
        raise LimitError(f"more than {MAX_NODES} values (aliases expanded)", where=where,
                         fix=_FIX_LIMIT)
    if depth > MAX_DEPTH:
        raise LimitError(f"nested more than {MAX_DEPTH} levels deep", where=where,
                         fix=_FIX_LIMIT)


def _check_data(data: Any, where: str) -> None:
    """Depth and size of parsed JSON (a tree: no aliases), without recursion."""
    nodes = 1
    if not isinstance(data, (dict, list)):
        return
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        nodes += len(children)
        _check_counts(nodes, 0, depth + 1 if children else depth, where)
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))


def _parse_json(text: str, where: str) -> Any:
    try:
        data = json.loads(text, parse_int=_json_int)
    except json.JSONDecodeError as err:
        raise UsageError(
            f"invalid JSON at line {err.lineno}, column {err.colno}: {err.msg}",
            where=where,
            fix="fix the syntax of the file (a JSON linter shows the exact spot)",
        ) from err
    except RecursionError as err:
        raise LimitError(f"nested more than {MAX_DEPTH} levels deep", where=where,
                         fix=_FIX_LIMIT) from err
    except ValueError as err:
        raise UsageError(f"invalid JSON: {err}", where=where) from err
    _check_data(data, where)
    return data


def _parse_yaml(text: str, where: str) -> Any:
    import yaml

    loader = _yaml_loader(text)
    try:
        _prescan(text, where)
        node = loader.get_single_node()
        if node is None:
            return None
        _check_yaml_graph(node, where)
        return loader.construct_document(node)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        raise UsageError(
            f"invalid YAML{at}: {problem}",
            where=where,
            fix="fix the syntax of the file (indentation, quotes, colons)",
        ) from err
    except RecursionError as err:  # the pure-Python composer, without libyaml
        raise LimitError(f"nested more than {MAX_DEPTH} levels deep", where=where,
                         fix=_FIX_LIMIT) from err
    except ValueError as err:  # e.g. a timestamp or float that Python cannot hold
        raise UsageError(f"invalid YAML value: {err}", where=where) from err
    finally:
        loader.dispose()


def parse_text(text: str, where: str) -> Any:
    """Parse JSON (by file extension) or YAML text; ``where`` names the source in errors."""
    if len(text) > MAX_FILE_BYTES:
        raise LimitError(f"file is larger than {MAX_FILE_BYTES} bytes", where=where,
                         fix=_FIX_LIMIT)
    if where.endswith(".json"):
        return _parse_json(text, where)
    return _parse_yaml(text, where)


def load_file(path: Path, where: str | None = None) -> Any:
    name = where or str(path)
    return parse_text(read_text(path, name), name)
