"""What ``%stripe`` / ``%%stripe`` / ``%paragon`` do, over one :class:`MagicContext`.

Actions are parsed by the pure parser and run through the context's Session; the words in
:data:`SUBCOMMANDS` (connect, use, status, ...) are handled here. Every user error is a
``ParagonMagicError``: it propagates, IPython shows one line, and the cell fails.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from ..auth.credentials import check_profile_name
from ..auth.resolution import next_connection
from ..catalog import describe, get_action
from ..errors import UsageError
from ..frame_select import select_columns
from ..session import Session
from . import display
from .context import MagicContext
from .history import redact_current_input
from .metrics import METRIC_COMMANDS
from .parser import SUBCOMMANDS, ParsedCall, parse_cell, parse_line
from .store_commands import STORE_COMMANDS, run_store_command
from .templating import holds_secret

_KEY_ON_LINE = (
    "API keys must not be typed on a magic line: the line is saved in the notebook and in IPython's "
    "history. Run `%stripe connect` and paste the key at its prompt (or into the portal), or set "
    "$STRIPE_API_KEY before starting Jupyter"
)
_TOKEN_ENV = "PARAGON_USER_TOKEN"


# -- %stripe ------------------------------------------------------------------------------------

def refuse_secrets(ctx: MagicContext, *texts: str | None) -> None:
    """Refuse input holding a key or token, after masking it in IPython's saved history."""
    if any(text and holds_secret(text) for text in texts):
        redact_current_input(ctx.shell)
        raise UsageError(_KEY_ON_LINE)


def run_stripe(ctx: MagicContext, line: str, cell: str | None = None) -> Any:
    """``%stripe <line>`` or ``%%stripe <line>`` with ``cell``; returns a DataFrame for actions."""
    refuse_secrets(ctx, line, cell)
    head, _, rest = line.strip().partition(" ")
    if head in STORE_COMMANDS:  # the local store: sync, sql, tables, table, export (store_commands.py)
        return run_store_command(ctx, head, rest.strip(), cell)
    if head in SUBCOMMANDS or not head:
        if cell is not None and cell.strip():
            raise UsageError(f"`%%stripe {head}` takes no cell body; use %stripe {head}")
        return _SUBCOMMANDS[head or "actions"](ctx, rest.strip())
    return run_action(ctx, line, cell)


def run_action(ctx: MagicContext, line: str, cell: str | None = None) -> pd.DataFrame | None:
    """Parse (nothing is sent if that fails), then run the call or show it with ``--dry-run``."""
    if cell is None:
        call = parse_line(line, evaluate=ctx.evaluate)
    else:
        call = parse_cell(line, cell, evaluate=ctx.evaluate)
    connected_before = ctx.session is not None
    session = ctx.require_session()
    if not connected_before:
        print(display.connected_text(session, ctx.profile, automatic=True))
    if call.options.dry_run:
        print(display.dry_run_text(prepare(session, call), session.masked_key))
        return None
    frame = execute(session, call)
    if call.options.columns:
        frame = select_columns(frame, call.options.columns)
    if call.options.out:  # stored, not shown (as ``%%bigquery df`` does)
        ctx.shell.user_ns[call.options.out] = frame
        return None
    return frame


def _request_params(call: ParsedCall) -> dict[str, Any]:
    """``request`` takes ``--expand`` and ``--created-after/--before`` as plain Stripe params (``--limit`` apart)."""
    opts, params = call.options, dict(call.params)
    if opts.expand:
        params["expand"] = list(opts.expand)
    created = {k: v for k, v in (("gte", opts.created_after), ("lt", opts.created_before)) if v is not None}
    if created:
        given = params.get("created")
        params["created"] = {**given, **created} if isinstance(given, dict) else created
    return params


def _action_options(call: ParsedCall) -> dict[str, Any]:
    opts = call.options
    return dict(
        id=call.id, limit=opts.limit, created_after=opts.created_after, created_before=opts.created_before,
        expand=list(opts.expand) or None, account=opts.account, idempotency_key=opts.idempotency_key,
    )


