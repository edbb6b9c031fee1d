"""The pure parser of ``%stripe`` lines and ``%%stripe`` cells (no IPython).

Grammar::

    <action> [<id>] [--flag value | --flag=value | --bool-flag [true|false] | key[sub]=value] ...
    request [METHOD] PATH [key=value ...] [flags]

``{{ expr }}`` may stand for any value; see :mod:`.templating`. The magic layer dispatches the
:data:`SUBCOMMANDS` itself before calling :func:`parse_line`.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, quote

from ..catalog import ACTIONS
from ..catalog_types import Action, Param
from ..errors import UsageError
from ..search_query import normalise_query
from . import brackets
from .brackets import unflatten
from .calls import CallOptions, ParsedCall, to_columns
from .coerce import BOOL_WORDS, coerce, plain, suggest, to_bool, to_int, to_span, to_text, to_timestamp
from .cellbody import body_pairs
from .completion import complete
from .flags import (
    LISTING_OPTIONS, METHODS, SUBCOMMANDS, display_flag, normalise_flag, option_flags,
    param_flags,
)
from .templating import Binder, Token, mask_secrets, one_quoted, reject_secrets, show, tokenize

Evaluate = Callable[[str], Any]
__all__ = ["SUBCOMMANDS", "CallOptions", "ParsedCall", "parse_line", "parse_cell", "complete", "unflatten"]

_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:\-]{0,254}\Z")
_NEGATED_CLAUSE = re.compile(r"-[A-Za-z_][\w.]*(\[[^\]]*\])?(:|~|<|>)")
_PATH = re.compile(r"/v\d+(/[A-Za-z0-9_.:\-]+)*/?\Z")


def find_action(word: str, catalog: Mapping[str, Action]) -> Action:
    name = word.replace("-", "_")
    if name in catalog:
        return catalog[name]
    if word in SUBCOMMANDS:
        raise UsageError(f"'{word}' is a %stripe command, not an action: run it as `%stripe {word}`")
    hint = suggest(name.lower(), list(catalog))
    did_you_mean = f"; did you mean {hint}?" if hint else "; `%stripe actions` lists them"
    raise UsageError(f"unknown action {show(word)}{did_you_mean}", field="action")


class _Sink:
    """Where parameters from one source (the line, or a cell body) collect."""

    def __init__(self) -> None:
        self.tree = brackets.Tree()
        self.lists: dict[str, list] = {}
        self.seen: set[str] = set()

    def build(self, params: Mapping[str, Param], map_keys: frozenset[str]) -> dict:
        for name, items in self.lists.items():
            self.tree.put(brackets.parse_key(params[name].stripe_key, map_keys), items)
        return self.tree.build()


class _CallParser:
    """Parses one call; holds only this call's state."""

    def __init__(self, action: Action, evaluate: Evaluate) -> None:
        self.action = action
        self.binder = Binder(evaluate)
        self.params = param_flags(action)
        self.options_kinds = option_flags(action)
        self.map_keys = brackets.MAP_KEYS | {p.name for p in action.params if p.type == "map"}
        self.options: dict[str, Any] = {}
        self.expand: list[str] = []
        self.line = _Sink()
        self.seen: set[str] = set()
        self.id: str | None = None
        self.method: str | None = None
        self.path: str | None = None
        #: The previous flag and its unquoted value text (for "quote the value" hints).
        self.last_flag: tuple[str, str] | None = None
        #: A search's positional query, word by word as typed (joined by single spaces).
        self.query_words: list[str] = []

    # --- tokens --------------------------------------------------------------------------------

    def feed(self, tokens: list[Token]) -> None:
        i = 0
        while i < len(tokens):
            token = tokens[i]
            head = token.parts[0]
            if not token.quoted and isinstance(head, str) and head.startswith("-") and head not in ("-", "--") \
                    and not self._is_negated_clause(head):
                i = self._flag(tokens, i)
                continue
            split = token.split_at_equals()
            if split and split[0].parts and brackets.is_key(self._text(split[0].parts)):
                self.pair(self._text(split[0].parts), self.binder.bind(split[1].parts or ("",)))
            else:
                self._positional(token)
            self.last_flag = None
            i += 1

    def _text(self, parts: tuple) -> str:
        value = self.binder.bind(parts)
        return value if isinstance(value, str) else str(value)

    def _flag(self, tokens: list[Token], i: int) -> int:
        token = tokens[i]
        split = token.split_at_equals()
        name_token, inline = split if split else (token, None)
        if len(name_token.parts) != 1:
            raise UsageError(f"a flag name cannot contain {{{{ }}}}: {show(token.text)}")
        spelled = name_token.parts[0]
        name = normalise_flag(spelled)
        if self.options_kinds.get(name) == "boolean" or (
            name in self.params and self.params[name].type == "boolean"
        ):
            if inline is not None:
                value: Any = self.binder.bind(inline.parts or ("",))
            elif i + 1 < len(tokens) and self._is_bool_word(tokens[i + 1]):
                i += 1
                value = self.binder.bind(tokens[i].parts)
            elif i + 1 < len(tokens) and self._is_stray_word(tokens[i + 1]):
                value = self.binder.bind(tokens[i + 1].parts)  # --active maybe: say what --active takes
            else:
                value = True
        elif name in self.params or name in self.options_kinds or self._is_id_flag(name):
            if inline is not None and name == "query" and self.action.is_search:
                value = self._as_typed(_after_equals(token))
            elif inline is not None:
                value = self.binder.bind(inline.parts or ("",))
            elif i + 1 < len(tokens) and not self._is_flag_like(tokens[i + 1]):
                i += 1
                value = (self._as_typed(tokens[i]) if name == "query" and self.action.is_search
                         else self.binder.bind(tokens[i].parts))
            else:
                example = self.params[name].example if name in self.params else ""
                raise UsageError(
                    f"{spelled} needs a value" + (f", e.g. {spelled} {example}" if example else ""), field=name
                )
        else:
            raise self._unknown_flag(spelled, name)
        self.flag(name, value, spelled)
        plain_value = inline if inline is not None else (tokens[i] if tokens[i] is not token else None)
        self.last_flag = (spelled, plain_value.text) if plain_value is not None and not plain_value.quoted else None
        return i + 1

    def _is_bool_word(self, token: Token) -> bool:
        head = token.parts[0]
        return token.is_whole_expr or (
            len(token.parts) == 1 and isinstance(head, str) and head.lower() in BOOL_WORDS
        )

    def _is_stray_word(self, token: Token) -> bool:
        """A plain word no positional slot is waiting for (so it was meant as this flag's value)."""
        head = token.parts[0]
        open_slot = (self.action.kind == "request" and self.path is None) or (
            self.action.id_param is not None and self.id is None
        ) or self._query_open()
        return not open_slot and isinstance(head, str) and not head.startswith("-") and token.split_at_equals() is None

    def _is_flag_like(self, token: Token) -> bool:
        head = token.parts[0]
        if token.quoted or not isinstance(head, str) or not head.startswith("-"):
            return False
        name = normalise_flag(head.split("=", 1)[0])
        return name in self.params or name in self.options_kinds

    def _is_negated_clause(self, head: str) -> bool:
        """``-email:'x'`` in a search: a query clause negated, not a flag."""
        return self.action.is_search and _NEGATED_CLAUSE.match(head) is not None

    def _query_open(self) -> bool:
        """A search action still waiting for its positional query."""
        return self.action.is_search and "query" not in self.line.seen and not self.query_words

    def _is_id_flag(self, name: str) -> bool:
        if self.action.kind == "request":
            return name in ("method", "path")
        return self.action.id_param is not None and name in ("id", self.action.id_param)

    def _unknown_flag(self, spelled: str, name: str) -> UsageError:
        names = [*self.params, *self.options_kinds]
        close = suggest(name, names)
        hint = display_flag(close) if close else None
        if hint is None and name in LISTING_OPTIONS:
            what = "lists that filter by creation time" if self.action.is_list else "list actions"
            return UsageError(f"{spelled} only applies to {what}, not {self.action.name}", field=name)
        tail = f"; did you mean {hint}?" if hint else f"; `%stripe help {self.action.name}` lists its flags"
        return UsageError(f"unknown flag {spelled} for {self.action.name}{tail}", field=name)

    def _positional(self, token: Token) -> None:
        if "=" in token.text and "[" in token.text.split("=", 1)[0]:  # a key=value pair whose key is broken
            raise UsageError(f"malformed key {show(token.text.split('=', 1)[0])}: write key[sub]=value, "
                             "e.g. metadata[tier]=gold")
        if self.action.kind == "request":
            text = self._text(token.parts)
            if self.method is None and self.path is None and text.upper() in METHODS:
                self.method = text.upper()
                return
            if self.path is None and not text.startswith("/") and text.isalpha():
                raise UsageError(f"request method must be GET, POST or DELETE; got {show(text)}", field="method")
            if self.path is None:
                self.path = text
                return
        elif self.action.id_param and self.id is None:
            self.set_id(self.binder.bind(token.parts), "the id")
            return
        elif self._query_open():
            self.query_words.append(self._as_typed(token))
            return
        elif self.action.is_search and self.query_words:  # an unquoted query of several words, as typed
            self.query_words.append(self._as_typed(token))
            return
        elif not self.action.id_param:
            raise UsageError(f"{self.action.name} takes no positional id; got {show(token.text)}. "
                             f"{self._quote_hint(token)}", field=normalise_flag(self.last_flag[0]) if self.last_flag else None)
        raise UsageError(f"unexpected argument {show(token.text)} for {self.action.name}. {self._quote_hint(token)}",
                         field=normalise_flag(self.last_flag[0]) if self.last_flag else None)

    def _as_typed(self, token: Token) -> str:
        """A query word as typed: quotes kept (``email:'x'``), unless the whole word is one quoted string
        (``"email:'x'"``: the shell-style quotes around a query are not part of it)."""
        typed = token.typed or token.parts
        if one_quoted("".join(p if isinstance(p, str) else "\0" for p in typed)):  # {{ }} counts as text
            return self._text(token.parts)
        return self._text(typed)

    def _quote_hint(self, token: Token) -> str:
        """Suggest quoting when the stray word most likely continues the previous flag's value."""
        if self.last_flag is not None:
            spelled, value_text = self.last_flag
            joined = f"{value_text} {token.text}"
            if len(joined) > 60 or any(c in joined for c in "\r\n'"):  # the hint stays one short, pasteable line
                return f"If it belongs to {spelled}, quote its whole value"
            return f"If it belongs to {spelled}, quote the value: {spelled} '{mask_secrets(joined)}'"
        return "Give parameters as --flag value or key=value; quote a value with spaces: --name 'Jenny Rosen'"

    # --- values ---------------------------------------------------------------------------------

    def set_id(self, value: Any, where: str) -> None:
        text = to_text(value, where, self.action.id_param)
        if self.id is not None:
            raise UsageError(f"the {self.action.id_param} id is given twice", field=self.action.id_param)
        if not _ID.match(text):
            raise UsageError(f"{show(text)} is not a valid Stripe id (like cus_123)", field=self.action.id_param)
        self.id = text

    def flag(self, name: str, value: Any, spelled: str) -> None:
        """Apply one flag value (``name`` normalised)."""
        if name in self.params:
            self._param(self.params[name], value, spelled)
        elif name == "no_progress":
            self._once(name, spelled)
            self.options["progress"] = not to_bool(value, spelled, name)
        elif name in self.options_kinds:
            self._option(name, self.options_kinds[name], value, spelled)
        elif self.action.kind == "request" and name in ("method", "path"):
            self._once(name, spelled)
            text = to_text(value, spelled, name)
            if name == "path":
                self.path = text
            elif text.upper() in METHODS:
                self.method = text.upper()
            else:
                raise UsageError(f"{spelled} must be one of {', '.join(METHODS)}; got {show(text)}", field=name)
        elif self._is_id_flag(name):
            self.set_id(value, spelled)

    def _once(self, name: str, spelled: str, seen: set[str] | None = None) -> None:
        seen = self.seen if seen is None else seen
        if name in seen:
            raise UsageError(f"{spelled} is given twice: give it once", field=name)
        seen.add(name)

    def _param(self, param: Param, value: Any, spelled: str, sink: _Sink | None = None) -> None:
        sink = sink or self.line
        if param.type == "list":
            sink.lists.setdefault(param.name, []).extend(coerce(param, value, spelled))
            return
        if param.type != "map":
            self._once(param.name, spelled, sink.seen)
        sink.tree.put(brackets.parse_key(param.stripe_key, self.map_keys), coerce(param, value, spelled))

    def _option(self, name: str, kind: str, value: Any, spelled: str) -> None:
        if kind == "expand":
            items = value if isinstance(value, list) else [value]
            self.expand.extend(to_text(item, spelled, name) for item in items)
            return
        self._once(name, spelled)
        if kind == "boolean":
            self.options[name] = to_bool(value, spelled, name)
        elif kind == "limit":
            self.options[name] = to_int(value, spelled, name, positive=True)
        elif kind == "timestamp":
            self._not_with_month(spelled)
            self.options[name] = to_timestamp(value, spelled, name)
        elif kind == "span":  # --month: both created bounds at once
            if "created_after" in self.seen or "created_before" in self.seen:
                raise UsageError(f"give {spelled} or --created-after/--created-before, not both", field=name)
            self.options["created_after"], self.options["created_before"] = to_span(value, spelled, name)
        elif kind == "columns":
            self.options[name] = to_columns(value, spelled)
        elif kind == "identifier":
            text = to_text(value, spelled, name)
            if not text.isidentifier() or keyword.iskeyword(text):
                raise UsageError(f"{spelled} must be a Python variable name like txns; got {show(text)}", field=name)
            self.options[name] = text
        elif kind == "account":
            text = to_text(value, spelled, name)
            if not re.fullmatch(r"acct_[A-Za-z0-9]{1,64}", text):
                raise UsageError(f"{spelled} must be a connected account id like acct_123; got {show(text)}",
                                 field=name)
            self.options[name] = text
        elif kind == "credential":
            text = to_text(value, spelled, name)
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,199}", text):
                raise UsageError(f"{spelled} must be a Paragon credential id (`%paragon user` lists them); "
                                 f"got {show(text)}", field=name)
            self.options[name] = text
        else:  # idempotency_key
            text = to_text(value, spelled, name)
            if not 0 < len(text) <= 255:
                raise UsageError(f"{spelled} must be 1 to 255 characters", field=name)
            self.options[name] = text

    def _not_with_month(self, spelled: str) -> None:
        if "month" in self.seen:
            raise UsageError(f"give --month or {spelled}, not both", field="month")

    def pair(self, key: str, value: Any, sink: _Sink | None = None) -> None:
        """Apply one ``key=value`` pair (a catalog name is typed like its flag)."""
        path = brackets.parse_key(key, self.map_keys)
        top = path[0]
        if top == "expand":
            items = value if isinstance(value, list) else [value]
            self.expand.extend(to_text(item, key, "expand") for item in items)
        elif self.action.kind == "request" and len(path) == 1 and top in ("method", "path"):
            self.flag(top, value, key)
        elif len(path) == 1 and isinstance(top, str) and top in self.params:
            self._param(self.params[top], value, key, sink)
        else:
            (sink or self.line).tree.put(path, plain(value, key, str(top)))

    # --- result -----------------------------------------------------------------------------------

    def request_target(self) -> tuple[str, str]:
        if self.action.kind != "request":
            path = self.action.path
            if self.action.id_param:
                if self.id is None:
                    examples = self.action.examples
                    example = examples[0] if examples else f"%stripe {self.action.name} <{self.action.id_param} id>"
                    raise UsageError(f"{self.action.name} needs the {self.action.id_param} id, e.g. {example}",
                                     field=self.action.id_param)
                path = path.replace("{id}", quote(self.id, safe=""))
            return self.action.method, path
        if self.path is None:
            raise UsageError("request needs a path, e.g. %stripe request GET /v1/charges", field="path")
        path, _, query = self.path.partition("?")
        if not _PATH.match(path) or "/../" in path + "/" or "/./" in path + "/":
            raise UsageError(f"the request path must look like /v1/charges; got {show(self.path)}", field="path")
        for key, value in parse_qsl(query, keep_blank_values=True):
            self.pair(key, value)
        return self.method or "GET", path

    def build(self, body: _Sink | None = None) -> ParsedCall:
        method, path = self.request_target()
        if self.query_words:
            self._param(self.params["query"], " ".join(self.query_words), "the query")
        params = self.line.build(self.params, self.map_keys)
        if body is not None:
            params = brackets.merge(body.build(self.params, self.map_keys), params)
        for param in self.params.values():
            if param.required and not brackets.has_path(params, brackets.parse_key(param.stripe_key, self.map_keys)):
                example = f", e.g. {param.flag} {param.example}" if param.example else ""
                raise UsageError(f"{self.action.name} needs {param.flag}{example}", field=param.name)
        if self.action.is_search and isinstance(params.get("query"), str):
            params["query"] = normalise_query(params["query"], self.action.name)
        options = CallOptions(expand=tuple(dict.fromkeys(self.expand)), **self.options)
        return ParsedCall(self.action.name, self.id, params, options, method, path)


