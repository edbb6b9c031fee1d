"""Text the magics show: status, profiles, action lists, help, dry runs; and how result frames display."""

from __future__ import annotations

import json
from html import escape
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pandas as pd

from ..auth import ProfileInfo
from ..client import DEFAULT_STRIPE_BASE, flatten_params
from ..client.redaction import mask_text, mask_url
from ..catalog import actions_schema, summary_table
from ..frame_select import compact_columns
from ..session import Session
from .metrics import METRIC_USAGE

USAGE = """\
%stripe <action> [id] [--flag value ...] [key[sub]=value ...] [-o NAME] [--columns a,b] [--dry-run] [--live]
%%stripe <action> [flags]      (cell body: a JSON object or key=value lines)
%stripe request [GET|POST|DELETE] /v1/... [key=value ...]

%stripe actions [--json]       the actions, or an ActionKit-shaped JSON tool schema (Stripe's parameter
                               names, for LLM tool use over this extension; not ActionKit's own arguments)
%stripe help <action>          flags, types and examples of one action
%stripe status                 how you are connected
%stripe connect [--profile NAME] [--sandbox]
%stripe use NAME | %stripe profiles
%stripe disconnect [--profile NAME]   close the connection and forget that saved profile
%stripe form <action>          a form for one action
%paragon authenticate PROJECT_ID [--signing-key FILE --user USER_ID] [--credential ID]
                               [--base-url PROXY_URL] [--api-base USERS_API_URL]
%paragon status | %paragon user | %paragon use-credential ID|default | %paragon meta [key=value ...]
%stripe <action> ... --credential ID   (Paragon mode) this call uses that connected Stripe account
%stripe sync [TABLE ...] [--full] [--export DIR] [--credential ID|all]   a local DuckDB copy, then changes only
%%stripe sql [-o NAME]         read-only SQL over the synced tables ({{ expr }} and :name are bound values)
%stripe tables | %stripe table NAME [-o VAR] | %stripe export parquet DIR [TABLE ...]

Values may be Python: {{ customers.id[0] }}; quote values with spaces: --name 'Jenny Rosen'.
Settings: %config StripeMagic (e.g. StripeMagic.stripe_version, pinned to 2026-10-28.endive)
Dates: 2026-01-01, 2026-03, today, yesterday, this-month, last-month, 7d, 12h (UTC); --month 2026-03.
Every result is a DataFrame; df.attrs["stripe"] says where it came from (action, params, request_ids,
livemode, fetched_at) and df.attrs["stripe"]["complete"] (also df.attrs["complete"]) is False when a
listing stopped early (Ctrl-C): the rows fetched so far are kept. -o NAME stores it without showing it.
Wide frames show a compact view (all columns stay in the frame); --columns id,email,metadata.* keeps those.

Examples:
  %stripe list_customers --created-after 2026-01-01 -o customers
  %stripe get_customer {{ customers.id[0] }}
  %stripe create_customer --name 'Jenny Rosen' --email jenny@example.com --address city=Berlin,country=DE
  %stripe list_balance_transactions --type charge --month last-month -o txns
  %stripe list_charges --customer {{ customers.id[0] }} --limit 50
  %stripe search_customers "email:'jenny@example.com'"
  %stripe request GET /v1/charges --limit 250
  %stripe mrr --by product
  %stripe mrr-history --months 6 -o history
Finance: charges, refunds, disputes, fees and net per currency and month (payouts left out):
  %stripe list_balance_transactions --month last-month -o txns
  from paragon_magic.metrics import net_revenue; net_revenue(txns).stripe.to_major()"""
USAGE = USAGE.replace("\nValues may be Python", "\n" + METRIC_USAGE + "\nValues may be Python", 1)


def actions_text() -> str:
    """``%stripe actions``: one line per action, then how to get more."""
    return f"{summary_table()}\n\n`%stripe help <action>` shows its flags; `%stripe help` the commands."


def actions_json() -> str:
    """``%stripe actions --json``: the catalog in ActionKit's wrapper, ``{"actions": {"stripe": [tools]}}``.

    Each tool is ``{"type": "function", "function": {name, description, parameters}}`` with ActionKit's
    ``STRIPE_*`` names, but the parameters are Stripe's own names (what this extension's actions take),
    not ActionKit's camelCase argument names: a schema to let an LLM call these actions, not a copy
    of ActionKit's.
    """
    return json.dumps(actionkit_wrapper(actions_schema()), indent=2)


