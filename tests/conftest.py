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


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--shuffle-seed", default=None, metavar="SEED",
                     help="run the test modules in a shuffled order, and each module's tests shuffled too "
                          "(module-scoped fixtures are still set up once); 'random' picks a seed. The seed is "
                          "printed, so a failing order can be run again.")


def _shuffle_seed(config: pytest.Config) -> int | None:
    seed = config.getoption("--shuffle-seed")
    if seed is None:
        return None
    if seed == "random":
        return random.SystemRandom().randrange(10**6)
    try:
        return int(seed)
    except ValueError:
        raise pytest.UsageError(f"--shuffle-seed takes an integer or 'random'; got {seed!r}") from None


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_SEED] = _shuffle_seed(config)


def pytest_report_header(config: pytest.Config) -> str | None:
    seed = config.stash.get(_SEED, None)
    return None if seed is None else f"test order shuffled: --shuffle-seed {seed}"


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """The seed again at the end (also with ``-q``), to run a failing order again."""
    seed = config.stash.get(_SEED, None)
    if seed is not None:
        terminalreporter.write_line(f"test order shuffled: --shuffle-seed {seed}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``--shuffle-seed N``: modules in a shuffled order, each module's tests shuffled (see
    :func:`shuffled`). ``PARAGON_TEST_ORDER=reverse`` or ``shuffle:<seed>`` reorders every collected test
    as one list (e.g. ``PARAGON_TEST_ORDER=shuffle:3 pytest tests/test_x.py``), to show a module does not
    depend on its tests' order."""
    seed = config.stash.get(_SEED, None)
    if seed is not None:
        items[:] = shuffled(items, seed)
    order = os.environ.get("PARAGON_TEST_ORDER", "")
    if order == "reverse":
        items.reverse()
    elif order.startswith("shuffle:"):
        random.Random(int(order.partition(":")[2])).shuffle(items)
    elif order:
        raise pytest.UsageError("PARAGON_TEST_ORDER is 'reverse' or 'shuffle:<seed>'")


def shuffled(items: list[pytest.Item], seed: int) -> list[pytest.Item]:
    """``items`` grouped by module, the modules in a seeded random order and each module's tests too:
    every order-dependence between tests shows up, while each module-scoped fixture is built once."""
    rng = random.Random(seed)
    modules: dict[str, list[pytest.Item]] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::", 1)[0], []).append(item)
    groups = list(modules.values())
    rng.shuffle(groups)
    for group in groups:
        rng.shuffle(group)
    return [item for group in groups for item in group]


_SEED = pytest.StashKey[int | None]()


@pytest.fixture(scope="session")
def local_stripe() -> Iterator[LocalStripe]:
    """The sandbox (its engine behind the front, one child process), started once for the whole run."""
    with LocalStripe() as server:
        yield server


@pytest.fixture
def stripe_server(local_stripe: LocalStripe) -> Iterator[LocalStripe]:
    """The session's sandbox, emptied (store, faults, keys, idempotency, log) before the test and again
    after it, so no fault, script or object it left behind reaches a test that runs later."""
    local_stripe.reset()
    yield local_stripe
    local_stripe.reset()


@pytest.fixture(scope="session")
def spare_stripe() -> Iterator[LocalStripe]:
    """A second sandbox for the run (started on first use), for tests in a module whose data lives on the
    shared one (``local_stripe``) that must write: ``own_stripe`` empties it before each."""
    with LocalStripe() as server:
        yield server


@pytest.fixture
def own_stripe(spare_stripe: LocalStripe) -> Iterator[LocalStripe]:
    """``spare_stripe`` emptied before and after the test."""
    spare_stripe.reset()
    yield spare_stripe
    spare_stripe.reset()


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
