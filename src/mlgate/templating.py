"""The one Jinja environment for mlgate's Markdown pages (the report, the model card).

Sandboxed and immutable (a user's report template can reach neither Python internals nor change
a list or dict it is given), no autoescape (values are escaped Markdown already, see
:mod:`mlgate.markdown`), undefined names are errors, and the escape helpers are the
filters. A user template loads only its own folder (no hidden names such as ``.git``, no
symlink leaving it) and renders under limits (:func:`render_limits`): loops, operator results,
output size and time. Jinja is imported here, on first use, not at import time.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import re
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlgate import markdown as esc
from mlgate.errors import UsageError

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
USER_TEMPLATE = "user-template"  # the name a user's template text is loaded under

# Render limits (docs/limits.md, "Templates").
MAX_TEMPLATE_BYTES = 1024 * 1024  # a template file (the user's, or a partial it includes)
RENDER_SECONDS = 10.0  # one rendering of the report
MAX_LOOP_ITEMS = 1_000_000  # range() items in one rendering, all calls together
MAX_OPERATOR_ITEMS = 1_000_000  # the result of `*`, `**` or `%` (a string, list or number's digits)
MAX_OUTPUT_CHARS = 32 * 1024 * 1024  # the text one rendering produces


class RenderLimit(Exception):
    """A template went past a render limit (a usage error once it reaches the renderer)."""


@dataclass
class _Budget:
    started: float = field(default_factory=time.monotonic)
    loop_items: int = 0

    def check_time(self) -> None:
        if time.monotonic() - self.started > RENDER_SECONDS:
            raise RenderLimit(f"the template ran longer than {RENDER_SECONDS:g} s")


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("mlgate_render_budget",
                                                                        default=None)


def _bounded_range(*args: int) -> Any:
    """``range`` whose items count against the rendering's loop budget (nested loops too)."""
    items = range(*args)
    budget = _BUDGET.get()
    if budget is None:
        if len(items) > MAX_LOOP_ITEMS:
            raise RenderLimit(f"range() of more than {MAX_LOOP_ITEMS} items")
        return items
    budget.loop_items += len(items)
    if budget.loop_items > MAX_LOOP_ITEMS:
        raise RenderLimit(f"the template loops over more than {MAX_LOOP_ITEMS} range() items")
    return items if len(items) <= 1024 else _timed(items, budget)


def _timed(items: range, budget: _Budget) -> Iterator[int]:
    for i, item in enumerate(items):
        if not i % 1024:
            budget.check_time()
        yield item


def _operator_size(value: Any) -> int:
    if isinstance(value, (str, bytes, list, tuple)):
        return len(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value.bit_length() // 3  # about its decimal digits
    return 0


def _repetition(left: Any, right: Any) -> int:
    """How many items ``left * right`` makes when it repeats a sequence (0 otherwise)."""
    for seq, times in ((left, right), (right, left)):
        if isinstance(seq, (str, bytes, list, tuple)) and isinstance(times, int):
            return len(seq) * times
    return 0


# ----- string methods and filters whose result can be far larger than their input ------------
# Each is sized before it runs (the output cap trips only after the text was made).
_PRINTF_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\d+|\*)?(?:\.(\d+|\*))?")
_DIGITS = re.compile(r"\d+")


def _too_big(size: int, what: str) -> None:
    if size > MAX_OPERATOR_ITEMS:
        raise RenderLimit(f"{what} would make more than {MAX_OPERATOR_ITEMS} characters")


def _check_numbers(values: Any, what: str) -> None:
    """Whole numbers given to a formatting call (a ``*`` width, a nested ``{}`` width)."""
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool) and \
                abs(value) > MAX_OPERATOR_ITEMS:
            raise RenderLimit(f"{what}: a number above {MAX_OPERATOR_ITEMS}")


def check_printf(fmt: Any, args: Any) -> None:
    """``fmt % args``: no width or precision above the limit, literal or ``*``."""
    if not isinstance(fmt, (str, bytes)):
        return
    text = fmt.decode("latin-1") if isinstance(fmt, bytes) else fmt
    for width, precision in _PRINTF_FIELD.findall(text):
        for number in (width, precision):
            if number and number != "*":
                _too_big(int(number) if len(number) < 12 else 10**12, "a % format width")
    items = args if isinstance(args, tuple) else (args,)
    if "*" in text:
        _check_numbers(items, "a % format width")


def check_format(fmt: str, args: Any, kwargs: Any) -> None:
    """``fmt.format(...)``: no width or precision in a field's spec above the limit (also one
    given as an argument, ``{:{}}``)."""
    import string

    try:
        fields = list(string.Formatter().parse(fmt))
    except ValueError:
        return  # str.format raises its own error
    for _literal, _name, spec, _conversion in fields:
        for number in _DIGITS.findall(spec or ""):
            _too_big(int(number) if len(number) < 12 else 10**12, "a format width")
    _check_numbers(list(args) + list(kwargs.values()), "a format argument")


