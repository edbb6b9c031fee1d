"""A local Stripe for tests and notebooks: localstripe (GPL, own child process) behind a front layer
that behaves like Stripe's API (errors, keys, lists, idempotency, faults). Loopback only."""

from .server import SANDBOX_KEY, LocalStripe, SandboxStartError

__all__ = ["SANDBOX_KEY", "LocalStripe", "SandboxStartError"]
