"""The Paragon Proxy API double over real HTTP, against a small recording upstream Stripe."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from aiohttp import web

from paragon_magic.auth.tokens import generate_signing_key, mint_user_token
from paragon_magic.client import (
    InvalidRequestError,
    ParagonBackend,
    ParagonProxyError,
    RetryPolicy,
    StripeClient,
    StripePermissionError,
)
from paragon_magic.sandbox.paragon_double import ParagonDouble, ParagonDoubleServer, ThreadedAppServer

PROJECT = "11111111-2222-4333-8444-555555555555"
USER_KEY = "sk_test_UserOneKey0000000000abcd"
OTHER_KEY = "rk_test_UserTwoKey0000000000wxyz"


class FakeStripe:
    """A tiny upstream that records what reached it (Authorization included: that is under test)."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.Response:
        form = dict((await request.post()) if request.method == "POST" else {})
        with self._lock:
            self.seen.append({
                "method": request.method,
                "path": request.path,
                "query": dict(request.query),
                "form": form,
                "content_type": request.headers.get("Content-Type"),
                "authorization": request.headers.get("Authorization"),
                "stripe_account": request.headers.get("Stripe-Account"),
                "idempotency_key": request.headers.get("Idempotency-Key"),
            })
        headers = {"Request-Id": f"req_fake{len(self.seen)}"}
        if request.path == "/v1/customers" and request.method == "GET":
            body = {"object": "list", "url": "/v1/customers", "has_more": False,
                    "data": [{"id": "cus_1", "object": "customer", "email": "a@example.com"}]}
            return web.json_response(body, headers=headers)
        if request.path == "/v1/customers" and request.method == "POST":
            return web.json_response({"id": "cus_new", "object": "customer", "form": form}, headers=headers)
        error = {"error": {"type": "invalid_request_error", "code": "resource_missing", "param": "id",
                           "message": f"No such customer: '{request.path.rsplit('/', 1)[-1]}'"}}
        return web.json_response(error, status=404, headers=headers)


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[ThreadedAppServer, FakeStripe]]:
    fake = FakeStripe()
    with ThreadedAppServer(fake.make_app) as server:
        yield server, fake


@pytest.fixture(scope="module")
def proxy_server(upstream: tuple[ThreadedAppServer, FakeStripe]) -> Iterator[ParagonDoubleServer]:
    double = ParagonDouble.with_new_key(upstream[0].url, project_id=PROJECT)
    with ParagonDoubleServer(double) as server:
        yield server


@pytest.fixture
def proxy(proxy_server: ParagonDoubleServer, upstream: tuple[ThreadedAppServer, FakeStripe]) -> ParagonDoubleServer:
    double = proxy_server.double
    double.reset({"user-1": USER_KEY})
    double.connect_user("user-2", OTHER_KEY)
    upstream[1].seen.clear()
    return proxy_server


def stripe_url(proxy: ParagonDoubleServer, path: str, project: str = PROJECT) -> str:
    return f"{proxy.url}/projects/{project}/sdk/proxy/stripe/{path}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_get_is_forwarded_with_the_users_key_and_wrapped(proxy: ParagonDoubleServer, upstream) -> None:
    token = proxy.double.mint_token("user-1")
    response = httpx.get(stripe_url(proxy, "v1/customers"), params={"limit": "3", "email": "a@example.com"},
                         headers={**bearer(token), "Stripe-Account": "acct_9"})
    assert response.status_code == 200
    assert response.json()["output"]["data"][0]["id"] == "cus_1"
    assert set(response.json()) == {"output"}
    assert response.headers["Request-Id"] == "req_fake1"
    (seen,) = upstream[1].seen
    assert seen["method"] == "GET" and seen["path"] == "/v1/customers"
    assert seen["query"] == {"limit": "3", "email": "a@example.com"}
    assert seen["authorization"] == f"Bearer {USER_KEY}"  # the user's Stripe key, not the token
    assert seen["stripe_account"] == "acct_9"


def test_each_user_gets_their_own_key(proxy: ParagonDoubleServer, upstream) -> None:
    httpx.get(stripe_url(proxy, "v1/customers"), headers=bearer(proxy.double.mint_token("user-2")))
    assert upstream[1].seen[-1]["authorization"] == f"Bearer {OTHER_KEY}"


