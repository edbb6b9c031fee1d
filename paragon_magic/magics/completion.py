"""Tab completion for ``%stripe`` lines: action names, then the action's flags, then enum values."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..catalog import ACTIONS
from ..catalog_types import Action
from ..errors import UsageError
from .flags import METHODS, SUBCOMMANDS, display_flag, normalise_flag, option_flags, param_flags
from .templating import tokenize

_MAGIC_PREFIX = re.compile(r"^.*?%{1,2}stripe(?:\s+|$)", re.DOTALL)
_REPEATABLE = ("expand",)


def _words(text: str) -> list[str]:
    try:
        return [token.text for token in tokenize(text)]
    except UsageError:
        return text.split()


def complete(line_before_cursor: str, catalog: Mapping[str, Action] = ACTIONS) -> list[str]:
    """Candidates for the word being typed (IPython replaces that word with the one chosen).

    Accepts the text after ``%stripe`` or the whole line (``x = %stripe list_cu``). Never raises.
    """
    match = _MAGIC_PREFIX.match(line_before_cursor)
    text = line_before_cursor[match.end():] if match else line_before_cursor.lstrip()
    words = _words(text)
    current = "" if not text or text[-1].isspace() or not words else words.pop()
    if not words:
        return sorted(n for n in (*catalog, *SUBCOMMANDS) if n.startswith(current))
    action = catalog.get(words[0].replace("-", "_"))
    if action is None:
        if words[0] == "help" and len(words) == 1:
            return sorted(n for n in catalog if n.startswith(current))
        return []
    values = _values_after(action, words[-1]) if len(words) > 1 else None
    if values is not None:
        return [v for v in values if v.startswith(current)]
    if action.kind == "request" and len(words) == 1 and not current.startswith("-"):
        return [m for m in (*METHODS, "/v1/") if m.startswith(current) or m.lower().startswith(current)]
    if current and not current.startswith("-"):
        return []
    used = {normalise_flag(w.split("=", 1)[0]) for w in words[1:] if w.startswith("-")}
    names = [*param_flags(action), *option_flags(action)]
    if action.kind == "request":
        names += ["method", "path"]
    candidates = []
    for name in names:
        param = action.param(name)
        repeatable = name in _REPEATABLE or (param is not None and param.type in ("list", "map"))
        if name in used and not repeatable:
            continue
        shown = display_flag(name)
        other = "--" + name.replace("-", "_") if "-" in shown[2:] else "--" + name.replace("_", "-")
        for spelling in (shown, other):
            if spelling.startswith(current):
                candidates.append(spelling)
                break
    return candidates


def _values_after(action: Action, previous: str) -> list[str] | None:
    """Values for the flag just typed, or None if ``previous`` is not a flag awaiting a known value."""
    if not previous.startswith("-") or "=" in previous:
        return None
    name = normalise_flag(previous)
    if action.kind == "request" and name == "method":
        return list(METHODS)
    param = param_flags(action).get(name)
    if param is None:
        return None
    if param.type == "enum":
        return list(param.choices)
    if param.type == "boolean":
        return ["true", "false"]
    return None
