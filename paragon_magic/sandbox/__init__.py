"""A local Stripe for tests and notebooks: our own engine (objects, clocks, billing, payments, events)
behind a front that behaves like Stripe's API (errors, keys, lists, idempotency, faults), in one child
process bound to loopback."""

from .server import SANDBOX_KEY, LocalStripe, SandboxStartError

__all__ = ["SANDBOX_KEY", "LocalStripe", "SandboxStartError"]
