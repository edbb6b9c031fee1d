"""``session.list_customers(...)`` and friends: one Python method per catalog row, with a real signature.

Each method's ``inspect.signature`` lists the row's parameters (keyword-only, named as Stripe names
them), the session options (``limit``, ``created_after``, ``month``, ``expand``, ``account``, ``live``,
…) and ``**stripe_params`` for any other Stripe parameter, so tab completion and ``help()`` show them.
A keyword that looks like a misspelt parameter is refused with a suggestion before anything is sent.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable
from typing import Any

from .catalog import COMMON_OPTIONS, LIST_OPTIONS
from .catalog_types import Action, Param
from .errors import UsageError

#: Keywords every action method takes besides its catalog parameters (the session's own options).
WRITE_OPTIONS = ("idempotency_key", "live")
_ANNOTATIONS = {"string": str, "integer": int, "boolean": bool, "enum": str, "timestamp": Any,
                "timestamp_range": Any, "map": dict, "list": list, "object": dict}


def option_names(action: Action) -> list[str]:
    """The session options ``action``'s method takes, in the order its signature shows them."""
    names = [p.name for p in LIST_OPTIONS] if action.is_list else []
    names += [p.name for p in COMMON_OPTIONS]
    names += list(WRITE_OPTIONS) if action.is_write else []
    if action.is_list:
        names.append("progress")
    return list(dict.fromkeys(names))


def signature_of(action: Action) -> inspect.Signature:
    """``(id, /, *, <catalog params>, <options>, **stripe_params)`` for ``action``."""
    kw = inspect.Parameter.KEYWORD_ONLY
    params: list[inspect.Parameter] = []
    positional = _positional_name(action)
    if positional:
        params.append(inspect.Parameter(positional, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=str))
    seen: set[str] = {"id", positional or "id"}
    for param in action.params:
        if param.name.isidentifier() and param.name not in seen:
            seen.add(param.name)
            params.append(inspect.Parameter(param.name, kw, default=None, annotation=_annotation(param)))
    for name in option_names(action):
        if name not in seen:
            seen.add(name)
            default = False if name == "live" else None
            params.append(inspect.Parameter(name, kw, default=default))
    params.append(inspect.Parameter("stripe_params", inspect.Parameter.VAR_KEYWORD))
    return inspect.Signature(params, return_annotation="pandas.DataFrame")


def docstring_of(action: Action) -> str:
    """The summary, then one line per parameter and option (what ``help(method)`` shows)."""
    lines = [action.summary, ""]
    if action.id_param:
        lines.append(f"id: the {action.id_param} id (positional).")
    lines += [f"{p.name}{' (required)' if p.required else ''}{' (positional)' if p.name == _positional_name(action) else ''}"
              f": {p.help}" for p in action.params]
    by_name = {p.name: p for p in (*LIST_OPTIONS, *COMMON_OPTIONS)}
    extra = {"live": "confirm a write with a live key.", "progress": "show a progress bar (None: the session's setting).",
             "idempotency_key": "the Idempotency-Key to send (default: a new UUID, reused on retries)."}
    for name in option_names(action):
        help_text = by_name[name].help if name in by_name else extra.get(name, "")
        lines.append(f"{name}: {help_text}")
    lines += ["", "Any other Stripe parameter may be given as a keyword too. Returns a pandas DataFrame."]
    return "\n".join(lines)


def check_keywords(action: Action, kwargs: dict[str, Any]) -> None:
    """Refuse a keyword that is not a known name but is close to one ("did you mean …?")."""
    known = set(signature_of(action).parameters) - {"stripe_params"}
    for name in kwargs:
        if name in known:
            continue
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.75)
        if close:
            raise UsageError(f"{action.name} has no parameter {name!r}; did you mean {close[0]}=?", field=name)


def make_action_method(action: Action, run: Callable[..., Any]) -> Callable[..., Any]:
    """A bound-looking function for ``action``: checks keywords, then calls ``run(id=..., **kwargs)``."""

    positional = _positional_name(action)

    def action_method(*args: Any, **kwargs: Any) -> Any:
        if len(args) > (1 if positional else 0):
            takes = f"one positional argument (the {positional})" if positional else "no positional arguments"
            raise UsageError(f"{action.name} takes {takes}; give parameters as keywords, e.g. email=...")
        if args:
            if positional in kwargs or "id" in kwargs:
                raise UsageError(f"{action.name}: the {positional} is given twice", field=positional)
            kwargs["id"] = args[0]  # the session reads a search action's id as its query
        check_keywords(action, kwargs)
        return run(**kwargs)

    action_method.__name__ = action_method.__qualname__ = action.name
    action_method.__doc__ = docstring_of(action)
    action_method.__signature__ = signature_of(action)  # type: ignore[attr-defined]
    return action_method


def _positional_name(action: Action) -> str | None:
    """``id`` for an action on one object, ``query`` for a search, else None (keywords only)."""
    if action.id_param:
        return "id"
    return "query" if action.is_search else None


def _annotation(param: Param) -> Any:
    return _ANNOTATIONS.get(param.type, Any)
