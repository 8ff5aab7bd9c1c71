"""Reading the JSON and YAML files a PR's author writes (metrics, params, config, thresholds),
bounded: size, nesting depth, alias expansions and nodes are limited before anything walks the
data, so a small hostile file (a YAML alias bomb, JSON nested a thousand deep, a 5,000-digit
integer) is a usage error naming the file, never a hang, a MemoryError or a RecursionError.

The limits are listed in docs/limits.md (a unit test keeps the two equal).

YAML in the everyday subset (block mappings and sequences of one-line scalars: dvc.yaml, *.dvc,
params.yaml, mlgate.yaml) is read by a small reader of its own, without importing PyYAML; it
gives exactly PyYAML's value, and leaves any other text to PyYAML (`_fast_yaml`).
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


# ----- the fast reader: everyday block YAML without PyYAML -------------------------------------
#
# dvc.yaml, *.dvc, params.yaml and mlgate.yaml are almost always block mappings and sequences
# of one-line scalars; importing PyYAML and parsing them costs more than the rest of a small
# `mlgate compare`. `_fast_yaml` reads that subset and returns exactly what `_parse_yaml` would.
# Whenever it meets anything else (anchors, tags, block or multi-line scalars, escapes, tabs,
# duplicate keys, a scalar whose YAML 1.1 type it does not know for certain, a bound nearly
# reached) it gives up and the full loader reads the text, with today's messages and limits.


class _Unsure(Exception):
    """The text leaves the subset the fast reader knows: the full loader must read it."""


_UNSURE = object()  # what `_fast_yaml` returns when unsure
# Plain scalars that PyYAML resolves to booleans or null (its YAML 1.1 resolvers).
_WORDS: dict[str, Any] = {
    **dict.fromkeys(("yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
    **dict.fromkeys(("no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False),
    **dict.fromkeys(("~", "null", "Null", "NULL"), None),
}
# First characters of a plain scalar left to PyYAML: indicators (tags, anchors, aliases, block
# scalars, flow, reserved), the merge key `<<`, the value key `=` and `.5`, `.inf`, `.nan`.
_UNSURE_START = frozenset("?:,[]{}#&*!|>'\"%@`<=.")
_FAST_MAX_DEPTH = MAX_DEPTH - 4  # deeper: the full loader decides (and names the bound)
_FAST_MAX_KEY = 1000  # libyaml refuses a key longer than 1024 characters


def _fast_yaml(text: str) -> Any:
    """The value of ``text`` when it lies in the everyday subset, else `_UNSURE`."""
    if "\t" in text or "\r" in text:
        return _UNSURE
    try:
        return _FastReader(text).document()
    except _Unsure:
        return _UNSURE


def _is_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()  # ASCII only: int() also takes other digits


def _is_float(body: str) -> bool:
    """PyYAML's float without sign, `_` or `:`: ``1.``, ``0.5``, ``1.5e-3`` (the exponent's
    sign is required: ``1e5`` and ``1.5e5`` are strings in YAML 1.1)."""
    mantissa, e, exponent = body.replace("E", "e").partition("e")
    if e and not (exponent[:1] in ("+", "-") and _is_digits(exponent[1:])):
        return False
    whole, dot, fraction = mantissa.partition(".")
    return bool(dot) and _is_digits(whole) and (not fraction or _is_digits(fraction))


def _number_or_text(text: str) -> Any:
    """A plain scalar starting with a digit or a sign: a decimal int, a float, or text that
    no resolver of PyYAML (int, float, timestamp) can match."""
    signed = text[0] in "+-"
    body = text[1:] if signed else text
    if _is_digits(body):
        if body[0] == "0" and len(body) > 1:  # octal in YAML 1.1
            raise _Unsure
        return OversizedInt(text) if len(body) > MAX_INT_DIGITS else int(text)
    if _is_float(body):
        return float(text)
    # Every other int, float or timestamp form has a sign, `_`, `:` or `-` in it, or is 0b/0x.
    if signed or any(c in text for c in "+-_:") or text[:2] in ("0b", "0x"):
        raise _Unsure
    return text


def _plain(text: str) -> Any:
    """The value of a one-line plain scalar (not empty, comment cut off)."""
    first = text[0]
    if first in _UNSURE_START or ": " in text or text.endswith(":"):
        raise _Unsure
    if first in "+-0123456789":
        return _number_or_text(text)
    return _WORDS.get(text, text)


def _quoted(text: str, start: int) -> tuple[str, int]:
    """The one-line quoted scalar at ``start``: its value and the index after it."""
    quote = text[start]
    if quote == '"':
        end = text.find('"', start + 1)
        if end < 0 or "\\" in text[start:end]:  # escapes, or it goes on over lines
            raise _Unsure
        return text[start + 1:end], end + 1
    parts, start = [], start + 1
    while True:
        end = text.find("'", start)
        if end < 0:
            raise _Unsure
        if not text.startswith("'", end + 1):
            parts.append(text[start:end])
            return "".join(parts), end + 1
        parts.append(text[start:end + 1])  # '' is one quote
        start = end + 2


def _only_comment(rest: str) -> None:
    """What follows a quoted scalar or a flow collection: nothing, or a comment."""
    if rest and not (rest[0] == " " and rest.lstrip(" ").startswith("#")):
        raise _Unsure


def _is_entry(content: str) -> bool:
    return content == "-" or content.startswith("- ")


def _split_key(content: str) -> tuple[Any, str] | None:
    """``(key, rest of the line)`` when ``content`` is ``key: ...``; None when it is not a
    key (a scalar or a flow collection)."""
    if content[0] in "[{":
        return None
    if content[0] in "'\"":
        key, colon = _quoted(content, 0)
        if not content.startswith(":", colon):
            return None
        if content[colon + 1:colon + 2] not in ("", " "):
            raise _Unsure
    else:
        colon = content.find(": ")
        if colon < 0 and content.endswith(":"):
            colon = len(content) - 1
        comment = content.find(" #")
        if colon < 0 or 0 <= comment < colon:
            return None
        text = content[:colon].rstrip(" ")
        if not text:
            raise _Unsure
        key = _plain(text)
    if colon > _FAST_MAX_KEY:
        raise _Unsure
    rest = content[colon + 1:].lstrip(" ")
    return key, "" if rest.startswith("#") else rest


def _significant_lines(text: str) -> list[tuple[int, str]]:
    """``(indentation, content)`` of each line that is not blank or only a comment."""
    lines = []
    for line in text.split("\n"):
        if not line.isprintable() or line.startswith(("---", "...", "%")):
            raise _Unsure  # control characters, BOM, document markers, directives
        content = line.lstrip(" ")
        if content and content[0] != "#":
            lines.append((len(line) - len(content), content.rstrip(" ")))
    return lines


def _skip_spaces(text: str, index: int) -> int:
    while index < len(text) and text[index] == " ":
        index += 1
    return index


class _FastReader:
    """Block mappings and sequences nested by indentation, over `_significant_lines`."""

    __slots__ = ("index", "lines", "nodes")

    def __init__(self, text: str) -> None:
        self.lines = _significant_lines(text)
        self.index = 0
        self.nodes = 0  # counted as the full loader does, or more: never fewer

    def document(self) -> Any:
        if not self.lines:
            return None
        value = self._block(1)
        if self.index < len(self.lines):
            raise _Unsure
        return value

    def _count(self, nodes: int) -> None:
        self.nodes += nodes
        if self.nodes > MAX_NODES:
            raise _Unsure

    def _next_indent(self) -> int:
        return self.lines[self.index][0] if self.index < len(self.lines) else -1

    def _block(self, depth: int) -> Any:
        if depth > _FAST_MAX_DEPTH:
            raise _Unsure
        indent, content = self.lines[self.index]
        if _is_entry(content):
            return self._sequence(indent, depth)
        return self._mapping(indent, depth)

    def _mapping(self, indent: int, depth: int) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        self._count(1)
        while self.index < len(self.lines):
            column, content = self.lines[self.index]
            if column < indent:
                break
            pair = None if column > indent or _is_entry(content) else _split_key(content)
            if pair is None or pair[0] in out:  # a duplicate key: PyYAML keeps the last
                raise _Unsure
            self.index += 1
            out[pair[0]] = self._value(pair[1], indent, depth, in_mapping=True)
            self._count(2)
        return out

    def _sequence(self, indent: int, depth: int) -> list[Any]:
        out: list[Any] = []
        self._count(1)
        while self.index < len(self.lines):
            column, content = self.lines[self.index]
            if column > indent:
                raise _Unsure
            if column < indent or not _is_entry(content):
                break  # the parent decides (a mapping's next key)
            rest = content[1:].lstrip(" ")
            rest = "" if rest.startswith("#") else rest
            if rest and (_is_entry(rest) or _split_key(rest) is not None):
                # `- key: value` (or `- - item`): a block that starts on the entry's line.
                self.lines[self.index] = (column + len(content) - len(rest), rest)
                out.append(self._block(depth + 1))
            else:
                self.index += 1
                out.append(self._value(rest, indent, depth, in_mapping=False))
            self._count(1)
        return out

    def _value(self, rest: str, indent: int, depth: int, in_mapping: bool) -> Any:
        """The value after ``key:`` or ``-``: on the line, in the lines below, or null."""
        if rest:
            value = self._inline(rest, depth)
            if self._next_indent() > indent:  # a multi-line plain scalar, or an error
                raise _Unsure
            return value
        column = self._next_indent()
        if column > indent or (
            column == indent and in_mapping and _is_entry(self.lines[self.index][1])
        ):
            return self._block(depth + 1)
        return None

    def _inline(self, rest: str, depth: int) -> Any:
        if rest[0] in "'\"":
            value, end = _quoted(rest, 0)
            _only_comment(rest[end:])
            return value
        if rest[0] in "[{":
            collection, end = self._flow(rest, depth + 1)
            _only_comment(rest[end:])
            return collection
        comment = rest.find(" #")
        return _plain(rest if comment < 0 else rest[:comment].rstrip(" "))

    def _flow(self, text: str, depth: int) -> tuple[Any, int]:
        """A one-line flow collection of scalars at the start of ``text`` (``[a, 'b']``,
        ``{k: 1, v: x}``), not nested: its value and the index after it."""
        if depth > _FAST_MAX_DEPTH or len(text) > _FAST_MAX_KEY:
            raise _Unsure
        closer = "]" if text[0] == "[" else "}"
        out: Any = [] if closer == "]" else {}
        self._count(1)
        index = _skip_spaces(text, 1)
        if text.startswith(closer, index):
            return out, index + 1
        while True:
            item, index = _flow_scalar(text, index)
            if closer == "}":
                if not text.startswith(": ", index) or item in out:
                    raise _Unsure
                value, index = _flow_scalar(text, _skip_spaces(text, index + 2))
                out[item] = value
            else:
                out.append(item)
            self._count(2)
            if text.startswith(closer, index):
                return out, index + 1
            if not text.startswith(",", index):
                raise _Unsure
            index = _skip_spaces(text, index + 1)


def _flow_scalar(text: str, start: int) -> tuple[Any, int]:
    """A scalar inside a flow collection (no `:`, `#` or brackets in a plain one): its value
    and the index of the next character that is not a space."""
    if text.startswith(("'", '"'), start):
        value, end = _quoted(text, start)
        return value, _skip_spaces(text, end)
    end = start
    while end < len(text) and text[end] not in ",:[]{}#":
        end += 1
    token = text[start:end].rstrip(" ")
    if end == len(text) or not token:
        raise _Unsure
    return _plain(token), end


def parse_text(text: str, where: str) -> Any:
    """Parse JSON (by file extension) or YAML text; ``where`` names the source in errors."""
    if len(text) > MAX_FILE_BYTES:
        raise LimitError(f"file is larger than {MAX_FILE_BYTES} bytes", where=where,
                         fix=_FIX_LIMIT)
    if where.endswith(".json"):
        return _parse_json(text, where)
    value = _fast_yaml(text)
    return _parse_yaml(text, where) if value is _UNSURE else value


def load_file(path: Path, where: str | None = None) -> Any:
    name = where or str(path)
    return parse_text(read_text(path, name), name)
