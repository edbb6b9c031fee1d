"""Injected faults for the sandbox front layer: latency, 500s, dropped connections, stalls, 429s,
and scripted responses. Everything is off by default and driven by one seeded RNG."""

from __future__ import annotations

import random
import time
from collections import Counter, deque
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

Phase = Literal["before", "after"]


def _known_fields(cls: type, data: dict[str, Any], what: str) -> dict[str, Any]:
    """``data`` when every key is a field of dataclass ``cls``; ValueError naming the unknown ones otherwise."""
    unknown = sorted(set(data) - {f.name for f in fields(cls)})
    if unknown:
        raise ValueError(f"unknown {what}(s): {', '.join(unknown)}")
    return data


@dataclass
class FaultConfig:
    """What to inject. Rates are probabilities per request in [0, 1]."""

    latency: float = 0.0
    error_rate: float = 0.0
    drop_rate: float = 0.0
    #: Fraction of drops that happen after the request was forwarded (it executed, no answer came).
    drop_after_ratio: float = 0.5
    stall_rate: float = 0.0
    stall_seconds: float = 3.0
    #: Requests per second per API key (token bucket, burst = one second's worth); None = unlimited.
    rate_limit: float | None = None
    #: The next N requests are answered 429.
    rate_limit_burst: int = 0
    seed: int = 0

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultConfig:
        """Build from a JSON object; missing fields take their (off) defaults; unknown raise ValueError."""
        config = cls(**_known_fields(cls, data, "fault setting"))
        for name in ("error_rate", "drop_rate", "drop_after_ratio", "stall_rate"):
            value = float(getattr(config, name))
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if config.rate_limit is not None and float(config.rate_limit) <= 0:
            raise ValueError("rate_limit must be positive (or null for no limit)")
        return config

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ScriptedResponse:
    """One forced outcome from ``POST /_sandbox/script``.

    ``drop``: close the connection without answering. ``forward``: handle the request for real
    first (it executes, idempotency saves its result) and only then drop / replace the answer.
    ``status`` with no ``body`` gets a Stripe-shaped error body for that status.
    """

    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    drop: bool = False
    forward: bool = False
    delay: float = 0.0

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScriptedResponse:
        return cls(**_known_fields(cls, data, "scripted-response field"))


@dataclass
class Decision:
    """What the fault layer decided for one request."""

    rate_limited: bool = False
    error: bool = False
    should_retry: str | None = None
    drop: Phase | None = None
    stall: float = 0.0
    latency: float = 0.0


class ServerTokenBucket:
    """A server's non-blocking limiter: ``take()`` is False when the caller is over the rate (-> 429).

    ``burst`` (default: one second's worth) is how many requests may arrive at once.
    """

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate if burst is None else burst)
        self.tokens = self.capacity
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class FaultInjector:
    """Holds the fault config, the seeded RNG, per-key token buckets and the script queue."""

    def __init__(self) -> None:
        self.config = FaultConfig()
        self.rng = random.Random(0)
        self.script: deque[ScriptedResponse] = deque()
        self._buckets: dict[str, ServerTokenBucket] = {}
        self._burst_left = 0
        #: 429s by cause: ``rate_limited_burst`` (the configured opening burst) and
        #: ``rate_limited_limiter`` (the per-key rate limit itself), for tests that must see both.
        self.counts: Counter[str] = Counter()

    def configure(self, config: FaultConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self._buckets.clear()
        self._burst_left = int(config.rate_limit_burst)

    def reset(self) -> None:
        self.configure(FaultConfig())
        self.script.clear()
        self.counts.clear()

    def next_scripted(self) -> ScriptedResponse | None:
        return self.script.popleft() if self.script else None

    def decide(self, key: str) -> Decision:
        """Roll the dice for one authenticated request (rate limiting first, as Stripe does)."""
        cfg = self.config
        decision = Decision(latency=float(cfg.latency))
        if self._burst_left > 0:
            self._burst_left -= 1
            self.counts["rate_limited_burst"] += 1
            decision.rate_limited = True
            return decision
        if cfg.rate_limit is not None:
            bucket = self._buckets.get(key)
            if bucket is None or bucket.rate != float(cfg.rate_limit):
                bucket = self._buckets[key] = ServerTokenBucket(float(cfg.rate_limit))
            if not bucket.take():
                self.counts["rate_limited_limiter"] += 1
                decision.rate_limited = True
                return decision
        if cfg.stall_rate and self.rng.random() < cfg.stall_rate:
            decision.stall = float(cfg.stall_seconds)
        if cfg.error_rate and self.rng.random() < cfg.error_rate:
            decision.error = True
            # Stripe sometimes says so explicitly; "false" only comes from scripted responses.
            decision.should_retry = "true" if self.rng.random() < 0.5 else None
            return decision
        if cfg.drop_rate and self.rng.random() < cfg.drop_rate:
            decision.drop = "after" if self.rng.random() < cfg.drop_after_ratio else "before"
        return decision
