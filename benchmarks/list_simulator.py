"""Loopback simulator of Stripe's ``GET /v1/customers`` list endpoint, for throughput benchmarks.

Runs in its own child process (``ListSimulator`` starts and stops it) so the client under test
never shares its CPU or event loop. Behaviour modelled on Stripe:

- newest first (``created`` desc, ties in descending ``id`` order), ``limit`` 1–100 (default 10),
  ``starting_after`` xor ``ending_before``, ``has_more``, ``created`` as an int or
  ``created[gt|gte|lt|lte]``; Stripe-shaped 400/401/404 errors and a ``Request-Id`` on every reply;
- a per-request latency (``asyncio.sleep``, requests are served concurrently);
- a rate limit (default 25 req/s, test mode), one of two models since Stripe does not document
  which it uses: ``window`` (default) accepts at most ``rate`` requests in any sliding one-second
  window; ``bucket`` is a token bucket refilling at ``rate`` with ``burst`` (default ``rate``)
  tokens, which lets up to ``burst + rate`` requests into one second. Over the limit → immediate
  429 with ``Stripe-Rate-Limited-Reason: global-rate`` and Stripe's ``rate_limit`` error body. Like
  Stripe, no ``Retry-After``; ``--should-retry-429`` adds ``Stripe-Should-Retry: true``.

``GET /_stats`` returns counters (requests, 429s, status codes, peak concurrency).
Each page costs O(log n + page): filters bisect a sorted key array, cursors use an id→position map,
objects are pre-serialised JSON joined into the page body.

Run by hand: ``python -m benchmarks.list_simulator --n 20000`` prints ``READY <url>``.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter, deque
from pathlib import Path
from typing import Any

import httpx

from benchmarks.customers import SHAPES, make_customers
from paragon_magic.sandbox.front.faults import ServerTokenBucket

REPO_ROOT = Path(__file__).resolve().parent.parent
_CREATED_OPS = ("gt", "gte", "lt", "lte")
_RATE_LIMIT_MESSAGE = (
    "Request rate limit exceeded. You can learn more about rate limits here "
    "https://docs.stripe.com/rate-limits."
)


class ApiError(Exception):
    """A Stripe-shaped error reply."""

    def __init__(self, status: int, message: str, *, type_: str = "invalid_request_error",
                 code: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.code, self.param = status, message, type_, code, param

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://docs.stripe.com/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        return {"error": error}


class SlidingWindowLimit:
    """A server's strict limiter: ``take()`` is False (→ 429) when ``rate`` requests were already
    accepted in the last ``window`` seconds (rejected requests do not count)."""

    def __init__(self, rate: float, window: float = 1.0) -> None:
        self.capacity = max(1, int(rate * window))
        self.window = window
        self.accepted: deque[float] = deque()

    def take(self) -> bool:
        now = time.monotonic()
        while self.accepted and self.accepted[0] <= now - self.window:
            self.accepted.popleft()
        if len(self.accepted) >= self.capacity:
            return False
        self.accepted.append(now)
        return True


LIMITERS = ("window", "bucket")


class CustomerIndex:
    """Customers in list order with O(log n) filter bounds and O(1) cursor lookup."""

    def __init__(self, customers: list[dict[str, Any]]) -> None:
        ordered = sorted(customers, key=lambda c: (c["created"], c["id"]), reverse=True)
        self.neg_created = [-c["created"] for c in ordered]  # ascending along list order
        self.position = {c["id"]: i for i, c in enumerate(ordered)}
        self.encoded = [json.dumps(c, separators=(",", ":")).encode() for c in ordered]

    def __len__(self) -> int:
        return len(self.encoded)

    def created_bounds(self, query: Any) -> tuple[int, int]:
        """The half-open position range ``[lo, hi)`` matching the ``created`` filters."""
        lo, hi = 0, len(self)
        bounds: dict[str, int] = {}
        if "created" in query:
            bounds["gte"] = bounds["lte"] = _integer(query["created"], "created")
        for op in _CREATED_OPS:
            key = f"created[{op}]"
            if key in query:
                bounds[op] = _integer(query[key], key)
        if "lte" in bounds:
            lo = max(lo, bisect.bisect_left(self.neg_created, -bounds["lte"]))
        if "lt" in bounds:
            lo = max(lo, bisect.bisect_right(self.neg_created, -bounds["lt"]))
        if "gte" in bounds:
            hi = min(hi, bisect.bisect_right(self.neg_created, -bounds["gte"]))
        if "gt" in bounds:
            hi = min(hi, bisect.bisect_left(self.neg_created, -bounds["gt"]))
        return lo, max(lo, hi)

    def page(self, query: Any) -> bytes:
        """The JSON list body for one ``GET /v1/customers`` query (raises ``ApiError``)."""
        unknown = sorted(k for k in query if not _known_param(k))
        if unknown:
            raise ApiError(400, f"Received unknown parameter: {unknown[0]}", code="parameter_unknown",
                           param=unknown[0])
        limit = _integer(query.get("limit", "10"), "limit")
        if not 1 <= limit <= 100:
            raise ApiError(400, "Invalid limit: must be between 1 and 100", code="parameter_invalid_integer",
                           param="limit")
        after, before = query.get("starting_after"), query.get("ending_before")
        if after and before:
            raise ApiError(400, "You may only specify one of these parameters: ending_before, starting_after.",
                           param="starting_after")
        lo, hi = self.created_bounds(query)
        if before:
            end = min(hi, self._cursor(before, "ending_before"))
            start = max(lo, end - limit)
            has_more = start > lo
        else:
            start = lo if not after else max(lo, self._cursor(after, "starting_after") + 1)
            end = min(hi, start + limit)
            has_more = end < hi
        items = b",".join(self.encoded[start:end]) if start < end else b""
        more = b"true" if has_more else b"false"
        return b'{"object":"list","data":[' + items + b'],"has_more":' + more + b',"url":"/v1/customers"}'

    def _cursor(self, object_id: str, param: str) -> int:
        try:
            return self.position[object_id]
        except KeyError:
            raise ApiError(404, f"No such customer: '{object_id}'", code="resource_missing", param=param) from None


def _known_param(key: str) -> bool:
    return key in ("limit", "starting_after", "ending_before", "created") or key in {
        f"created[{op}]" for op in _CREATED_OPS
    } or key.startswith("expand[")


def _integer(raw: str, param: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ApiError(400, f"Invalid integer: {raw}", code="parameter_invalid_integer", param=param) from None


def build_app(index: CustomerIndex, *, latency: float, rate: float | None, burst: float | None,
              should_retry_429: bool = False, limiter: str = "window"):
    """The aiohttp application serving ``index``."""
    from aiohttp import web

    if limiter not in LIMITERS:
        raise ValueError(f"limiter must be one of {LIMITERS}")
    bucket: SlidingWindowLimit | ServerTokenBucket | None = None
    if rate:
        bucket = SlidingWindowLimit(rate) if limiter == "window" else ServerTokenBucket(rate, burst)
    counts: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    state = {"in_flight": 0, "peak_in_flight": 0, "first": None, "last": None}
    arrivals: list[float] = []  # monotonic arrival time of every data request (``/_timeline``)

    def reply(status: int, body: bytes, extra: dict[str, str] | None = None) -> web.Response:
        counts["responses"] += 1
        statuses[status] += 1
        headers = {"Request-Id": f"req_sim{counts['responses']:010d}", "Stripe-Version": "2026-10-28.endive"}
        headers.update(extra or {})
        return web.Response(status=status, body=body, content_type="application/json", headers=headers)

    def error(exc: ApiError, extra: dict[str, str] | None = None) -> web.Response:
        return reply(exc.status, json.dumps(exc.body()).encode(), extra)

    async def customers(request: web.Request) -> web.Response:
        counts["requests"] += 1
        now = time.monotonic()
        state["first"] = state["first"] or now
        state["last"] = now
        arrivals.append(now)
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            return error(ApiError(401, "You did not provide an API key."))
        if bucket is not None and not bucket.take():
            counts["rate_limited"] += 1
            extra = {"Stripe-Rate-Limited-Reason": "global-rate"}
            if should_retry_429:
                extra["Stripe-Should-Retry"] = "true"
            return error(ApiError(429, _RATE_LIMIT_MESSAGE, code="rate_limit"), extra)
        state["in_flight"] += 1
        state["peak_in_flight"] = max(state["peak_in_flight"], state["in_flight"])
        try:
            if latency > 0:
                await asyncio.sleep(latency)
            try:
                return reply(200, index.page(request.query))
            except ApiError as exc:
                return error(exc)
        finally:
            state["in_flight"] -= 1

    async def account(request: web.Request) -> web.Response:
        """``GET /v1/account`` (what ``paragon_magic.connect`` checks the key with); not rate-counted."""
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            return error(ApiError(401, "You did not provide an API key."))
        body = {"id": "acct_simulator", "object": "account", "country": "US", "email": "bench@example.com",
                "business_profile": {"name": "List simulator"}, "settings": {"dashboard": {"display_name": "Sim"}}}
        return reply(200, json.dumps(body).encode())

    async def unknown(request: web.Request) -> web.Response:
        counts["requests"] += 1
        return error(ApiError(404, f"Unrecognized request URL ({request.method}: {request.path})."))

    async def stats(_: web.Request) -> web.Response:
        span = (state["last"] - state["first"]) if state["first"] else 0.0
        return web.json_response({
            "objects": len(index), "requests": counts["requests"], "rate_limited": counts["rate_limited"],
            "statuses": {str(k): v for k, v in sorted(statuses.items())},
            "peak_in_flight": state["peak_in_flight"], "active_seconds": round(span, 3),
            "limiter": limiter if rate else None,
        })

    async def timeline(_: web.Request) -> web.Response:
        """Every data request's arrival, in seconds after the first."""
        return web.json_response([round(t - arrivals[0], 4) for t in arrivals])

    app = web.Application()
    app.router.add_get("/v1/customers", customers)
    app.router.add_get("/v1/account", account)
    app.router.add_get("/_stats", stats)
    app.router.add_get("/_timeline", timeline)
    app.router.add_route("*", "/{tail:.*}", unknown)
    return app


