"""``%stripe sync``, ``%%stripe sql``, ``%stripe tables``, ``%stripe table NAME``, ``%stripe export parquet DIR``.

Thin: each parses its words and calls the session's store face (``paragon_magic.store``). In ``%%stripe sql``
every ``{{ expr }}`` is evaluated in the notebook and bound as a parameter (``$__p0``, ...), never pasted
into the SQL; ``:name`` takes the notebook variable ``name``.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

import pandas as pd

from ..errors import UsageError
from .context import MagicContext
from .templating import Expr, as_plain, split_template

__all__ = ["STORE_COMMANDS", "run_store_command", "sql_text_and_params"]

SQL_USAGE = "%%stripe sql [-o NAME] [--credential ID], then the SQL in the cell (values as {{ expr }} or :name)"


def _words(ctx: MagicContext, args: str, command: str, flags: dict[str, bool], max_positional: int
           ) -> tuple[list[str], dict[str, Any]]:
    from .commands import parse_words

    try:  # a trailing ``# comment`` is the reader's, not an argument
        args = " ".join(shlex.quote(word) for word in shlex.split(args, comments=True))
    except ValueError as exc:
        raise UsageError(f"{command}: {exc} (check the quotes)") from None
    return parse_words(args, command, flags, max_positional)


def cmd_sync(ctx: MagicContext, args: str, cell: str | None) -> Any:
    """``%stripe sync [TABLE ...] [--full] [--export DIR] [--credential ID|all]`` (``all``: each of a Paragon
    user's connected accounts into its own store, one after the other)."""
    _no_cell("sync", cell)
    tables, flags = _words(ctx, args, "sync", {"full": False, "export": True, "credential": True,
                                               "no_progress": False}, 20)
    session = _session(ctx)
    credentials: list[str | None] = [flags.get("credential")]
    if flags.get("credential") == "all":
        credentials = _all_credentials(ctx)
    for credential in credentials:
        export = flags.get("export")
        if export is not None and len(credentials) > 1:
            export = f"{export}/{credential}"  # one export folder per connected account
        session.sync(*tables, full=bool(flags.get("full")), export=export,
                     progress=False if flags.get("no_progress") else None, credential=credential)
    return None


def _all_credentials(ctx: MagicContext) -> list[str | None]:
    """Every Stripe account the Paragon user connected (``--credential all``), one after the other."""
    if ctx.paragon is None:
        raise UsageError("--credential all walks the Stripe accounts a Paragon user connected: "
                         "run %paragon authenticate PROJECT_ID first")
    stripe = ((ctx.paragon.get_user() or {}).get("integrations") or {}).get("stripe") or {}
    found = [c.get("id") for c in stripe.get("allCredentials") or [] if isinstance(c, dict) and c.get("id")]
    if not found:
        raise UsageError("this Paragon user has no Stripe account connected (see %paragon user)")
    return found


def cmd_sql(ctx: MagicContext, args: str, cell: str | None) -> pd.DataFrame | None:
    """``%%stripe sql [-o NAME]`` with the SQL in the cell (or ``%stripe sql SELECT ...`` on one line)."""
    out, credential, inline = _sql_options(args)
    text = cell if cell is not None and cell.strip() else inline
    if not text.strip():
        raise UsageError("give the SQL: " + SQL_USAGE)
    sql, params = sql_text_and_params(text, ctx.evaluate)
    session = _session(ctx)
    frame = session.sql(sql, credential=credential, **params)
    if out:
        ctx.shell.user_ns[out] = frame
        return None
    return frame


_SQL_FLAG = re.compile(r"\s*(-o|--out|--credential)(?=\s|$)(?:\s+(\S+))?")


def _sql_options(args: str) -> tuple[str | None, str | None, str]:
    """``-o NAME`` / ``--out NAME`` / ``--credential ID`` before the (optional) one-line SQL, kept verbatim."""
    out = credential = None
    while match := _SQL_FLAG.match(args):
        flag, value = match.groups()
        if value is None:
            raise UsageError(f"sql: {flag} needs a value; usage: " + SQL_USAGE)
        if flag == "--credential":
            credential = value
        elif not value.isidentifier():
            raise UsageError(f"-o takes a variable name; got {value!r}")
        else:
            out = value
        args = args[match.end():]
    return out, credential, args.strip()


def sql_text_and_params(text: str, evaluate: Any) -> tuple[str, dict[str, Any]]:
    """The SQL with each ``{{ expr }}`` replaced by a parameter, and the values: ``:name`` naming a notebook
    variable is bound from it too."""
    from ..store.sql import bind_names

    params: dict[str, Any] = {}
    pieces: list[str] = []
    for part in split_template(text):
        if isinstance(part, Expr):
            name = f"__p{len(params)}"
            try:
                params[name] = as_plain(evaluate(part.source))
            except Exception as exc:  # noqa: BLE001 - one line for the user
                raise UsageError(f"could not evaluate {{{{ {part.source} }}}}: {type(exc).__name__}: {exc}") from None
            pieces.append(f"${name}")
        else:
            pieces.append(part)
    sql = "".join(pieces)
    _, names = bind_names(sql)
    for name in dict.fromkeys(names):
        try:
            params[name] = as_plain(evaluate(name))
        except NameError:
            raise UsageError(f":{name} names no variable of the notebook; define {name} or use {{{{ expr }}}}",
                             field=name) from None
    return sql, params


def cmd_tables(ctx: MagicContext, args: str, cell: str | None) -> pd.DataFrame:
    """``%stripe tables``: the synced tables, their row counts and freshness."""
    _no_cell("tables", cell)
    _, flags = _words(ctx, args, "tables", {"credential": True}, 0)
    return _session(ctx).tables(credential=flags.get("credential"))


def cmd_table(ctx: MagicContext, args: str, cell: str | None) -> pd.DataFrame | None:
    """``%stripe table NAME [-o VAR]``: one synced table as its ``list_*`` frame."""
    _no_cell("table", cell)
    args = args.replace(" -o ", " --out ")
    names, flags = _words(ctx, args, "table", {"credential": True, "out": True}, 1)
    if not names:
        raise UsageError("%stripe table NAME (e.g. %stripe table customers); %stripe tables lists them")
    frame = _session(ctx).table(names[0], credential=flags.get("credential"))
    if flags.get("out"):
        ctx.shell.user_ns[flags["out"]] = frame
        return None
    return frame


def cmd_export(ctx: MagicContext, args: str, cell: str | None) -> None:
    """``%stripe export parquet DIR [TABLE ...]``."""
    _no_cell("export", cell)
    words, flags = _words(ctx, args, "export", {"credential": True}, 30)
    if len(words) < 2 or words[0] != "parquet":
        raise UsageError("%stripe export parquet DIR [TABLE ...]")
    _session(ctx).export_parquet(words[1], *words[2:], credential=flags.get("credential"))


def _session(ctx: MagicContext) -> Any:
    """The current session, using the store ``%config StripeMagic.store`` names."""
    session = ctx.require_session()
    session.store_location = getattr(ctx, "store_location", "default")
    return session


def _no_cell(command: str, cell: str | None) -> None:
    if cell is not None and cell.strip():
        raise UsageError(f"`%%stripe {command}` takes no cell body; use %stripe {command}")


STORE_COMMANDS = {"sync": cmd_sync, "sql": cmd_sql, "tables": cmd_tables, "table": cmd_table, "export": cmd_export}


def run_store_command(ctx: MagicContext, head: str, rest: str, cell: str | None) -> Any:
    return STORE_COMMANDS[head](ctx, rest, cell)
