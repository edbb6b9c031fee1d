"""The sandbox's data plane and request log against other local processes, over real HTTP.

Only the sandbox's keys are accepted (its fixed demo key and keys its owner registered); the request log
keeps only requests with an accepted key, at most ``LOG_LIMIT`` of them, with capped and masked values;
a scripted answer is never served to a request without an accepted key; the per-run secrets are not in
the children's ``/proc/<pid>/environ``.
"""

from __future__ import annotations

import base64
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from paragon_magic.sandbox import SANDBOX_KEY, LocalStripe
from paragon_magic.sandbox.front import create_app, request_log
from paragon_magic.sandbox.paragon_double import ThreadedAppServer

OTHER_KEY = "sk_test_" + "SomeoneElsesKey000000000001"
LIVE_SHAPED = "sk_live_" + "SomeoneElsesLiveKey000000001"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


# -- only the sandbox's keys -------------------------------------------------------------------------

def test_a_key_the_sandbox_did_not_issue_is_refused(stripe_server: LocalStripe) -> None:
    url = f"{stripe_server.url}/v1/balance"
    for headers in (bearer(OTHER_KEY), basic(OTHER_KEY), bearer(LIVE_SHAPED), basic(LIVE_SHAPED)):
        refused = httpx.get(url, headers=headers)
        assert refused.status_code == 401 and "Invalid API Key provided" in refused.json()["error"]["message"]
        assert "livemode" not in refused.text
    assert httpx.get(url, headers=bearer(SANDBOX_KEY)).json()["livemode"] is False
    assert httpx.get(url, headers=basic(SANDBOX_KEY)).status_code == 200


def test_keys_the_owner_registers_are_accepted_until_reset(stripe_server: LocalStripe) -> None:
    url = f"{stripe_server.url}/v1/balance"
    stripe_server.add_secret_key(OTHER_KEY)
    stripe_server.add_secret_key(LIVE_SHAPED)
    assert httpx.get(url, headers=bearer(OTHER_KEY)).json()["livemode"] is False
    assert httpx.get(url, headers=bearer(LIVE_SHAPED)).json()["livemode"] is True
    stripe_server.reset()
    assert httpx.get(url, headers=bearer(OTHER_KEY)).status_code == 401
    reply = httpx.post(f"{stripe_server.url}/_sandbox/keys", json={"secret": ["pk_test_notAsecret1234"]},
                       headers=stripe_server.control_headers)
    assert reply.status_code == 400


# -- the request log ----------------------------------------------------------------------------------

def test_requests_without_an_accepted_key_are_not_logged(stripe_server: LocalStripe) -> None:
    padding = {"X-Padding": "p" * 60_000, "Idempotency-Key": "i" * 60_000}
    for headers in ({}, bearer(OTHER_KEY), {"Authorization": "Bearer not-a-key"}):
        for _ in range(20):
            assert httpx.get(f"{stripe_server.url}/v1/customers", headers={**headers, **padding}).status_code == 401
    assert stripe_server.requests() == []
    assert stripe_server.stats()["statuses"] == {"401": 60}


def test_logged_values_are_masked_and_capped(stripe_server: LocalStripe) -> None:
    headers = {**bearer(SANDBOX_KEY), "Idempotency-Key": f"retry-{SANDBOX_KEY}", "Stripe-Account": JWT,
               "User-Agent": "u" * 50_000}
    httpx.post(f"{stripe_server.url}/v1/customers", headers=headers, data={"email": "e@example.com",
                                                                            "description": "d" * 10_000})
    (entry,) = stripe_server.requests()
    logged = str(entry)
    assert SANDBOX_KEY not in logged and "sk_test_…4242" in entry["headers"]["Idempotency-Key"]
    assert "eyJzdWIiOiJ1c2VyLTEifQ" not in logged
    limit = request_log.VALUE_LIMIT + len("…(+00000 chars)")
    assert len(entry["headers"]["User-Agent"]) <= limit and len(entry["form"]["description"]) <= limit
    assert entry["form"]["email"] == "e@example.com"
    assert "Authorization" not in entry["headers"]


@pytest.fixture
def small_log_front(stripe_server: LocalStripe, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A second front (with its own engine), in this process, whose log keeps 5 entries."""
    monkeypatch.setattr(request_log, "LOG_LIMIT", 5)
    app_server = ThreadedAppServer(lambda: create_app(control_secret="c" * 32))
    with app_server:
        assert app_server.url is not None
        yield app_server.url


def test_the_log_is_a_ring_buffer(small_log_front: str) -> None:
    control = {"Paragon-Sandbox-Secret": "c" * 32}
    for number in range(8):
        httpx.get(f"{small_log_front}/v1/customers", params={"n": number}, headers=bearer(SANDBOX_KEY))
    log = httpx.get(f"{small_log_front}/_sandbox/requests", headers=control).json()
    assert [entry["query"]["n"] for entry in log] == ["3", "4", "5", "6", "7"]  # the newest five


# -- scripted answers ----------------------------------------------------------------------------------

def test_a_scripted_answer_waits_for_a_request_with_an_accepted_key(stripe_server: LocalStripe) -> None:
    stripe_server.script([{"status": 200, "body": {"scripted": True}}])
    keyless = httpx.get(f"{stripe_server.url}/v1/balance")
    assert keyless.status_code == 401 and "scripted" not in keyless.text
    assert httpx.get(f"{stripe_server.url}/v1/balance", headers=bearer(OTHER_KEY)).status_code == 401
    assert httpx.get(f"{stripe_server.url}/v1/balance", headers=bearer(SANDBOX_KEY)).json() == {"scripted": True}


# -- per-run secrets -----------------------------------------------------------------------------------

@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/<pid>/environ (Linux)")
def test_the_per_run_secrets_are_not_in_the_childrens_environment() -> None:
    with LocalStripe() as server:
        secrets = list(server.control_headers.values())
        for name, pid in server.pids.items():
            environ = Path(f"/proc/{pid}/environ").read_bytes()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            for secret in secrets:
                assert secret.encode() not in environ and secret.encode() not in cmdline, name
        assert httpx.get(f"{server.url}/_sandbox/stats", headers=server.control_headers).status_code == 200
        assert httpx.get(f"{server.url}/v1/balance", headers=bearer(server.key)).status_code == 200


def test_the_cli_help_says_which_keys_are_accepted(capsys: pytest.CaptureFixture[str]) -> None:
    from paragon_magic.sandbox.__main__ import main

    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert f"accepts only the sandbox's public demo key {SANDBOX_KEY}" in text and "refused (401)" in text
