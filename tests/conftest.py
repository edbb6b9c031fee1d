"""Shared pytest fixtures: one local Stripe sandbox per test session, reset before each test that asks."""

from __future__ import annotations

import copy
import os
import random
from collections.abc import Iterator
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from paragon_magic.auth import CredentialStore
from paragon_magic.connection import connect
from paragon_magic.magics.context import MagicContext
from paragon_magic.magics.extension import context_of
from paragon_magic.sandbox import LocalStripe
from paragon_magic.session import Session


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``PARAGON_TEST_ORDER=reverse`` or ``shuffle:<seed>`` reorders the collected tests, to show a module
    does not depend on its tests' order (e.g. ``PARAGON_TEST_ORDER=shuffle:3 pytest tests/test_x.py``)."""
    order = os.environ.get("PARAGON_TEST_ORDER", "")
    if order == "reverse":
        items.reverse()
    elif order.startswith("shuffle:"):
        random.Random(int(order.partition(":")[2])).shuffle(items)
    elif order:
        raise pytest.UsageError("PARAGON_TEST_ORDER is 'reverse' or 'shuffle:<seed>'")


@pytest.fixture(scope="session")
def local_stripe() -> Iterator[LocalStripe]:
    """The sandbox (its engine behind the front, one child process), started once for the whole run."""
    with LocalStripe() as server:
        yield server


@pytest.fixture
def stripe_server(local_stripe: LocalStripe) -> LocalStripe:
    """The session's sandbox, emptied (store, faults, keys, idempotency, log) before the test."""
    local_stripe.reset()
    return local_stripe


# -- a real InteractiveShell with the extension loaded (test_magics_*) ---------------------------------

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
    monkeypatch.setenv("PARAGON_MAGIC_DATA_DIR", str(tmp_path / "data"))  # %stripe sync's default store
    before = set(ipython.user_ns)
    saved_config = copy.deepcopy(ipython.config.StripeMagic)  # %config lives in the shared shell's config
    ipython.run_line_magic("load_ext", "paragon_magic")
    ctx = context_of(ipython)
    ctx.store = CredentialStore(config_dir=tmp_path / "config", keyring=None)
    ctx.configure(progress=False)
    yield ipython
    if "paragon_magic" in ipython.extension_manager.loaded:
        ipython.run_line_magic("unload_ext", "paragon_magic")
    for name in set(ipython.user_ns) - before:
        del ipython.user_ns[name]
    ipython.config.StripeMagic = saved_config


@pytest.fixture
def ctx(ip: InteractiveShell) -> MagicContext:
    return context_of(ip)


@pytest.fixture
def session(ctx: MagicContext, stripe_server: Any) -> Session:
    """A sandbox session made the magics' current one (the key is never typed on a line)."""
    ctx.stripe_base_url = stripe_server.url
    return ctx.adopt(connect(stripe_server.key, base_url=stripe_server.url, save=False, store=ctx.store))
