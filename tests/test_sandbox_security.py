"""The sandbox's locks (issue 14.2, 14.6), each over real HTTP: a control plane only this run's handle can
use, the Stripe API surface only (no path tricks past ``/v1``), loopback ``Host`` only,
no simple-form CSRF, and a child without the parent's secrets."""

from __future__ import annotations

import http.client
import os
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from paragon_magic.sandbox import LocalStripe
from paragon_magic.sandbox._child import CONTROL_HEADER, minimal_environment


def _raw(server_url: str, method: str, path: str, headers: dict[str, str] | None = None,
         body: bytes | None = None) -> tuple[int, bytes]:
    """Send ``path`` exactly as written (httpx would resolve dot segments before sending)."""
    parts = urlsplit(server_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        all_headers = {"Host": parts.netloc, **(headers or {})}
        if body is not None:
            all_headers["Content-Length"] = str(len(body))
        for name, value in all_headers.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _auth(server: LocalStripe) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.key}"}


def _customer_count(server: LocalStripe) -> int:
    reply = httpx.get(f"{server.url}/v1/customers", headers=_auth(server), params={"limit": 100})
    return len(reply.json()["data"])


def test_control_routes_need_this_runs_secret(stripe_server: LocalStripe) -> None:
    url = f"{stripe_server.url}/_sandbox/requests"
    assert httpx.get(url).status_code == 403
    assert httpx.get(url, headers={CONTROL_HEADER: "guess"}).status_code == 403
    assert httpx.get(url, headers=stripe_server.control_headers).status_code == 200
    for path in ("/_sandbox/reset", "/_sandbox/keys", "/_sandbox/script", "/_sandbox/config"):
        assert httpx.post(f"{stripe_server.url}{path}", json={}).status_code == 403
    secret = stripe_server.control_headers[CONTROL_HEADER]
    assert secret not in repr(stripe_server) and len(secret) >= 32


def test_a_cross_site_form_post_cannot_revoke_the_key(stripe_server: LocalStripe) -> None:
    form_body = b'{"revoked": ["' + stripe_server.key.encode() + b'"]}'
    for headers in ({"Content-Type": "text/plain"},  # what <form enctype=text/plain> sends
                    {"Content-Type": "application/x-www-form-urlencoded"},
                    {"Content-Type": "text/plain", **stripe_server.control_headers}):  # even with the secret
        status, _ = _raw(stripe_server.url, "POST", "/_sandbox/keys", headers, form_body)
        assert status in (403, 415)
    assert httpx.get(f"{stripe_server.url}/v1/balance", headers=_auth(stripe_server)).status_code == 200


@pytest.mark.parametrize("method,path", [
    ("DELETE", "/v1/../_config/data"),
    ("DELETE", "/v1/%2e%2e/_config/data"),
    ("DELETE", "/v1/%2E%2E/_config/data"),
    ("DELETE", "/v1/customers/..%2F..%2F_config/data"),
    ("DELETE", "//_config/data"),
    ("DELETE", "/v1//../_config/data"),
    ("DELETE", "/v1/./../_config/data"),
    ("DELETE", "/_config/data"),
    ("POST", "/v1/../_config/webhooks/wh_evil"),
    ("GET", "/v1/..\\_config/data"),
])
def test_nothing_outside_the_stripe_api_reaches_the_engine(stripe_server: LocalStripe, method: str,
                                                            path: str) -> None:
    httpx.post(f"{stripe_server.url}/v1/customers", headers=_auth(stripe_server), data={"email": "k@example.com"})
    status, body = _raw(stripe_server.url, method, path,
                        {**_auth(stripe_server), "Content-Type": "application/x-www-form-urlencoded"},
                        b"url=http://127.0.0.1:9/hook" if method == "POST" else None)
    assert status == 404 and b"Unrecognized request URL" in body
    assert _customer_count(stripe_server) == 1  # the store was not wiped


def test_only_a_loopback_host_header_is_answered(stripe_server: LocalStripe) -> None:
    port = urlsplit(stripe_server.url).port
    for host in ("rebound.example", f"rebound.example:{port}", f"127.0.0.1:{port + 1}", "127.0.0.1"):
        status, _ = _raw(stripe_server.url, "GET", "/v1/balance", {**_auth(stripe_server), "Host": host})
        assert status == 421, host
    for host in (f"127.0.0.1:{port}", f"localhost:{port}"):
        status, _ = _raw(stripe_server.url, "GET", "/v1/balance", {**_auth(stripe_server), "Host": host})
        assert status == 200, host


def test_the_request_log_masks_secret_shaped_values(stripe_server: LocalStripe) -> None:
    leaked = "sk_test_" + "LoggedAsAValue00000000001"
    httpx.get(f"{stripe_server.url}/v1/customers", headers=_auth(stripe_server), params={"email": leaked})
    httpx.get(f"{stripe_server.url}/v1/customers/{leaked}", headers=_auth(stripe_server))
    log = str(stripe_server.requests())
    assert "LoggedAsAValue" not in log and "sk_test_…0001" in log


def test_children_get_a_minimal_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    planted = {"STRIPE_API_KEY": "sk_test_" + "ParentsOwnKey000000000001",
               "PARAGON_USER_TOKEN": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwYXJlbnQifQ.c2ln",
               "AWS_SECRET_ACCESS_KEY": "parent-secret", "LC_ALL": "C.UTF-8"}
    for name, value in planted.items():
        monkeypatch.setenv(name, value)
    env = minimal_environment()
    assert not {"STRIPE_API_KEY", "PARAGON_USER_TOKEN", "AWS_SECRET_ACCESS_KEY"} & set(env)
    assert env["LC_ALL"] == "C.UTF-8" and env["PATH"] == os.environ["PATH"]
    assert env.get("PYTHONPATH") == os.environ.get("PYTHONPATH")
    with LocalStripe() as server:
        for name, pid in server.pids.items():
            seen = Path(f"/proc/{pid}/environ").read_bytes()  # what the child was started with
            for value in ("ParentsOwnKey", "eyJzdWIiOiJwYXJlbnQifQ", "parent-secret"):
                assert value.encode() not in seen, (name, value)
        assert httpx.get(f"{server.url}/v1/balance", headers=_auth(server)).status_code == 200
