"""The Connect Portal against the local Stripe sandbox: what is saved, what is shown, what never leaks."""

from __future__ import annotations

import json
import logging
from typing import Any

import ipywidgets as w
import pytest

from paragon_magic.auth import CredentialStore
from paragon_magic.widgets import INVALID_CLASS, ConnectPortal

SANDBOX_ACCOUNT = "acct_1PgnSandbox0001"


def all_widgets(root: w.Widget) -> list[w.Widget]:
    """``root`` and every widget reachable through its synced traits (children, layout, style)."""
    found: dict[str, w.Widget] = {}

    def walk(widget: w.Widget) -> None:
        if widget.model_id in found:
            return
        found[widget.model_id] = widget
        for name in widget.keys:
            value = getattr(widget, name)
            for item in value if isinstance(value, (list, tuple)) else [value]:
                if isinstance(item, w.Widget):
                    walk(item)

    walk(root)
    return list(found.values())


def assert_key_nowhere(portal: ConnectPortal, key: str) -> None:
    """Neither the key nor any part of it beyond its last four characters is in the portal's state."""
    hidden_parts = [key]
    if len(key) > 12:
        hidden_parts += [key[:-4], key[8:-4]]
    widgets = all_widgets(portal.widget)
    assert portal.key_input in widgets and portal.status in widgets
    texts = [json.dumps(wd.get_state(), default=repr) for wd in widgets]
    texts += [repr(portal), str(portal), portal.status.value, portal.error, repr(portal.session)]
    texts += [repr(value) for value in vars(portal).values()]
    for text in texts:
        for part in hidden_parts:
            assert part not in text
    assert portal.key_input.value == ""


@pytest.fixture
def store(tmp_path) -> CredentialStore:
    return CredentialStore(config_dir=tmp_path, keyring=None)


def make_portal(stripe_server, store, calls: list[Any]) -> ConnectPortal:
    return ConnectPortal(store=store, base_url=stripe_server.url, on_connect=calls.append)


def click_connect(portal: ConnectPortal, key: str, profile: str | None = None) -> None:
    portal.key_input.value = key
    if profile is not None:
        portal.profile_input.value = profile
    portal.connect_button.click()


def test_secret_key_connects_saves_and_clears(stripe_server, store, caplog):
    caplog.set_level(logging.DEBUG)
    calls: list[Any] = []
    portal = make_portal(stripe_server, store, calls)
    click_connect(portal, stripe_server.key)

    assert portal.error == ""
    assert len(calls) == 1 and calls[0] is portal.session
    assert portal.session.account["id"] == SANDBOX_ACCOUNT
    assert portal.session.mode == "test"
    status = portal.status.value
    assert SANDBOX_ACCOUNT in status and "TEST mode" in status and "Paragon Magic Sandbox" in status
    assert "sk_test_…" + stripe_server.key[-4:] in status
    saved = store.load("default")
    assert saved.secret == stripe_server.key and saved.account_id == SANDBOX_ACCOUNT and saved.mode == "test"
    assert [(r["method"], r["path"], r["status"]) for r in stripe_server.requests()] == [
        ("GET", "/v1/account", 200)
    ]
    assert_key_nowhere(portal, stripe_server.key)
    assert stripe_server.key not in caplog.text


def test_profile_name_is_used(stripe_server, store):
    portal = make_portal(stripe_server, store, [])
    click_connect(portal, stripe_server.key, profile="work")
    assert "work" in store and "default" not in store
    assert store.active_profile == "work"
    # a new portal on the same store says what is saved, masked
    again = ConnectPortal(store=store, base_url=stripe_server.url)
    assert "work" in again.status.value and SANDBOX_ACCOUNT in again.status.value
    assert_key_nowhere(again, stripe_server.key)


def test_restricted_key_without_account_permission_is_refused_and_not_saved(stripe_server, store, caplog):
    caplog.set_level(logging.DEBUG)
    key = "rk_test_NoAccountRead0000Widget9q1Z"
    stripe_server.add_restricted_key(key, ["rak_customer_read", "rak_product_write"])
    calls: list[Any] = []
    portal = make_portal(stripe_server, store, calls)
    click_connect(portal, key)

    assert calls == [] and portal.session is None
    assert "rak_connected_account_read" in portal.error and "All Connect resources" in portal.error
    assert "not saved" in portal.error
    assert "rak_connected_account_read" in portal.status.value
    assert "default" not in store and store.profiles() == []
    assert INVALID_CLASS in portal.key_input._dom_classes
    assert [(r["path"], r["status"]) for r in stripe_server.requests()] == [("/v1/account", 403)]
    assert_key_nowhere(portal, key)
    assert key not in caplog.text and key[8:-4] not in caplog.text


