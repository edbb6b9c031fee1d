"""``/_sandbox/*`` control endpoints of the front layer (no auth: the server is loopback-only)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .app import STATE, FrontState
from .auth import is_secret_key
from .errors import json_response
from .faults import FaultConfig, ScriptedResponse
from .proxy import BACKDATABLE_FIELDS


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
    state = _state(request)
    reply = await state.upstream.call("DELETE", "/_config/data")
    state.reset()
    return json_response({"reset": True, "upstream_status": reply.status})


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


async def backdate(request: web.Request) -> web.Response:
    """Override ``created`` (``ids``; also list order and filters) and other timestamps (``fields``)."""
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
    state = _state(request)
    created = {**state.ledger.linked_backdates(created), **created}
    state.lists.invalidate()  # collections carry fields derived from `created` (a payout's arrival_date)
    state.backdates.update(created)
    for obj_id, values in fields.items():
        state.backdate_fields.setdefault(obj_id, {}).update(values)
    state.backdate_version += 1
    return json_response({"backdated": len(set(created) | set(fields))})


async def clock(request: web.Request) -> web.Response:
    """Set (``{"now": epoch}``) or stop (``{"now": null}``) the sandbox clock (see ``clock``)."""
    now = (await _json_object(request)).get("now")
    if now is not None and (not isinstance(now, int) or isinstance(now, bool)):
        return _bad('expected {"now": epoch_seconds or null}')
    _state(request).clock.set(now)
    return json_response({"now": now})


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
        upstream_calls=state.upstream.calls,
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
    app.router.add_get("/_sandbox/requests", requests_log)
    app.router.add_get("/_sandbox/stats", stats)
