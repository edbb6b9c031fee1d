"""The metrics on the sandbox's seeded business (18 months of signups, trials, prorated plan changes,
voluntary cancellations, failing cards and dunning), read over real HTTP by a Session, checked against the
seed's own report and against values computed here from the raw API JSON (:mod:`metrics_raw`).

The sandbox clock is frozen at ``NOW`` and answers by it (its ``Date`` header), so the frames are stamped
``NOW`` and a metric asked without ``at`` is "now" on the sandbox (checked once, below); the other tests
ask ``at=NOW`` (past months are then read from the invoice lines, as for any month before the current one).
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest

from metrics_raw import mrr_at, mrr_now, paying_from, per_currency, raw_business
from paragon_magic import metrics
from paragon_magic.connection import connect
from paragon_magic.sandbox import LocalStripe
from paragon_magic.sandbox.seed import DAY, SeedReport
from paragon_magic.session import Session

pytestmark = pytest.mark.slow

NOW = 1_768_480_000  # 2026-01-15T12:26:40Z: a fixed "today", mid-month
AT = pd.Timestamp(NOW, unit="s", tz="UTC")


@pytest.fixture(scope="module")
def seeded() -> Iterator[tuple[SeedReport, dict[str, Any], Session]]:
    with LocalStripe() as server:
        server.settings(event_retention_days=None)  # the items' history is read back from every event
        report = server.seed(now=NOW)
        session = connect(server.key, base_url=server.url, save=False, store=None)
        session.config.progress = False
        yield report, raw_business(server.url, server.key), session


@pytest.fixture(scope="module")
def frames(seeded: tuple[SeedReport, dict[str, Any], Session]) -> dict[str, pd.DataFrame]:
    return seeded[2].metric_frames(history=True)


def _run(function: Any, frames: dict[str, pd.DataFrame], **kwargs: Any) -> Any:
    rest = dict(frames)
    return function(rest.pop("subscriptions"), at=AT, **rest, **kwargs)


def _month(epoch: int) -> pd.Period:
    return pd.Timestamp(epoch, unit="s").to_period("M")


def _month_ends(first: pd.Period) -> list[tuple[pd.Period, int]]:
    """(month, its last second) from ``first`` to NOW's month, whose instant is NOW."""
    out = []
    for month in pd.period_range(first, _month(NOW), freq="M"):
        end = calendar.timegm((month + 1).to_timestamp().timetuple()) - 1
        out.append((month, min(end, NOW)))
    return out


def test_mrr_at_now_equals_the_glossary_on_raw_json(seeded: Any, frames: dict[str, pd.DataFrame]) -> None:
    _, raw, session = seeded
    expected = mrr_now(raw)
    assert set(per_currency(expected)) == {"usd", "eur", "gbp", "jpy"}
    dunning = [s for s in raw["subscriptions"] if s["status"] == "past_due"]
    assert dunning and all((s["customer"], s["currency"]) in expected for s in dunning)  # past_due counts
    from_lines = _run(metrics.mrr, frames, by="customer")
    assert {(r.customer, r.currency): int(r.mrr) for r in from_lines.itertuples()} == expected
    live = metrics.mrr(frames["subscriptions"], at=AT, coupons=frames["coupons"], customers=frames["customers"])
    assert live.set_index("currency")["mrr"].astype(int).to_dict() == per_currency(expected)
    assert session.mrr(at=AT).set_index("currency")["mrr"].astype(int).to_dict() == per_currency(expected)


def test_every_month_of_the_history_equals_the_subscriptions_replayed_from_raw_json(
        seeded: Any, frames: dict[str, pd.DataFrame]) -> None:
    _, raw, _ = seeded
    history = _run(metrics.mrr_history, frames)
    moved = (history["starting_mrr"] + history["new"] + history["expansion"] + history["reactivation"]
             - history["contraction"] - history["churned"])
    assert (moved == history["mrr"]).all()  # the roll-forward, every month and currency
    previous = history.groupby("currency")["mrr"].shift(1).fillna(0).astype(int)
    assert (history["starting_mrr"].astype(int) == previous).all()
    got = {(r.month, r.currency): (int(r.mrr), int(r.subscribers)) for r in history.itertuples()}
    for month, instant in _month_ends(history["month"].min()):
        values = mrr_at(raw, instant)
        for currency, total in per_currency(values).items():
            subscribers = sum(1 for _, c in values if c == currency)
            assert got.pop((month, currency)) == (total, subscribers), (month, currency)
    assert all(value == (0, 0) for value in got.values())  # months a currency had no subscriber yet