def execute(session: Session, call: ParsedCall) -> pd.DataFrame:
    """Send ``call`` through ``session``."""
    opts = call.options
    progress = None if opts.progress else False
    if call.action == "request":
        headers = {"Idempotency-Key": opts.idempotency_key} if opts.idempotency_key else None
        return session.request("stripe", call.path, method=call.method, params=_request_params(call),
                               headers=headers, account=opts.account, live=opts.live, limit=opts.limit,
                               page=opts.page, progress=progress, credential=opts.credential)
    return session.run(call.action, call.params, live=opts.live, progress=progress, credential=opts.credential,
                       **_action_options(call))


def prepare(session: Session, call: ParsedCall) -> httpx.Request:
    """The request ``execute`` would send first (``--dry-run``)."""
    opts = call.options
    with session.selecting(opts.credential):
        if call.action == "request":
            return session.prepare_request(call.path, call.method, _request_params(call), limit=opts.limit,
                                           page=opts.page, account=opts.account,
                                           idempotency_key=opts.idempotency_key)
        return session.prepare(call.action, call.params, **_action_options(call))


# -- subcommands --------------------------------------------------------------------------------

def parse_words(text: str, command: str, flags: dict[str, bool], max_positional: int = 0
                ) -> tuple[list[str], dict[str, Any]]:
    """Split a subcommand's arguments: ``flags`` maps a flag name to whether it takes a value."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise UsageError(f"{command}: {exc} (check the quotes)") from None
    positional: list[str] = []
    values: dict[str, Any] = {}
    i = 0
    while i < len(words):
        word = words[i]
        if word.startswith("--"):
            name, eq, inline = word[2:].partition("=")
            name = name.replace("-", "_")
            if name not in flags:
                known = ", ".join("--" + f.replace("_", "-") for f in flags) or "none"
                raise UsageError(f"{command} has no flag --{name.replace('_', '-')} (flags: {known})")
            if not flags[name]:
                values[name] = True
            elif eq:
                values[name] = inline
            elif i + 1 < len(words):
                i += 1
                values[name] = words[i]
            else:
                raise UsageError(f"{command}: --{name.replace('_', '-')} needs a value")
        else:
            positional.append(word)
        i += 1
    if len(positional) > max_positional:
        raise UsageError(f"{command}: unexpected argument {positional[max_positional]!r}; see `%stripe help`")
    return positional, values


def cmd_actions(ctx: MagicContext, args: str) -> None:
    _, flags = parse_words(args, "actions", {"json": False})
    print(display.actions_json() if flags.get("json") else display.actions_text())


def cmd_help(ctx: MagicContext, args: str) -> None:
    words, _ = parse_words(args, "help", {}, max_positional=1)
    if not words or words[0] in SUBCOMMANDS:
        print(display.USAGE)
    else:
        print(describe(get_action(words[0].replace("-", "_"))))


def cmd_status(ctx: MagicContext, args: str) -> None:
    parse_words(args, "status", {})
    print(display.status_text(ctx.session, profile=ctx.profile, paragon=ctx.paragon,
                              next_action=next_connection(ctx.store)))


def cmd_connect(ctx: MagicContext, args: str) -> Any:
    try:
        _, flags = parse_words(args, "connect", {"profile": True, "sandbox": False})
    except UsageError as exc:
        if "unexpected argument" in str(exc):  # never echo what may be a mistyped key
            raise UsageError(f"connect takes no key on the line. {_KEY_ON_LINE}") from None
        raise
    profile = flags.get("profile")
    if profile is not None:
        check_profile_name(profile)  # before asking for the key, not after
    if flags.get("sandbox"):
        session = ctx.connect(sandbox=True)
        print(display.connected_text(session, None))
        return None
    if getattr(ctx.shell, "kernel", None) is not None:  # a notebook: the Connect Portal widget
        return _portal(ctx, profile or "default")
    try:
        key = ctx.prompt_secret("Stripe secret or restricted key (sk_… / rk_…), input hidden: ").strip()
    except (EOFError, KeyboardInterrupt):
        key = ""
    if not key:
        raise UsageError("no key entered; nothing changed")
    session = ctx.connect(key, profile=profile)
    print(display.connected_text(session, ctx.profile))
    return None


def _portal(ctx: MagicContext, profile: str) -> Any:
    from ..widgets.portal import ConnectPortal

    def connect_with_settings(secret: Any, **kwargs: Any) -> Session:
        return ctx.connector(secret, config=ctx.session_config, **ctx.settings.client_options(), **kwargs)

    portal = ConnectPortal(store=ctx.store, base_url=ctx.stripe_base_url, profile=profile,
                           connect=connect_with_settings)
    portal.on_connect = lambda session: ctx.adopt(session, profile=portal.profile_input.value.strip() or "default")
    return portal


def cmd_use(ctx: MagicContext, args: str) -> None:
    words, _ = parse_words(args, "use", {}, max_positional=1)
    if not words:
        raise UsageError("use needs a profile name: %stripe use NAME (`%stripe profiles` lists them)")
    ctx.store.use(words[0])
    session = ctx.connect(profile=words[0])
    print(display.connected_text(session, ctx.profile))


def cmd_disconnect(ctx: MagicContext, args: str) -> None:
    _, flags = parse_words(args, "disconnect", {"profile": True})
    name = flags.get("profile") or ctx.profile
    if name is None or name == ctx.profile:
        was = ctx.session is not None
        ctx.disconnect()
    else:
        was = False
    forgot = ctx.store.delete(name) if name else False
    parts = ["disconnected" if was else "no open connection"]
    if forgot:
        parts.append(f"forgot saved profile '{name}'")
    elif flags.get("profile"):
        parts.append(f"there was no saved profile '{name}'")
    parts.append(next_connection(ctx.store))
    print("; ".join(parts))


def cmd_profiles(ctx: MagicContext, args: str) -> None:
    parse_words(args, "profiles", {})
    print(display.profiles_text(ctx.store.profiles(), ctx.store.backend))


def cmd_form(ctx: MagicContext, args: str) -> Any:
    words, _ = parse_words(args, "form", {}, max_positional=1)
    if not words:
        raise UsageError("form needs an action: %stripe form create_customer")
    action = get_action(words[0].replace("-", "_"))
    from ..widgets.forms import form

    return form(action.name, session=ctx.require_session, namespace=ctx.shell.user_ns)


_SUBCOMMANDS = {
    "actions": cmd_actions, "help": cmd_help, "status": cmd_status, "connect": cmd_connect,
    "use": cmd_use, "disconnect": cmd_disconnect, "profiles": cmd_profiles, "form": cmd_form,
}
_SUBCOMMANDS.update(METRIC_COMMANDS)  # %stripe mrr, mrr-history, churn, cohorts, ... (magics/metrics.py)


# -- %paragon -----------------------------------------------------------------------------------

PARAGON_USAGE = ("%paragon authenticate PROJECT_ID [--signing-key FILE --user USER_ID] [--credential ID] "
                 "[--base-url URL] [--api-base URL] | %paragon status | %paragon user | "
                 "%paragon use-credential ID|default | %paragon meta [key=value ...]")


def run_paragon(ctx: MagicContext, line: str) -> Any:
    """``%paragon authenticate|status|user|use-credential|meta``."""
    if holds_secret(line):
        redact_current_input(ctx.shell)
        raise UsageError(f"secrets must not be typed on a magic line (they would stay in the history): set "
                         f"${_TOKEN_ENV} or use --signing-key FILE --user ID")
    head, _, rest = line.strip().partition(" ")
    if head == "authenticate":
        return paragon_authenticate(ctx, rest)
    if head == "status":
        parse_words(rest, "status", {})
        if ctx.paragon is None:
            print("not authenticated with Paragon: %paragon authenticate PROJECT_ID")
        else:
            print(display.status_text(ctx.session, profile=None, paragon=ctx.paragon))
        return None
    handler = _PARAGON_COMMANDS.get(head)
    if handler is None:
        raise UsageError(f"usage: {PARAGON_USAGE}")
    if ctx.paragon is None:
        raise UsageError("not authenticated with Paragon: run %paragon authenticate PROJECT_ID first")
    return handler(ctx, rest)


def paragon_user(ctx: MagicContext, args: str) -> pd.DataFrame:
    """``%paragon user``: one line about the user, then a table with one row per Stripe credential."""
    parse_words(args, "user", {})
    user = ctx.paragon.get_user()
    summary, table = display.paragon_user_table(user, selected=ctx.paragon.selected_credential_id)
    print(summary)
    return table


def paragon_use_credential(ctx: MagicContext, args: str) -> None:
    """``%paragon use-credential ID`` (``default``: Paragon's default credential again)."""
    words, _ = parse_words(args, "use-credential", {}, max_positional=1)
    if not words:
        raise UsageError("use-credential needs a credential id (`%paragon user` lists them), or `default`")
    session = ctx.paragon.use_credential(None if words[0] == "default" else words[0])
    which = ctx.paragon.selected_credential_id or "Paragon's default credential"
    print(f"Stripe calls now use {which}: " + display.connected_text(session, None))


def paragon_meta(ctx: MagicContext, args: str) -> None:
    """``%paragon meta key=value ...`` stores user metadata (``PATCH /sdk/me``); no pairs: shows it."""
    try:
        words = shlex.split(args)
    except ValueError as exc:
        raise UsageError(f"meta: {exc} (check the quotes)") from None
    pairs: dict[str, str] = {}
    for word in words:
        key, eq, value = word.partition("=")
        if not eq or not key.strip():
            raise UsageError(f"meta takes key=value pairs; got {word[:40]!r}")
        pairs[key.strip()] = value
    meta = ctx.paragon.set_user_metadata(pairs) if pairs else ctx.paragon.get_user().get("meta") or {}
    print("user metadata: " + (", ".join(f"{k}={v}" for k, v in meta.items()) or "(none)"))


_PARAGON_COMMANDS = {"user": paragon_user, "use-credential": paragon_use_credential, "meta": paragon_meta}


def paragon_authenticate(ctx: MagicContext, args: str) -> None:
    words, flags = parse_words(
        args, "authenticate",
        {"signing_key": True, "user": True, "base_url": True, "api_base": True, "credential": True},
        max_positional=1,
    )
    if not words:
        raise UsageError(f"authenticate needs the project id: {PARAGON_USAGE}")
    project_id = words[0]
    token: str | None = None
    if flags.get("signing_key") or flags.get("user"):
        if not (flags.get("signing_key") and flags.get("user")):
            raise UsageError("--signing-key FILE and --user USER_ID go together (to mint a user token)")
        from ..auth import mint_user_token

        path = Path(flags["signing_key"]).expanduser()
        try:
            pem = path.read_text()
        except OSError as exc:
            raise UsageError(f"cannot read the signing key {str(path)!r}: {exc.strerror}") from None
        token = mint_user_token(pem, project_id, flags["user"])
    session = ctx.authenticate_paragon(project_id, token, base_url=flags.get("base_url"),
                                       api_base=flags.get("api_base"), credential=flags.get("credential"))
    user = ctx.paragon.user.user_id if ctx.paragon is not None and ctx.paragon.user else "?"
    credential = f", credential {flags['credential']}" if flags.get("credential") else ""
    print(f"authenticated as user {user} in project {project_id} ({session.masked_key}{credential}, "
          f"{session.mode} mode); %stripe actions now go through the {display.backend_name(session)}")
