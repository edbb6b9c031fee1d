"""Front layer over real HTTP: Stripe-shaped errors, API keys, /v1/account, the request log."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import httpx
import pytest

from paragon_magic.sandbox import SANDBOX_KEY, LocalStripe


@pytest.fixture
def api(stripe_server: LocalStripe) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {stripe_server.key}"}
    with httpx.Client(base_url=stripe_server.url, headers=headers, timeout=30) as client:
        yield client


def _error(response: httpx.Response) -> dict:
    assert response.headers["Request-Id"].startswith("req_")
    error = response.json()["error"]
    assert error["request_log_url"].startswith("https://dashboard.stripe.com/test/logs/req_")
    return error


def test_sandbox_key_is_a_test_secret_key(stripe_server: LocalStripe) -> None:
    assert stripe_server.key == SANDBOX_KEY and SANDBOX_KEY.startswith("sk_test_")
    assert stripe_server.url.startswith("http://127.0.0.1:")


def test_success_carries_request_id(api: httpx.Client) -> None:
    first = api.post("/v1/customers", data={"email": "a@example.com"})
    second = api.get(f"/v1/customers/{first.json()['id']}")
    assert first.status_code == second.status_code == 200
    ids = {first.headers["Request-Id"], second.headers["Request-Id"]}
    assert len(ids) == 2 and all(i.startswith("req_") for i in ids)


@pytest.mark.parametrize(
    ("path", "noun"),
    [
        ("/v1/customers/cus_missing1", "customer"),
        ("/v1/subscriptions/sub_missing1", "subscription"),
        ("/v1/products/prod_missing1", "product"),
        ("/v1/plans/plan_missing1", "plan"),
        ("/v1/charges/ch_missing1", "charge"),
        ("/v1/balance_transactions/txn_missing1", "balance transaction"),
    ],
)
def test_missing_object_is_resource_missing(api: httpx.Client, path: str, noun: str) -> None:
    response = api.get(path)
    error = _error(response)
    obj_id = path.rsplit("/", 1)[1]
    assert response.status_code == 404
    assert error["type"] == "invalid_request_error" and error["code"] == "resource_missing"
    assert error["param"] == "id" and error["message"] == f"No such {noun}: '{obj_id}'"
    assert error["doc_url"] == "https://stripe.com/docs/error-codes/resource-missing"


def test_dangling_reference_in_body_names_that_param(api: httpx.Client) -> None:
    response = api.post("/v1/subscriptions", data={"customer": "cus_ghost", "items[0][plan]": "plan_x"})
    error = _error(response)
    assert response.status_code == 404 and error["code"] == "resource_missing"
    assert error["param"] == "customer" and error["message"] == "No such customer: 'cus_ghost'"


def test_missing_required_param(api: httpx.Client) -> None:
    product = api.post("/v1/products", data={"name": "Gold"}).json()["id"]
    response = api.post("/v1/plans", data={"currency": "usd", "product": product, "amount": 100})
    error = _error(response)
    assert response.status_code == 400 and error["code"] == "parameter_missing"
    assert error["param"] == "interval" and error["message"] == "Missing required param: interval."


def test_unknown_param_and_unknown_route(api: httpx.Client) -> None:
    unknown = api.post("/v1/customers", data={"colour": "blue"})
    assert unknown.status_code == 400
    assert _error(unknown)["code"] == "parameter_unknown" and _error(unknown)["param"] == "colour"
    route = api.get("/v1/quotes_of_the_day")
    assert route.status_code == 404 and route.headers["Content-Type"].startswith("application/json")
    assert _error(route)["message"].startswith("Unrecognized request URL (GET: /v1/quotes_of_the_day)")
    outside = api.get("/nothing/here")
    assert outside.status_code == 404 and "Unrecognized request URL" in _error(outside)["message"]


def test_card_errors_keep_their_code(api: httpx.Client) -> None:
    customer = api.post("/v1/customers", data={}).json()["id"]
    response = api.post("/v1/payment_methods/pm_card_visa_chargeDeclined/attach", data={"customer": customer})
    error = _error(response)
    assert response.status_code == 402 and error["type"] == "card_error" and error["code"] == "card_declined"


def test_missing_and_malformed_keys_are_401(stripe_server: LocalStripe) -> None:
    none = httpx.get(f"{stripe_server.url}/v1/customers")
    assert none.status_code == 401 and "did not provide an API key" in _error(none)["message"]
    bad = "pk_test_notAsecretKey1234abcd"
    malformed = httpx.get(f"{stripe_server.url}/v1/customers", headers={"Authorization": f"Bearer {bad}"})
    error = _error(malformed)
    assert malformed.status_code == 401 and error["type"] == "invalid_request_error"
    assert error["message"] == "Invalid API Key provided: pk_test_…abcd" and bad not in malformed.text


def test_basic_auth_and_live_keys(stripe_server: LocalStripe) -> None:
    basic = base64.b64encode(f"{stripe_server.key}:".encode()).decode()
    response = httpx.get(f"{stripe_server.url}/v1/customers", headers={"Authorization": f"Basic {basic}"})
    assert response.status_code == 200
    stripe_server.add_secret_key("sk_live_abc123456789")  # only the sandbox's key and keys registered by its owner
    live = httpx.get(f"{stripe_server.url}/v1/balance", headers={"Authorization": "Bearer sk_live_abc123456789"})
    test = httpx.get(f"{stripe_server.url}/v1/balance", headers={"Authorization": f"Bearer {stripe_server.key}"})
    assert live.json()["livemode"] is True and test.json()["livemode"] is False
    account = httpx.get(f"{stripe_server.url}/v1/account", headers={"Authorization": "Bearer sk_live_abc123456789"})
    assert account.status_code == 200 and "livemode" not in account.json()  # Stripe's account has none


def test_revoked_key_is_401_masked(stripe_server: LocalStripe) -> None:
    key = "sk_test_soonRevoked000000000wxyz"
    headers = {"Authorization": f"Bearer {key}"}
    stripe_server.add_secret_key(key)
    assert httpx.get(f"{stripe_server.url}/v1/customers", headers=headers).status_code == 200
    stripe_server.revoke_key(key)
    response = httpx.get(f"{stripe_server.url}/v1/customers", headers=headers)
    assert response.status_code == 401
    assert _error(response)["message"] == "Invalid API Key provided: sk_test_…wxyz" and key not in response.text


def test_restricted_keys_need_registration_and_permissions(stripe_server: LocalStripe) -> None:
    key = "rk_test_readsCustomers00000000r3ad"
    url = stripe_server.url
    headers = {"Authorization": f"Bearer {key}"}
    assert httpx.get(f"{url}/v1/customers", headers=headers).status_code == 401  # not registered
    stripe_server.add_restricted_key(key, ["rak_customer_read", "rak_product_write"])
    assert httpx.get(f"{url}/v1/customers", headers=headers).status_code == 200
    assert httpx.get(f"{url}/v1/products", headers=headers).status_code == 200  # write implies read
    denied = httpx.get(f"{url}/v1/subscriptions", headers={**headers, "Stripe-Account": "acct_other"})
    error = _error(denied)
    assert denied.status_code == 403 and error["type"] == "invalid_request_error"
    assert error["message"] == (
        "The provided key 'rk_test_…r3ad' does not have the required permissions for this endpoint on "
        "account 'acct_other'. Having the 'rak_subscription_read' permission would allow this request "
        "to continue."
    )
    cases = {
        ("POST", "/v1/customers"): "rak_customer_write",
        ("GET", "/v1/balance_transactions"): "rak_balance_transaction_source_read",
        ("GET", "/v1/balance/history"): "rak_balance_transaction_source_read",
        ("GET", "/v1/plans"): "rak_plan_read",
        ("GET", "/v1/account"): "rak_connected_account_read",
        ("GET", "/v1/accounts"): "rak_connected_account_read",
        ("POST", "/v1/charges"): "rak_charge_write",
        ("POST", "/v1/payment_intents"): "rak_payment_intent_write",
    }
    for (method, path), permission in cases.items():
        response = httpx.request(method, f"{url}{path}", headers=headers)
        assert response.status_code == 403, path
        assert f"Having the '{permission}' permission" in _error(response)["message"]


def test_account_object_and_stripe_account_header(api: httpx.Client) -> None:
    platform = api.get("/v1/account").json()
    assert platform["object"] == "account" and platform["id"].startswith("acct_")
    assert platform["business_profile"]["name"] == platform["settings"]["dashboard"]["display_name"]
    assert platform["email"] and platform["country"] == "US" and platform["default_currency"] == "usd"
    assert platform["charges_enabled"] is True
    connected = api.get("/v1/account", headers={"Stripe-Account": "acct_1Connected"}).json()
    assert connected["id"] == "acct_1Connected" and connected["business_profile"]["name"] != platform["business_profile"]["name"]  # fmt: skip
    assert api.get("/v1/accounts/acct_1Connected").json()["id"] == "acct_1Connected"
    assert [a["id"] for a in api.get("/v1/accounts").json()["data"]] == ["acct_1Connected"]


def test_request_log_records_selected_headers_never_authorization(stripe_server: LocalStripe, api: httpx.Client) -> None:
    created = api.post(
        "/v1/customers",
        data={"email": "log@example.com", "metadata[tier]": "gold"},
        params={"expand[]": "sources"},
        headers={"Stripe-Account": "acct_logged", "Idempotency-Key": "idem-log", "Stripe-Version": "2026-10-28.endive"},
    )
    assert created.status_code == 200 and created.json()["sources"]["object"] == "list"  # included when expanded
    (entry,) = stripe_server.requests()
    assert entry["method"] == "POST" and entry["path"] == "/v1/customers"
    assert entry["query"] == {"expand[]": "sources"}
    assert entry["form"] == {"email": "log@example.com", "metadata[tier]": "gold"}
    assert entry["headers"]["Stripe-Account"] == "acct_logged"
    assert entry["headers"]["Idempotency-Key"] == "idem-log"
    assert entry["headers"]["Stripe-Version"] == "2026-10-28.endive"
    assert "User-Agent" in entry["headers"] and "Authorization" not in entry["headers"]
    assert stripe_server.key not in str(stripe_server.requests())


def test_reset_empties_everything(stripe_server: LocalStripe, api: httpx.Client) -> None:
    created = api.post("/v1/customers", data={"email": "gone@example.com"}).json()["id"]
    stripe_server.add_restricted_key("rk_test_forgotten000000000000", ["rak_customer_read"])
    stripe_server.revoke_key(SANDBOX_KEY)
    stripe_server.configure(error_rate=1.0)
    stripe_server.backdate({created: 1_600_000_000})
    stripe_server.reset()
    assert stripe_server.requests() == [] and stripe_server.stats()["requests"] == 0
    assert api.get("/v1/customers").json()["data"] == []  # key no longer revoked, no faults
    assert api.get(f"/v1/customers/{created}").status_code == 404
    restricted = {"Authorization": "Bearer rk_test_forgotten000000000000"}
    assert httpx.get(f"{stripe_server.url}/v1/customers", headers=restricted).status_code == 401
