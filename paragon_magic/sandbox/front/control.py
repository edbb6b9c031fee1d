"""``/_sandbox/*`` control endpoints of the front layer (only for the holder of the run's control secret)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .app import STATE, FrontState
from .auth import is_secret_key
from .errors import json_response
from .faults import FaultConfig, ScriptedResponse

#: Timestamps besides ``created`` that ``/_sandbox/backdate`` may set (tests arranging a history).
BACKDATABLE_FIELDS = frozenset({
    "canceled_at", "ended_at", "start_date", "cancel_at", "trial_start", "trial_end",
    "current_period_start", "current_period_end", "billing_cycle_anchor", "available_on",
})  # fmt: skip


def _bad(message: str) -> web.Response:
    return json_response({"error": {"type": "invalid_request_error", "message": message}}, status=400)


async def _json_object(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json() if await request.read() else {}
    except ValueError:
        raise web.HTTPBadRequest(text="body must be JSON") from None
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text="body must be a JSON object")
    return data


def _state(request: web.Request) -> FrontState:
    return request.app[STATE]


async def reset(request: web.Request) -> web.Response:
    _state(request).reset()
    return json_response({"reset": True})


async def get_config(request: web.Request) -> web.Response:
    return json_response(_state(request).faults.config.to_json())


async def set_config(request: web.Request) -> web.Response:
    try:
        config = FaultConfig.from_json(await _json_object(request))
    except (TypeError, ValueError) as exc:
        return _bad(str(exc))
    _state(request).faults.configure(config)
    return json_response(config.to_json())


async def set_script(request: web.Request) -> web.Response:
    data = await _json_object(request)
    responses = data.get("responses", [])
    try:
        scripted = [ScriptedResponse.from_json(item) for item in responses]
    except (TypeError, ValueError) as exc:
        return _bad(str(exc))
    queue = _state(request).faults.script
    if data.get("replace", False):
        queue.clear()
    queue.extend(scripted)
    return json_response({"queued": len(queue)})


_BACKDATE_USAGE = (
    'expected {"ids": {object_id: epoch_seconds}} and/or '
    '{"fields": {object_id: {field: epoch_seconds or null}}}'
)


def _parse_field_overrides(raw: Any) -> dict[str, dict[str, int | None]] | str:
    """Validated ``fields`` of a backdate request, or the error message."""
    if not isinstance(raw, dict):
        return _BACKDATE_USAGE
    out: dict[str, dict[str, int | None]] = {}
    for obj_id, values in raw.items():
        if not isinstance(values, dict):
            return _BACKDATE_USAGE
        for name, value in values.items():
            if name != "created" and name not in BACKDATABLE_FIELDS:
                allowed = ", ".join(sorted({"created", *BACKDATABLE_FIELDS}))
                return f"cannot backdate field {name!r} (allowed: {allowed})"
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                return f"{obj_id}.{name}: expected epoch seconds or null"
        out[str(obj_id)] = dict(values)
    return out


def _set_time(obj: Any, name: str, moment: int | None) -> None:
    """Set a timestamp of ``obj`` (subscription periods live on its items, as Stripe keeps them)."""
    if name in ("current_period_start", "current_period_end") and obj.get("object") == "subscription":
        for item in (obj.get("items") or {}).get("data") or []:
            item[name] = moment
        return
    if name == "created" and "created" not in obj and "date" in obj:  # invoice items are dated, not created
        name = "date"
    if name not in obj:  # not a field of this object (a payout's available_on on a subscription)
        return
    obj[name] = moment
    if name == "created" and obj.get("object") == "balance_transaction" and "available_on" in obj:
        obj["available_on"] = None if moment is None else (moment // 86_400 + 2) * 86_400


async def backdate(request: web.Request) -> web.Response:
    """Set ``created`` (``ids``; list order and filters follow) and other timestamps (``fields``) of
    stored objects: a test's way to arrange a history without playing it on a clock."""
    data = await _json_object(request)
    ids = data.get("ids", {})
    if not isinstance(ids, dict) or not all(isinstance(v, int) and not isinstance(v, bool) for v in ids.values()):
        return _bad(_BACKDATE_USAGE)
    fields = _parse_field_overrides(data.get("fields", {}))
    if isinstance(fields, str):
        return _bad(fields)
    created = dict(ids)
    for obj_id, values in fields.items():
        if values.get("created") is not None:
            created[obj_id] = values.pop("created")  # type: ignore[assignment]
        values.pop("created", None)
    store = _state(request).engine.store
    missing = [obj_id for obj_id in {*created, *fields} if store.get(obj_id) is None]
    if missing:
        return _bad(f"no such object: {sorted(missing)[0]}")
    for obj_id, moment in created.items():
        _set_time(store.get(obj_id), "created", moment)
    for obj_id, values in fields.items():
        for name, moment in values.items():
            _set_time(store.get(obj_id), name, moment)
    store.touch()
    return json_response({"backdated": len(set(created) | set(fields))})


