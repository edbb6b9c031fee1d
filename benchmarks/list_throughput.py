"""List-all-customers → DataFrame throughput against the loopback list simulator.

Variants, each in a fresh child process against a fresh simulator (so peak RSS is per run):

  a  paragon_magic: ``connect(key, base_url=url, save=False).list_customers()``
  b  stripe-python 16.1: ``StripeClient(key, base_addresses={"api": url}, max_network_retries=10)``
     ``.v1.customers.list({"limit": 100}).auto_paging_iter()`` → ``to_dict()`` → ``pd.json_normalize``
  c  plain httpx ``starting_after`` loop (sleeps 1 s and retries on 429) → ``pd.json_normalize``

Note on (b): stripe-python retries only connection errors, 409, ≥500 and replies carrying
``Stripe-Should-Retry: true``; ``max_network_retries`` does not make it retry a plain 429, so
against a rate-limited server it fails with ``RateLimitError`` (pass ``--should-retry-429`` to
make the simulator send that header). Sequential clients only meet 429s when
``--latency`` is below 1/rate.

The simulator's rate limit is a sliding one-second window (``--limiter window``, default) or a token
bucket (``--limiter bucket``). Each variant's rows are checked against the simulator's own list order
(``order`` column: ``same`` = identical ids in identical order to a sequential cursor walk).

Usage: ``python -m benchmarks.list_throughput [--n 20000] [--latency 0.25] [--rate 25] [--limiter window]
[--shape uniform|growth|import] [--only a,b,c]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import resource
import subprocess
import sys
import time
from typing import Any, Callable

from benchmarks.customers import SHAPES
from benchmarks.list_simulator import LIMITERS, REPO_ROOT, ListSimulator

API_KEY = "sk_test_benchmark0000000000000000"
VARIANTS = {
    "a": "paragon_magic list_customers()",
    "b": "stripe-python auto_paging_iter",
    "c": "httpx cursor loop",
}
MB = 1024 * 1024


def _current_rss() -> int:
    import psutil

    return psutil.Process().memory_info().rss


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def _run_paragon(url: str) -> Callable[[], Any]:
    import paragon_magic

    connect = paragon_magic.connect  # AttributeError here = "unavailable", not a failed run

    def run() -> Any:
        session = connect(API_KEY, base_url=url, save=False)
        return session.list_customers()

    return run


def _run_stripe_python(url: str) -> Callable[[], Any]:
    import pandas as pd
    import stripe

    def run() -> Any:
        client = stripe.StripeClient(API_KEY, base_addresses={"api": url}, max_network_retries=10)
        customers = client.v1.customers.list({"limit": 100})
        return pd.json_normalize([c.to_dict() for c in customers.auto_paging_iter()])

    return run


def _run_httpx(url: str) -> Callable[[], Any]:
    import httpx
    import pandas as pd

    def run() -> Any:
        rows: list[dict[str, Any]] = []
        params: dict[str, Any] = {"limit": 100}
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=60) as http:
            while True:
                reply = http.get("/v1/customers", params=params)
                if reply.status_code == 429:
                    time.sleep(1.0)
                    continue
                reply.raise_for_status()
                page = reply.json()
                rows.extend(page["data"])
                if not page["has_more"] or not page["data"]:
                    break
                params["starting_after"] = page["data"][-1]["id"]
        return pd.json_normalize(rows)

    return run


RUNNERS: dict[str, Callable[[str], Callable[[], Any]]] = {
    "a": _run_paragon, "b": _run_stripe_python, "c": _run_httpx,
}


def child(variant: str, url: str) -> dict[str, Any]:
    """Run one variant in this (fresh) process; imports happen before the baseline is taken."""
    import pandas  # noqa: F401  (every variant builds a DataFrame; keep the baseline comparable)

    result: dict[str, Any] = {"variant": variant}
    try:
        run = RUNNERS[variant](url)
    except Exception as exc:  # noqa: BLE001 - report, don't crash the table
        return {**result, "error": f"unavailable: {type(exc).__name__}: {exc}"}
    result["baseline_rss"] = _current_rss()
    start = time.perf_counter()
    try:
        frame = run()
    except Exception as exc:  # noqa: BLE001
        result["error"] = f"{type(exc).__name__}: {str(exc)[:160]}"
        frame = None
    result["wall"] = time.perf_counter() - start
    result["peak_rss"] = _peak_rss()
    if frame is not None:
        result["rows"] = len(frame)
        result["columns"] = len(frame.columns)
        result["frame_bytes"] = int(frame.memory_usage(deep=True).sum())
        result["ids_digest"] = _digest(frame["id"]) if "id" in frame else None
    return result


def _digest(ids: Any) -> str:
    return hashlib.sha256("\n".join(map(str, ids)).encode()).hexdigest()


def expected_digest(n: int, seed: int, shape: str = "uniform") -> str:
    """The digest of the ids a sequential walk of the simulator returns (newest first, ties by id)."""
    from benchmarks.customers import make_customers

    ordered = sorted(make_customers(n, seed=seed, shape=shape), key=lambda c: (c["created"], c["id"]),
                     reverse=True)
    return _digest(c["id"] for c in ordered)


def measure(variant: str, args: argparse.Namespace) -> dict[str, Any]:
    """A fresh simulator and a fresh child process for one variant."""
    with ListSimulator(n=args.n, latency=args.latency, rate=args.rate, seed=args.seed,
                       should_retry_429=args.should_retry_429, limiter=args.limiter, shape=args.shape) as sim:
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks.list_throughput", "--child", variant, "--url", sim.url],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=args.timeout,
        )
        stats = sim.stats()
    lines = proc.stdout.strip().splitlines()
    if proc.returncode or not lines:
        result = {"variant": variant, "error": f"child exited {proc.returncode}: {proc.stderr.strip()[-300:]}"}
    else:
        result = json.loads(lines[-1])
    result["requests"] = stats["requests"]
    result["rate_limited"] = stats["rate_limited"]
    result["peak_in_flight"] = stats["peak_in_flight"]
    return result


def _fmt(value: Any, spec: str) -> str:
    width = int(re.match(r"\d*", spec).group() or 0)
    return "-".rjust(width) if value is None else format(value, spec)


def report(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    pages = -(-args.n // 100)
    bound = pages / args.rate if args.rate else None
    expected = expected_digest(args.n, args.seed, args.shape)
    limiter = f"{args.limiter} limiter" if args.rate else "no limit"
    print(f"\nN={args.n} customers ({args.shape}), latency {args.latency * 1000:.0f} ms, rate limit "
          f"{args.rate or 'off'} req/s ({limiter}), seed {args.seed}")
    if bound is not None:
        print(f"rate-limit bound: N/100/rate = {bound:.2f} s;  sequential latency floor: "
              f"{pages} pages x {args.latency:.2f} s = {pages * args.latency:.2f} s")
    header = (f"{'variant':<34}{'wall s':>8}{'reqs':>6}{'429s':>6}{'conc':>5}{'rows':>8}"
              f"{'peakRSS MB':>11}{'growth MB':>10}{'frame MB':>9}{'order':>7}")
    print(header)
    print("-" * len(header))
    for r in results:
        growth = (r["peak_rss"] - r["baseline_rss"]) / MB if "baseline_rss" in r else None
        peak = r["peak_rss"] / MB if "peak_rss" in r else None
        frame = r["frame_bytes"] / MB if "frame_bytes" in r else None
        print(f"{r['variant'] + ' ' + VARIANTS[r['variant']]:<34}{_fmt(r.get('wall'), '8.2f')}"
              f"{r['requests']:>6}{r['rate_limited']:>6}{r['peak_in_flight']:>5}{_fmt(r.get('rows'), '8d')}"
              f"{_fmt(peak, '11.1f')}{_fmt(growth, '10.1f')}{_fmt(frame, '9.1f')}"
              f"{('same' if r.get('ids_digest') == expected else 'DIFF') if 'ids_digest' in r else '-':>7}")
        if r.get("error"):
            print(f"    ! {r['error']}")
    by = {r["variant"]: r for r in results if r.get("wall") is not None and not r.get("error")}
    if "a" in by and "b" in by:
        print(f"(b)/(a) wall: {by['b']['wall'] / by['a']['wall']:.2f}x")
    if "a" in by and "c" in by:
        print(f"(c)/(a) wall: {by['c']['wall'] / by['a']['wall']:.2f}x")
    if "a" in by and bound:
        print(f"(a)/bound:    {by['a']['wall'] / bound:.2f}x")
    if "a" in by:
        a = by["a"]
        print(f"(a) requests/pages: {a['requests']}/{pages} = {a['requests'] / pages:.3f};  "
              f"429s/requests: {a['rate_limited'] / max(1, a['requests']):.2%}")
        if "frame_bytes" in a:
            growth, frame = (a["peak_rss"] - a["baseline_rss"]) / MB, a["frame_bytes"] / MB
            print(f"(a) RSS growth {growth:.1f} MB vs 2 x frame + 50 = {2 * frame + 50:.1f} MB")
    for key in ("b", "c"):
        if key in by and bound:
            print(f"({key})/bound:    {by[key]['wall'] / bound:.2f}x")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--latency", type=float, default=0.25, help="simulated seconds per request")
    parser.add_argument("--rate", type=float, default=25.0, help="simulated rate limit, req/s (0 = off)")
    parser.add_argument("--limiter", choices=LIMITERS, default="window",
                        help="the simulator's rate-limit model: sliding one-second window, or token bucket")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shape", choices=SHAPES, default="uniform",
                        help="how `created` is spread: uniform, growth (denser toward now), import (a bulk day)")
    parser.add_argument("--only", default="a,b,c", help="comma-separated subset of a,b,c")
    parser.add_argument("--should-retry-429", action="store_true",
                        help="simulator adds Stripe-Should-Retry: true to 429s")
    parser.add_argument("--timeout", type=float, default=600.0, help="per-variant child timeout, s")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.url)), flush=True)
        return
    variants = [v.strip() for v in args.only.split(",") if v.strip()]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant(s) {unknown}; choose from a,b,c")
    results = []
    for variant in variants:
        print(f"running ({variant}) {VARIANTS[variant]} ...", file=sys.stderr, flush=True)
        results.append(measure(variant, args))
    report(results, args)


if __name__ == "__main__":
    main()
