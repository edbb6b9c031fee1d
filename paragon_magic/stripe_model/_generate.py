"""Writes ``_generated.py``: every Stripe object type's fields and their kinds, read from stripe-python's sources.

Run ``python -m paragon_magic.stripe_model._generate`` after upgrading stripe-python (``--check`` only
compares). The resource modules are parsed (``ast``), never imported: annotations give the shape (nested
classes, ``Optional``, ``List``, ``ListObject``, ``ExpandableField``, ``Literal``, metadata hashes) and the
attribute docstrings give the meaning of integers and strings (Unix timestamps, minor-unit amounts, currency
codes). The result is nested dicts, one per object type, of field -> kind code (see ``__init__``'s KINDS).
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import stripe

__all__ = ["generate", "render", "main"]

TARGET = Path(__file__).with_name("_generated.py")
_SKIP_DIRS = {"v2", "params", "_vendor", "events"}
_TIMESTAMP_DOC = re.compile(r"seconds since (the )?(unix )?epoch|unix timestamp|unix epoch", re.I)
_AMOUNT_DOC = re.compile(r"smallest currency unit|in cents\b|in (the )?(currency'?s? )?minor unit|"
                         r"cents[^.]*smallest|\(in cents\)|in %s", re.I)
_CURRENCY_DOC = re.compile(r"^\s*three-letter \[?iso( 4217)? currency code|^\s*the currency|iso currency code",
                           re.I)
# An integer named like a moment whose docstring speaks of a time or date is a timestamp ("The time that the
# invoice was paid", "Date at which the mandate expires"); one named like money whose docstring does not
# count things is an amount. Docstrings that say neither are settled in ``overrides.py``.
_TIME_NAME = re.compile(r"(^|_)(at|date|time|created|updated|start|end|until|on|deadline|anchor|expires?|"
                        r"expiry|by|since|timestamp)$|^(start|end|date)$")
_TIME_DOC = re.compile(r"\b(time|date|timestamp|when)\b", re.I)
_NOT_TIME_DOC = re.compile(r"\b(number of|numerical|digit|between 1 and|seconds after|days|minutes|hours)\b", re.I)
_AMOUNT_NAME = re.compile(r"(^|_)(amount|fee|net|balance|total|subtotal|tax|cost|price)(_|$)")
_NOT_AMOUNT_DOC = re.compile(r"\b(percent|number of|count|quantity|usage|digit)", re.I)
_NESTED_DEPTH = 12


def _integer_kind(field: str, doc: str) -> str:
    """``t`` (Unix timestamp), ``a`` (minor-unit amount) or ``i`` from an integer field's name and docstring."""
    if _TIMESTAMP_DOC.search(doc):
        return "t"
    if _AMOUNT_DOC.search(doc):
        return "a"
    if _TIME_NAME.search(field) and _TIME_DOC.search(doc) and not _NOT_TIME_DOC.search(doc):
        return "t"
    if _AMOUNT_NAME.search(field) and not _NOT_AMOUNT_DOC.search(doc):
        return "a"
    return "i"


def _modules() -> Iterator[tuple[str, Path]]:
    root = Path(stripe.__file__).parent
    for path in sorted(root.rglob("_*.py")):
        parts = path.relative_to(root).parts
        if any(p in _SKIP_DIRS for p in parts[:-1]) or path.name.endswith("_service.py"):
            continue
        yield "stripe." + ".".join((*parts[:-1], path.stem)), path


def _object_name(cls: ast.ClassDef) -> str | None:
    for node in cls.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            if isinstance(target, ast.Name) and target.id == "OBJECT_NAME" and node.value is not None:
                value = node.value
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    return value.value
    return None


class _Module:
    """One parsed resource module: its imports (local name -> (module, name)) and top-level classes."""

    def __init__(self, name: str, path: Path) -> None:
        self.name = name
        self.tree = ast.parse(path.read_text(encoding="utf-8"))
        self.imports: dict[str, tuple[str, str]] = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    self.imports[alias.asname or alias.name] = (node.module, alias.name)
        self.classes = {n.name: n for n in self.tree.body if isinstance(n, ast.ClassDef)}


