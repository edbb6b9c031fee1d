"""Stripe's bracket notation, read back: ``a[b][0][c]=v`` pairs -> nested dicts and lists.

The inverse of Stripe's form flattening. ``[N]`` makes a list index, ``[]`` appends, any other
bracket makes a dict key — except directly under a *map* key such as ``metadata``, where
``metadata[1]`` is the key ``"1"``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import UsageError
from .templating import show

KEY_PATTERN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[[^\[\]]*\])*)\Z")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
APPEND = None  # the path segment for ``[]``
MAP_KEYS = frozenset({"metadata"})

Segment = str | int | None
Path = tuple[Segment, ...]


def is_key(text: str) -> bool:
    return KEY_PATTERN.match(text) is not None


def parse_key(key: str, map_keys: frozenset[str] = MAP_KEYS) -> Path:
    """``"items[0][price]"`` -> ``("items", 0, "price")``; ``"expand[]"`` -> ``("expand", None)``."""
    match = KEY_PATTERN.match(key)
    if not match:
        raise UsageError(
            f"{show(key)} is not a parameter name: use Stripe's bracket notation like metadata[tier]=gold",
        )
    path: list[Segment] = [match.group(1)]
    for raw in _SEGMENT.findall(match.group(2)):
        parent = path[-1]
        if isinstance(parent, str) and parent in map_keys:
            path.append(raw)
        elif raw == "":
            path.append(APPEND)
        elif raw.isascii() and raw.isdigit():
            if len(raw) > 6:
                raise UsageError(f"list index in {show(key)} is too large", field=match.group(1))
            path.append(int(raw))
        else:
            path.append(raw)
    return tuple(path)


def render_path(path: Path) -> str:
    head, *rest = path
    return str(head) + "".join("[]" if s is APPEND else f"[{s}]" for s in rest)


class _Seq(dict):
    """A list under construction: index -> value, so sparse or huge indices cost nothing."""

    def next_index(self) -> int:
        return max(self, default=-1) + 1


class Tree:
    """Builds one params tree from (path, value) assignments; a second value at a leaf is an error."""

    def __init__(self) -> None:
        self._root: dict = {}

    def put(self, path: Path, value: Any) -> None:
        node: dict = self._root
        resolved: list[Segment] = []
        for depth, seg in enumerate(path):
            if seg is APPEND:
                seg = node.next_index() if isinstance(node, _Seq) else 0
            resolved.append(seg)
            if depth == len(path) - 1:
                self._put_value(node, seg, value, tuple(resolved))
                return
            following = path[depth + 1]
            kind = _Seq if following is APPEND or isinstance(following, int) else dict
            child = node.get(seg)
            if child is None:
                child = node[seg] = kind()
            elif type(child) is not kind:
                raise _conflict(tuple(resolved))
            node = child

    def _put_value(self, node: dict, seg: Segment, value: Any, full: Path) -> None:
        if isinstance(value, Mapping):
            child = node.get(seg)
            if child is None:
                child = node[seg] = {}
            elif type(child) is not dict:
                raise _conflict(full)
            for key, item in value.items():
                if "[" in str(key) or "]" in str(key):  # would read back as a different path
                    raise UsageError(
                        f"{render_path(full)} has the key {show(str(key))}: keys sent to Stripe cannot contain [ or ]",
                        field=full[0] if isinstance(full[0], str) else None,
                    )
                self._put_value(child, str(key), item, (*full, str(key)))
        elif isinstance(value, list):
            child = node.get(seg)
            if child is None:
                child = node[seg] = _Seq()
            elif type(child) is not _Seq:
                raise _conflict(full)
            for index, item in enumerate(value):  # merges index-wise with bracket pairs
                self._put_value(child, index, item, (*full, index))
        elif seg in node:
            raise _conflict(full, twice=not isinstance(node[seg], dict))
        else:
            node[seg] = value

    def build(self) -> dict:
        return _finish(self._root, ())


def _conflict(path: Path, twice: bool = False) -> UsageError:
    name = render_path(path)
    top = path[0] if isinstance(path[0], str) else None
    if twice:
        return UsageError(f"{name} is given twice: give each parameter once", field=top)
    return UsageError(
        f"{name} is given with two shapes (a plain value and nested keys, or a list and keys): "
        "use one bracket form for it",
        field=top,
    )


def _finish(node: Any, path: Path) -> Any:
    if isinstance(node, _Seq):
        indices = sorted(node)
        if indices != list(range(len(indices))):
            shown = ", ".join(str(i) for i in indices[:5])
            raise UsageError(
                f"{render_path(path)} has list indices {shown}: number them 0, 1, 2, … without gaps",
                field=path[0] if path and isinstance(path[0], str) else None,
            )
        return [_finish(node[i], (*path, i)) for i in indices]
    if isinstance(node, dict):
        return {key: _finish(value, (*path, key)) for key, value in node.items()}
    return node


def unflatten(pairs: Iterable[tuple[str, Any]], *, map_keys: frozenset[str] = MAP_KEYS) -> dict:
    """``[("metadata[tier]", "gold"), ("items[0][price]", "p"), ("expand[]", "x")]`` -> nested dict.

    Raises ``UsageError`` for malformed keys, a leaf given twice, or conflicting shapes (``a=1 a[b]=2``).
    """
    tree = Tree()
    for key, value in pairs:
        tree.put(parse_key(key, map_keys), value)
    return tree.build()


def merge(base: Any, override: Any) -> Any:
    """Deep-merge two built trees; ``override`` wins at leaves and on shape conflicts."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = merge(base[key], value) if key in base else value
        return merged
    if isinstance(base, list) and isinstance(override, list):
        size = max(len(base), len(override))
        return [
            merge(base[i], override[i]) if i < len(base) and i < len(override)
            else (override[i] if i < len(override) else base[i])
            for i in range(size)
        ]
    return override


def has_path(tree: Any, path: Path) -> bool:
    """Whether ``tree`` (nested dicts and lists) holds a value at ``path``."""
    for seg in path:
        if isinstance(tree, dict) and seg in tree:
            tree = tree[seg]
        elif isinstance(tree, list) and isinstance(seg, int) and seg < len(tree):
            tree = tree[seg]
        else:
            return False
    return True