async def clock(request: web.Request) -> web.Response:
    """Set (``{"now": epoch}``) or stop (``{"now": null}``) the sandbox clock (see ``clock``)."""
    now = (await _json_object(request)).get("now")
    if now is not None and (not isinstance(now, int) or isinstance(now, bool)):
        return _bad('expected {"now": epoch_seconds or null}')
    _state(request).engine.clocks.set_frozen(now)
    return json_response({"now": now})


async def seed(request: web.Request) -> web.Response:
    """Play the seeded demo business on the engine (``{"customers", "rng_seed", "now"}``, all optional)."""
    from ..seed import report_json, seed_engine

    data = await _json_object(request)
    options = {k: data[k] for k in ("customers", "rng_seed", "now") if data.get(k) is not None}
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in options.values()):
        return _bad('expected {"customers": int, "rng_seed": int, "now": epoch_seconds or null}')
    state = _state(request)
    report = seed_engine(state.engine, **options)
    state.lists.invalidate()
    return json_response(report_json(report))


async def settings(request: web.Request) -> web.Response:
    """Read or change what Stripe lets an account (or a test) choose: event retention, dunning, payouts."""
    engine = _state(request).engine
    if request.method == "POST":
        data = await _json_object(request)
        if "event_retention_days" in data:
            days = data["event_retention_days"]
            if days is not None and (not isinstance(days, int) or isinstance(days, bool) or days < 1):
                return _bad("event_retention_days: a positive number of days, or null for no limit")
            engine.events.retention_days = days
        for name in ("retry_days", "dunning_action", "payout_every_days", "automatic_payouts"):
            if name in data:
                value = data[name]
                setattr(engine.settings, name, tuple(value) if name == "retry_days" else value)
    return json_response({"event_retention_days": engine.events.retention_days,
                          **{k: v for k, v in vars(engine.settings).items()}})  # fmt: skip


async def keys(request: web.Request) -> web.Response:
    """Register keys the data plane accepts besides ``SANDBOX_KEY`` (``secret``: ``sk_…`` keys,
    ``restricted``: ``rk_…`` keys with their permissions) and revoke keys."""
    data = await _json_object(request)
    registry = _state(request).keys
    secret = data.get("secret", [])
    restricted = data.get("restricted", {})
    revoked = data.get("revoked", [])
    if not isinstance(secret, list) or not isinstance(restricted, dict) or not isinstance(revoked, list):
        return _bad('expected {"secret": [keys], "restricted": {key: [permissions]}, "revoked": [keys]}')
    if not all(is_secret_key(str(key)) for key in secret):
        return _bad("secret keys look like sk_test_… or sk_live_… (letters, digits, _)")
    for key, permissions in restricted.items():
        if not str(key).startswith(("rk_test_", "rk_live_")):
            return _bad("restricted keys start with rk_test_ or rk_live_")
        registry.restricted[key] = set(permissions)
    registry.secret.update(str(key) for key in secret)
    registry.revoked.update(revoked)
    return json_response({"secret": len(registry.secret), "restricted": len(registry.restricted),
                          "revoked": len(registry.revoked)})


async def requests_log(request: web.Request) -> web.Response:
    return json_response(list(_state(request).log))


async def stats(request: web.Request) -> web.Response:
    state = _state(request)
    counters: dict[str, Any] = {name: state.stats.get(name, 0) for name in (
        "requests", "rate_limited", "drops", "stalls", "replays", "injected_errors", "scripted")}
    counters["statuses"] = {
        name[len("status_"):]: n for name, n in state.stats.items() if name.startswith("status_")
    }
    counters.update(
        rate_limited_burst=state.faults.counts["rate_limited_burst"],
        rate_limited_limiter=state.faults.counts["rate_limited_limiter"],
        list_cache_hits=state.lists.hits,
        list_cache_misses=state.lists.misses,
    )
    return json_response(counters)


def add_control_routes(app: web.Application) -> None:
    app.router.add_post("/_sandbox/reset", reset)
    app.router.add_get("/_sandbox/config", get_config)
    app.router.add_post("/_sandbox/config", set_config)
    app.router.add_post("/_sandbox/script", set_script)
    app.router.add_post("/_sandbox/backdate", backdate)
    app.router.add_post("/_sandbox/clock", clock)
    app.router.add_post("/_sandbox/keys", keys)
    app.router.add_post("/_sandbox/seed", seed)
    app.router.add_get("/_sandbox/settings", settings)
    app.router.add_post("/_sandbox/settings", settings)
    app.router.add_get("/_sandbox/requests", requests_log)
    app.router.add_get("/_sandbox/stats", stats)
