"""Stripe objects → typed DataFrame: paragon_magic.frames vs pandas.json_normalize (+ the fixes).

Variants, each in a fresh child process that first generates the same seeded objects
(``--objects customers``: ``benchmarks.customers.make_customers``; ``--objects subscriptions``:
``make_subscriptions`` below, 1–3 items each), then takes its RSS baseline and converts:

  to_frame     ``paragon_magic.frames.to_frame(objects, type)`` (subscriptions: then
               ``df.stripe.explode("items.data")``, the items frame)
  builder      ``paragon_magic.frames.FrameBuilder(type)`` fed 100-object pages (as a list walk does)
  normalize    ``pd.json_normalize(objects)`` alone (untyped: epoch ints, float amounts where nulls occur;
               subscriptions: also ``json_normalize(objects, record_path=["items", "data"])``)
  normalize+   ``pd.json_normalize`` plus what a user needs to reach the same typing: ``id`` first,
               timestamps → ``datetime64[ns, UTC]``, amounts → ``Int64`` (on the items frame too)

Time is the best of ``--repeat`` runs; memory is peak RSS growth over the post-generation baseline
(``ru_maxrss``) and the frame's ``memory_usage(deep=True)``.

Usage: ``python -m benchmarks.frame_conversion [--objects customers|subscriptions] [--n 100000] [--repeat 3]
[--only to_frame,normalize+]``
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import random
import re
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

from benchmarks.list_simulator import REPO_ROOT

MB = 1024 * 1024
VARIANTS = ("to_frame", "builder", "normalize", "normalize+")
CUSTOMER_TIMESTAMPS = ("created", "discount.start", "discount.end")
CUSTOMER_AMOUNTS = ("balance",)
SUBSCRIPTION_TIMESTAMPS = ("created", "start_date", "billing_cycle_anchor", "cancel_at", "canceled_at", "ended_at",
                           "trial_start", "trial_end")
ITEM_TIMESTAMPS = ("created", "current_period_start", "current_period_end", "plan.created", "price.created")
ITEM_AMOUNTS = ("plan.amount", "price.unit_amount")
TYPES = {"customers": "customer", "subscriptions": "subscription"}
FIXTURES3 = Path(REPO_ROOT) / "tests" / "fixtures" / "stripe" / "fixtures3.json"  # Stripe's, MIT


def make_subscriptions(n: int, *, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` subscriptions from Stripe's example (fixtures3.json), each with 1–3 items whose prices, quantities
    and billing periods vary; some canceled, some trialing, sparse metadata."""
    rng = random.Random(seed)
    resources = json.loads(FIXTURES3.read_text())["resources"]
    base, item = resources["subscription"], resources["subscription"]["items"]["data"][0]
    out = []
    for index in range(n):
        sub = copy.deepcopy(base)
        created = 1_672_531_200 + rng.randrange(3 * 365 * 86_400)
        sub.update(id=f"sub_{index:014d}", customer=f"cus_{rng.randrange(n):014d}", created=created,
                   start_date=created, billing_cycle_anchor=created,
                   status=rng.choice(["active", "active", "active", "trialing", "canceled", "past_due"]),
                   metadata={"tier": rng.choice(["pro", "team"])} if rng.random() < 0.3 else {})
        if sub["status"] == "canceled":
            sub.update(canceled_at=created + 86_400 * rng.randrange(1, 400), ended_at=created + 86_400 * 400)
        if sub["status"] == "trialing":
            sub.update(trial_start=created, trial_end=created + 14 * 86_400)
        items = []
        for number in range(rng.choice([1, 1, 1, 2, 3])):
            element = copy.deepcopy(item)
            start = created + 30 * 86_400 * rng.randrange(0, 36)
            amount = rng.choice([900, 1900, 4900, 9900, None])
            element.update(id=f"si_{index:012d}{number:02d}", subscription=sub["id"], quantity=rng.randrange(1, 20),
                           created=created, current_period_start=start, current_period_end=start + 30 * 86_400)
            element["price"]["unit_amount"] = amount
            element["plan"]["amount"] = amount
            items.append(element)
        sub["items"] = {**sub["items"], "data": items, "total_count": len(items)}
        out.append(sub)
    return out


def _current_rss() -> int:
    import psutil

    return psutil.Process().memory_info().rss


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def _fix(frame: Any, timestamps: tuple[str, ...], amounts: tuple[str, ...]) -> Any:
    import pandas as pd

    for column in timestamps:
        if column in frame:
            frame[column] = pd.to_datetime(frame[column], unit="s", utc=True).astype("datetime64[ns, UTC]")
    for column in amounts:
        if column in frame:
            frame[column] = frame[column].astype("Int64")
    first = [c for c in ("parent_id", "id") if c in frame.columns]
    return frame[[*first, *[c for c in frame.columns if c not in first]]]


