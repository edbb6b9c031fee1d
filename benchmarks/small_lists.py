"""Small lists: requests and wall time of ``list_customers()`` for lists of a few pages (issue 26).

For each list size and ``created`` shape, a fresh list simulator (``benchmarks/list_simulator.py``; 250 ms a
request, 25 req/s) serves N customers; ``paragon_magic.connect(...).list_customers()`` lists them all (the
partitioned walk: no limit) and the script prints the requests the server counted against the pages a
sequential cursor walk needs (``ceil(N / 100)``), the wall time, and the sequential floor (pages x latency).
Target: requests <= pages + 1 for lists of up to 10 pages. ``--small-pages K`` lists with
``PartitionTuning(small_pages=K)`` instead of the default (0: no confinement, see README round 6).

Usage: ``python -m benchmarks.small_lists [--sizes 250,500,800,1000,1500,2000] [--shapes uniform,growth,import]
[--small-pages K]``
"""

from __future__ import annotations

import argparse
import math
import time

from benchmarks.list_simulator import ListSimulator

API_KEY = "sk_test_benchmark0000000000000000"


def measure(n: int, shape: str, latency: float, seed: int,
            small_pages: float | None = None) -> tuple[int, int, float, bool]:
    """(requests the server saw for the listing, pages, wall seconds, rows in the simulator's order)."""
    import paragon_magic
    from paragon_magic.listing.partitioned import PartitionTuning, list_partitioned

    simulator = ListSimulator(n=n, shape=shape, latency=latency, seed=seed).start()
    try:
        session = paragon_magic.connect(API_KEY, base_url=simulator.url, save=False)
        before = simulator.stats()["requests"]
        started = time.perf_counter()
        if small_pages is None:
            frame = session.run("list_customers", progress=False)
        else:
            frame, _ = list_partitioned(session.client, "/v1/customers", {}, object_type="customer", limit=None,
                                        progress=False, tuning=PartitionTuning(small_pages=small_pages))
        wall = time.perf_counter() - started
        requests = simulator.stats()["requests"] - before
        ordered = frame["id"].is_unique and len(frame) == n
        session.close()
        return requests, math.ceil(n / 100), wall, ordered
    finally:
        simulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="250,500,800,1000,1500,2000")
    parser.add_argument("--shapes", default="uniform,growth,import")
    parser.add_argument("--latency", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--small-pages", type=float, default=None)
    args = parser.parse_args()
    print(f"{'N':>6} {'shape':8} {'pages':>5} {'reqs':>5} {'reqs-pages':>10} {'wall s':>7} {'seq floor s':>11}  rows")
    for shape in args.shapes.split(","):
        for n in (int(size) for size in args.sizes.split(",")):
            requests, pages, wall, ok = measure(n, shape, args.latency, args.seed, args.small_pages)
            print(f"{n:>6} {shape:8} {pages:>5} {requests:>5} {requests - pages:>+10} {wall:>7.2f} "
                  f"{pages * args.latency:>11.2f}  {'all' if ok else 'MISSING'}")


if __name__ == "__main__":
    main()
