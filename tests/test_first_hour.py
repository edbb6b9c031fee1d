"""The first hour of a new user: dates people type, forms on the current connection, `$var` hints,
completion and a discoverable Python API — through a real IPython shell or the Python API, over HTTP."""

from __future__ import annotations

import inspect
from datetime import datetime, timezone
from typing import Any

import ipywidgets as w
import pandas as pd
import pytest
from IPython.core.completer import provisionalcompleter
from IPython.core.interactiveshell import InteractiveShell

import paragon_magic
from paragon_magic import current
from paragon_magic.auth import CredentialStore
from paragon_magic.catalog import ACTIONS
from paragon_magic.dates import to_epoch_seconds, to_epoch_span
from paragon_magic.errors import UsageError
from paragon_magic.magics.context import MagicContext
from paragon_magic.session import Session, SessionConfig
from shell_helpers import fails, ok, requests_since

MAR_2026, APR_2026, FEB_2026 = 1772323200, 1775001600, 1769904000
NOW = datetime(2026, 3, 15, 10, 30, tzinfo=timezone.utc)


def clock() -> datetime:
    return NOW


# -- dates people type (pure) -------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "expected"), [
    ("2026-03", "2026-03-01T00:00:00"),
    ("2026-3", "2026-03-01T00:00:00"),
    ("last month", "2026-02-01T00:00:00"),
    ("last-month", "2026-02-01T00:00:00"),
    ("This-Month", "2026-03-01T00:00:00"),
    ("today", "2026-03-15T00:00:00"),
    ("yesterday", "2026-03-14T00:00:00"),
    ("now", "2026-03-15T10:30:00"),
    ("7d", "2026-03-08T10:30:00"),
    ("12h", "2026-03-14T22:30:00"),
    ("2w", "2026-03-01T10:30:00"),
    ("3 d ago", "2026-03-12T10:30:00"),
    ("2026-01-01", "2026-01-01T00:00:00"),
    ("2026-01-01T12:00:00Z", "2026-01-01T12:00:00"),
    ("2026-01-01T12:00:00+02:00", "2026-01-01T10:00:00"),
    ("1767225600", "2026-01-01T00:00:00"),
])
def test_points_in_time_people_type(typed: str, expected: str) -> None:
    seconds = to_epoch_seconds(typed, clock=clock)
    assert datetime.fromtimestamp(seconds, timezone.utc).isoformat() == expected + "+00:00"


def test_last_month_in_january_is_december_of_the_year_before() -> None:
    january = datetime(2026, 1, 20, tzinfo=timezone.utc)
    assert to_epoch_span("last-month", clock=lambda: january) == (
        int(datetime(2025, 12, 1, tzinfo=timezone.utc).timestamp()),
        int(datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp()),
    )


def test_spans_months_days_and_periods() -> None:
    assert to_epoch_span("2026-03") == (MAR_2026, APR_2026)
    assert to_epoch_span(pd.Period("2026-03")) == (MAR_2026, APR_2026)
    assert to_epoch_span(pd.Period("2026-03-05", freq="D")) == (MAR_2026 + 4 * 86400, MAR_2026 + 5 * 86400)
    assert to_epoch_span("2026-12") == (int(datetime(2026, 12, 1, tzinfo=timezone.utc).timestamp()),
                                        int(datetime(2027, 1, 1, tzinfo=timezone.utc).timestamp()))
    assert to_epoch_span("this-month", clock=clock) == (MAR_2026, APR_2026)
    assert to_epoch_span("today", clock=clock) == (MAR_2026 + 14 * 86400, MAR_2026 + 15 * 86400)
    assert to_epoch_seconds(pd.Period("2026-03")) == MAR_2026


@pytest.mark.parametrize("typed", ["2026-13", "next month", "soon", "7y", ""])
def test_bad_dates_say_what_is_accepted(typed: str) -> None:
    with pytest.raises(UsageError, match=r"--created-after must be .*2026-03.*last-month.*7d"):
        to_epoch_seconds(typed, field="created_after")


def test_an_instant_is_not_a_month() -> None:
    with pytest.raises(UsageError, match="--month must be a month"):
        to_epoch_span("2026-03-01T10:00:00Z")


# -- dates through the magics, against the sandbox ----------------------------------------------------

def _backdated_customers(session: Session, server: Any, when: dict[str, int]) -> dict[str, str]:
    ids = {name: str(session.create_customer(name=name)["id"].iloc[0]) for name in when}
    server.backdate({ids[name]: epoch for name, epoch in when.items()})
    return ids