def _changes(raw: dict[str, Any]) -> Counter[tuple[str, str, pd.Period]]:
    """(type, customer, month) of every price change, read from the subscription events' items."""
    found: Counter[tuple[str, str, pd.Period]] = Counter()
    for event in raw["events"]:
        before = (event["data"].get("previous_attributes") or {}).get("items")
        if event["type"] != "customer.subscription.updated" or not before:
            continue
        old = before["data"][0]["price"]["unit_amount"]
        new = event["data"]["object"]["items"]["data"][0]["price"]["unit_amount"]
        if old != new:
            kind = "upgrade" if new > old else "downgrade"
            found[(kind, event["data"]["object"]["customer"], _month(event["created"]))] += 1
    return found


def test_the_change_log_holds_the_seeds_plan_changes_and_cancellations(
        seeded: Any, frames: dict[str, pd.DataFrame]) -> None:
    """The correspondence with the seed's report (one subscription per customer in the seed):

    * ``upgrade``/``downgrade`` rows: one per ``report.upgrades``/``report.downgrades`` (each a prorated
      price change, seen in a ``customer.subscription.updated`` event), in the customer and month it happened.
    * ``churn`` rows: ``report.canceled`` (voluntary: canceled now or at the period end) less the trials
      canceled before they ended (never paid: no MRR to lose) and the period-end cancellations still
      pending at NOW, plus the failing cards whose dunning ended in a ``payment_failed`` cancellation
      (``report.failing_cards`` less those still retrying at NOW).
    * ``new`` rows: every subscription that got past its trial.
    """
    report, raw, _ = seeded
    log = _run(metrics.change_log, frames)
    counts = log["type"].value_counts().to_dict()
    assert (counts.get("upgrade", 0), counts.get("downgrade", 0)) == (report.upgrades, report.downgrades)
    assert report.upgrades > 0 and report.downgrades > 0
    changed = Counter((r.type, r.customer, r.month) for r in log.itertuples() if r.type in ("upgrade", "downgrade"))
    assert changed == _changes(raw)

    subs = raw["subscriptions"]
    in_trial = [s for s in subs if s["trial_end"] and s["ended_at"] is not None and s["ended_at"] <= s["trial_end"]]
    pending = [s for s in subs if s["status"] != "canceled" and s["cancel_at_period_end"]]
    dunning = [s for s in subs if s["status"] == "canceled" and s["cancellation_details"]["reason"] == "payment_failed"]
    still_retrying = [s for s in subs if s["status"] in ("past_due", "unpaid")]
    assert len(dunning) + len(still_retrying) == report.failing_cards > 0
    assert all(s["cancellation_details"]["reason"] == "cancellation_requested" for s in in_trial)
    assert counts["churn"] == report.canceled - len(in_trial) - len(pending) + len(dunning)
    ended = Counter(("churn", s["customer"], _month(s["ended_at"])) for s in subs
                    if s["status"] == "canceled" and s not in in_trial)
    assert Counter((r.type, r.customer, r.month) for r in log.itertuples() if r.type == "churn") == ended
    started = Counter(("new", s["customer"], _month(paying_from(s))) for s in subs if s not in in_trial)
    assert Counter((r.type, r.customer, r.month) for r in log.itertuples() if r.type == "new") == started
    assert "reactivation" not in counts  # the seed never brings a customer back
    dated = log.dropna(subset=["date"])
    assert len(dated) == len(log) and (dated["date"].dt.tz_localize(None).dt.to_period("M") == dated["month"]).all()


