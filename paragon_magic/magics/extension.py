"""``%load_ext paragon_magic``: register the magics, their completer and the result display."""

from __future__ import annotations

import re
from typing import Any

from .context import MagicContext
from .display import FrameDisplay
from .magic import StripeMagic

_MAGIC_LINE = re.compile(r"\s*(?:[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_]\w*)*\s*=\s*)?%{1,2}stripe\s")
_MAGICS = {"line": ("stripe", "paragon"), "cell": ("stripe",)}


def load_ipython_extension(ip: Any) -> None:
    """Register ``%stripe``, ``%%stripe``, ``%paragon`` and the ``%stripe`` tab completion."""
    if _instance(ip) is not None:
        return
    magic = StripeMagic(ip)
    ip.register_magics(magic)
    magic.completer = make_matcher(ip)
    ip.Completer.custom_matchers.append(magic.completer)
    settings = lambda: magic.context.settings  # noqa: E731 (read at each display: %config applies at once)
    magic.frame_display = FrameDisplay(lambda: settings().display_rows, lambda: settings().display_columns)
    magic.frame_display.install(ip)


def unload_ipython_extension(ip: Any) -> None:
    """Remove what :func:`load_ipython_extension` added and close the connection."""
    magic = _instance(ip)
    if magic is None:
        return
    manager = ip.magics_manager
    for kind, names in _MAGICS.items():
        for name in names:
            if getattr(manager.magics[kind].get(name), "__self__", None) is magic:
                del manager.magics[kind][name]
    manager.registry.pop(type(magic).__name__, None)
    if magic in ip.configurables:
        ip.configurables.remove(magic)
    if magic.completer in ip.Completer.custom_matchers:
        ip.Completer.custom_matchers.remove(magic.completer)
    magic.frame_display.uninstall(ip)
    magic.context.close()


def _instance(ip: Any) -> StripeMagic | None:
    magic = ip.magics_manager.registry.get(StripeMagic.__name__)
    return magic if isinstance(magic, StripeMagic) else None


def context_of(ip: Any) -> MagicContext:
    """The :class:`MagicContext` of the magics loaded in ``ip`` (to put a Session in, or inspect)."""
    magic = _instance(ip)
    if magic is None:
        raise LookupError("paragon_magic is not loaded in this shell: %load_ext paragon_magic")
    return magic.context


def make_matcher(ip: Any = None) -> Any:
    """A completion matcher (IPython's Matcher API v2) for lines running ``%stripe`` / ``%%stripe``.

    It offers action names, each action's flags and enum values (the parser's ``complete``) and
    hides IPython's other suggestions (Python names, files) on those lines.
    """
    from IPython.core.completer import SimpleCompletion, context_matcher

    @context_matcher()
    def stripe_matcher(context: Any) -> dict[str, Any]:
        before = context.text_until_cursor
        if context.cursor_line != 0 or not _MAGIC_LINE.match(before):
            return {"completions": [], "suppress": False}
        from .completion import complete

        fragment = "" if not before or before[-1].isspace() else before.split()[-1]
        words = complete(before, profiles=_profile_names(ip))
        return {
            "completions": [SimpleCompletion(word, type="stripe") for word in words],
            "matched_fragment": fragment,
            "suppress": bool(words),
            "ordered": True,
        }

    return stripe_matcher


def _profile_names(ip: Any) -> list[str]:
    """Saved profile names for completion; nothing (never an error) when they cannot be read."""
    magic = _instance(ip) if ip is not None else None
    if magic is None:
        return []
    try:
        return [info.name for info in magic.context.store.profiles()]
    except Exception:  # noqa: BLE001 - completion must never fail
        return []
