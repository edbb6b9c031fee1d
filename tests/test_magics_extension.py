"""The IPython extension: loading, unloading, %config, completion, display. Also the shared fixtures
(imported by the other test_magics_* modules) that drive a real InteractiveShell."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from IPython.core.completer import provisionalcompleter
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from traitlets.config import Config

from paragon_magic.auth import CredentialStore
from paragon_magic.connection import connect
from paragon_magic.errors import ParagonMagicError
from paragon_magic.magics.context import MagicContext
from paragon_magic.magics.extension import context_of
from paragon_magic.session import Session

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


# -- fixtures and helpers shared by the test_magics_* modules ---------------------------------------

@pytest.fixture(scope="session")
def ipython(tmp_path_factory: pytest.TempPathFactory) -> InteractiveShell:
    """One real InteractiveShell for the run (history in memory, profile in a temp dir)."""
    if InteractiveShell.initialized():
        return InteractiveShell.instance()
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    return InteractiveShell.instance(config=config, ipython_dir=str(tmp_path_factory.mktemp("ipython")))


@pytest.fixture
def ip(ipython: InteractiveShell, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[InteractiveShell]:
    """The shell with ``%load_ext paragon_magic``, credentials kept under ``tmp_path``; unloaded after."""
    for name in ("STRIPE_API_KEY", "STRIPE_API_BASE", "PARAGON_USER_TOKEN", "PARAGON_PROXY_BASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PARAGON_MAGIC_CONFIG_DIR", str(tmp_path / "config"))
    before = set(ipython.user_ns)
    ipython.run_line_magic("load_ext", "paragon_magic")
    ctx = context_of(ipython)
    ctx.store = CredentialStore(config_dir=tmp_path / "config", keyring=None)
    ctx.configure(progress=False)
    yield ipython
    if "paragon_magic" in ipython.extension_manager.loaded:
        ipython.run_line_magic("unload_ext", "paragon_magic")
    for name in set(ipython.user_ns) - before:
        del ipython.user_ns[name]


@pytest.fixture
def ctx(ip: InteractiveShell) -> MagicContext:
    return context_of(ip)


@pytest.fixture
def session(ctx: MagicContext, stripe_server: Any) -> Session:
    """A sandbox session made the magics' current one (the key is never typed on a line)."""
    ctx.stripe_base_url = stripe_server.url
    return ctx.adopt(connect(stripe_server.key, base_url=stripe_server.url, save=False, store=ctx.store))


def run(ip: InteractiveShell, cell: str) -> tuple[Any, str]:
    """Run ``cell``; returns the ExecutionResult and everything shown (ANSI colours stripped)."""
    with capture_output() as captured:
        result = ip.run_cell(cell, store_history=True)
    return result, _ANSI.sub("", captured.stdout + captured.stderr)


def ok(ip: InteractiveShell, cell: str) -> tuple[Any, str]:
    """Run ``cell``, which must succeed; returns (its value, its output)."""
    result, text = run(ip, cell)
    assert result.success, text
    return result.result, text


def fails(ip: InteractiveShell, cell: str, error: type[BaseException] = ParagonMagicError) -> str:
    """Run ``cell``, which must fail with ``error`` shown as one line without a traceback."""
    result, text = run(ip, cell)
    assert result.success is False
    assert isinstance(result.error_in_exec, error), repr(result.error_in_exec)
    assert "Traceback" not in text
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]


def requests_since(server: Any, count: int) -> list[dict[str, Any]]:
    return server.requests()[count:]


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
    assert ctx.settings.client_options() == {"rate_limit": 5.0, "max_retries": 1, "timeout": 3.5}
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
