"""What the ``%stripe`` parser produces: the call (:class:`ParsedCall`) and how to run it (:class:`CallOptions`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import UsageError
from .coerce import to_text

__all__ = ["CallOptions", "ParsedCall", "to_columns"]


@dataclass(frozen=True)
class CallOptions:
    """How to run the call, as opposed to what to send."""

    out: str | None = None  # -o/--out: store the result in this variable
    account: str | None = None  # --account: Stripe-Account header
    credential: str | None = None  # --credential: X-Paragon-Credential (Paragon mode)
    expand: tuple[str, ...] = ()  # --expand (repeatable) and expand[]=... pairs
    live: bool = False  # --live: the user confirms a call with a live key
    dry_run: bool = False  # --dry-run: show the request, do not send it
    limit: int | None = None  # --limit: total rows wanted (list actions)
    created_after: int | None = None  # epoch seconds, UTC
    created_before: int | None = None
    idempotency_key: str | None = None
    progress: bool = True  # --no-progress turns the progress bar off
    page: bool = False  # --page (request only): one request, that page
    columns: tuple[str, ...] = ()  # --columns id,email,metadata.*: keep these columns of the result


@dataclass(frozen=True)
class ParsedCall:
    """One parsed call: ``params`` is nested, named as Stripe names them and never holds ``expand``."""

    action: str
    id: str | None
    params: dict[str, Any]
    options: CallOptions = field(default_factory=CallOptions)
    method: str = "GET"
    path: str = ""  # with the id substituted; the caller's path for ``request``


def to_columns(value: Any, spelled: str) -> tuple[str, ...]:
    """``id,email`` (or a list through ``{{ }}``) -> ``("id", "email")``; an empty name is refused."""
    items = value if isinstance(value, (list, tuple)) else to_text(value, spelled, "columns").split(",")
    names = tuple(dict.fromkeys(str(item).strip() for item in items))
    if not names or "" in names:
        raise UsageError(f"{spelled} takes column names separated by commas, e.g. {spelled} id,email,created",
                         field="columns")
    return names
