"""Wide frames on screen: ``--columns`` keeps some columns, a compact view shows a wide frame (the frame keeps
every column), and ``-o NAME`` stores the frame without showing it. Real shell, real sandbox over HTTP."""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell

from paragon_magic.errors import UsageError
from paragon_magic.magics.parser import parse_line
from paragon_magic.session import Session
from shell_helpers import fails, ok


def _subscribe(session: Session) -> None:
    customer = session.create_customer(name="Wide", email="wide@example.com", payment_method="pm_card_visa",
                                       invoice_settings={"default_payment_method": "pm_card_visa"})
    product = session.create_product(name="Pro")
    session.client.request("POST", "/v1/plans", {"product": product.id[0], "amount": 900, "currency": "usd",
                                                 "interval": "month", "id": "pro_monthly"})
    session.create_subscription(customer=customer.id[0], items=[{"plan": "pro_monthly"}])


def test_columns_keeps_the_named_columns_in_order(ip: InteractiveShell, session: Session) -> None:
    session.create_customer(name="Ann", email="ann@example.com", metadata={"tier": "gold", "crm": "7"})
    frame, _ = ok(ip, "%stripe list_customers --columns email,id,metadata.*")
    assert list(frame.columns) == ["email", "id", "metadata.crm", "metadata.tier"]
    assert frame.loc[0, "email"] == "ann@example.com" and frame.attrs["stripe"]["action"] == "list_customers"
    frame, _ = ok(ip, "%stripe list_customers --columns {{ ['id', 'name'] }}")
    assert list(frame.columns) == ["id", "name"]


def test_columns_that_do_not_exist_say_the_nearest(ip: InteractiveShell, session: Session) -> None:
    session.create_customer(name="Ann")
    assert "no column 'emial'; did you mean 'email'?" in fails(ip, "%stripe list_customers --columns id,emial")
    assert "no column 'address'; did you mean 'address.city'" in fails(ip, "%stripe list_customers --columns address")
    with pytest.raises(UsageError, match="column names separated by commas"):
        parse_line("list_customers --columns id,,email", evaluate=lambda _: None)


def test_out_stores_the_frame_and_shows_nothing(ip: InteractiveShell, session: Session) -> None:
    session.create_customer(name="Quiet")
    result, shown = ok(ip, "%stripe list_customers -o quiet")
    assert result is None and shown == ""
    assert list(ip.user_ns["quiet"]["name"]) == ["Quiet"]
    result, _ = ok(ip, "%stripe list_customers --columns id -o ids")
    assert result is None and list(ip.user_ns["ids"].columns) == ["id"]


def test_a_wide_frame_shows_a_compact_view_and_keeps_every_column(ip: InteractiveShell, session: Session) -> None:
    _subscribe(session)
    subs, shown = ok(ip, "%stripe list_subscriptions --status all")
    assert len(subs.columns) > 100  # the frame keeps them all
    assert f"[1 rows x {len(subs.columns)} columns; 12 shown: df.columns lists all" in shown
    words = shown.split(":", 1)[1].split()  # "Out[n]: id customer ..." (wrapped to the terminal's width)
    header = [w for w in words if w in subs.columns]
    assert header[:4] == ["id", "customer", "status", "created"] and len(header) == 12 and "..." not in words
    html = ip.display_formatter.format(subs)[0]["text/html"]
    assert html.count("<th>") < 20 and "12 shown" in html
    ok(ip, "%config StripeMagic.display_columns = 0")
    assert "shown:" not in ok(ip, "%stripe list_subscriptions --status all")[1]
    narrow, shown = ok(ip, "%stripe list_subscriptions --status all --columns id,status")
    assert "shown" not in shown and list(narrow.columns) == ["id", "status"]
