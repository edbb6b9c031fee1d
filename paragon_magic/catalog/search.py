"""Catalog rows for Stripe's search endpoints: the query is the positional argument.

``%stripe search_customers "email:'jane@example.com'"``; ``--limit N`` is the total rows, fetched over
``page``/``next_page`` cursors. Search reflects writes after a short delay (up to a minute at Stripe).
"""

from __future__ import annotations

from ..catalog_types import Action, Param

_QUERY_HELP = "Search query in Stripe's query language (the positional argument)."

#: name, resource path, object type, example query, which fields the query language offers.
_SEARCHES = (
    ("customers", "customer", "email:'jane@example.com'", "email, name, phone, created, metadata['key']"),
    ("charges", "charge", "status:'succeeded' AND amount>1000",
     "amount, currency, customer, status, created, payment_method_details.card.last4, metadata['key']"),
    ("invoices", "invoice", "status:'open' AND total>1000",
     "customer, status, subscription, total, currency, created, number, metadata['key']"),
    ("subscriptions", "subscription", "status:'active'", "status, created, canceled_at, metadata['key']"),
    ("products", "product", "active:'true' AND name~'shirt'", "name, active, description, shippable, url, created"),
    ("prices", "price", "currency:'usd' AND type:'recurring'",
     "active, currency, lookup_key, product, type, created, metadata['key']"),
    ("payment_intents", "payment_intent", "status:'succeeded' AND amount>1000",
     "amount, currency, customer, status, created, metadata['key']"),
)


def _search_row(resource: str, object_type: str, example: str, fields: str) -> Action:
    return Action(
        f"search_{resource}", None, "search", "GET", f"/v1/{resource}/search", object_type,
        f"Search {resource.replace('_', ' ')} with Stripe's query language (fields: {fields}).",
        params=(Param("query", "string", _QUERY_HELP, required=True, example=f'"{example}"'),),
        examples=(f'%stripe search_{resource} "{example}"', f'%stripe search_{resource} "{example}" --limit 50'),
        tool_name=f"STRIPE_SEARCH_{resource.upper()}",
    )


ROWS = tuple(_search_row(*row) for row in _SEARCHES)
