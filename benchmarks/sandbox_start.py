"""How long the sandbox takes to come up, as a user meets it (issue 23's targets).

- empty start: ``LocalStripe().start()`` until it answers (target ≤ 1 s);
- seeded start: ``python -m paragon_magic.sandbox --seed`` until it prints its URL (target ≤ 5 s);
- ``%stripe connect --sandbox``: ``paragon_magic.connect(sandbox=True)`` in a fresh interpreter, which
  starts and seeds the embedded sandbox, then checks the key (target ≤ 5 s).

Each is timed once per ``--runs`` in a fresh process; the script prints each time and its ratio to
the target. Run from the repository root: ``python -m benchmarks.sandbox_start [--runs 3]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

_EMPTY = """
import time
t = time.monotonic()
from paragon_magic.sandbox import LocalStripe
server = LocalStripe().start()
print(time.monotonic() - t, flush=True)
server.stop()
"""

_CONNECT = """
import time
t = time.monotonic()
import paragon_magic
session = paragon_magic.connect(sandbox=True)
print(time.monotonic() - t, flush=True)
"""


def _timed_script(code: str) -> float:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def _seeded_cli() -> float:
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "paragon_magic.sandbox", "--seed"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, stdin=subprocess.PIPE)  # fmt: skip
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("Local Stripe running at"):
                return time.monotonic() - started
        raise RuntimeError(f"the sandbox did not start: {proc.stderr.read() if proc.stderr else ''}")
    finally:
        proc.terminate()
        proc.wait(30)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    cases = (("empty start", lambda: _timed_script(_EMPTY), 1.0),
             ("seeded start (CLI)", _seeded_cli, 5.0),
             ("connect --sandbox", lambda: _timed_script(_CONNECT), 5.0))  # fmt: skip
    for name, measure, target in cases:
        times = [measure() for _ in range(args.runs)]
        shown = ", ".join(f"{t:.2f} s ({t / target:.2f}x target)" for t in times)
        print(f"{name:20} target {target:.0f} s: {shown}", flush=True)


if __name__ == "__main__":
    main()
