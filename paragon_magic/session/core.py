"""A Session runs catalog actions through one Stripe client and returns typed DataFrames."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pandas as pd

from ..action_methods import make_action_method
from ..catalog import ACTIONS, get_action
from ..dates import to_epoch_seconds, to_epoch_span
from ..errors import UsageError
from ..frames import attach_metadata, to_frame
from ..listing import ListOutcome, list_sequential
from ..search_query import normalise_query
from ..values import stripe_values
from .metrics import MetricsMethods
from .plan import PlannedCall, missing_required, place_targets, rows_wanted
from .request import RequestMethods
from .store import StoreMethods


class LiveWriteRefused(UsageError):
    """A write with a live key that the user did not explicitly allow."""


@dataclass
class SessionConfig:
    """Knobs a user may change (the magics expose them through ``%config StripeMagic``)."""

    progress: bool = True
    page_size: int = 100
    default_limit: int | None = None  # None: fetch every page
    partitioned: bool = True  # parallel created-window listing for large reads
    allow_live_writes: bool = False
    keep_raw: bool = False


class Session(RequestMethods, MetricsMethods, StoreMethods):
    """One connection (direct key, sandbox or Paragon proxy) and the actions run through it.

    ``session.list_customers(email=...)`` and every other catalog row are methods; ``run`` is the
    generic form, ``request`` the raw one; ``mrr``, ``mrr_history``, ``churn``, ``cohorts``, ... the
    finance metrics (:mod:`.metrics`). Concurrent listings build async twins of ``client``
    that share its rate limiter and retry policy.
    """

    def __init__(
        self,
        client: Any,
        *,
        config: SessionConfig | None = None,
        label: str = "direct key",
        account: Mapping[str, Any] | None = None,
    ) -> None:
        self.client = client
        self.config = config or SessionConfig()
        self.label = label
        self.account: dict[str, Any] = dict(account or {})
        #: Paragon mode: asked before a write without --live; returns what changed (refuse) or None.
        self.mode_check: Callable[[str | None], str | None] | None = None
        #: The local store: "default" (user data dir, one file per account and mode), a directory or a
        #: ``.duckdb`` file, or None for no store (``paragon_magic.store``).
        self.store_location: Any = "default"

    def __repr__(self) -> str:
        return f"<Session {self.label} {self.masked_key} ({self.mode} mode)>"

    @property
    def mode(self) -> str:
        return self.client.backend.mode

    @property
    def masked_key(self) -> str:
        return self.client.backend.masked

    def __getattr__(self, name: str) -> Any:
        if name in ACTIONS and name != "request":

            def run(id: str | None = None, **kwargs: Any) -> pd.DataFrame:
                return self.run(name, id=id, **_split_options(kwargs))

            return make_action_method(ACTIONS[name], run)
        raise AttributeError(name)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | {n for n in ACTIONS if n != "request"})

    # -- planning -----------------------------------------------------------------------------
    def plan(
        self,
        action: str,
        params: Mapping[str, Any] | None = None,
        *,
        id: str | None = None,
        limit: int | None = None,
        created_after: Any = None,
        created_before: Any = None,
        month: Any = None,
        expand: list[str] | str | None = None,
        account: str | None = None,
        idempotency_key: str | None = None,
    ) -> PlannedCall:
        """Validate and place the parameters of one call without sending anything."""
        act = get_action(action)
        if act.kind == "request":
            raise UsageError("use session.request(...) for raw requests")
        placed = place_targets(act, stripe_values(params or {}))
        if act.is_search and id is not None:  # session.search_customers("email:'a@b.co'"): the query
            if "query" in placed:
                raise UsageError("give the search query once", field="query")
            placed["query"], id = id, None
        if act.is_search and isinstance(placed.get("query"), str):  # dates as every flag takes them; the fix said
            placed["query"] = normalise_query(placed["query"], act.name)
        if act.is_list and "limit" in placed:  # limit=N written as a Stripe param: the rows wanted
            given = placed.pop("limit")
            if limit is not None and str(limit) != str(given):
                raise UsageError("give the number of rows once: --limit N", field="limit")
            limit = rows_wanted(given)
        missing = missing_required(act, placed, id)
        if missing:
            raise UsageError(f"{act.name} needs --{missing}", field=missing)
        if month is not None:
            if created_after is not None or created_before is not None:
                raise UsageError("give month or created_after/created_before, not both", field="month")
            created_after, created_before = to_epoch_span(month, field="month")
        if created_after is not None or created_before is not None:
            if not act.is_list:
                raise UsageError(f"{act.name} is not a list; --created-after/--created-before apply to lists")
            if not act.filters_created:
                raise UsageError(f"{act.name} cannot filter by creation time, so --created-after/--created-before "
                                 "do not apply" + (" (put created>… in the query)" if act.is_search else ""))
            created = placed.setdefault("created", {})
            if not isinstance(created, dict):
                raise UsageError("give either --created or --created-after/--created-before", field="created")
            if created_after is not None:
                _no_second_bound(created, ("gt", "gte"), "created_after")
                created["gte"] = to_epoch_seconds(created_after, field="created_after")
            if created_before is not None:
                _no_second_bound(created, ("lt", "lte"), "created_before")
                created["lt"] = to_epoch_seconds(created_before, field="created_before")
        if expand:
            fields = [expand] if isinstance(expand, str) else list(expand)
            prefix = "data." if act.is_list else ""
            placed["expand"] = [f if f.startswith(prefix) else prefix + f for f in fields]
        if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
            raise UsageError(f"--limit must be a positive whole number of rows; got {limit!r}", field="limit")
        # an id is one path segment: "cus_x/../balance" must not reach another endpoint
        path = act.path.replace("{id}", quote(str(id), safe="")) if act.id_param else act.path
        return PlannedCall(
            action=act,
            method=act.method,
            path=path,
            params=placed,
            stripe_account=account,
            idempotency_key=idempotency_key,
            limit=limit if limit is not None else self.config.default_limit,
        )

    def prepare(self, action: str, params: Mapping[str, Any] | None = None, **options: Any) -> httpx.Request:
        """The HTTP request ``run`` would send first (for ``--dry-run``); nothing is sent."""
        call = self.plan(action, params, **options)
        params_out = dict(call.params)
        if call.action.is_list:
            params_out["limit"] = min(self.config.page_size, call.limit or self.config.page_size)
        return self.client.build_request(
            call.method, call.path, params_out, stripe_account=call.stripe_account,
            idempotency_key=call.idempotency_key,
        )

    # -- running ------------------------------------------------------------------------------
    def run(
        self,
        action: str,
        params: Mapping[str, Any] | None = None,
        *,
        live: bool = False,
        progress: bool | None = None,
        credential: str | None = None,
        **options: Any,
    ) -> pd.DataFrame:
        """Run one catalog action and return its DataFrame (``credential``: Paragon's X-Paragon-Credential)."""
        with self.selecting(credential):
            return self._run(action, params, live=live, progress=progress, **options)

    @contextmanager
    def selecting(self, credential: str | None) -> Iterator[None]:
        """Paragon mode: the calls inside the block use the user's connected account ``credential``."""
        if credential is None:
            yield
            return
        select = getattr(self.client.backend, "selecting", None)
        if select is None:
            raise UsageError("--credential picks one of a Paragon user's connected accounts; "
                             "this connection is not through Paragon", field="credential")
        with select(credential):
            yield

    def _run(self, action: str, params: Mapping[str, Any] | None, *, live: bool, progress: bool | None,
             **options: Any) -> pd.DataFrame:
        call = self.plan(action, params, **options)
        self._guard_live(call, live)
        if call.action.is_list:
            return self._run_list(call, self.config.progress if progress is None else progress)
        response = self.client.request(
            call.method, call.path, call.params, stripe_account=call.stripe_account,
            idempotency_key=call.idempotency_key,
        )
        frame = to_frame([response.data], call.action.object_type, keep_raw=self.config.keep_raw)
        return attach_metadata(
            frame, action=call.action.name, params=call.params,
            request_ids=[response.request_id] if response.request_id else [],
            livemode=response.data.get("livemode"), complete=True, server_time=response.server_time,
        )

    def _run_list(self, call: PlannedCall, progress: bool) -> pd.DataFrame:
        frame, outcome = self._list(call, progress)
        return attach_metadata(
            frame, action=call.action.name, params=call.params, request_ids=outcome.request_ids,
            livemode=outcome.livemode, complete=outcome.complete, server_time=outcome.server_time,
        )

    def _list(self, call: PlannedCall, progress: bool) -> tuple[pd.DataFrame, ListOutcome]:
        from ..listing.partitioned import list_partitioned, use_partitioned

        if self.config.partitioned and use_partitioned(call.action, call.params, call.limit):
            return list_partitioned(
                self.client, call.path, call.params, object_type=call.action.object_type,
                limit=call.limit, page_size=self.config.page_size,
                progress=progress, stripe_account=call.stripe_account, keep_raw=self.config.keep_raw,
            )
        return list_sequential(
            self.client, call.path, call.params, object_type=call.action.object_type,
            limit=call.limit, page_size=self.config.page_size, progress=progress,
            stripe_account=call.stripe_account, keep_raw=self.config.keep_raw,
        )

    def _guard_live(self, call: PlannedCall, live: bool) -> None:
        """Writes to a live (or possibly live) account need ``live=True`` / ``--live``.

        In Paragon mode the account's mode is asked again first (``mode_check``): the user may have
        reconnected another Stripe account since the last answer.
        """
        if call.method == "GET" or live or self.config.allow_live_writes:
            return
        changed = self.mode_check(call.stripe_account) if self.mode_check is not None else None
        if changed:
            raise LiveWriteRefused(f"{call.action.name} refused: {changed}; add --live to this call "
                                   "(Python: live=True) if you mean to change it")
        if self.mode == "test":
            return
        which = "your LIVE Stripe account" if self.mode == "live" else "a Stripe account that may be live"
        raise LiveWriteRefused(
            f"{call.action.name} would change {which}; add --live to this call (Python: live=True) "
            "or set %config StripeMagic.allow_live_writes = True, if you mean it"
        )

    def close(self) -> None:
        self.client.close()


def _no_second_bound(created: Mapping[str, Any], keys: tuple[str, ...], option: str) -> None:
    if any(key in created for key in keys):
        raise UsageError(f"--created already has a {'/'.join(keys)} bound; drop it or --{option.replace('_', '-')}",
                         field="created")


_OPTION_NAMES = {"limit", "created_after", "created_before", "month", "expand", "account", "idempotency_key", "live",
                 "progress", "credential"}


def _split_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Python-API kwargs: options stay keywords, everything else becomes Stripe params."""
    options = {k: v for k, v in kwargs.items() if k in _OPTION_NAMES}
    params = {k: v for k, v in kwargs.items() if k not in _OPTION_NAMES}
    return {"params": params, **options}