def actionkit_wrapper(tools: list[dict[str, Any]]) -> dict[str, Any]:
    """Group function tools the way ActionKit's ``GET /actions?format=json_schema`` answers."""
    return {"actions": {"stripe": list(tools)}}


def paragon_user_table(user: Any, *, selected: str | None = None) -> tuple[str, pd.DataFrame]:
    """``%paragon user``: a summary line and one row per Stripe credential (``*``: what calls use)."""
    user = user if isinstance(user, dict) else {}
    stripe = (user.get("integrations") or {}).get("stripe") or {}
    default = stripe.get("credentialId")
    in_use = selected or default
    rows = [
        {"credential": c.get("id"), "status": c.get("status"), "in use": "*" if c.get("id") == in_use else "",
         "default": c.get("id") == default, "preview": bool(c.get("isPreviewCredential"))}
        for c in stripe.get("allCredentials") or [] if isinstance(c, dict)
    ]
    table = pd.DataFrame(rows, columns=["credential", "status", "in use", "default", "preview"])
    meta = user.get("meta") or {}
    state = "Stripe connected" if stripe.get("enabled") else "Stripe NOT connected"
    summary = (f"user {user.get('userId')} ({'authenticated' if user.get('authenticated') else 'not authenticated'})"
               f": {state}, {len(rows)} credential(s)"
               + (f"; metadata: {', '.join(f'{k}={v}' for k, v in meta.items())}" if meta else ""))
    return summary, table


def status_text(session: Session | None, *, profile: str | None, paragon: Any = None,
                next_action: str | None = None) -> str:
    """``%stripe status``: backend, base URL when not Stripe's, masked key, account, mode (never a
    secret). ``next_action`` (from the credential resolver) is said when not connected."""
    if session is None:
        return ("not connected: run `%stripe connect` (or `%stripe connect --sandbox`), or set "
                "$STRIPE_API_KEY" + (f"; {next_action}" if next_action else ""))
    account = session.account or {}
    lines = [
        f"backend:  {backend_name(session)}",
        *([f"base URL: {base}"] if (base := custom_base(session)) else []),
        f"key:      {session.masked_key}",
        f"mode:     {session.mode}" + ("  (writes need --live)" if session.mode == "live" else ""),
    ]
    if paragon is not None and paragon.user is not None:
        credential = session.client.backend.credential_id
        lines.insert(1, f"project:  {paragon.project_id}  user: {paragon.user.user_id}"
                     + f"  credential: {credential or 'default'}")
        lines.insert(2, f"users api: {paragon.api_base}")
    name = account.get("name") or ""
    if account.get("id") or name:
        lines.append(f"account:  {account.get('id') or '-'}" + (f"  {name}" if name else ""))
    if profile:
        lines.append(f"profile:  {profile}")
    return "\n".join(lines)


def backend_name(session: Session) -> str:
    label = session.label
    if label == "Paragon":
        return "Paragon proxy (" + session.client.backend.url("/").rsplit("/sdk/", 1)[0] + ")"
    if label == "sandbox":
        return "embedded sandbox"
    if label == "STRIPE_API_KEY":
        return "direct key ($STRIPE_API_KEY)"
    return label


def custom_base(session: Session) -> str | None:
    """The base URL a direct-key session sends to, when it is not Stripe's own."""
    base = getattr(session.client.backend, "base_url", None)
    if session.label == "Paragon" or not base or base == DEFAULT_STRIPE_BASE:
        return None
    return base


def connected_text(session: Session, profile: str | None, *, automatic: bool = False) -> str:
    account = session.account or {}
    who = " ".join(str(part) for part in (account.get("id"), account.get("name")) if part)
    if automatic:  # the first action connected by itself: say with what, once
        saved = f", from saved profile '{profile}'" if profile else ""
    else:
        saved = f", saved as profile '{profile}'" if profile else ""
    mode = "LIVE mode" if session.mode == "live" else f"{session.mode} mode"
    at = f" at {base}" if (base := custom_base(session)) else ""
    return f"connected ({session.label}, {mode}) {who} with {session.masked_key}{at}{saved}".replace("  ", " ")


