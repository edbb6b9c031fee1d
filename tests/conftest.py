"""Shared pytest fixtures: one local Stripe sandbox per test session, reset before each test that asks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from paragon_magic.sandbox import LocalStripe


@pytest.fixture(scope="session")
def local_stripe() -> Iterator[LocalStripe]:
    """localstripe + the front layer, started once for the whole run (two child processes)."""
    with LocalStripe() as server:
        yield server


@pytest.fixture
def stripe_server(local_stripe: LocalStripe) -> LocalStripe:
    """The session's sandbox, emptied (store, faults, keys, idempotency, log) before the test."""
    local_stripe.reset()
    return local_stripe