def test_month_sets_both_bounds(ip: InteractiveShell, session: Session, stripe_server: Any) -> None:
    ids = _backdated_customers(session, stripe_server, {
        "feb": MAR_2026 - 10, "march": MAR_2026 + 86400, "april": APR_2026,
    })
    start = len(stripe_server.requests())
    frame, _ = ok(ip, "%stripe list_customers --month 2026-03")
    assert list(frame["id"]) == [ids["march"]]
    (sent,) = requests_since(stripe_server, start)
    assert sent["query"]["created[gte]"] == str(MAR_2026) and sent["query"]["created[lt]"] == str(APR_2026)
    ip.user_ns["pd"] = pd
    frame, _ = ok(ip, '%stripe list_customers --month {{ pd.Period("2026-02") }}')
    assert list(frame["id"]) == [ids["feb"]]
    frame, _ = ok(ip, '%stripe list_customers --created-after {{ pd.Period("2026-03") }}')
    assert set(frame["id"]) == {ids["march"], ids["april"]}


def test_relative_words_on_the_line(ip: InteractiveShell, session: Session, stripe_server: Any) -> None:
    start = len(stripe_server.requests())
    ok(ip, '%stripe list_customers --created-after "last month" --created-before today')
    (sent,) = requests_since(stripe_server, start)
    lower, upper = int(sent["query"]["created[gte]"]), int(sent["query"]["created[lt]"])
    now = datetime.now(timezone.utc)
    assert upper == int(datetime(now.year, now.month, now.day, tzinfo=timezone.utc).timestamp())
    assert datetime.fromtimestamp(lower, timezone.utc).day == 1 and 28 * 86400 <= upper - lower <= 62 * 86400


def test_month_and_created_bounds_do_not_mix(ip: InteractiveShell, session: Session) -> None:
    line = fails(ip, "%stripe list_customers --created-after 2026-01-01 --month 2026-03")
    assert "--month" in line and "not both" in line
    line = fails(ip, "%stripe list_customers --month 2026-03 --created-before 2026-04-01")
    assert "not both" in line
    assert "--month must be a month" in fails(ip, "%stripe list_customers --month soon")


def test_help_lists_the_date_forms(ip: InteractiveShell) -> None:
    _, shown = ok(ip, "%stripe help list_customers")
    assert "--month" in shown and "last-month" in shown and "7d" in shown


def test_python_api_takes_month(session: Session, stripe_server: Any) -> None:
    ids = _backdated_customers(session, stripe_server, {"in": MAR_2026 + 5, "out": APR_2026 + 5})
    frame = session.list_customers(month="2026-03")
    assert list(frame["id"]) == [ids["in"]]


# -- `$var` / `{var}` -----------------------------------------------------------------------------------

@pytest.mark.parametrize("spelled", ["$cid", "${cid}", "{cid}"])
def test_shell_style_variables_suggest_double_braces(ip: InteractiveShell, session: Session,
                                                      stripe_server: Any, spelled: str) -> None:
    ip.user_ns["cid"] = "cus_123"
    start = len(stripe_server.requests())
    line = fails(ip, f"%stripe get_customer {spelled}")
    assert "{{ cid }}" in line and "sent to Stripe as written" in line
    line = fails(ip, f"%stripe list_subscriptions --customer {spelled}")
    assert "{{ cid }}" in line
    assert requests_since(stripe_server, start) == []  # nothing was sent


def test_an_unknown_dollar_word_is_sent_as_written(ip: InteractiveShell, session: Session,
                                                   stripe_server: Any) -> None:
    ip.user_ns.pop("price_tag", None)
    start = len(stripe_server.requests())
    ok(ip, "%stripe create_customer --description $price_tag")
    (sent,) = requests_since(stripe_server, start)
    assert sent["form"]["description"] == "$price_tag"


# -- forms run through the current connection -----------------------------------------------------------

def test_form_without_session_uses_the_magics_connection(ip: InteractiveShell, session: Session,
                                                         stripe_server: Any) -> None:
    session.create_customer(name="Form Reader")
    panel = paragon_magic.form("list_customers")
    assert isinstance(panel, w.VBox)
    tabs = w.Tab(children=[panel])  # placeable like any widget
    assert tabs.children[0] is panel
    panel.store_as.value = "via_form"
    panel.run_button.click()
    assert panel.error == ""
    assert list(ip.user_ns["via_form"]["name"]) == ["Form Reader"]


