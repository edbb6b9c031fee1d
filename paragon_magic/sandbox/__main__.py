"""``python -m paragon_magic.sandbox [--port N] [--seed]``: run the local Stripe until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from ..errors import ParagonMagicError
from .server import SANDBOX_KEY, LocalStripe


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m paragon_magic.sandbox",
        description="Run the local Stripe sandbox (its own engine behind a Stripe-faithful front) on 127.0.0.1.",
        epilog=(f"Keys: the Stripe API here accepts only the sandbox's public demo key {SANDBOX_KEY} "
                "(and keys registered through the control plane by the process that started it); any "
                "other key is refused (401). The key being public, any local process can use the demo "
                "data it holds; nothing reaches Stripe. The control plane (/_sandbox/*) answers only "
                "this run's secret, which is never printed. See SECURITY.md."),
    )
    parser.add_argument("--port", type=int, default=0, help="front layer port (default: any free)")
    parser.add_argument("--seed", action="store_true", help="fill the store with demo data")
    args = parser.parse_args(argv)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        return _serve(args, stop)
    except ParagonMagicError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _serve(args: argparse.Namespace, stop: threading.Event) -> int:
    with LocalStripe(port=args.port) as server:
        if args.seed:
            print(server.seed(), flush=True)
        print(f"Local Stripe running at {server.url}", flush=True)
        print(f"API key: {server.key}", flush=True)
        print(f"Use it from Python or a notebook: export STRIPE_API_BASE={server.url} "
              f"STRIPE_API_KEY={server.key}", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        try:
            while not stop.wait(3600):
                pass
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
