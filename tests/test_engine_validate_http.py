"""The engine's validation over real HTTP: stripe-python 16.1 encodes the requests, a loopback server
decodes and validates them (route_of -> decode_form -> validate) and answers as the engine will, and
stripe-python raises the errors Stripe's own would raise."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import stripe

from paragon_magic.sandbox.engine.validate import decode_form, route_of, validate
from paragon_magic.sandbox.front.errors import StripeErrorResponse, error_body, unrecognized_url


class _ValidatingHandler(BaseHTTPRequestHandler):
    """Answers the validated, coerced params (or Stripe's error) for any v1 request."""

    def _answer(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        pairs = parse_qsl(url.query, keep_blank_values=True)
        pairs += parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True)
        try:
            route = route_of(self.command, url.path)
            if route is None:
                raise unrecognized_url(self.command, url.path)
            params = validate(self.command, route, decode_form(pairs))
            status, body = 200, {"object": "validated", "route": route, "params": params}
        except StripeErrorResponse as error:
            status = error.status
            body = error_body(error.message, type=error.type, code=error.code, param=error.param)
        data = json.dumps(body, default=lambda value: str(value) if isinstance(value, Decimal) else value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def client() -> Iterator[stripe.StripeClient]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ValidatingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stripe.StripeClient(
            "sk_test_validation", base_addresses={"api": f"http://127.0.0.1:{server.server_address[1]}"},
            max_network_retries=0,
        )  # fmt: skip
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def test_a_valid_request_arrives_coerced(client: stripe.StripeClient) -> None:
    answer = client.v1.subscriptions.create(params={
        "customer": "cus_1",
        "items": [{"price": "price_a", "quantity": 3}, {"price": "price_b"}],
        "cancel_at_period_end": True,
        "metadata": {"plan": "pro", "old": ""},
        "expand": ["latest_invoice"],
        "trial_end": "now",
    })  # fmt: skip
    assert answer["route"] == "/v1/subscriptions"
    assert answer["params"].to_dict() == {
        "customer": "cus_1",
        "items": [{"price": "price_a", "quantity": 3}, {"price": "price_b"}],
        "cancel_at_period_end": True,
        "metadata": {"plan": "pro", "old": ""},
        "expand": ["latest_invoice"],
        "trial_end": "now",
    }


def test_list_filters_in_the_query_string(client: stripe.StripeClient) -> None:
    answer = client.v1.customers.list(params={"created": {"gte": 5}, "limit": 3, "email": "a@b.co"})
    assert answer["params"].to_dict() == {"created": {"gte": 5}, "limit": 3, "email": "a@b.co"}


def test_unknown_nested_parameter_is_an_invalid_request_error(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.subscriptions.create(params={"customer": "cus_1", "items": [{"pricee": "price_a"}]})  # type: ignore[typeddict-unknown-key]
    assert caught.value.http_status == 400
    assert (caught.value.code, caught.value.param) == ("parameter_unknown", "items[0][pricee]")
    assert caught.value.user_message == "Received unknown parameter: items[0][pricee]"


@pytest.mark.parametrize(
    ("params", "code", "param", "message"),
    [
        ({"unit_amount": 100}, "parameter_missing", "currency", "Missing required param: currency."),
        ({"currency": "usd", "recurring": {"interval": "fortnight"}}, None, "recurring[interval]",
         "Invalid recurring[interval]: must be one of day, week, month, or year"),
        ({"currency": "usd", "unit_amount": "12.5"}, "parameter_invalid_integer", "unit_amount",
         "Invalid integer: 12.5"),
        ({"currency": "usd", "active": "maybe"}, "parameter_invalid_boolean", "active", "Invalid boolean: maybe"),
        ({"currency": "usd", "nickname": ""}, "parameter_invalid_empty", "nickname", None),
    ],
)
def test_stripe_python_raises_what_stripe_would(
    client: stripe.StripeClient, params: dict[str, Any], code: str | None, param: str, message: str | None
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.prices.create(params=params)  # type: ignore[arg-type]
    assert (caught.value.http_status, caught.value.code, caught.value.param) == (400, code, param)
    if message is not None:
        assert caught.value.user_message == message


def test_metadata_limits_over_http(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.customers.update("cus_1", params={"metadata": {f"k{i}": "v" for i in range(51)}})
    assert caught.value.param == "metadata"
    answer = client.v1.customers.update("cus_1", params={"metadata": {f"k{i}": "v" for i in range(50)}})
    assert answer["route"] == "/v1/customers/{}" and len(answer["params"].to_dict()["metadata"]) == 50