def normalize_with_fixes(objects: list[dict[str, Any]]) -> Any:
    """What a pandas user writes to get a typed customer frame from raw objects."""
    import pandas as pd

    return _fix(pd.json_normalize(objects), CUSTOMER_TIMESTAMPS, CUSTOMER_AMOUNTS)


def normalize_subscriptions(objects: list[dict[str, Any]], fixes: bool) -> tuple[Any, Any]:
    """Subscriptions and their items as two frames with json_normalize (and, with ``fixes``, typed)."""
    import pandas as pd

    subs = pd.json_normalize(objects)
    items = pd.json_normalize(objects, record_path=["items", "data"], meta=["id"], meta_prefix="parent_")
    if not fixes:
        return subs, items
    return _fix(subs, SUBSCRIPTION_TIMESTAMPS, ()), _fix(items, ITEM_TIMESTAMPS, ITEM_AMOUNTS)


def _converter(variant: str, objects: str = "customers") -> Callable[[list[dict[str, Any]]], Any]:
    import pandas as pd

    if objects == "subscriptions" and variant.startswith("normalize"):
        fixes = variant == "normalize+"
        return lambda objs: normalize_subscriptions(objs, fixes)
    if variant == "normalize":
        return pd.json_normalize
    if variant == "normalize+":
        return normalize_with_fixes
    from paragon_magic import frames

    object_type = TYPES[objects]
    finish: Callable[[Any], Any] = (lambda df: (df, df.stripe.explode("items.data"))) \
        if objects == "subscriptions" else (lambda df: df)
    if variant == "to_frame":
        to_frame = frames.to_frame
        return lambda objs: finish(to_frame(objs, object_type))

    builder_type = frames.FrameBuilder

    def build(objs: list[dict[str, Any]]) -> Any:
        builder = builder_type(object_type)
        for start in range(0, len(objs), 100):
            builder.add_page(objs[start:start + 100])
        return finish(builder.build())

    return build


def child(variant: str, n: int, seed: int, repeat: int, kind: str = "customers") -> dict[str, Any]:
    """Generate the objects, then time and measure one converter in this fresh process."""
    from benchmarks.customers import make_customers

    result: dict[str, Any] = {"variant": variant}
    try:
        convert = _converter(variant, kind)
    except Exception as exc:  # noqa: BLE001 - report, don't crash the table
        return {**result, "error": f"unavailable: {type(exc).__name__}: {exc}"}
    objects = make_customers(n, seed=seed) if kind == "customers" else make_subscriptions(n, seed=seed)
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
    items = None
    if isinstance(frame, tuple):
        frame, items = frame
    result["rows"], result["columns"] = len(frame), len(frame.columns)
    result["frame_bytes"] = int(frame.memory_usage(deep=True).sum())
    watched = ("id", *CUSTOMER_TIMESTAMPS, *CUSTOMER_AMOUNTS) if kind == "customers" else ("id", "created")
    result["dtypes"] = {c: str(frame[c].dtype) for c in watched if c in frame}
    if items is not None:
        result["item_rows"], result["item_columns"] = len(items), len(items.columns)
        result["frame_bytes"] += int(items.memory_usage(deep=True).sum())
        result["dtypes"].update({f"items:{c}": str(items[c].dtype) for c in ("current_period_end", "price.unit_amount")
                                 if c in items})
    result["first_column"] = str(frame.columns[0])
    return result


def measure(variant: str, args: argparse.Namespace) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.frame_conversion", "--child", variant, "--objects", args.objects,
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
    print(f"\n{args.n} {args.objects} (seed {args.seed}), best of {args.repeat}"
          + ("; frame MB and dtypes include the items frame" if args.objects == "subscriptions" else ""))
    header = f"{'variant':<12}{'seconds':>9}{'RSS growth MB':>15}{'frame MB':>10}{'rows':>9}{'cols':>6}  dtypes"
    print(header)
    print("-" * (len(header) + 40))
    for r in results:
        growth = (r["peak_rss"] - r["baseline_rss"]) / MB if "peak_rss" in r else None
        frame = r["frame_bytes"] / MB if "frame_bytes" in r else None
        dtypes = ", ".join(f"{k}={v}" for k, v in r.get("dtypes", {}).items() if k != "id")
        items = f" + {r['item_rows']} items x {r['item_columns']}" if "item_rows" in r else ""
        print(f"{r['variant']:<12}{_fmt(r.get('seconds'), '9.2f')}{_fmt(growth, '15.1f')}{_fmt(frame, '10.1f')}"
              f"{_fmt(r.get('rows'), '9d')}{_fmt(r.get('columns'), '6d')}  {dtypes}{items}")
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
    parser.add_argument("--objects", choices=sorted(TYPES), default="customers")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default=",".join(VARIANTS), help=f"subset of {','.join(VARIANTS)}")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.n, args.seed, args.repeat, args.objects)), flush=True)
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