async def _serve(args: argparse.Namespace) -> None:
    from aiohttp import web

    index = CustomerIndex(make_customers(args.n, seed=args.seed, shape=args.shape))
    app = build_app(index, latency=args.latency, rate=args.rate or None, burst=args.burst,
                    should_retry_429=args.should_retry_429, limiter=args.limiter)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    site = web.SockSite(runner, sock)
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"READY http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    await stop.wait()
    await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--n", type=int, default=20_000, help="number of customers")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shape", choices=SHAPES, default="uniform", help="how `created` is spread")
    parser.add_argument("--latency", type=float, default=0.25, help="seconds per request")
    parser.add_argument("--rate", type=float, default=25.0, help="requests per second; 0 = unlimited")
    parser.add_argument("--limiter", choices=LIMITERS, default="window",
                        help="rate-limit model: sliding one-second window, or token bucket")
    parser.add_argument("--burst", type=float, default=None, help="bucket size (default: rate; bucket only)")
    parser.add_argument("--should-retry-429", action="store_true",
                        help="add Stripe-Should-Retry: true to 429 replies")
    asyncio.run(_serve(parser.parse_args(argv)))


class ListSimulator:
    """Start/stop the simulator in a child process; ``url`` once ready, ``stats()`` any time."""

    def __init__(self, *, n: int = 20_000, latency: float = 0.25, rate: float = 25.0,
                 burst: float | None = None, seed: int = 0, should_retry_429: bool = False,
                 limiter: str = "window", shape: str = "uniform", ready_timeout: float = 120.0) -> None:
        self.args = ["--n", str(n), "--latency", str(latency), "--rate", str(rate), "--seed", str(seed),
                     "--limiter", limiter, "--shape", shape]
        if burst is not None:
            self.args += ["--burst", str(burst)]
        if should_retry_429:
            self.args.append("--should-retry-429")
        self.ready_timeout = ready_timeout
        self.url = ""
        self._proc: subprocess.Popen[str] | None = None

    def start(self) -> ListSimulator:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.list_simulator", *self.args],
            cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True,
        )
        lines: queue.Queue[str] = queue.Queue()
        stdout = self._proc.stdout
        assert stdout is not None
        threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
        try:
            line = lines.get(timeout=self.ready_timeout)
        except queue.Empty:
            self.stop()
            raise RuntimeError("list simulator did not become ready") from None
        if not line.startswith("READY "):
            self.stop()
            raise RuntimeError(f"list simulator failed to start (exit {self._proc.poll()})")
        self.url = line.split()[1]
        return self

    def stats(self) -> dict[str, Any]:
        return httpx.get(f"{self.url}/_stats", timeout=30).json()

    def timeline(self) -> list[float]:
        """Arrival of every data request, seconds after the first."""
        return httpx.get(f"{self.url}/_timeline", timeout=30).json()

    def stop(self) -> None:
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._proc.stdout:
            self._proc.stdout.close()
        self._proc = None

    def __enter__(self) -> ListSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


if __name__ == "__main__":
    main()