def test_json_body_becomes_stripe_form_encoding(proxy: ParagonDoubleServer, upstream) -> None:
    token = proxy.double.mint_token("user-1")
    body = {"email": "b@example.com", "metadata": {"plan": "pro"}, "expand": ["tax"], "tax_exempt": None,
            "preferred_locales": ["en", "fr"], "invoice_settings": {"footer": "thanks"}, "livemode": False}
    response = httpx.post(stripe_url(proxy, "v1/customers"), json=body,
                          headers={**bearer(token), "Idempotency-Key": "idem-1"})
    assert response.status_code == 200
    (seen,) = upstream[1].seen
    assert seen["content_type"] == "application/x-www-form-urlencoded"
    assert seen["idempotency_key"] == "idem-1"
    assert seen["form"] == {
        "email": "b@example.com", "metadata[plan]": "pro", "expand[0]": "tax",
        "preferred_locales[0]": "en", "preferred_locales[1]": "fr",
        "invoice_settings[footer]": "thanks", "livemode": "false",
    }
    assert response.json()["output"]["form"] == seen["form"]
    recorded = proxy.double.requests()[-1]
    assert recorded["json"] == body and recorded["form"] == seen["form"]
    assert recorded["upstream_path"] == "/v1/customers" and recorded["status"] == 200


