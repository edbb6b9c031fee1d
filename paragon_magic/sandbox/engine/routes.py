"""The engine's route table: ``(METHOD, template)`` -> handler, templates with ``{}`` placeholders.

Resource modules register their endpoints with :func:`route` at import time (a declarative table, no
state). :func:`find` matches a concrete path, literal segments winning over placeholders, so
``/v1/customers/search`` is never ``/v1/customers/{}``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import Engine


@dataclass
class Request:
    """One API call as a handler sees it."""

    engine: Engine
    method: str
    path: str
    args: tuple[str, ...]  # the path's placeholder values, in order
    params: dict[str, Any]  # decoded, validated and coerced (without ``expand``)
    account: str = ""
    livemode: bool = False
    expand: frozenset[str] = field(default_factory=frozenset)

    def arg(self, index: int = 0) -> str:
        return self.args[index]


Handler = Callable[[Request], Any]
_TABLE: dict[tuple[str, tuple[str, ...]], Handler] = {}


def route(method: str, template: str) -> Callable[[Handler], Handler]:
    """Register the decorated function for ``method template`` (e.g. ``"POST", "/v1/customers/{}"``)."""
    key = (method.upper(), tuple(p for p in template.split("/") if p))

    def register(handler: Handler) -> Handler:
        if key in _TABLE:
            raise ValueError(f"route {method} {template} registered twice")
        _TABLE[key] = handler
        return handler

    return register


def find(method: str, path: str) -> tuple[Handler, tuple[str, ...]] | None:
    """The handler for a concrete ``path`` and its placeholder values, or None."""
    parts = tuple(p for p in path.split("/") if p)
    best: tuple[int, Handler, tuple[str, ...]] | None = None
    for (m, template), handler in _TABLE.items():
        if m != method.upper() or len(template) != len(parts):
            continue
        args: list[str] = []
        literal = 0
        for want, got in zip(template, parts):
            if want == "{}":
                args.append(got)
            elif want == got:
                literal += 1
            else:
                break
        else:
            if best is None or literal > best[0]:
                best = (literal, handler, tuple(args))
    return None if best is None else (best[1], best[2])


def templates() -> list[tuple[str, str]]:
    """Every registered ``(METHOD, /template)`` (for docs and tests)."""
    return sorted((m, "/" + "/".join(t)) for m, t in _TABLE)


