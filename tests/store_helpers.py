"""Shared by the store tests: a small seeded business and a session whose store lives in a temp dir."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from paragon_magic.connection import connect
from paragon_magic.sandbox.seed import seed
from paragon_magic.session import Session, SessionConfig


def seed_business(server: Any, customers: int = 12) -> None:
    """Reset the sandbox and seed a small business (plus one refund, which a small seed may lack)."""
    server.reset()
    seed(server.url, server.key, customers=customers, control_headers=server.control_headers)
    api = httpx.Client(base_url=server.url, auth=(server.key, ""))
    charge = api.get("/v1/charges", params={"limit": 1}).json()["data"][0]
    assert api.post("/v1/refunds", data={"charge": charge["id"], "amount": 100}).status_code == 200


def store_session(server: Any, where: Path | str | None, key: str | None = None) -> Session:
    """A session on the sandbox (no progress bars, no pacing to speak of) with its store at ``where``."""
    session = connect(key or server.key, base_url=server.url, save=False, rate_limit=1000,
                      config=SessionConfig(progress=False))
    session.store_location = where
    return session
