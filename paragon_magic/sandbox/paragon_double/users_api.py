"""The double's Users API host: ``GET`` and ``PATCH /projects/{id}/sdk/me``.

Served on its own base (Paragon's ``https://api.useparagon.com``), never on the proxy's, so a client
asking the wrong host fails. Documented: the path, the bearer user token, ``PATCH {meta}`` for user
metadata and the ``getUser()`` fields returned. Assumed: ``PATCH`` merges keys and answers with the
user state; errors use the proxy's envelope.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from aiohttp import web

from .envelopes import Refusal

if TYPE_CHECKING:
    from .state import ParagonDouble

__all__ = ["make_users_app"]


def make_users_app(double: ParagonDouble) -> web.Application:
    async def me(request: web.Request) -> web.Response:
        try:
            user_id = double.authenticate(request)
            if request.method == "PATCH":
                double.merge_meta(user_id, await _meta_of(request))
        except Refusal as refusal:
            return refusal.response
        return web.json_response(double.user_state(user_id))

    async def unknown(request: web.Request) -> web.Response:
        return Refusal(404, f"Cannot {request.method} {request.path}", "NOT_FOUND").response

    app = web.Application()
    app.router.add_route("GET", "/projects/{project_id}/sdk/me", me)
    app.router.add_route("PATCH", "/projects/{project_id}/sdk/me", me)
    app.router.add_route("*", "/{path:.*}", unknown)
    return app


async def _meta_of(request: web.Request) -> dict:
    try:
        body = json.loads(await request.read() or b"null")
    except ValueError:
        raise Refusal(400, "The request body is not valid JSON.", "INVALID_BODY") from None
    meta = body.get("meta") if isinstance(body, dict) else None
    if not isinstance(meta, dict):
        raise Refusal(400, 'The body must be {"meta": {...}}.', "INVALID_BODY")
    return meta