def profiles_text(profiles: Iterable[ProfileInfo], where: str) -> str:
    """``%stripe profiles``: one line per saved profile, the active one starred."""
    rows = [
        (("* " if p.active else "  ") + p.name, p.masked,
         p.mode or "", p.account_id or p.project_id or "", p.account_name or "", p.stored_in)
        for p in profiles
    ]
    if not rows:
        return f"no saved profiles (they are kept in {where}); `%stripe connect` saves one"
    header = ("  profile", "key", "mode", "account", "name", "stored in")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(cell).ljust(w) for cell, w in zip(r, widths)).rstrip() for r in [header, *rows]]
    return "\n".join(lines)


def dry_run_text(request: httpx.Request, masked_secret: str) -> str:
    """What ``--dry-run`` prints: method, URL, headers (Authorization masked) and the decoded params."""
    lines = ["dry run: nothing was sent", f"{request.method} {mask_url(request.url)}"]
    for name, value in request.headers.items():
        if name.lower() in ("host", "content-length", "accept", "user-agent"):
            continue
        shown = f"Bearer {masked_secret}" if name.lower() == "authorization" else mask_text(value)
        lines.append(f"{_header_case(name)}: {shown}")
    body = request.content.decode("utf-8", "replace") if request.content else ""
    query = urlsplit(str(request.url)).query
    encoded = body or query
    if not encoded:
        return "\n".join(lines)
    if body and request.headers.get("content-type", "").startswith("application/json"):  # Paragon proxy
        pairs = flatten_params(json.loads(body))
    else:
        pairs = parse_qsl(encoded, keep_blank_values=True)
    lines += ["", mask_url(encoded), ""]
    lines += [f"  {mask_text(key)} = {mask_text(str(value))}" for key, value in pairs]
    return "\n".join(lines)


def _header_case(name: str) -> str:
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


# -- how result frames display -----------------------------------------------------------------

def _is_stripe_frame(obj: Any) -> bool:
    return isinstance(obj, pd.DataFrame) and "stripe" in obj.attrs


class FrameDisplay:
    """IPython formatters for DataFrames from %stripe: show ``rows()`` rows and, for a frame wider than
    ``columns()`` (0: no limit), a compact view of that many columns with a line saying how to see the rest
    (the frame keeps every column). Set only while rendering; other DataFrames render exactly as before
    (the previous printer, else pandas' own repr).
    """

    def __init__(self, rows: Callable[[], int], columns: Callable[[], int] = lambda: 0) -> None:
        self._rows = rows
        self._columns = columns
        self._previous: dict[str, Any] = {}

    def _options(self, columns: int | None = None) -> Any:
        rows = max(1, int(self._rows()))
        shown = ("display.max_columns", columns) if columns else ()  # a compact view is shown whole
        return pd.option_context("display.max_rows", rows, "display.min_rows", rows, *shown)

    def _compact(self, obj: pd.DataFrame) -> tuple[pd.DataFrame, str]:
        """The frame to render and the note under it ('' when every column is shown)."""
        at_most = int(self._columns() or 0)
        if at_most <= 0 or len(obj.columns) <= at_most:
            return obj, ""
        shown = compact_columns(obj, at_most)
        note = (f"[{len(obj)} rows x {len(obj.columns)} columns; {len(shown)} shown: df.columns lists all, "
                f"--columns a,b picks some, %config StripeMagic.display_columns = 0 shows all]")
        return obj[shown], note

    def _plain(self, obj: Any, printer: Any, cycle: bool) -> None:
        previous = self._previous.get("text/plain")
        if not _is_stripe_frame(obj):
            return previous(obj, printer, cycle) if previous else printer.text(repr(obj))
        shown, note = self._compact(obj)
        with self._options(len(shown.columns) if note else None):
            printer.text(repr(shown) + (f"\n{note}" if note else ""))

    def _html(self, obj: Any) -> str | None:
        previous = self._previous.get("text/html")
        if not _is_stripe_frame(obj):
            return previous(obj) if previous else obj._repr_html_()
        shown, note = self._compact(obj)
        with self._options(len(shown.columns) if note else None):
            html = shown._repr_html_()
        return html + (f"<p>{escape(note)}</p>" if note and html else "")

    def install(self, shell: Any) -> None:
        formatters = shell.display_formatter.formatters
        for mime, func in (("text/plain", self._plain), ("text/html", self._html)):
            self._previous[mime] = formatters[mime].for_type(pd.DataFrame, func)

    def uninstall(self, shell: Any) -> None:
        formatters = shell.display_formatter.formatters
        for mime, previous in self._previous.items():
            if previous is not None:
                formatters[mime].for_type(pd.DataFrame, previous)
            else:
                formatters[mime].pop(pd.DataFrame, None)
        self._previous.clear()
