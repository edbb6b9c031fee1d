"""Types of the declarative action catalog (the table itself lives in ``catalog.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ParamType = Literal[
    "string",  # free text / an id
    "integer",
    "boolean",
    "enum",  # one of ``choices``
    "timestamp",  # a point in time: date, datetime, ISO string or epoch seconds -> epoch seconds
    "timestamp_range",  # Stripe's created filter: int or {gt,gte,lt,lte}
    "map",  # string -> string, e.g. metadata
    "list",  # list of ``item_type``
    "object",  # nested dict (address, default_price_data, ...)
]
ActionKind = Literal["create", "update", "retrieve", "list", "search", "delete", "request"]


_SESSION_OPTIONS = frozenset({"created_after", "created_before", "month", "idempotency_key"})


@dataclass(frozen=True)
class Param:
    """One parameter of an action, named as Stripe names it."""

    name: str
    type: ParamType
    help: str
    required: bool = False
    choices: tuple[str, ...] = ()
    item_type: ParamType = "string"
    #: Where the value goes in Stripe's bracket notation when it is not ``name`` itself,
    #: e.g. ``price`` -> ``items[0][price]`` for create_subscription.
    target: str | None = None
    example: str = ""
    #: Sub-parameters of an ``object`` param, or of each item of a ``list`` of ``object``.
    fields: tuple[Param, ...] = ()

    @property
    def flag(self) -> str:
        """The magic flag: Stripe's own name (``--email``, ``--trial_period_days``); the session's
        own options read as words (``--created-after``). The parser takes ``-`` and ``_`` alike."""
        return "--" + (self.name.replace("_", "-") if self.is_option else self.name)

    @property
    def is_option(self) -> bool:
        return self.name in _SESSION_OPTIONS

    @property
    def stripe_key(self) -> str:
        """The key in Stripe's bracket notation: ``target`` if set, else ``name``."""
        return self.target or self.name

    @property
    def top_level_key(self) -> str:
        """The top-level Stripe parameter this one writes: ``items`` for ``items[0][price]``."""
        return self.stripe_key.split("[", 1)[0]


@dataclass(frozen=True)
class Action:
    """One row of the catalog: an action a user can run."""

    name: str  # snake_case, e.g. "list_customers"
    paragon_name: str | None  # ActionKit name, e.g. "STRIPE_GET_CUSTOMERS"; None for ``request``
    kind: ActionKind
    method: Literal["GET", "POST", "DELETE"]
    path: str  # "/v1/customers" or "/v1/customers/{id}"
    object_type: str | None  # Stripe's object name of the result, e.g. "customer"; None if unknown
    summary: str  # one-line help
    params: tuple[Param, ...] = ()
    id_param: str | None = None  # the positional id, substituted into ``path`` ("{id}")
    examples: tuple[str, ...] = field(default=())
    #: ActionKit-style tool name for ``actions --json`` where Paragon has no action (``STRIPE_GET_CHARGES``).
    tool_name: str | None = None

    @property
    def schema_name(self) -> str:
        """The function name in ``actions --json``: Paragon's ActionKit name, else ``tool_name``."""
        return self.paragon_name or self.tool_name or self.name.upper()

    @property
    def is_list(self) -> bool:
        """Returns many objects, fetched page by page (``list_*`` cursors or ``search_*`` pages)."""
        return self.kind in ("list", "search")

    @property
    def is_search(self) -> bool:
        """A ``search_*`` action: the positional argument is Stripe's search ``query``."""
        return self.kind == "search"

    @property
    def filters_created(self) -> bool:
        """Takes Stripe's ``created`` range (so ``--created-after/--before`` and the partitioned walk apply)."""
        return self.param("created") is not None

    @property
    def is_write(self) -> bool:
        return self.method != "GET"

    def param(self, name: str) -> Param | None:
        for p in self.params:
            if p.name == name:
                return p
        return None
