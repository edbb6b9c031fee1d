"""Tab completion for ``%stripe`` lines: action names, then the action's flags, then enum values."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from ..catalog import ACTIONS
from ..catalog_types import Action
from ..errors import UsageError
from .flags import METHODS, SUBCOMMANDS, display_flag, normalise_flag, option_flags, param_flags
from .templating import tokenize

_MAGIC_PREFIX = re.compile(r"^.*?%{1,2}stripe(?:\s+|$)", re.DOTALL)
_REPEATABLE = ("expand",)
_PROFILE_COMMANDS = ("use", "connect", "disconnect")


def _words(text: str) -> list[str]:
    try:
        return [token.text for token in tokenize(text)]
    except UsageError:
        return text.split()


def complete(line_before_cursor: str, catalog: Mapping[str, Action] = ACTIONS,
             profiles: Sequence[str] = ()) -> list[str]:
    """Candidates for the word being typed (IPython replaces that word with the one chosen).

    Accepts the text after ``%stripe`` or the whole line (``x = %stripe list_cu``); ``profiles`` are
    the saved profile names (for ``use`` and ``--profile``). Never raises.
    """
    match = _MAGIC_PREFIX.match(line_before_cursor)
    text = line_before_cursor[match.end():] if match else line_before_cursor.lstrip()
    words = _words(text)
    current = "" if not text or text[-1].isspace() or not words else words.pop()
    if not words:
        return sorted(n for n in (*catalog, *SUBCOMMANDS) if n.startswith(current))
    if words[0] in _PROFILE_COMMANDS:
        wants_profile = (words[0] == "use" and len(words) == 1) or words[-1] == "--profile"
        return sorted(p for p in profiles if p.startswith(current)) if wants_profile else []
    action = catalog.get(words[0].replace("-", "_"))
    if action is None:
        if words[0] == "help" and len(words) == 1:
            return sorted(n for n in catalog if n.startswith(current))
        return []
    values = _values_after(action, words[-1]) if len(words) > 1 else None
    if values is not None:
        return [v for v in values if v.startswith(current)]
    if action.kind == "request" and _path_slot(words) and not current.startswith("-"):
        methods = [m for m in METHODS if m.startswith(current.upper()) and current] if len(words) == 1 else []
        return methods + [p for p in stripe_paths(catalog) if p.startswith(current or "/")]
    if current and not current.startswith("-"):
        return []
    if len(words) > 1 and _awaits_value(action, words[-1]):
        return []  # the value of --email, -o, ...: not a flag
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


def _path_slot(words: list[str]) -> bool:
    """``%stripe request ▮`` or ``%stripe request GET ▮``: the path is being typed."""
    return len(words) == 1 or (len(words) == 2 and words[1].upper() in METHODS)


def stripe_paths(catalog: Mapping[str, Action] = ACTIONS) -> list[str]:
    """Stripe API paths to offer after ``request``: every catalog row's path, ids left as a trailing ``/``."""
    paths = {action.path.split("{", 1)[0] for action in catalog.values() if action.path}
    return sorted(p for p in paths if p.startswith("/v"))


def _awaits_value(action: Action, previous: str) -> bool:
    """``previous`` is a flag that takes a value (not a boolean switch) and has none yet."""
    if not previous.startswith("-") or "=" in previous:
        return False
    name = normalise_flag(previous)
    kinds = option_flags(action)
    if name in kinds:
        return kinds[name] != "boolean"
    param = param_flags(action).get(name)
    return param is not None and param.type != "boolean"


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
