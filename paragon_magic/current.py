"""The current connection: what ``%stripe`` and a ``form()`` without ``session=`` run through.

Inside IPython with the extension loaded, the magics' context holds it (``%stripe connect``,
``%paragon authenticate`` or the first action's automatic connection). ``paragon_magic.connect(...)``
makes its session the current one too: the magics' (when loaded) and this module's last-connected
one (for forms in a notebook that never loaded the magics). IPython is only looked at when it is
already imported, so the session layer stays usable without it.
"""

from __future__ import annotations

import inspect
import sys
from typing import Any

from . import connection
from .session import Session


#: The session of the most recent ``paragon_magic.connect(...)`` in this process (the one piece of
#: process state the package keeps; everything else lives in a Session or the magics' context).
_last_connected: Session | None = None


def connect(api_key: Any = None, **options: Any) -> Session:
    session = connection.connect(api_key, **options)
    make_current(session)
    return session


connect.__doc__ = (connection.connect.__doc__ or "") + (
    "\n    The session becomes the current one: ``%stripe`` (when the extension is loaded) and forms made\n"
    "    without ``session=`` run through it.\n"
)
connect.__signature__ = inspect.signature(connection.connect)  # type: ignore[attr-defined]


def make_current(session: Session) -> Session:
    """Make ``session`` the one forms and (when loaded) the magics use."""
    global _last_connected
    _last_connected = session
    context = _magics_context()
    if context is not None and context.session is not session:
        context.adopt(session)
    return session


def current_session() -> Session | None:
    """The magics' session, else the last ``connect()``'s, else what ``%stripe`` would connect with.

    Returns None when there is nothing to use (no shell with the magics, no ``connect()``).
    """
    context = _magics_context()
    if context is not None and context.session is not None:
        return context.session
    if _last_connected is not None:
        return _last_connected
    if context is not None:
        return context.require_session()  # the saved profile or $STRIPE_API_KEY, as %stripe would
    return None


def _magics_context() -> Any:
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return None
    from .magics.extension import context_of

    try:
        return context_of(shell)
    except LookupError:
        return None
