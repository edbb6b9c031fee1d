"""``%stripe mrr``, ``mrr-history``, ``mrr-changes``, ``churn``, ``cohorts``, ``trials``: thin over the Session's
metric methods. Parsing is pure (:func:`parse_metric`); results are frames in minor units (``.stripe.to_major()``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..errors import UsageError
from .context import MagicContext

__all__ = ["METRIC_COMMANDS", "METRIC_USAGE", "parse_metric", "MetricCall"]

METRIC_USAGE = """\
%stripe mrr [--at DATE] [--by currency|product|price|customer|subscription] [--to usd --rates R] [-o NAME]
%stripe mrr-history [--months N] [--at DATE] [--to usd --rates R] [--plot] [-o NAME]   (roll-forward)
%stripe mrr-changes [--months N] [-o NAME]      each customer's new/upgrade/downgrade/reactivation/churn
%stripe churn [--at DATE] [--days 30] [-o NAME] subscriber churn rate, MRR churned, (in)voluntary
%stripe cohorts [--months N] [--plot] [-o NAME] signup-month retention; %stripe trials [-o NAME]
  R: a variable (mapping, rates frame or balance transactions) or eur=1.08,gbp=1.27 (1 EUR = 1.08 USD)"""

#: command -> {flag: takes a value}
_FLAGS: dict[str, dict[str, bool]] = {
    "mrr": {"at": True, "by": True, "to": True, "rates": True, "out": True},
    "mrr-history": {"months": True, "at": True, "to": True, "rates": True, "plot": False, "out": True},
    "mrr-changes": {"months": True, "at": True, "out": True},
    "churn": {"at": True, "days": True, "out": True},
    "cohorts": {"months": True, "at": True, "plot": False, "out": True},
    "trials": {"at": True, "out": True},
}
_WHOLE = {"months", "days"}
_PAIR = re.compile(r"^\s*([A-Za-z]{3})\s*=\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*$")


@dataclass(frozen=True)
class MetricCall:
    command: str
    options: dict[str, Any] = field(default_factory=dict)
    out: str | None = None
    plot: bool = False


def parse_metric(command: str, text: str, lookup: Callable[[str], Any] | None = None) -> MetricCall:
    """``--at 2026-03 --by product -o m`` -> the method's keyword arguments (nothing is fetched)."""
    from .commands import parse_words

    words = re.sub(r"(^|\s)-o(?=\s|=|$)", r"\1--out", text)
    _, values = parse_words(words, command, _FLAGS[command])
    out = values.pop("out", None)
    if out is not None and not str(out).isidentifier():
        raise UsageError(f"{command}: -o takes a variable name; got {out!r}")
    plot = bool(values.pop("plot", False))
    for name in _WHOLE & set(values):
        text_value = str(values[name])
        if not text_value.isdigit() or int(text_value) < 1:
            raise UsageError(f"{command}: --{name} takes a positive whole number; got {text_value!r}")
        values[name] = int(text_value)
    if "rates" in values:
        values["rates"] = _rates(command, str(values["rates"]), lookup)
        if "to" not in values:
            raise UsageError(f"{command}: --rates converts into the currency of --to; add --to usd")
    if "to" in values and not re.fullmatch(r"[A-Za-z]{3}", str(values["to"])):
        raise UsageError(f"{command}: --to takes a three-letter currency code; got {values['to']!r}")
    return MetricCall(command, values, out, plot)


def _rates(command: str, text: str, lookup: Callable[[str], Any] | None) -> Any:
    if text.isidentifier() and lookup is not None:
        found = lookup(text)
        if found is not None:
            return found
    pairs = [_PAIR.match(part) for part in text.split(",")]
    if all(pairs):
        return {m.group(1).lower(): float(m.group(2)) for m in pairs if m}
    raise UsageError(f"{command}: --rates takes a variable holding rates or pairs like eur=1.08,gbp=1.27; "
                     f"got {text!r}")


def _run(ctx: MagicContext, command: str, args: str) -> Any:
    call = parse_metric(command, args, lambda name: ctx.shell.user_ns.get(name))
    session = ctx.require_session()
    method = {"mrr": session.mrr, "mrr-history": session.mrr_history, "mrr-changes": session.change_log,
              "churn": session.churn, "cohorts": session.cohorts, "trials": session.trial_conversion}[command]
    frame: pd.DataFrame = method(**call.options)
    if call.out:
        ctx.shell.user_ns[call.out] = frame
    if call.plot:  # one chart per currency
        for currency in pd.unique(frame["currency"].astype(object)):
            frame.plot(currency=currency)
    return frame


METRIC_COMMANDS: dict[str, Callable[[MagicContext, str], Any]] = {
    name: (lambda ctx, args, _name=name: _run(ctx, _name, args)) for name in _FLAGS
}