def check_string_method(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Size the result of a ``str`` (or ``bytes``) method called from a template before it
    is made; :class:`RenderLimit` when it would be above :data:`MAX_OPERATOR_ITEMS`."""
    owner = getattr(obj, "__self__", None)
    if not isinstance(owner, (str, bytes)):
        return
    name = getattr(obj, "__name__", "")
    what = f"{type(owner).__name__}.{name}()"
    if name in ("ljust", "rjust", "center", "zfill"):
        width = args[0] if args else kwargs.get("width", 0)
        if isinstance(width, int):
            _too_big(width, what)
    elif name == "expandtabs":
        size = args[0] if args else kwargs.get("tabsize", 8)
        if isinstance(size, int):
            tab = "\t" if isinstance(owner, str) else b"\t"
            _too_big(len(owner) + owner.count(tab) * max(size, 0), what)  # type: ignore[arg-type]
    elif name == "replace" and len(args) >= 2:
        _check_replace(owner, args[0], args[1], args[2] if len(args) > 2 else -1, what)
    elif name == "join" and args and isinstance(args[0], (list, tuple)):
        _too_big(len(owner) * max(len(args[0]) - 1, 0), what)


def _check_replace(text: Any, old: Any, new: Any, count: Any, what: str) -> None:
    if not (isinstance(old, type(text)) and isinstance(new, type(text))):
        return
    found = text.count(old)
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    _too_big(len(text) + found * max(len(new) - len(old), 0), what)


@contextlib.contextmanager
def render_limits() -> Iterator[None]:
    """Run one rendering under the limits: a loop budget, and in the main thread an alarm
    that interrupts whatever runs past :data:`RENDER_SECONDS` (a loop over a long string)."""
    token = _BUDGET.set(_Budget())
    alarm = _can_alarm()
    previous: Any = None
    if alarm:
        def expire(_signum: int, _frame: object) -> None:
            raise RenderLimit(f"the template ran longer than {RENDER_SECONDS:g} s")

        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, RENDER_SECONDS + 1)
    try:
        yield
    finally:
        if alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        _BUDGET.reset(token)


def _can_alarm() -> bool:
    """Only the main thread gets signals, and only an unused timer may be taken."""
    return (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
            and signal.getitimer(signal.ITIMER_REAL)[0] == 0
            and signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.SIG_IGN, None))


def check_budget(output_chars: int) -> None:
    """Between chunks of output: the time and output-size limits."""
    budget = _BUDGET.get()
    if budget is not None:
        budget.check_time()
    if output_chars > MAX_OUTPUT_CHARS:
        raise RenderLimit(f"the template produced more than {MAX_OUTPUT_CHARS} characters")


# ----- loading -----------------------------------------------------------------------------
def read_template(path: Path, folder: Path) -> str:
    """A template file inside ``folder``: no hidden part (``.git``), no symlink leaving it,
    a regular file of at most :data:`MAX_TEMPLATE_BYTES` bytes, UTF-8."""
    fix = "keep the report template and its partials in one folder of the repository"
    try:
        rel = path.absolute().relative_to(folder.absolute())
        resolved = path.resolve(strict=True)
        inside = resolved.is_relative_to(folder.resolve(strict=True))
    except (OSError, ValueError, RuntimeError) as err:
        raise UsageError(f"cannot read the report template ({getattr(err, 'strerror', err)})",
                         where=str(path), fix=fix) from err
    if any(part.startswith(".") for part in rel.parts) or not inside:
        raise UsageError("a template may only load files of its own folder (no hidden files, "
                         "no symlink leaving it)", where=str(path), fix=fix)
    if not resolved.is_file():
        raise UsageError("the report template is not a regular file", where=str(path), fix=fix)
    if resolved.stat().st_size > MAX_TEMPLATE_BYTES:
        raise UsageError(f"the report template is larger than {MAX_TEMPLATE_BYTES} bytes",
                         where=str(path), fix=fix)
    try:
        return resolved.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise UsageError(f"the report template is not UTF-8 ({err.reason} at byte "
                         f"{err.start})", where=str(path), fix="save the template as UTF-8"
                         ) from err


def _folder_loader(folder: str) -> Any:
    """A Jinja loader for the user's partials, through :func:`read_template`."""
    from jinja2 import BaseLoader, TemplateNotFound

    class FolderLoader(BaseLoader):
        def get_source(self, environment: Any, template: str) -> tuple[str, str, Any]:
            root = Path(folder)
            parts = template.replace("\\", "/").split("/")
            if not template or any(not p or p.startswith(".") for p in parts):
                raise TemplateNotFound(f"{template} (only files of the template's own folder, "
                                       "no hidden names)")
            path = root.joinpath(*parts)
            if not path.exists() and not path.is_symlink():
                raise TemplateNotFound(template)
            text = read_template(path, root)
            return text, str(path), lambda: False

    return FolderLoader()


def environment(user_template: str | None = None, user_dir: str | None = None) -> Any:
    """A sandboxed environment loading the shipped templates; ``user_template`` (template text)
    is available as :data:`USER_TEMPLATE`, and ``user_dir`` serves the user's partials."""
    from jinja2 import ChoiceLoader, DictLoader, FileSystemLoader, StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class Sandbox(ImmutableSandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**", "%"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            if operator == "**" and isinstance(right, int) and abs(right) > 4096:
                raise RenderLimit("an exponent above 4096")
            if operator == "*" and _repetition(left, right) > MAX_OPERATOR_ITEMS:
                raise RenderLimit(f"a repetition of more than {MAX_OPERATOR_ITEMS} items")
            if operator == "%":
                check_printf(left, right)
            result = super().call_binop(context, operator, left, right)
            if _operator_size(result) > MAX_OPERATOR_ITEMS:
                raise RenderLimit(f"an operator result of more than {MAX_OPERATOR_ITEMS} items")
            return result

        def wrap_str_format(self, value: Any) -> Any:
            wrapped = super().wrap_str_format(value)
            if wrapped is None:
                return None
            is_map = value.__name__ == "format_map"

            def checked(*args: Any, **kwargs: Any) -> Any:
                mapping = args[0] if is_map and args and isinstance(args[0], dict) else {}
                check_format(value.__self__, () if is_map else args, {**kwargs, **mapping})
                return wrapped(*args, **kwargs)

            return functools.update_wrapper(checked, value)

        def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
            check_string_method(__obj, args, kwargs)
            return super().call(__context, __obj, *args, **kwargs)

    loaders: list[Any] = []
    if user_template is not None:
        loaders.append(DictLoader({USER_TEMPLATE: user_template}))
    loaders.append(FileSystemLoader(str(TEMPLATE_DIR)))
    if user_dir is not None:  # the user's partials ({% include %}), after the shipped names
        loaders.append(_folder_loader(user_dir))
    env = Sandbox(
        loader=ChoiceLoader(loaders), autoescape=False, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True, undefined=StrictUndefined,
    )
    env.globals = {"range": _bounded_range, "dict": dict}  # no lipsum, cycler, joiner
    env.filters.update(md=esc.md, num=esc.number, signed=esc.signed, pct=esc.percent)
    _bound_width_filters(env)
    return env


def _bound_width_filters(env: Any) -> None:
    """Filters that take a width or count could make one huge string: bound the numbers."""
    def bounded(name: str) -> None:
        original = env.filters[name]

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for value in list(args[1:]) + list(kwargs.values()):
                if isinstance(value, int) and not isinstance(value, bool) and \
                        abs(value) > MAX_OPERATOR_ITEMS:
                    raise RenderLimit(f"filter {name}: a number above {MAX_OPERATOR_ITEMS}")
            return original(*args, **kwargs)

        for attr in ("jinja_pass_arg",):
            if hasattr(original, attr):
                setattr(wrapper, attr, getattr(original, attr))
        env.filters[name] = wrapper

    for name in ("center", "indent", "wordwrap", "truncate", "batch", "slice", "format"):
        if name in env.filters:
            bounded(name)
    _size_filters(env)


def _size_filters(env: Any) -> None:
    """``replace``, ``join`` and ``format``: sized before they run, as the methods are."""
    replace, join, fmt = env.filters["replace"], env.filters["join"], env.filters["format"]

    def replace_filter(eval_ctx: Any, s: Any, old: Any, new: Any, count: Any = None) -> Any:
        text = str(s)
        _check_replace(text, str(old), str(new), -1 if count is None else count,
                       "filter replace")
        return replace(eval_ctx, s, old, new, count)

    def join_filter(eval_ctx: Any, value: Any, d: Any = "", attribute: Any = None) -> Any:
        items = value if isinstance(value, (list, tuple)) else list(value)
        _too_big(len(str(d)) * max(len(items) - 1, 0), "filter join")
        return join(eval_ctx, items, d, attribute)

    def format_filter(value: Any, *args: Any, **kwargs: Any) -> Any:
        check_printf(str(value), args or kwargs)
        return fmt(value, *args, **kwargs)

    wrappers: tuple[tuple[Any, Any], ...] = (
        (replace_filter, replace), (join_filter, join), (format_filter, fmt))
    for wrapper, original in wrappers:
        if hasattr(original, "jinja_pass_arg"):
            wrapper.jinja_pass_arg = original.jinja_pass_arg
    env.filters.update(replace=replace_filter, join=join_filter, format=format_filter)


@functools.lru_cache(maxsize=8)
def shipped_template(name: str) -> Any:
    """A template shipped in ``mlgate/templates``, compiled once per process."""
    return environment().get_template(name)
