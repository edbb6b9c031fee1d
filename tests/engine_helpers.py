"""Calling the sandbox's engine in tests (no HTTP): ``call`` as a client sends a request, ``refused`` for a
request Stripe answers with an error, checking that the error left the engine exactly as it was."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from paragon_magic.client import flatten_params
from paragon_magic.sandbox.engine import Engine
from paragon_magic.sandbox.front.errors import StripeErrorResponse


def call(engine: Engine, method: str, path: str, params: dict[str, Any] | None = None) -> Any:
    """``method path`` with ``params`` encoded as the client encodes them."""
    return engine.handle(method, path, flatten_params(params or {}))


def _state(engine: Engine) -> tuple[Any, ...]:
    jobs = {clock: engine.clocks.pending(clock) for clock in ["", *engine.clocks.test_clocks]}
    return engine.store.objects, engine.store.generation, engine.store._rng.getstate(), jobs


def refused(engine: Engine, method: str, path: str, params: dict[str, Any] | None = None,
            status: int | None = 400, *, unchanged: bool | None = None) -> StripeErrorResponse:  # fmt: skip
    """Call, expecting Stripe's error ``status`` (``None``: any), and check that no object, id, counter or
    scheduled job moved (``unchanged``; by default for every error but a 402: a declined payment is
    recorded, as Stripe records the failed charge)."""
    before = copy.deepcopy(_state(engine))
    with pytest.raises(StripeErrorResponse) as caught:
        call(engine, method, path, params)
    error = caught.value
    assert status is None or error.status == status, error.message
    assert error.type in ("invalid_request_error", "card_error", "idempotency_error") and error.message
    if error.status != 402 if unchanged is None else unchanged:
        assert _state(engine) == before, f"{method} {path} {params} changed the engine although it answered {error.status}"
    return error