class _Reader:
    def __init__(self) -> None:
        self.modules = {name: _Module(name, path) for name, path in _modules()}
        self.types: dict[tuple[str, str], str] = {}  # (module, class) -> object type
        for module in self.modules.values():
            for cls in module.classes.values():
                object_name = _object_name(cls)
                if object_name and not object_name.startswith("v2.") and object_name not in ("list", "search_result"):
                    self.types[(module.name, cls.name)] = object_name

    def model(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for (module_name, class_name), object_type in sorted(self.types.items(), key=lambda kv: kv[1]):
            module = self.modules[module_name]
            out[object_type] = self._fields(module, [module.classes[class_name]], 0)
        return out

    # --- one class's fields ---------------------------------------------------------------------------

    def _fields(self, module: _Module, scopes: list[ast.ClassDef], depth: int) -> dict[str, Any]:
        cls = scopes[-1]
        fields: dict[str, Any] = {}
        body = cls.body
        for index, node in enumerate(body):
            if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
                continue
            name = node.target.id
            if name.startswith("_") or name.isupper():
                continue
            annotation = ast.unparse(node.annotation)
            if annotation.startswith("ClassVar"):
                continue
            doc = ""
            if index + 1 < len(body):
                following = body[index + 1]
                if isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant):
                    doc = str(following.value.value)
            fields[name] = self._kind(module, scopes, name, node.annotation, doc, depth)
        encodings = _class_dict(cls, "_field_encodings")
        for name, encoding in encodings.items():
            if encoding == "decimal_string" and name in fields:
                fields[name] = "d"
        return fields

    def _kind(self, module: _Module, scopes: list[ast.ClassDef], name: str, node: ast.expr, doc: str,
              depth: int) -> Any:
        node = _unwrap_optional(node)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node = ast.parse(node.value, mode="eval").body
        if isinstance(node, ast.Name):
            return self._named(module, scopes, name, node.id, doc, depth)
        if isinstance(node, ast.Subscript):
            head = ast.unparse(node.value)
            inner = node.slice
            if head == "Literal":
                return "e"
            if head == "Union":
                members = inner.elts if isinstance(inner, ast.Tuple) else [inner]
                if all(_is_literal_or_str(m) for m in members):
                    return "e"
                return "o"
            if head == "ExpandableField":
                target = self._target(module, scopes, inner)
                return f"x:{target}" if target else "s"
            if head == "ListObject":
                target = self._target(module, scopes, inner)
                # a list object as the API sends it (``total_count`` too, which stripe-python leaves unannotated)
                return {"": "o", "data": f"l:{target}" if target else "l",
                        "has_more": "b", "object": "e", "total_count": "i", "url": "s"}
            if head == "List":
                element = self._kind(module, scopes, name, inner, doc, depth)
                if isinstance(element, dict):
                    return {"": "l", "[]": element}
                return f"l:{element.removeprefix('x:').removeprefix('r:')}" if ":" in element else f"l:{element}"
            if head in ("Dict", "UntypedStripeObject", "Mapping"):
                return "h" if "str]" in ast.unparse(node).replace(" ", "") or head == "UntypedStripeObject" \
                    and ast.unparse(inner) == "str" else "o"
        return "o"

    def _named(self, module: _Module, scopes: list[ast.ClassDef], field: str, name: str, doc: str,
               depth: int) -> Any:
        if name == "int":
            return _integer_kind(field, doc)
        if name == "bool":
            return "b"
        if name == "float":
            return "n"
        if name == "Decimal":
            return "d"
        if name == "str":
            if field == "id":
                return "id"
            if field.endswith("currency") and _CURRENCY_DOC.search(doc) or field == "currency":
                return "c"
            return "s"
        if name in ("Any", "object", "StripeObject", "UntypedStripeObject"):
            return "o"
        for scope_index in range(len(scopes) - 1, -1, -1):  # a nested class, innermost scope first
            nested = {n.name: n for n in scopes[scope_index].body if isinstance(n, ast.ClassDef)}
            if name in nested:
                if depth >= _NESTED_DEPTH:
                    return "o"
                return {"": "o", **self._fields(module, [*scopes[: scope_index + 1], nested[name]], depth + 1)}
        target = self._resolve(module, name)
        return f"r:{target}" if target else "o"

    def _target(self, module: _Module, scopes: list[ast.ClassDef], node: ast.expr) -> str | None:
        node = _unwrap_optional(node)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node = ast.parse(node.value, mode="eval").body
        return self._resolve(module, node.id) if isinstance(node, ast.Name) else None

    def _resolve(self, module: _Module, name: str) -> str | None:
        if (module.name, name) in self.types:
            return self.types[(module.name, name)]
        if name in module.imports:
            return self.types.get(module.imports[name])
        return None


def _class_dict(cls: ast.ClassDef, attribute: str) -> dict[str, Any]:
    for node in cls.body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        if isinstance(target, ast.Name) and target.id == attribute and isinstance(node.value, ast.Dict):
            try:
                return ast.literal_eval(node.value)
            except ValueError:
                return {}
    return {}


def _unwrap_optional(node: ast.expr) -> ast.expr:
    while isinstance(node, ast.Subscript) and ast.unparse(node.value) in ("Optional", "NotRequired"):
        node = node.slice
    return node


def _is_literal_or_str(node: ast.expr) -> bool:
    return (isinstance(node, ast.Name) and node.id == "str") or (
        isinstance(node, ast.Subscript) and ast.unparse(node.value) == "Literal")


def generate() -> dict[str, dict[str, Any]]:
    """The model of the installed stripe-python: object type -> nested field dict."""
    return _Reader().model()


def _compact(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ",".join(f"{k!r}:{_compact(v)}" for k, v in sorted(value.items())) + "}"
    return repr(value)


def render(model: dict[str, dict[str, Any]]) -> str:
    body = "".join(f"    {name!r}: {_compact(fields)},\n" for name, fields in sorted(model.items()))
    return (f"# Generated by `python -m paragon_magic.stripe_model._generate` from stripe-python "
            f"{stripe.VERSION}. Do not edit.\n"
            f'"""Object types -> nested dicts of field -> kind code (see ``paragon_magic.stripe_model``)."""\n\n'
            f'STRIPE_PYTHON_VERSION = "{stripe.VERSION}"\n'
            f'API_VERSION = "{stripe.api_version}"\n\n'
            f"MODEL = {{\n{body}}}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the committed module is out of date")
    args = parser.parse_args(argv)
    text = render(generate())
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET} is out of date; run python -m paragon_magic.stripe_model._generate", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET} ({len(text) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
