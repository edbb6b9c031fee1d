"""``session.request(...)`` and ``session.prepare_request(...)``: any Stripe endpoint, as Paragon's
``paragon.request`` sends it, answered as a DataFrame (every page of a list, one object, or one row)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import pandas as pd

from ..catalog import ACTIONS
from ..client import check_caller_headers
from ..errors import UsageError
from ..frames import attach_metadata
from ..listing.request import (
    answer_frame,
    answers_a_list,
    first_page_params,
    walk_request,
)
from ..values import stripe_values
from .plan import PlannedCall, rows_wanted

__all__ = ["RequestMethods"]


class RequestMethods:
    """Mixed into :class:`paragon_magic.session.Session`."""

    client: Any
    config: Any
    selecting: Any
    _guard_live: Any

    def request(
        self,
        integration: str,
        path: str,
        method: str = "GET",
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        account: str | None = None,
        live: bool = False,
        credential: str | None = None,
        limit: int | None = None,
        page: bool = False,
        progress: bool | None = None,
    ) -> pd.DataFrame:
        """Send any Stripe API request, as Paragon's ``paragon.request`` does; returns a DataFrame.

        A GET answered by a list or search result fetches every page (``limit``: total rows) into one
        row per object, typed by the objects' type; ``page=True`` sends exactly one request and returns
        that page. A single object is one row, anything else one row of its flattened fields. ``body``
        (for POST) is form-encoded the way Stripe expects.
        """
        call = self._plan_request(integration, path, method, body, params, limit=limit, page=page, account=account)
        headers = check_caller_headers(headers)  # Authorization, Stripe-Account, … refused before the guard
        with self.selecting(credential):
            self._guard_live(call, live)
            if call.method == "GET" and not page and answers_a_list(call.path):
                walked = walk_request(
                    self.client, call.path, call.params, limit=call.limit, page_size=self.config.page_size,
                    progress=self.config.progress if progress is None else progress, stripe_account=account,
                    headers=headers, keep_raw=self.config.keep_raw,
                )
                if walked.frame is not None:
                    return attach_metadata(
                        walked.frame, action="request",
                        params={"method": call.method, "path": call.path, **call.params},
                        request_ids=walked.outcome.request_ids, livemode=walked.outcome.livemode,
                        complete=walked.outcome.complete, server_time=walked.outcome.server_time,
                    )
                response = walked.response
            else:
                sent = {**call.params, "limit": call.limit} if page and call.limit else call.params
                response = self.client.request(call.method, call.path, sent, stripe_account=account, headers=headers)
        return self._one_answer(call, response)

    def _plan_request(
        self, integration: str, path: str, method: str, body: Mapping[str, Any] | None,
        params: Mapping[str, Any] | None, *, limit: int | None, page: bool, account: str | None,
    ) -> PlannedCall:
        if not isinstance(integration, str) or integration.lower() != "stripe":
            if isinstance(integration, str) and integration.upper() in {"GET", "POST", "DELETE"}:
                raise UsageError(f"the first argument is the integration: use request('stripe', {path!r}, "
                                 f"method={integration.upper()!r})", field="integration")
            raise UsageError(f"only the 'stripe' integration is available here, not {integration!r}")
        method = method.upper()
        if method not in {"GET", "POST", "DELETE"}:
            raise UsageError(f"Stripe takes GET, POST or DELETE; got {method}")
        if not path.startswith("/"):
            path = "/" + path
        if not path.startswith("/v1/") and not path.startswith("/v2/"):
            path = "/v1" + path
        merged = stripe_values({**(params or {}), **(body or {})})
        if "limit" in merged and method == "GET":  # limit=N given as a Stripe param: the rows wanted
            given = rows_wanted(merged.pop("limit"))
            if limit is not None and limit != given:
                raise UsageError("give the number of rows once: --limit N", field="limit")
            limit = given
        if limit is not None:
            if method != "GET":
                raise UsageError(f"--limit counts the rows of a GET list; {method} sends no pages", field="limit")
            if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
                raise UsageError(f"--limit must be a positive whole number of rows; got {limit!r}", field="limit")
            if page and limit > 100:
                raise UsageError(f"--page sends one request: --limit is then the page size, at most 100; "
                                 f"got {limit} (drop --page to fetch {limit} rows over several pages)", field="limit")
        return PlannedCall(ACTIONS["request"], method, path, merged, stripe_account=account, limit=limit)

    def prepare_request(
        self, path: str, method: str = "GET", params: Mapping[str, Any] | None = None, *,
        limit: int | None = None, page: bool = False, account: str | None = None, idempotency_key: str | None = None,
    ) -> httpx.Request:
        """The first HTTP request ``request`` would send (for ``--dry-run``): a list's first page, limit ≤ 100."""
        call = self._plan_request("stripe", path, method, None, params, limit=limit, page=page, account=account)
        sent = call.params
        if call.method == "GET" and not page and answers_a_list(call.path):
            sent = first_page_params(call.params, call.limit, self.config.page_size)
        elif page and call.limit:
            sent = {**call.params, "limit": call.limit}
        return self.client.build_request(call.method, call.path, sent, stripe_account=account,
                                         idempotency_key=idempotency_key)

    def _one_answer(self, call: PlannedCall, response: Any) -> pd.DataFrame:
        """One response as a frame: a page's objects, one object, or one row of anything else."""
        frame, complete = answer_frame(response.data, keep_raw=self.config.keep_raw, path=call.path)
        data = response.data
        return attach_metadata(
            frame, action="request", params={"method": call.method, "path": call.path, **call.params},
            request_ids=[response.request_id] if response.request_id else [],
            livemode=data.get("livemode") if isinstance(data, dict) else None, complete=complete,
            server_time=response.server_time,
        )
