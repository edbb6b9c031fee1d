"""The pure parser of ``%stripe mrr``, ``mrr-history``, ``mrr-changes``, ``churn``, ``cohorts``, ``trials``."""

from __future__ import annotations

import pandas as pd
import pytest

from paragon_magic.errors import UsageError
from paragon_magic.magics.display import USAGE
from paragon_magic.magics.flags import SUBCOMMANDS
from paragon_magic.magics.metrics import METRIC_COMMANDS, MetricCall, parse_metric


def test_every_metric_command_is_a_subcommand_and_in_the_help() -> None:
    for name in METRIC_COMMANDS:
        assert name in SUBCOMMANDS
        assert f"%stripe {name}" in USAGE
    assert "net_revenue(txns)" in USAGE and 'groupby("currency")[["amount", "fee", "net"]]' not in USAGE


@pytest.mark.parametrize("command, line, expected", [
    ("mrr", "", MetricCall("mrr")),
    ("mrr", "--at 2026-03-01 --by product -o m", MetricCall("mrr", {"at": "2026-03-01", "by": "product"}, "m")),
    ("mrr", "-o=m --by=customer", MetricCall("mrr", {"by": "customer"}, "m")),
    ("mrr-history", "--months 12 --plot", MetricCall("mrr-history", {"months": 12}, None, True)),
    ("mrr-history", "--to usd --rates eur=1.08,GBP=1.27",
     MetricCall("mrr-history", {"to": "usd", "rates": {"eur": 1.08, "gbp": 1.27}})),
    ("churn", "--days 7 --at last-month", MetricCall("churn", {"days": 7, "at": "last-month"})),
    ("cohorts", "--months 6 --plot -o c", MetricCall("cohorts", {"months": 6}, "c", True)),
    ("mrr-changes", "--months 3", MetricCall("mrr-changes", {"months": 3})),
    ("trials", "--at 2026-06-01", MetricCall("trials", {"at": "2026-06-01"})),
])
def test_parse(command: str, line: str, expected: MetricCall) -> None:
    assert parse_metric(command, line) == expected


def test_rates_from_a_variable() -> None:
    frame = pd.DataFrame({"currency": ["eur"], "rate": [1.1]})
    call = parse_metric("mrr", "--to usd --rates fx", {"fx": frame}.get)
    assert call.options["rates"] is frame


@pytest.mark.parametrize("command, line, message", [
    ("mrr", "--months 3", "mrr has no flag --months"),
    ("mrr-history", "--months -1", "--months takes a positive whole number"),
    ("churn", "--days soon", "--days takes a positive whole number"),
    ("mrr", "--rates eur=1.1", "--rates converts into the currency of --to; add --to usd"),
    ("mrr", "--to dollars", "--to takes a three-letter currency code"),
    ("mrr", "--to usd --rates nothing_here", "--rates takes a variable holding rates or pairs"),
    ("mrr", "-o 2x", "-o takes a variable name"),
    ("mrr", "--at", "--at needs a value"),
    ("cohorts", "extra", "unexpected argument 'extra'"),
])
def test_bad_lines_are_one_line_errors(command: str, line: str, message: str) -> None:
    with pytest.raises(UsageError, match=message) as raised:
        parse_metric(command, line, {}.get)
    assert "\n" not in str(raised.value)


def test_the_metrics_package_is_reachable_from_the_top() -> None:
    import paragon_magic
    from paragon_magic.metrics import mrr

    assert paragon_magic.metrics.mrr is mrr and "metrics" in paragon_magic.__all__