def test_involuntary_churn_is_the_dunning_cancellations(seeded: Any, frames: dict[str, pd.DataFrame]) -> None:
    _, raw, session = seeded
    whole = session.churn(at=AT, days=600)  # every day of the seeded history
    subs = raw["subscriptions"]
    paid = [s for s in subs if s["status"] == "canceled" and s["ended_at"] > paying_from(s)]
    reasons = Counter(s["cancellation_details"]["reason"] for s in paid)
    assert int(whole["involuntary_churned"].sum()) == reasons["payment_failed"] > 0
    assert int(whole["voluntary_churned"].sum()) == reasons["cancellation_requested"] > 0
    assert int(whole["other_churned"].sum()) == 0
    assert int(whole["churned_subscribers"].sum()) == len(paid)
    assert (whole["churned_mrr"] == whole["voluntary_mrr"] + whole["involuntary_mrr"]).all()
    # the last 30 days by Stripe's definition: churned ÷ (subscribers 30 days ago + new since)
    month = session.churn(at=AT).set_index("currency")
    before, after = mrr_at(raw, NOW - 30 * DAY), mrr_at(raw, NOW)
    new = {(s["customer"], s["currency"]) for s in subs if NOW - 30 * DAY < paying_from(s) <= NOW
           and s["ended_at"] != paying_from(s)} - set(before)  # fmt: skip
    for currency in month.index:
        base = {k for k in set(before) | new if k[1] == currency}
        gone = {k for k in base if k not in after}
        row = month.loc[currency]
        assert (int(row["subscribers_at_start"]), int(row["churned_subscribers"])) == (
            sum(1 for k in before if k[1] == currency), len(gone))
        assert row["subscriber_churn_rate"] == pytest.approx(len(gone) / len(base))


def test_cohorts_and_trial_conversion(seeded: Any, frames: dict[str, pd.DataFrame]) -> None:
    _, raw, session = seeded
    subs = raw["subscriptions"]
    table = _run(metrics.cohorts, frames)
    paying = [s for s in subs if s["ended_at"] is None or s["ended_at"] > paying_from(s)]
    sizes = Counter((_month(paying_from(s)), s["currency"]) for s in paying)
    first = table[table["months_since"] == 0]
    assert {(r.cohort, r.currency): int(r.cohort_size) for r in first.itertuples()} == dict(sizes)
    assert (table["subscribers"] <= table["cohort_size"]).all()
    assert ((table["retention"] >= 0) & (table["retention"] <= 1)).all() and (first["retention"] == 1).all()
    still = Counter((_month(paying_from(s)), s["currency"]) for s in paying if s["status"] in ("active", "past_due"))
    last = table.loc[table.groupby(["cohort", "currency"])["months_since"].idxmax()]
    assert {(r.cohort, r.currency): int(r.subscribers) for r in last.itertuples() if r.subscribers} == dict(still)
    assert (table.groupby(["cohort", "currency"])["subscribers"].diff().fillna(0) <= 0).all()  # nobody comes back

    trials = session.trial_conversion(at=AT)
    ended = [s for s in subs if s["trial_end"] is not None and s["trial_end"] <= NOW]
    converted = [s for s in ended if s["ended_at"] is None or s["ended_at"] > s["trial_end"]]
    assert int(trials["trials_ended"].sum()) == len(ended) > 0
    assert int(trials["converted"].sum()) == len(converted) > 0
    by_month = Counter(_month(s["trial_end"]) for s in converted)
    assert {r.month: int(r.converted) for r in trials.itertuples() if r.converted} == dict(by_month)
    rate = len(converted) / len(ended)
    assert 0 < rate < 1 and trials["converted"].sum() / trials["trials_ended"].sum() == pytest.approx(rate)


def test_the_magics_read_the_same_numbers(seeded: Any, frames: dict[str, pd.DataFrame]) -> None:
    from paragon_magic.magics.metrics import parse_metric

    call = parse_metric("mrr-history", f"--at {datetime.fromtimestamp(NOW, UTC):%Y-%m-%dT%H:%M:%S} --months 3")
    history = seeded[2].mrr_history(**call.options)
    assert sorted(history["month"].astype(str).unique()) == ["2025-11", "2025-12", "2026-01"]
    last = history[history["month"] == history["month"].max()].set_index("currency")["mrr"].astype(int).to_dict()
    assert last == per_currency(mrr_now(seeded[1]))


def test_without_at_the_metrics_take_the_sandboxs_now(seeded: Any, frames: dict[str, pd.DataFrame]) -> None:
    """The frames are stamped with the server's time (``Date``), not this machine's: on a sandbox frozen in
    the past, "now" is the sandbox's, so the history ends in NOW's month and MRR now is the seed's."""
    session = seeded[2]
    assert pd.Timestamp(frames["subscriptions"].attrs["stripe"]["fetched_at"]) == AT
    assert session.mrr().set_index("currency")["mrr"].astype(int).to_dict() == per_currency(mrr_now(seeded[1]))
    history = session.mrr_history(months=2)
    assert sorted(history["month"].astype(str).unique()) == ["2025-12", "2026-01"]