def test_form_body_is_passed_through(proxy: ParagonDoubleServer, upstream) -> None:
    token = proxy.double.mint_token("user-1")
    form = "email=c%40example.com&metadata[tier]=gold"
    response = httpx.post(stripe_url(proxy, "v1/customers"), content=form,
                          headers={**bearer(token), "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200
    assert upstream[1].seen[-1]["form"] == {"email": "c@example.com", "metadata[tier]": "gold"}


def test_raw_response_header_skips_the_wrapping(proxy: ParagonDoubleServer) -> None:
    token = proxy.double.mint_token("user-1")
    response = httpx.get(stripe_url(proxy, "v1/customers"),
                         headers={**bearer(token), "X-Paragon-Use-Raw-Response": "1"})
    assert response.status_code == 200 and response.json()["object"] == "list"


@pytest.mark.parametrize("style", ["meta", "meta.response", "output", "passthrough"])
def test_stripe_errors_sit_where_the_style_says(proxy: ParagonDoubleServer, style: str) -> None:
    proxy.double.stripe_error_style = style
    token = proxy.double.mint_token("user-1")
    response = httpx.get(stripe_url(proxy, "v1/customers/cus_missing"), headers=bearer(token))
    assert response.status_code == 404 and response.headers["Request-Id"].startswith("req_fake")
    body = response.json()
    if style == "meta":  # Paragon's envelope, Stripe's body spread into meta itself
        assert body["meta"]["isIntegrationError"] is True and body["status"] == 404
        error = body["meta"]["error"]
        assert body["message"] == error["message"]
    elif style == "meta.response":
        assert body["meta"]["isIntegrationError"] is True
        assert body["meta"]["response"]["status"] == 404
        error = body["meta"]["response"]["body"]["error"]
    elif style == "output":
        error = body["output"]["error"]
    else:
        error = body["error"]
    assert error["code"] == "resource_missing"


def test_raw_response_header_passes_a_stripe_error_unchanged(proxy: ParagonDoubleServer) -> None:
    token = proxy.double.mint_token("user-1")
    response = httpx.get(stripe_url(proxy, "v1/customers/cus_missing"),
                         headers={**bearer(token), "X-Paragon-Use-Raw-Response": "1"})
    assert response.status_code == 404 and response.json()["error"]["code"] == "resource_missing"


def test_unknown_error_style_is_refused() -> None:
    with pytest.raises(ValueError, match="stripe_error_style"):
        ParagonDouble("p", "pem", stripe_error_style="nowhere")


def envelope(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"message", "code", "status", "meta"}
    assert (body["status"], body["code"]) == (status, code)
    return body


def test_bad_tokens_get_401(proxy: ParagonDoubleServer, upstream) -> None:
    url = stripe_url(proxy, "v1/customers")
    envelope(httpx.get(url), 401, "UNAUTHORIZED")
    envelope(httpx.get(url, headers={"Authorization": "Basic abc"}), 401, "UNAUTHORIZED")
    body = envelope(httpx.get(url, headers=bearer("not.a.jwt")), 401, "INVALID_TOKEN")
    assert "malformed" in body["message"]
    expired = proxy.double.mint_token("user-1", now=time.time() - 7200)
    body = envelope(httpx.get(url, headers=bearer(expired)), 401, "TOKEN_EXPIRED")
    assert "expired at" in body["message"]
    forger_key, _ = generate_signing_key()
    forged = mint_user_token(forger_key, PROJECT, "user-1")
    body = envelope(httpx.get(url, headers=bearer(forged)), 401, "INVALID_TOKEN")
    assert body["meta"]["reason"] == "signature"
    foreign = mint_user_token(proxy.double.signing_key_pem, "another-project", "user-1")
    body = envelope(httpx.get(url, headers=bearer(foreign)), 401, "INVALID_TOKEN")
    assert body["meta"]["reason"] == "audience"
    assert upstream[1].seen == []  # nothing reached Stripe


def test_unknown_project_is_404(proxy: ParagonDoubleServer) -> None:
    token = proxy.double.mint_token("user-1")
    body = envelope(httpx.get(stripe_url(proxy, "v1/customers", project="nope"), headers=bearer(token)),
                    404, "PROJECT_NOT_FOUND")
    assert body["meta"] == {"projectId": "nope"}


def test_user_without_stripe_gets_integration_not_enabled(proxy: ParagonDoubleServer, upstream) -> None:
    token = proxy.double.mint_token("user-3")
    body = envelope(httpx.get(stripe_url(proxy, "v1/customers"), headers=bearer(token)), 400,
                    "INTEGRATION_NOT_ENABLED")
    assert body["message"] == "Integration not enabled for user."
    assert set(body["meta"]) == {"personaId", "projectId", "integrationId", "endUserId"}
    assert body["meta"]["endUserId"] == "user-3" and body["meta"]["projectId"] == PROJECT
    slack = httpx.get(f"{proxy.url}/projects/{PROJECT}/sdk/proxy/slack/api/chat",
                      headers=bearer(proxy.double.mint_token("user-1")))
    envelope(slack, 400, "INTEGRATION_NOT_ENABLED")
    proxy.double.disconnect_user("user-1")
    envelope(httpx.get(stripe_url(proxy, "v1/customers"), headers=bearer(proxy.double.mint_token("user-1"))),
             400, "INTEGRATION_NOT_ENABLED")
    assert upstream[1].seen == []


def test_credential_header_must_name_the_users_credential(proxy: ParagonDoubleServer) -> None:
    token = proxy.double.mint_token("user-1")
    good = {**bearer(token), "X-Paragon-Credential": proxy.double.credential_id("user-1")}
    assert httpx.get(stripe_url(proxy, "v1/customers"), headers=good).status_code == 200
    bad = {**bearer(token), "X-Paragon-Credential": proxy.double.credential_id("user-2")}
    envelope(httpx.get(stripe_url(proxy, "v1/customers"), headers=bad), 404, "CREDENTIAL_NOT_FOUND")


def test_the_selected_credential_answers(proxy: ParagonDoubleServer, upstream) -> None:
    second_key = "sk_test_UserOneSecondAccount000042"
    first, second = proxy.double.credential_id("user-1"), proxy.double.add_credential("user-1", second_key)
    assert first != second and proxy.double.credential_ids("user-1") == [first, second]
    token = proxy.double.mint_token("user-1")
    for wanted, key in ((second, second_key), (first, USER_KEY), (None, USER_KEY)):
        headers = {**bearer(token), **({"X-Paragon-Credential": wanted} if wanted else {})}
        assert httpx.get(stripe_url(proxy, "v1/customers"), headers=headers).status_code == 200
        assert upstream[1].seen[-1]["authorization"] == f"Bearer {key}"
        assert proxy.double.requests()[-1]["credential_id"] == (wanted or first)


def test_a_reconnect_makes_a_new_credential(proxy: ParagonDoubleServer) -> None:
    before = proxy.double.credential_id("user-1")
    after = proxy.double.connect_user("user-1", OTHER_KEY)
    assert after != before and proxy.double.credential_ids("user-1") == [after]
    proxy.double.set_credential_key(after, USER_KEY)  # same credential, another account behind it
    assert proxy.double.users["user-1"] == USER_KEY
    with pytest.raises(KeyError):
        proxy.double.set_credential_key("no-such-credential", USER_KEY)


def me_url(proxy: ParagonDoubleServer, project: str = PROJECT) -> str:
    return f"{proxy.api_url}/projects/{project}/sdk/me"


def test_me_reports_the_stripe_connection_in_the_sdk_shape(proxy: ParagonDoubleServer) -> None:
    connected = httpx.get(me_url(proxy), headers=bearer(proxy.double.mint_token("user-1"))).json()
    assert connected["userId"] == "user-1" and connected["authenticated"] is True and connected["meta"] == {}
    stripe = connected["integrations"]["stripe"]
    assert stripe["enabled"] is True and stripe["credentialStatus"] == "VALID"
    assert stripe["credentialId"] == proxy.double.credential_id("user-1")
    assert stripe["allCredentials"] == [
        {"id": proxy.double.credential_id("user-1"), "status": "VALID", "isPreviewCredential": False}]

    token = proxy.double.mint_token("user-9")
    assert httpx.get(me_url(proxy), headers=bearer(token)).json()["integrations"]["stripe"]["enabled"] is False
    proxy.double.connect_user("user-9", USER_KEY)
    assert httpx.get(me_url(proxy), headers=bearer(token)).json()["integrations"]["stripe"]["enabled"] is True
    envelope(httpx.get(me_url(proxy)), 401, "UNAUTHORIZED")
    envelope(httpx.get(me_url(proxy, "nope"), headers=bearer(token)), 404, "PROJECT_NOT_FOUND")


def test_me_is_served_on_the_users_api_host_only(proxy: ParagonDoubleServer) -> None:
    token = proxy.double.mint_token("user-1")
    assert proxy.api_url != proxy.url
    wrong_host = httpx.get(f"{proxy.url}/projects/{PROJECT}/sdk/me", headers=bearer(token))
    envelope(wrong_host, 404, "NOT_FOUND")
    envelope(httpx.get(f"{proxy.api_url}/projects/{PROJECT}/sdk/proxy/stripe/v1/customers",
                       headers=bearer(token)), 404, "NOT_FOUND")


def test_patch_me_merges_user_metadata(proxy: ParagonDoubleServer) -> None:
    token = proxy.double.mint_token("user-1")
    first = httpx.patch(me_url(proxy), json={"meta": {"plan": "pro", "seats": 3}}, headers=bearer(token))
    assert first.status_code == 200 and first.json()["meta"] == {"plan": "pro", "seats": 3}
    second = httpx.patch(me_url(proxy), json={"meta": {"plan": "team"}}, headers=bearer(token)).json()
    assert second["meta"] == {"plan": "team", "seats": 3} == proxy.double.user_meta("user-1")
    assert httpx.get(me_url(proxy), headers=bearer(token)).json()["meta"] == {"plan": "team", "seats": 3}
    envelope(httpx.patch(me_url(proxy), json={"meta": "x"}, headers=bearer(token)), 400, "INVALID_BODY")
    envelope(httpx.patch(me_url(proxy), content=b"{", headers=bearer(token)), 400, "INVALID_BODY")
    envelope(httpx.patch(me_url(proxy), json={"meta": {"a": 1}}), 401, "UNAUTHORIZED")
    assert proxy.double.user_meta("user-2") == {}


def test_recorded_requests_hold_no_secrets(proxy: ParagonDoubleServer) -> None:
    token = proxy.double.mint_token("user-1")
    httpx.post(stripe_url(proxy, "v1/customers"), json={"email": "x@example.com"}, headers=bearer(token))
    httpx.get(stripe_url(proxy, "v1/customers"), headers=bearer("garbage"))
    log = proxy.double.requests()
    assert [entry["status"] for entry in log] == [200, 401]
    assert log[0]["user_id"] == "user-1" and log[1]["user_id"] is None
    dumped = json.dumps(log)
    assert token not in dumped and token.split(".")[2] not in dumped
    assert USER_KEY not in dumped and "Authorization" not in dumped
    assert USER_KEY not in repr(proxy) and "BEGIN" not in repr(proxy.double)


def test_unreachable_upstream_is_502(proxy_server: ParagonDoubleServer) -> None:
    closed = ThreadedAppServer(web.Application).start()
    dead_url = closed.url
    closed.stop()
    double = ParagonDouble.with_new_key(dead_url, {"u": USER_KEY}, project_id=PROJECT)
    with ParagonDoubleServer(double) as server:
        response = httpx.get(stripe_url(server, "v1/customers"), headers=bearer(double.mint_token("u")))
    envelope(response, 502, "INTEGRATION_REQUEST_FAILED")


def test_server_binds_loopback_and_stops_cleanly(upstream) -> None:
    double = ParagonDouble.with_new_key(upstream[0].url, project_id=PROJECT)
    server = ParagonDoubleServer(double).start()
    url = server.url
    assert url.startswith("http://127.0.0.1:")
    api_url = server.api_url
    assert api_url.startswith("http://127.0.0.1:") and api_url != url
    assert httpx.get(f"{api_url}/projects/{PROJECT}/sdk/me").status_code == 401
    assert httpx.get(f"{url}/projects/{PROJECT}/sdk/proxy/stripe/v1/customers").status_code == 401
    server.stop()
    assert server.url is None and server.api_url is None
    for gone in (url, api_url):
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{gone}/projects/{PROJECT}/sdk/me")
    server.stop()  # idempotent


@pytest.mark.parametrize("body_format", ["json", "form"])
def test_stripe_client_through_the_double(proxy: ParagonDoubleServer, upstream, body_format: str) -> None:
    token = proxy.double.mint_token("user-1")
    backend = ParagonBackend(token, PROJECT, base_url=proxy.url, body_format=body_format)
    with StripeClient(backend, retry=RetryPolicy(max_retries=0)) as client:
        assert [c["id"] for c in client.iter_objects("/v1/customers")] == ["cus_1"]
        created = client.request("POST", "/v1/customers", {"email": "d@example.com", "metadata": {"k": "v"}})
        assert created.data["id"] == "cus_new"
        assert upstream[1].seen[-1]["form"] == {"email": "d@example.com", "metadata[k]": "v"}
        assert upstream[1].seen[-1]["idempotency_key"]  # the client's key reached Stripe
        with pytest.raises(InvalidRequestError) as info:
            client.request("GET", "/v1/customers/cus_missing")
        assert info.value.code == "resource_missing" and info.value.http_status == 404
    stranger = ParagonBackend(proxy.double.mint_token("user-3"), PROJECT, base_url=proxy.url)
    with StripeClient(stranger, retry=RetryPolicy(max_retries=0)) as client:
        with pytest.raises(ParagonProxyError) as proxy_error:
            client.request("GET", "/v1/customers")
    assert proxy_error.value.http_status == 400
    assert token not in str(proxy_error.value)


def test_through_the_double_to_the_local_stripe_sandbox(stripe_server) -> None:
    restricted = "rk_test_DoubleRestricted000000001"
    stripe_server.add_restricted_key(restricted, ["rak_customer_read"])
    double = ParagonDouble.with_new_key(stripe_server.url, {"owner": stripe_server.key, "reader": restricted},
                                        project_id=PROJECT)
    no_retry = RetryPolicy(max_retries=0)
    with ParagonDoubleServer(double) as proxy:
        owner = ParagonBackend(double.mint_token("owner"), PROJECT, base_url=proxy.url)
        with StripeClient(owner, retry=no_retry) as client:
            created = client.request("POST", "/v1/customers", {"email": "e@example.com", "metadata": {"k": "v"}})
            assert created.data["metadata"] == {"k": "v"} and created.request_id
            assert [c["id"] for c in client.iter_objects("/v1/customers")] == [created.data["id"]]
        reader = ParagonBackend(double.mint_token("reader"), PROJECT, base_url=proxy.url)
        with StripeClient(reader, retry=no_retry) as client:
            assert [c["email"] for c in client.iter_objects("/v1/customers")] == ["e@example.com"]
            with pytest.raises(StripePermissionError) as info:  # Stripe's 403 surfaces unchanged
                client.request("GET", "/v1/subscriptions")
            assert info.value.required_permission == "rak_subscription_read"
    logged = stripe_server.requests()
    assert [(r["method"], r["path"], r["status"]) for r in logged] == [
        ("POST", "/v1/customers", 200), ("GET", "/v1/customers", 200),
        ("GET", "/v1/customers", 200), ("GET", "/v1/subscriptions", 403),
    ]
    assert logged[0]["form"] == {"email": "e@example.com", "metadata[k]": "v"}
    assert logged[0]["headers"]["Idempotency-Key"]
