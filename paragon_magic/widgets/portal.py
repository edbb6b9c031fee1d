"""The Connect Portal: paste a Stripe key, check it against ``GET /v1/account``, save it, connect.

The key lives in the Password widget only from the moment it is typed until the Connect click reads
it; the field is emptied before the key is checked, so it never stays in the notebook's widget state.
Status lines show the key's masked form (``sk_test_…abcd``) at most. Nothing here logs.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as w

from ..auth import CredentialStore, KeyInfo, Secret, classify_key
from ..auth.credentials import check_profile_name
from ..connection import ACCOUNT_PERMISSION, KeyRejected
from ..errors import ConfigurationError, ParagonMagicError, UsageError
from .fields import INVALID_CLASS

__all__ = ["ConnectPortal"]

ConnectFunction = Callable[..., Any]
_HINT = (
    "Paste a <b>Secret</b> (<code>sk_…</code>) or <b>Restricted</b> (<code>rk_…</code>) key from the "
    "Stripe Dashboard (Developers → API keys). A restricted key must allow "
    f"<code>{ACCOUNT_PERMISSION}</code> (“All Connect resources” → Read)."
)


def _default_connect(*args: Any, **kwargs: Any) -> Any:
    from ..connection import connect

    return connect(*args, **kwargs)


class ConnectPortal:
    """A small form that connects the notebook to Stripe with a pasted key.

    ``on_connect(session)`` is called after a successful connect (the magics make it the current
    session). ``connect`` is injectable for tests; it is called as ``connect(Secret(key),
    profile=..., base_url=..., store=..., save=True)`` and must return a Session.
    """

    def __init__(
        self,
        *,
        store: CredentialStore | None = None,
        base_url: str | None = None,
        on_connect: Callable[[Any], None] | None = None,
        profile: str = "default",
        connect: ConnectFunction | None = None,
    ) -> None:
        self.store = store
        self.base_url = base_url
        self.on_connect = on_connect
        self._connect = connect or _default_connect
        #: The Session of the last successful connect (None before).
        self.session: Any = None
        #: The last attempt's error text ("" after a success).
        self.error = ""

        label_style = {"description_width": "90px"}
        self.key_input = w.Password(
            value="", description="API key *", placeholder="sk_test_… or rk_test_…",
            style=label_style, layout=w.Layout(width="460px"),
        )
        self.profile_input = w.Text(
            value=profile, description="Profile", placeholder="default",
            style=label_style, layout=w.Layout(width="300px"),
        )
        self.connect_button = w.Button(description="Connect", button_style="primary", icon="plug")
        self.connect_button.on_click(lambda _button: self.submit())
        self.status = w.HTML(value=self._saved_profile_line())
        self.widget = w.VBox(
            [
                w.HTML(f"<style>.{INVALID_CLASS} input {{border-color: #d32f2f !important;}}</style>"
                       f"<b>Connect Stripe</b><br><small>{_HINT}</small>"),
                self.key_input,
                self.profile_input,
                self.connect_button,
                self.status,
            ],
            layout=w.Layout(padding="4px"),
        )
        self.widget.add_class("pm-connect-portal")

    # -- display ------------------------------------------------------------------------------------
    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        connected = f" connected={self.session!r}" if self.session is not None else ""
        return f"<ConnectPortal profile={self.profile_input.value!r}{connected}>"

    # -- the Connect click --------------------------------------------------------------------------
    def submit(self) -> Any:
        """Check and save the pasted key; returns the Session or None. The key field is emptied."""
        secret = Secret((self.key_input.value or "").strip())  # pasted keys often carry a newline
        self.key_input.value = ""  # before anything can fail: the key must not stay in widget state
        self._unmark()
        self.connect_button.disabled = True
        try:
            return self._attempt(secret)
        finally:
            self.key_input.value = ""
            self.connect_button.disabled = False

    def _attempt(self, secret: Secret) -> Any:
        profile = (self.profile_input.value or "").strip() or "default"
        try:
            info = classify_key(secret)
            check_profile_name(profile)
        except UsageError as exc:
            return self._fail(str(exc), exc.field)
        self._show("Checking the key with Stripe…", "#555")
        try:
            session = self._connect(secret, profile=profile, base_url=self.base_url, store=self.store, save=True)
        except KeyRejected as exc:
            return self._fail(str(exc), "api_key")
        except UsageError as exc:
            return self._fail(str(exc), exc.field)
        except ParagonMagicError as exc:
            return self._fail(f"could not connect: {exc}", None)
        except Exception as exc:  # never let a callback error reach ipywidgets' logger
            return self._fail(f"could not connect ({type(exc).__name__})", None)
        self.session = session
        self.error = ""
        self._show_connected(session, secret, info, profile)
        if self.on_connect is not None:
            try:
                self.on_connect(session)
            except Exception as exc:
                self.error = f"connected, but making it the current session failed ({type(exc).__name__})"
                self._show(self.error, "#d32f2f", append=True)
        return session

    # -- status line --------------------------------------------------------------------------------
    def _show_connected(self, session: Any, secret: Secret, info: KeyInfo, profile: str) -> None:
        account = getattr(session, "account", {}) or {}
        mode = getattr(session, "mode", None) or info.mode
        name = account.get("name") or ""
        who = f"<b>{html.escape(name)}</b> (<code>{html.escape(str(account.get('id')))}</code>)" if name else (
            f"<code>{html.escape(str(account.get('id')))}</code>")
        badge_color = "#c62828" if mode == "live" else "#ef6c00"
        badge = (f"<span style='background:{badge_color};color:white;border-radius:3px;padding:0 4px'>"
                 f"{html.escape(mode.upper())} mode</span>")
        kind_text = "restricted key" if info.kind == "restricted" else "secret key"
        self.status.value = (
            f"<span style='color:#2e7d32'>✓ Connected to {who}</span> {badge} · {kind_text} "
            f"<code>{html.escape(secret.masked)}</code> saved as profile <b>{html.escape(profile)}</b>"
        )

    def _fail(self, message: str, field: str | None) -> None:
        self.error = message
        self._show(message, "#d32f2f")
        if field == "profile":
            self.profile_input.add_class(INVALID_CLASS)
        elif field is not None:
            self.key_input.add_class(INVALID_CLASS)
        return None

    def _unmark(self) -> None:
        self.key_input.remove_class(INVALID_CLASS)
        self.profile_input.remove_class(INVALID_CLASS)

    def _show(self, text: str, color: str, *, append: bool = False) -> None:
        line = f"<span style='color:{color}'>{html.escape(text)}</span>"
        self.status.value = f"{self.status.value}<br>{line}" if append else line

    def _saved_profile_line(self) -> str:
        """What is saved already (masked), so the user knows whether pasting is needed."""
        if self.store is None:
            return ""
        try:
            active = next((p for p in self.store.profiles() if p.active), None)
        except ConfigurationError:
            return ""
        if active is None:
            return ""
        where = f" · {html.escape(active.account_id)}" if active.account_id else ""
        return (f"<small>Saved profile <b>{html.escape(active.name)}</b>: "
                f"<code>{html.escape(active.masked)}</code>{where}. Paste a key to replace it.</small>")