def test_restricted_key_with_account_permission_is_saved(stripe_server, store):
    key = "rk_test_WithAccountRead1111Widget7x"
    stripe_server.add_restricted_key(key, ["rak_connected_account_read", "rak_customer_read"])
    calls: list[Any] = []
    portal = make_portal(stripe_server, store, calls)
    click_connect(portal, key)

    assert portal.error == "" and len(calls) == 1
    assert "restricted key" in portal.status.value and SANDBOX_ACCOUNT in portal.status.value
    assert store.load("default").secret == key
    assert_key_nowhere(portal, key)


def test_revoked_key_gets_the_invalid_message(stripe_server, store):
    stripe_server.revoke_key(stripe_server.key)
    calls: list[Any] = []
    portal = make_portal(stripe_server, store, calls)
    click_connect(portal, stripe_server.key)

    assert calls == [] and portal.session is None
    assert "invalid or has been revoked" in portal.error
    assert "invalid or has been revoked" in portal.status.value
    assert store.profiles() == []
    assert stripe_server.requests() == []  # the sandbox logs only requests with an accepted key
    assert stripe_server.stats()["statuses"] == {"401": 1}  # the one GET /v1/account, refused
    assert_key_nowhere(portal, stripe_server.key)


def test_unknown_restricted_key_is_invalid(stripe_server, store):
    key = "rk_test_NeverRegistered2222Widget5k"
    portal = make_portal(stripe_server, store, [])
    click_connect(portal, key)
    assert "invalid or has been revoked" in portal.error
    assert store.profiles() == []
    assert_key_nowhere(portal, key)


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("pk_test_51PublishableKeyWidget00aa", "publishable keys can't read data"),
        ("pk_live_51PublishableKeyWidget00bb", "publishable keys can't read data"),
        ("hello there, not a key", "not a Stripe API key"),
        ("sk_test_abc", "too short"),
        ("", "empty"),
        ("whsec_0123456789abcdefWidget", "webhook signing secret"),
    ],
)
def test_wrong_kinds_of_key_are_refused_before_any_request(stripe_server, store, key, reason):
    calls: list[Any] = []
    portal = make_portal(stripe_server, store, calls)
    click_connect(portal, key)

    assert reason in portal.error and reason.split("'")[0] in portal.status.value
    assert calls == [] and store.profiles() == []
    assert stripe_server.requests() == []
    assert INVALID_CLASS in portal.key_input._dom_classes
    if key:
        assert_key_nowhere(portal, key)


def test_bad_profile_name_is_refused_before_any_request(stripe_server, store):
    portal = make_portal(stripe_server, store, [])
    click_connect(portal, stripe_server.key, profile="my profile!")
    assert "profile name" in portal.error
    assert INVALID_CLASS in portal.profile_input._dom_classes
    assert stripe_server.requests() == [] and store.profiles() == []
    assert_key_nowhere(portal, stripe_server.key)
    # the next good attempt clears the mark
    click_connect(portal, stripe_server.key, profile="ok")
    assert INVALID_CLASS not in portal.profile_input._dom_classes and "ok" in store


def test_failure_then_success_and_display_delegates(stripe_server, store):
    portal = make_portal(stripe_server, store, [])
    click_connect(portal, "pk_test_51PublishableKeyWidget00aa")
    click_connect(portal, stripe_server.key)
    assert portal.error == "" and INVALID_CLASS not in portal.key_input._dom_classes
    bundle = portal._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == portal.widget.model_id
    assert_key_nowhere(portal, stripe_server.key)


def test_injected_connect_gets_a_secret_not_the_text(stripe_server, store):
    seen: list[Any] = []

    def fake_connect(key: Any, **kwargs: Any) -> Any:
        seen.append((key, kwargs))
        raise RuntimeError(f"boom with {key.reveal()}")  # even a careless error must not leak

    portal = ConnectPortal(store=store, base_url="http://127.0.0.1:9", connect=fake_connect)
    click_connect(portal, stripe_server.key)
    (key, kwargs), = seen
    assert not isinstance(key, str) and key == stripe_server.key
    assert kwargs == {"profile": "default", "base_url": "http://127.0.0.1:9", "store": store, "save": True}
    assert portal.error == "could not connect (RuntimeError)"
    assert_key_nowhere(portal, stripe_server.key)
