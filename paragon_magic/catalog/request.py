"""The catalog row of ``request``: any Stripe API call by method and path."""

from __future__ import annotations

from ..catalog_types import Action, Param

ROW = Action("request", None, "request", "GET", "{path}", None,
           "Any Stripe API call: give the path (e.g. /v1/charges) and the method.",
           params=(
               Param("path", "string", "API path, e.g. /v1/charges or /v1/charges/ch_123.", required=True,
                     example="/v1/charges"),
               Param("method", "enum", "HTTP method.", choices=("GET", "POST", "DELETE"), example="GET"),
           ),
           examples=("%stripe request /v1/charges --limit 250", "%stripe request GET /v1/charges --page --limit 10",
                     "%stripe request GET /v1/balance",
                     "%stripe request /v1/refunds --method POST charge=ch_123 amount=500"))