def test_form_without_session_uses_the_last_connect(stripe_server: Any, tmp_path: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(current, "_last_connected", None)
    monkeypatch.setattr(current, "_magics_context", lambda: None)  # a notebook that never loaded the magics
    panel = paragon_magic.form("create_customer", namespace={})
    panel.fields["name"].value = "Not Yet"
    panel.run_button.click()
    assert "not connected" in panel.error
    sess = paragon_magic.connect(stripe_server.key, base_url=stripe_server.url, save=False,
                                 store=CredentialStore(config_dir=tmp_path, keyring=None),
                                 config=SessionConfig(progress=False))
    try:
        assert current.current_session() is sess
        panel.run_button.click()
        assert panel.error == "" and panel.result["name"].iloc[0] == "Not Yet"
    finally:
        sess.close()


def test_connect_in_python_becomes_the_magics_session(ip: InteractiveShell, ctx: MagicContext,
                                                      stripe_server: Any, tmp_path: Any) -> None:
    sess = paragon_magic.connect(stripe_server.key, base_url=stripe_server.url, save=False,
                                 store=CredentialStore(config_dir=tmp_path, keyring=None))
    assert ctx.session is sess
    sess.create_customer(name="Shared")
    frame, _ = ok(ip, "%stripe list_customers")
    assert list(frame["name"]) == ["Shared"]


# -- completion --------------------------------------------------------------------------------------------

def completions(ip: InteractiveShell, text: str) -> list[str]:
    with provisionalcompleter():
        return [c.text for c in ip.Completer.completions(text, len(text))]


def test_completion_of_request_paths_profiles_and_values(ip: InteractiveShell, ctx: MagicContext,
                                                         tmp_path: Any) -> None:
    paths = completions(ip, "%stripe request GET /v1/")
    assert "/v1/customers" in paths and "/v1/balance_transactions" in paths
    assert all(p.startswith("/v1/") for p in paths) and "abs" not in paths
    assert completions(ip, "%stripe request /v1/cus") == ["/v1/customers", "/v1/customers/", "/v1/customers/search"]
    assert "GET" in completions(ip, "%stripe request G")
    assert completions(ip, "%stripe statu") == ["status"]

    ctx.store = CredentialStore(config_dir=tmp_path / "profiles", keyring=None)
    from paragon_magic.auth import Credentials
    for name in ("work", "personal"):
        ctx.store.save(name, Credentials.stripe_key("sk_test_" + "x" * 24))
    assert completions(ip, "%stripe use ") == ["personal", "work"]
    assert completions(ip, "%stripe use w") == ["work"]
    assert completions(ip, "%stripe disconnect --profile p") == ["personal"]

    for line in ("%stripe list_customers --email ", "%stripe list_customers -o ",
                 "%stripe list_customers --created-after "):
        assert not any(c.startswith("--") for c in completions(ip, line)), line
    assert "--email" in completions(ip, "%stripe list_customers --limit 5 ")
    assert "--email" in completions(ip, "%stripe list_customers --no-progress ")


# -- the Python API ------------------------------------------------------------------------------------------

def test_action_methods_have_real_signatures(session: Session) -> None:
    create = inspect.signature(session.create_customer)
    assert {"name", "email", "metadata", "address", "idempotency_key", "live"} <= set(create.parameters)
    assert create.parameters["email"].kind is inspect.Parameter.KEYWORD_ONLY
    listing = inspect.signature(session.list_customers)
    assert {"email", "limit", "created_after", "created_before", "month", "expand", "progress"} <= set(listing.parameters)
    assert list(inspect.signature(session.get_customer).parameters)[0] == "id"
    doc = session.create_customer.__doc__ or ""
    assert ACTIONS["create_customer"].summary in doc and "email:" in doc and "metadata:" in doc
    assert session.create_customer.__name__ == "create_customer"


def test_a_misspelt_keyword_is_refused_before_anything_is_sent(session: Session, stripe_server: Any) -> None:
    start = len(stripe_server.requests())
    with pytest.raises(UsageError, match=r"no parameter 'emial'; did you mean email="):
        session.create_customer(emial="jane@example.com")
    with pytest.raises(UsageError, match="did you mean limit="):
        session.list_customers(limt=5)
    with pytest.raises(UsageError, match="takes no positional"):
        session.list_customers("cus_1")
    assert stripe_server.requests()[start:] == []
    session.create_customer(name="Other Param", preferred_locales=["fr"])  # any other Stripe param passes
    (sent,) = [r for r in stripe_server.requests()[start:] if r["method"] == "POST"]
    assert sent["form"] == {"name": "Other Param", "preferred_locales[0]": "fr"}


def test_request_with_the_method_first_says_the_call_to_use(session: Session, stripe_server: Any) -> None:
    start = len(stripe_server.requests())
    with pytest.raises(UsageError) as err:
        session.request("GET", "/v1/balance")
    assert "request('stripe', '/v1/balance', method='GET')" in str(err.value)
    assert stripe_server.requests()[start:] == []
