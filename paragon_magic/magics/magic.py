"""``StripeMagic``: the ``%stripe`` / ``%%stripe`` / ``%paragon`` magics and their ``%config`` options.

The class is thin: each magic hands its line to :mod:`.commands` with this instance's
:class:`~.context.MagicContext`, and each option change is passed on to that context.
"""

from __future__ import annotations

from typing import Any

from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class, no_var_expand
from traitlets import Bool, Float, Int, TraitError, Unicode, observe, validate

from ..client import DEFAULT_STRIPE_VERSION
from ..connection import check_stripe_version
from ..errors import UsageError
from . import commands
from .context import MagicContext, MagicSettings

_OPTIONS = ("progress", "default_limit", "page_size", "rate_limit", "max_retries", "timeout", "display_rows",
            "display_columns", "allow_live_writes", "partitioned", "stripe_version")


@magics_class
class StripeMagic(Magics):
    """Stripe in IPython: ``%stripe list_customers --limit 10``; ``%stripe help`` lists the commands."""

    progress = Bool(True, help="Show a progress bar while listing.").tag(config=True)
    default_limit = Int(None, allow_none=True, help="Rows a list returns without --limit (None: all).").tag(
        config=True)
    page_size = Int(100, min=1, max=100, help="Objects per page requested from Stripe (1-100).").tag(config=True)
    rate_limit = Float(None, allow_none=True,
                       help="Requests per second (None: 25 for test keys, 100 for live keys). New connections."
                       ).tag(config=True)
    max_retries = Int(4, min=0, help="Retries of a failed request (new connections).").tag(config=True)
    timeout = Float(30.0, help="Seconds to wait for one response (new connections).").tag(config=True)
    display_rows = Int(20, min=1, help="Rows shown when a result DataFrame is displayed.").tag(config=True)
    display_columns = Int(12, min=0, help="Columns a wider result DataFrame shows (a compact view: the frame "
                                          "keeps every column); 0 shows all.").tag(config=True)
    allow_live_writes = Bool(False, help="Allow writes with a live key without --live.").tag(config=True)
    partitioned = Bool(True, help="List large ranges in parallel created-time windows.").tag(config=True)
    stripe_version = Unicode(DEFAULT_STRIPE_VERSION, allow_none=True,
                             help="Stripe-Version sent with every request (the frames follow this default; None: "
                                  "the account's default). Applies to the current connection at once.").tag(config=True)

    store = Unicode("default", allow_none=True,
                    help="The local store of %stripe sync / %%stripe sql: 'default' (the user data directory, one "
                         "file per account and mode), a directory or a .duckdb file, or None for none.").tag(config=True)

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        settings = MagicSettings(**{name: getattr(self, name) for name in _OPTIONS})
        self.context = MagicContext(shell, settings=settings)
        self.context.store_location = self.store  # read by the session's store face at each sync/sql

    @observe("store")
    def _store_changed(self, change: Any) -> None:
        if hasattr(self, "context"):
            self.context.store_location = change["new"]

    @validate("stripe_version")
    def _check_stripe_version(self, proposal: Any) -> Any:
        try:
            return check_stripe_version(proposal["value"])
        except UsageError as exc:
            raise TraitError(str(exc)) from None

    @observe(*_OPTIONS)
    def _option_changed(self, change: Any) -> None:
        if hasattr(self, "context"):
            self.context.configure(**{change["name"]: change["new"]})

    @no_var_expand  # {{ expr }} is ours: IPython must not expand {…} or $name first
    @line_cell_magic
    def stripe(self, line: str, cell: str | None = None) -> Any:
        """Run a Stripe action (``%stripe help`` for the grammar and commands)."""
        return commands.run_stripe(self.context, line, cell)

    @no_var_expand
    @line_magic
    def paragon(self, line: str) -> Any:
        """``%paragon authenticate PROJECT_ID`` (then ``%stripe`` goes through Paragon), ``status``, ``user``,
        ``use-credential ID``, ``meta key=value``."""
        return commands.run_paragon(self.context, line)
