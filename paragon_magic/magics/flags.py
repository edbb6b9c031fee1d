"""Which flags an action takes: its catalog parameters plus the common options."""

from __future__ import annotations

from ..catalog_types import Action, Param

#: ``%stripe <word>`` commands handled by the magic itself, never parsed as actions.
SUBCOMMANDS = ("connect", "use", "disconnect", "profiles", "status", "actions", "help", "form",
               "mrr", "mrr-history", "mrr-changes", "churn", "cohorts", "trials")
METHODS = ("GET", "POST", "DELETE")

#: Options valid for every action: normalised name -> kind of value.
COMMON_OPTIONS = {
    "out": "identifier", "account": "account", "expand": "expand", "live": "boolean",
    "dry_run": "boolean", "idempotency_key": "idempotency_key", "no_progress": "boolean",
    "credential": "credential", "columns": "columns",
}
#: Options valid for list actions and ``request`` (which may page through a list).
LISTING_OPTIONS = {"limit": "limit", "created_after": "timestamp", "created_before": "timestamp", "month": "span"}
SHORT_FLAGS = {"-o": "out"}
_REQUEST_TARGET = ("method", "path")


#: ``request``'s own: one call, one page (no cursor walk).
REQUEST_OPTIONS = {"page": "boolean"}


def option_flags(action: Action) -> dict[str, str]:
    """The common options ``action`` accepts: normalised name -> kind."""
    if action.kind == "request":
        return {**COMMON_OPTIONS, **LISTING_OPTIONS, **REQUEST_OPTIONS}
    if not action.is_list:
        return dict(COMMON_OPTIONS)
    listing = LISTING_OPTIONS if action.filters_created else {"limit": LISTING_OPTIONS["limit"]}
    return {**COMMON_OPTIONS, **listing}


def param_flags(action: Action) -> dict[str, Param]:
    """The catalog parameters ``action`` takes as flags (``request``'s method/path are handled apart)."""
    skip = set(_REQUEST_TARGET) if action.kind == "request" else set()
    return {p.name: p for p in action.params if p.name not in skip and p.name not in COMMON_OPTIONS}


def display_flag(name: str) -> str:
    """``created_after`` -> ``--created-after`` for options; catalog params keep Stripe's underscores."""
    options = name in COMMON_OPTIONS or name in LISTING_OPTIONS or name in REQUEST_OPTIONS
    return "--" + (name.replace("_", "-") if options else name)


def normalise_flag(spelled: str) -> str:
    """``--created-after`` / ``--created_after`` -> ``created_after``; ``-o`` -> ``out``."""
    return SHORT_FLAGS.get(spelled) or spelled.lstrip("-").replace("-", "_")
