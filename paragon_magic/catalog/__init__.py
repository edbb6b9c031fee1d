"""The declarative catalog of Stripe actions: one row per action, parameters named as Stripe names them.

One module per resource family holds its rows; this package joins them into ``ACTIONS``, the one table
that drives parsing, forms, help, completion and ``actions --json``. Only the parameters worth a flag, a
type check and a help line are listed; any other Stripe parameter still passes through the parser and
session unchanged. List-wide options (``limit``, ``created_after``, ``created_before``, ``expand``) and
``account`` are handled by the session for every action, not here.
"""

from __future__ import annotations

import difflib
from typing import Any

from ..catalog_types import Action, Param
from ..errors import UsageError
from . import customers, events, invoices, money, products, search, subscriptions
from .help import describe
from .help import summary_table as _summary_table
from .money import BALANCE_TRANSACTION_TYPES
from .request import ROW as REQUEST_ROW
from .schema import actions_schema as _actions_schema
from .schema import param_schema
from .shared import COMMON_OPTIONS, LIST_OPTIONS, list_options

__all__ = ["ACTIONS", "COMMON_OPTIONS", "LIST_OPTIONS", "BALANCE_TRANSACTION_TYPES", "Action", "Param",
           "get_action", "actions_schema", "describe", "summary_table", "param_schema", "list_options"]

_ROWS: tuple[Action, ...] = (
    *customers.ROWS,
    *subscriptions.ROWS,
    *products.ROWS[:3],  # create/get/list products
    *money.ROWS[:1],  # list_balance_transactions
    *products.ROWS[3:4],  # list_plans: the seed's eleven rows come first, in their order
    *money.ROWS[1:],  # charges, refunds, payouts
    *invoices.ROWS,
    *products.ROWS[4:],  # prices
    *events.ROWS,
    *search.ROWS,
    REQUEST_ROW,
)

ACTIONS: dict[str, Action] = {a.name: a for a in _ROWS}


def get_action(name: str) -> Action:
    """The catalog row for ``name`` (snake_case or ActionKit name); ``UsageError`` with a suggestion otherwise."""
    action = ACTIONS.get(name)
    if action is not None:
        return action
    for candidate in ACTIONS.values():
        if name.upper() in (candidate.paragon_name, candidate.tool_name):
            return candidate
    close = difflib.get_close_matches(name.lower(), list(ACTIONS), n=1, cutoff=0.5)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise UsageError(f"Unknown action '{name}'.{hint} `%stripe actions` lists them all.", field="action")


def actions_schema(*, include_request: bool = False) -> list[dict[str, Any]]:
    """The catalog as ActionKit-style function tools: ``[{"type": "function", "function": {...}}]``."""
    return _actions_schema(ACTIONS.values(), include_request=include_request)


def summary_table() -> str:
    """One line per action for ``%stripe actions``: name, method and path, summary."""
    return _summary_table(ACTIONS.values())
