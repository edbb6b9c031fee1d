"""Docs that say what the code does: ``complete`` and ``--limit``, ``--expand`` examples per action."""

from __future__ import annotations

import re

import pytest

from paragon_magic import stripe_model
from paragon_magic.accessor import StripeAccessor
from paragon_magic.catalog import ACTIONS
from paragon_magic.catalog.help import describe
from paragon_magic.session import Session


def test_a_limit_that_cuts_the_list_is_complete_as_documented(session: Session) -> None:
    for name in ("A", "B", "C"):
        session.create_customer(name=name)
    cut = session.list_customers(limit=2)
    assert len(cut) == 2 and cut.stripe.complete is True and cut.attrs["complete"] is True
    doc = " ".join((StripeAccessor.complete.__doc__ or "").split())
    assert "A ``--limit`` that cut the list is what was asked for: True" in doc
    assert "(limit," not in doc  # it used to say a limit made it False


@pytest.mark.parametrize("name", sorted(n for n, a in ACTIONS.items() if a.kind != "request"))
def test_the_expand_example_is_a_field_the_object_can_expand(name: str) -> None:
    action = ACTIONS[name]
    shown = re.findall(r"e\.g\. --expand (\S+)", describe(action))
    expandable = {p for p, kind in stripe_model.fields(action.object_type).items() if kind == "expandable"}
    assert len(shown) <= 1 and set(shown) <= expandable, (name, shown)
    assert bool(shown) == bool({p for p in expandable if "[]" not in p})
    if "customer" not in expandable:
        assert "--expand customer" not in describe(action)