def _after_equals(token: Token) -> Token:
    """``--query=email:'x'`` -> the word after the first ``=``, with its typed form (quotes kept)."""
    typed = token.typed or token.parts
    head = typed[0]
    rest = head.partition("=")[2] if isinstance(head, str) else ""
    after = (rest, *typed[1:]) if rest else typed[1:]
    split = token.split_at_equals()
    return Token(split[1].parts if split else ("",), False, after or ("",))


def _start(line: str, evaluate: Evaluate, catalog: Mapping[str, Action]) -> _CallParser:
    reject_secrets(line)
    tokens = tokenize(line)
    if not tokens:
        raise UsageError("no action given: %stripe <action> [id] [--flag value ...]; `%stripe actions` lists them")
    head = tokens[0]
    if head.quoted or len(head.parts) != 1:
        raise UsageError(f"the action must be a plain name like list_customers; got {show(head.text)}")
    parser = _CallParser(find_action(str(head.parts[0]), catalog), evaluate)
    parser.feed(tokens[1:])
    return parser


def _guard(run: Callable[[], ParsedCall]) -> ParsedCall:
    try:
        return run()
    except RecursionError:
        raise UsageError("a value is nested too deeply to send to Stripe") from None


def parse_line(line: str, *, evaluate: Evaluate, catalog: Mapping[str, Action] = ACTIONS) -> ParsedCall:
    """Parse the text after ``%stripe``. Raises ``UsageError`` (one line, ``field`` set) on bad input."""
    return _guard(lambda: _start(line, evaluate, catalog).build())


def parse_cell(
    line: str, body: str, *, evaluate: Evaluate, catalog: Mapping[str, Action] = ACTIONS
) -> ParsedCall:
    """Parse ``%%stripe <line>`` plus a body of JSON or ``key=value`` lines; line flags win."""

    def run() -> ParsedCall:
        reject_secrets(body)
        parser = _start(line, evaluate, catalog)
        body_sink = _Sink()
        for key, value in body_pairs(body, parser.binder):
            parser.pair(key, value, body_sink)
        return parser.build(body_sink)

    return _guard(run)
