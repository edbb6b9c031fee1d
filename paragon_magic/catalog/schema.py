"""The catalog as JSON schema: ActionKit-style function tools for ``%stripe actions --json``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..catalog_types import Action, Param

_TIMESTAMP_BOUNDS = {k: {"type": "integer"} for k in ("gt", "gte", "lt", "lte")}


def param_schema(param: Param) -> dict[str, Any]:
    """The JSON schema of one parameter's value."""
    schema = _type_schema(param.type, param.choices, param.fields, param.item_type)
    schema["description"] = param.help
    if param.example:
        schema["examples"] = [param.example]
    return schema


def _type_schema(kind: str, choices: tuple[str, ...], fields: tuple[Param, ...], item_type: str) -> dict[str, Any]:
    if kind in ("string", "integer", "boolean"):
        return {"type": kind}
    if kind == "enum":
        return {"type": "string", "enum": list(choices)}
    if kind == "timestamp":
        return {"type": ["integer", "string"], "format": "unix-time-or-iso-8601"}
    if kind == "timestamp_range":
        return {"anyOf": [{"type": "integer"},
                          {"type": "object", "properties": dict(_TIMESTAMP_BOUNDS), "additionalProperties": False}]}
    if kind == "map":
        return {"type": "object", "additionalProperties": {"type": "string"}}
    if kind == "list":
        return {"type": "array", "items": _type_schema(item_type, (), fields, "string")}
    if kind == "object":
        return _object_schema(fields)
    raise ValueError(f"unknown parameter type {kind!r}")


def _object_schema(fields: tuple[Param, ...]) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": {p.name: param_schema(p) for p in fields}}
    required = [p.name for p in fields if p.required]
    if required:
        schema["required"] = required
    return schema


def actions_schema(actions: Iterable[Action], *, include_request: bool = False) -> list[dict[str, Any]]:
    """The catalog as ActionKit-style function tools: ``[{"type": "function", "function": {...}}]``."""
    tools = []
    for action in actions:
        if action.kind == "request" and not include_request:
            continue
        params = _object_schema(action.params)
        if action.id_param:
            params["properties"] = {action.id_param: {"type": "string", "description": f"ID of the {action.id_param}."},
                                    **params["properties"]}
            params["required"] = [action.id_param, *params.get("required", [])]
        params.setdefault("required", [])
        tools.append({"type": "function", "function": {
            "name": action.schema_name, "description": action.summary, "parameters": params}})
    return tools
