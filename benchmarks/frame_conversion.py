"""Customer objects → typed DataFrame: paragon_magic.frames vs pandas.json_normalize (+ the fixes).

Variants, each in a fresh child process that first generates the same seeded objects
(``benchmarks.customers.make_customers``), then takes its RSS baseline and converts:

  to_frame     ``paragon_magic.frames.to_frame(objects, "customer")``
  builder      ``paragon_magic.frames.FrameBuilder("customer")`` fed 100-object pages (as a list walk does)
  normalize    ``pd.json_normalize(objects)`` alone (untyped: epoch ints, float amounts where nulls occur)
  normalize+   ``pd.json_normalize`` plus what a user needs to reach the same typing: ``id`` first,
               timestamps → ``datetime64[ns, UTC]``, amounts → ``Int64``

Time is the best of ``--repeat`` runs; memory is peak RSS growth over the post-generation baseline
(``ru_maxrss``) and the frame's ``memory_usage(deep=True)``.

Usage: ``python -m benchmarks.frame_conversion [--n 100000] [--repeat 3] [--only to_frame,normalize+]``
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import resource
import subprocess
import sys
import time
from typing import Any, Callable

from benchmarks.list_simulator import REPO_ROOT

MB = 1024 * 1024
VARIANTS = ("to_frame", "builder", "normalize", "normalize+")
CUSTOMER_TIMESTAMPS = ("created", "discount.start", "discount.end")
CUSTOMER_AMOUNTS = ("balance",)


def _current_rss() -> int:
    import psutil

    return psutil.Process().memory_info().rss


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def normalize_with_fixes(objects: list[dict[str, Any]]) -> Any:
    """What a pandas user writes to get a typed customer frame from raw objects."""
    import pandas as pd

    frame = pd.json_normalize(objects)
    for column in CUSTOMER_TIMESTAMPS:
        if column in frame:
            frame[column] = pd.to_datetime(frame[column], unit="s", utc=True).astype("datetime64[ns, UTC]")
    for column in CUSTOMER_AMOUNTS:
        if column in frame:
            frame[column] = frame[column].astype("Int64")
    return frame[["id", *[c for c in frame.columns if c != "id"]]]


def _converter(variant: str) -> Callable[[list[dict[str, Any]]], Any]:
    import pandas as pd

    if variant == "normalize":
        return pd.json_normalize
    if variant == "normalize+":
        return normalize_with_fixes
    from paragon_magic import frames

    if variant == "to_frame":
        to_frame = frames.to_frame
        return lambda objects: to_frame(objects, "customer")

    builder_type = frames.FrameBuilder

    def build(objects: list[dict[str, Any]]) -> Any:
        builder = builder_type("customer")
        for start in range(0, len(objects), 100):
            builder.add_page(objects[start:start + 100])
        return builder.build()

    return build


def child(variant: str, n: int, seed: int, repeat: int) -> dict[str, Any]:
    """Generate the objects, then time and measure one converter in this fresh process."""
    from benchmarks.customers import make_customers

    result: dict[str, Any] = {"variant": variant}
    try:
        convert = _converter(variant)
    except Exception as exc:  # noqa: BLE001 - report, don't crash the table
        return {**result, "error": f"unavailable: {type(exc).__name__}: {exc}"}
    objects = make_customers(n, seed=seed)
    gc.collect()
    result["baseline_rss"], result["baseline_peak"] = _current_rss(), _peak_rss()
    times = []
    frame = None
    for _ in range(repeat):
        frame = None
        gc.collect()
        start = time.perf_counter()
        try:
            frame = convert(objects)
        except Exception as exc:  # noqa: BLE001
            return {**result, "error": f"{type(exc).__name__}: {str(exc)[:200]}"}
        times.append(time.perf_counter() - start)
    result["seconds"] = min(times)
    result["peak_rss"] = _peak_rss()
    result["rows"], result["columns"] = len(frame), len(frame.columns)
    result["frame_bytes"] = int(frame.memory_usage(deep=True).sum())
    result["dtypes"] = {c: str(frame[c].dtype) for c in ("id", *CUSTOMER_TIMESTAMPS, *CUSTOMER_AMOUNTS)
                        if c in frame}
    result["first_column"] = str(frame.columns[0])
    return result


def measure(variant: str, args: argparse.Namespace) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.frame_conversion", "--child", variant,
         "--n", str(args.n), "--seed", str(args.seed), "--repeat", str(args.repeat)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=args.timeout,
    )
    lines = proc.stdout.strip().splitlines()
    if proc.returncode or not lines:
        return {"variant": variant, "error": f"child exited {proc.returncode}: {proc.stderr.strip()[-300:]}"}
    return json.loads(lines[-1])


def _fmt(value: Any, spec: str) -> str:
    width = int(re.match(r"\d*", spec).group() or 0)
    return "-".rjust(width) if value is None else format(value, spec)


def report(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    print(f"\n{args.n} customer objects (seed {args.seed}), best of {args.repeat}")
    header = f"{'variant':<12}{'seconds':>9}{'RSS growth MB':>15}{'frame MB':>10}{'rows':>9}{'cols':>6}  dtypes"
    print(header)
    print("-" * (len(header) + 40))
    for r in results:
        growth = (r["peak_rss"] - r["baseline_rss"]) / MB if "peak_rss" in r else None
        frame = r["frame_bytes"] / MB if "frame_bytes" in r else None
        dtypes = ", ".join(f"{k}={v}" for k, v in r.get("dtypes", {}).items() if k != "id")
        print(f"{r['variant']:<12}{_fmt(r.get('seconds'), '9.2f')}{_fmt(growth, '15.1f')}{_fmt(frame, '10.1f')}"
              f"{_fmt(r.get('rows'), '9d')}{_fmt(r.get('columns'), '6d')}  {dtypes}")
        if r.get("error"):
            print(f"    ! {r['error']}")
        elif r["peak_rss"] <= r["baseline_peak"]:
            print("    ! peak RSS did not exceed the pre-run peak; growth is a lower bound")
    by = {r["variant"]: r for r in results if not r.get("error")}
    for ours in ("to_frame", "builder"):
        for theirs in ("normalize+", "normalize"):
            if ours in by and theirs in by:
                a, b = by[ours], by[theirs]
                mem = (a["peak_rss"] - a["baseline_rss"]) / max(1, b["peak_rss"] - b["baseline_rss"])
                print(f"{ours}/{theirs}: time {a['seconds'] / b['seconds']:.2f}x, RSS growth {mem:.2f}x, "
                      f"frame {a['frame_bytes'] / b['frame_bytes']:.2f}x")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default=",".join(VARIANTS), help=f"subset of {','.join(VARIANTS)}")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.n, args.seed, args.repeat)), flush=True)
        return
    variants = [v.strip() for v in args.only.split(",") if v.strip()]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant(s) {unknown}; choose from {','.join(VARIANTS)}")
    results = []
    for variant in variants:
        print(f"running {variant} ...", file=sys.stderr, flush=True)
        results.append(measure(variant, args))
    report(results, args)


if __name__ == "__main__":
    main()
