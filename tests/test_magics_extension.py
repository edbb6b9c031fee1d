"""The IPython extension: loading, unloading, %config, completion, display (shell fixtures: conftest.py)."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import pytest
from IPython.core.completer import provisionalcompleter
from IPython.core.interactiveshell import InteractiveShell

from paragon_magic.magics.context import MagicContext
from paragon_magic.magics.extension import context_of
from paragon_magic.session import Session
from shell_helpers import ok, requests_since, run


def completions(ip: InteractiveShell, text: str) -> list[str]:
    with provisionalcompleter():
        return [c.text for c in ip.Completer.completions(text, len(text))]


# -- loading and unloading ------------------------------------------------------------------------

def test_load_registers_the_magics_and_unload_removes_everything(ip: InteractiveShell) -> None:
    magics = ip.magics_manager.magics
    assert "stripe" in magics["line"] and "stripe" in magics["cell"] and "paragon" in magics["line"]
    magic = ip.magics_manager.registry["StripeMagic"]
    assert magic in ip.configurables
    assert len(ip.Completer.custom_matchers) == 1
    ok(ip, "%unload_ext paragon_magic")
    assert "stripe" not in magics["line"] and "stripe" not in magics["cell"] and "paragon" not in magics["line"]
    assert "StripeMagic" not in ip.magics_manager.registry
    assert magic not in ip.configurables
    assert ip.Completer.custom_matchers == []
    assert completions(ip, "%stripe list_cu") == []
    result, _ = run(ip, "%stripe actions")
    assert result.success is False  # the magic is gone
    ok(ip, "%load_ext paragon_magic")
    assert "list_customers" in ok(ip, "%stripe actions")[1]


def test_unload_restores_dataframe_display(ip: InteractiveShell) -> None:
    html = ip.display_formatter.formatters["text/html"]
    assert html.lookup_by_type(pd.DataFrame) is not None
    ok(ip, "%unload_ext paragon_magic")
    with pytest.raises(KeyError):
        html.lookup_by_type(pd.DataFrame)


def test_each_shell_load_has_its_own_context(ip: InteractiveShell, ctx: MagicContext) -> None:
    ok(ip, "%reload_ext paragon_magic")
    assert context_of(ip) is not ctx


# -- %config --------------------------------------------------------------------------------------

def test_config_reaches_the_current_session_and_the_request(ip: InteractiveShell, session: Session,
                                                             stripe_server: Any) -> None:
    ok(ip, "%config StripeMagic.page_size = 7")
    assert session.config.page_size == 7
    start = len(stripe_server.requests())
    ok(ip, "%stripe list_customers")
    (sent,) = requests_since(stripe_server, start)
    assert sent["query"]["limit"] == "7"


def test_every_option_is_configurable(ip: InteractiveShell, ctx: MagicContext) -> None:
    lines = [
        "%config StripeMagic.progress = False", "%config StripeMagic.default_limit = 50",
        "%config StripeMagic.rate_limit = 5.0", "%config StripeMagic.max_retries = 1",
        "%config StripeMagic.timeout = 3.5", "%config StripeMagic.display_rows = 4",
        "%config StripeMagic.allow_live_writes = True", "%config StripeMagic.partitioned = False",
    ]
    for line in lines:
        ok(ip, line)
    assert ctx.settings.client_options() == {"rate_limit": 5.0, "max_retries": 1, "timeout": 3.5,
                                             "stripe_version": "2026-10-28.endive"}
    config = ctx.session_config
    assert (config.progress, config.default_limit, config.allow_live_writes, config.partitioned) == (
        False, 50, True, False)
    assert ctx.settings.display_rows == 4
    assert "StripeMagic.page_size" in ok(ip, "%config StripeMagic")[1]


def test_client_settings_reach_clients_created_later(ip: InteractiveShell, ctx: MagicContext,
                                                     stripe_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    ok(ip, "%config StripeMagic.max_retries = 1")
    ok(ip, "%config StripeMagic.timeout = 7.0")
    ok(ip, "%config StripeMagic.rate_limit = 9.0")
    monkeypatch.setenv("STRIPE_API_KEY", stripe_server.key)
    monkeypatch.setenv("STRIPE_API_BASE", stripe_server.url)
    ok(ip, "%stripe list_customers")
    client = ctx.session.client
    assert client.retry.max_retries == 1 and client.rate_limiter.rate == 9.0
    assert client.build_request("GET", "/v1/customers").extensions["timeout"]["read"] == 7.0


# -- completion -------------------------------------------------------------------------------------

def test_completion_of_actions_flags_and_enum_values(ip: InteractiveShell) -> None:
    assert completions(ip, "%stripe list_cu") == ["list_customers"]
    assert "--status" in completions(ip, "%stripe list_subscriptions --st")
    assert completions(ip, "%stripe list_subscriptions --status ac") == ["active"]
    assert {"--email", "--expand"} <= set(completions(ip, "%stripe list_customers --e"))
    assert completions(ip, "subs = %stripe list_subscrip") == ["list_subscriptions"]
    assert completions(ip, "%%stripe create_cus") == ["create_customer"]
    assert "str" not in completions(ip, "%stripe list_subscriptions --st")  # no Python names mixed in


# -- display ----------------------------------------------------------------------------------------

def test_display_rows_limits_shown_rows_without_touching_pandas_options(ip: InteractiveShell, session: Session) -> None:
    for n in range(12):
        session.create_customer(name=f"Row {n}")
    ok(ip, "%config StripeMagic.display_rows = 4")
    global_rows = pd.get_option("display.max_rows")
    frame, shown = ok(ip, "%stripe list_customers")
    assert len(frame) == 12
    assert "[12 rows x" in shown and "..." in shown
    assert len(re.findall(r"^\d+ +cus_", shown, re.MULTILINE)) == 4
    html = ip.display_formatter.format(frame)[0]["text/html"]
    assert html.count("<tr>") < 10
    assert pd.get_option("display.max_rows") == global_rows
    other = pd.DataFrame({"a": range(12)})  # not from %stripe: pandas' own settings apply
    assert ip.display_formatter.format(other)[0]["text/plain"] == repr(other)
