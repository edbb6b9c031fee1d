"""paragon_magic: Stripe inside Jupyter — %stripe magics, a Connect Portal widget, typed DataFrames.

The public face. Names are imported on first use, so ``import paragon_magic.catalog`` (or the
client) stays light and never pulls in IPython, widgets or pandas.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:  # pragma: no cover
    from .catalog import ACTIONS, actions_schema
    from .connection import KeyRejected
    from .current import connect
    from . import metrics
    from .errors import ParagonMagicError, UsageError
    from .paragon import Paragon
    from .session import Session, SessionConfig
    from .widgets import ConnectPortal, form

_LAZY = {
    "ACTIONS": ".catalog",
    "actions_schema": ".catalog",
    "connect": ".current",
    "KeyRejected": ".connection",
    "Paragon": ".paragon",
    "Session": ".session",
    "SessionConfig": ".session",
    "ParagonMagicError": ".errors",
    "UsageError": ".errors",
    "ConnectPortal": ".widgets",
    "form": ".widgets",
}

__all__ = ["__version__", "load_ipython_extension", "unload_ipython_extension", "metrics", *_LAZY]


def __getattr__(name: str) -> Any:
    if name == "metrics":  # the finance metrics package: paragon_magic.metrics.mrr(...)
        module = import_module(".metrics", __name__)
        globals()[name] = module
        return module
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'paragon_magic' has no attribute {name!r}")


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext paragon_magic``: register ``%stripe``, ``%%stripe`` and ``%paragon``."""
    from .magics.extension import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext paragon_magic``: remove the magics and their completer."""
    from .magics.extension import unload_ipython_extension as unload

    unload(ipython)
