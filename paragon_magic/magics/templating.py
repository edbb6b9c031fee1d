"""Shell-like tokenizing of a ``%stripe`` line with ``{{ python expression }}`` slots.

``{{ … }}`` spans are cut out of the text *before* quoting is interpreted, so an expression may
contain quotes and spaces and its value is never re-read as syntax. A token that is exactly one
``{{ expr }}`` binds the raw Python object; an expression embedded in text (``cus_{{ n }}``) is
``str()``-interpolated. Quoting follows POSIX shell rules (what ``shlex.quote`` produces).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..client.keys import JWT_PATTERN, PEM_PATTERN, mask_secret
from ..errors import UsageError

#: Key and token shapes refused on magic lines (deliberately broad: a truncated key is still a secret).
SECRET_ON_LINE = re.compile(
    r"(?<![A-Za-z0-9])(?:sk|rk|whsec)_[A-Za-z0-9_]{4,}|" + JWT_PATTERN + "|" + PEM_PATTERN
)
_DOUBLE_QUOTE_ESCAPES = '"\\$`\n'


# Masking is more eager than refusing: a key glued to other text ("0sk_test_…") is masked too.
_SECRET_ANYWHERE = re.compile(SECRET_ON_LINE.pattern.replace("(?<![A-Za-z0-9])", ""))


#: What the magics' tokenizer drops when it joins a word (``s"k_test_…"`` is read as ``sk_test_…``).
_QUOTING = re.compile(r"[\"'\\]")


def holds_secret(text: str) -> bool:
    """Whether ``text`` holds a key or token, also once quotes and backslashes are dropped, as the
    tokenizer drops them (``--email s"k_test_…"`` reaches the parser as ``sk_test_…``)."""
    return bool(SECRET_ON_LINE.search(text) or SECRET_ON_LINE.search(_QUOTING.sub("", text)))


def mask_typed_secrets(text: str) -> str:
    """:func:`mask_secrets` for a typed line or cell; a key split by quotes or backslashes is masked
    too (that text then comes back with its quotes and backslashes dropped)."""
    joined = _QUOTING.sub("", text)
    split = any(match.group(0) not in text for match in _SECRET_ANYWHERE.finditer(joined))
    return mask_secrets(joined if split else text)


def reject_secrets(text: str) -> None:
    """Refuse text that contains an API key literal (it would be saved in the notebook's history)."""
    if holds_secret(text):
        raise UsageError(
            "API keys must not be typed on the %stripe line (they would be saved in the notebook and its "
            "history); run `%stripe connect` and paste the key at its prompt instead"
        )


def mask_secrets(text: str) -> str:
    """Replace anything that looks like a key or token in ``text`` with its masked form (``sk_test_…abcd``)."""
    return _SECRET_ANYWHERE.sub(lambda match: mask_secret(match.group(0)), text)


def show(value: Any, limit: int = 40) -> str:
    """A short, one-line, secret-free rendering of a user value for an error message."""
    try:
        text = repr(value) if isinstance(value, str) else f"{type(value).__name__} {value!r}"
    except Exception:  # noqa: BLE001 - error messages must never fail
        text = f"{type(value).__name__} object"
    text = mask_secrets(text.replace("\n", "\\n").replace("\r", "\\r"))
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True, eq=False)
class Expr:
    """One ``{{ … }}`` slot; identity-compared so each occurrence is evaluated once."""

    source: str  # the expression text, stripped


Part = str | Expr


@dataclass(frozen=True)
class Token:
    """One shell word: literal text and expression slots, in order."""

    parts: tuple[Part, ...]
    #: The word's first character was quoted or is an expression: it can never be a flag.
    quoted: bool
    #: The word as typed: its quotes and backslashes kept (a search query goes to Stripe like this).
    typed: tuple[Part, ...] = ()

    @property
    def is_whole_expr(self) -> bool:
        return len(self.parts) == 1 and isinstance(self.parts[0], Expr)

    @property
    def text(self) -> str:
        """The literal text with expressions shown as ``{{ … }}`` (for messages and completion)."""
        return "".join(p if isinstance(p, str) else "{{ " + p.source + " }}" for p in self.parts)

    def split_at_equals(self) -> tuple[Token, Token] | None:
        """Split at the first literal ``=`` (never one produced by an expression)."""
        for i, part in enumerate(self.parts):
            if isinstance(part, str) and "=" in part:
                before, _, after = part.partition("=")
                left = (*self.parts[:i], before) if before else self.parts[:i]
                right = (after, *self.parts[i + 1 :]) if after else self.parts[i + 1 :]
                return Token(left, self.quoted), Token(right, False)
        return None


def _find_close(text: str, start: int) -> int:
    """Index of the ``}}`` closing a ``{{`` whose expression starts at ``start`` (-1 if none).

    The first ``}}`` at which the expression's own braces balance wins, so ``{{ {"a": {"b": 1}} }}``
    works; failing that, the first ``}}``.
    """
    depth, first = 0, -1
    for i in range(start, len(text)):
        if text.startswith("}}", i):
            if depth == 0:
                return i
            if first < 0:
                first = i
        ch = text[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
    return first


def split_template(text: str) -> tuple[Part, ...]:
    """Split text (a cell-body value) into literal parts and ``{{ }}`` slots, without shell quoting."""
    parts: list[Part] = []
    pos = 0
    for start, end, expr in _expr_spans(text):
        if start > pos:
            parts.append(text[pos:start])
        parts.append(expr)
        pos = end
    if pos < len(text) or not parts:
        parts.append(text[pos:])
    return tuple(parts)


def _expr_spans(text: str) -> Iterator[tuple[int, int, Expr]]:
    pos = text.find("{{")
    while pos >= 0:
        close = _find_close(text, pos + 2)
        if close < 0:
            raise UsageError(f"unbalanced {{{{ in {show(text[pos:], 30)}: close it with }}}}")
        source = text[pos + 2 : close].strip()
        if not source:
            raise UsageError("empty {{ }}: put a Python expression between the braces")
        yield pos, close + 2, Expr(source)
        pos = text.find("{{", close + 2)


def tokenize(line: str) -> list[Token]:
    """Split a line into shell words, keeping ``{{ }}`` slots whole. Raises ``UsageError``."""
    spans = {start: (end, expr) for start, end, expr in _expr_spans(line)}
    tokens: list[Token] = []
    parts: list[Part] = []
    typed: list[Part] = []  # the same word with its quotes and backslashes
    buf: list[str] = []
    raw: list[str] = []
    in_word = quoted = False
    quote: str | None = None
    i, n = 0, len(line)

    def flush_text() -> None:
        if buf:
            parts.append("".join(buf))
            buf.clear()
        if raw:
            typed.append("".join(raw))
            raw.clear()

    def end_word() -> None:
        flush_text()
        tokens.append(Token(tuple(parts) or ("",), quoted, tuple(typed) or ("",)))
        parts.clear()
        typed.clear()

    while i < n:
        if i in spans:
            end, expr = spans[i]
            if not in_word:
                quoted = True
            flush_text()
            parts.append(expr)
            typed.append(expr)
            in_word, i = True, end
            continue
        ch = line[i]
        if quote == "'":
            raw.append(ch)
            if ch == "'":
                quote = None
            else:
                buf.append(ch)
        elif quote == '"':
            raw.append(ch)
            if ch == '"':
                quote = None
            elif ch == "\\" and i + 1 < n and line[i + 1] in _DOUBLE_QUOTE_ESCAPES:
                buf.append(line[i + 1])
                raw.append(line[i + 1])
                i += 1
            else:
                buf.append(ch)
        elif ch.isspace():
            if in_word:
                end_word()
                in_word = quoted = False
        elif ch in "'\"":
            if not in_word:
                quoted = True
            quote, in_word = ch, True
            raw.append(ch)
        elif ch == "\\":
            if i + 1 >= n:
                raise UsageError("the line ends with a lone backslash: remove it or quote the value")
            buf.append(line[i + 1])
            raw.append(line[i : i + 2])
            in_word = True
            i += 1
        else:
            buf.append(ch)
            raw.append(ch)
            in_word = True
        i += 1
    if quote:
        raise UsageError(f"unbalanced {quote} quote: close the quoted value with a matching {quote}")
    if in_word:
        end_word()
    return tokens


class Binder:
    """Turns token parts into values, evaluating each ``{{ expr }}`` once via the injected evaluator."""

    def __init__(self, evaluate: Callable[[str], Any]) -> None:
        self._evaluate = evaluate
        self._cache: dict[int, Any] = {}

    def value_of(self, expr: Expr) -> Any:
        key = id(expr)
        if key not in self._cache:
            try:
                value = self._evaluate(expr.source)
            except Exception as exc:  # noqa: BLE001 - any user error becomes one clear line
                detail = " ".join(str(exc).split())
                source = " ".join(expr.source.split())  # the message stays one line
                raise UsageError(
                    mask_secrets(f"could not evaluate {{{{ {source} }}}}: {type(exc).__name__}: {detail}")
                ) from None
            value = as_plain(value)
            if not isinstance(value, (str, bytes, int, float, list, dict, type(None))):
                try:  # an object whose str() raises would otherwise escape as a traceback later
                    str(value)
                except Exception as exc:  # noqa: BLE001
                    raise UsageError(f"{{{{ {' '.join(expr.source.split())} }}}} gave a {type(value).__name__} that cannot be "
                                     f"turned into text ({type(exc).__name__})") from None
            self._cache[key] = (expr, value)
        return self._cache[key][1]

    def bind(self, parts: tuple[Part, ...]) -> Any:
        """A whole-token expression gives its raw (list-normalised) value; otherwise a string."""
        if len(parts) == 1 and isinstance(parts[0], Expr):
            return self.value_of(parts[0])
        if len(parts) == 1:
            self._refuse_other_templates(parts[0])
        return "".join(p if isinstance(p, str) else _to_text(self.value_of(p)) for p in parts)


    def _refuse_other_templates(self, text: str) -> None:
        """``$cid`` / ``{cid}`` naming a defined variable was meant as ``{{ cid }}``: say so, send nothing."""
        match = _OTHER_TEMPLATE.fullmatch(text)
        if match is None:
            return
        name = next(group for group in match.groups() if group)
        try:
            self._evaluate(name)
        except Exception:  # noqa: BLE001 - not a defined name: the text is meant literally
            return
        raise UsageError(f"{show(text)} would be sent to Stripe as written; to use the variable {name}, "
                         f"write {{{{ {name} }}}}", field=name)


#: Other notebooks' and shells' ways to write a variable: ``$name``, ``${name}``, ``{name}``.
_OTHER_TEMPLATE = re.compile(r"\$([A-Za-z_]\w*)|\$\{([A-Za-z_]\w*)\}|\{([A-Za-z_]\w*)\}")


def _to_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def as_plain(value: Any) -> Any:
    """Normalise list-likes: tuples and anything with ``tolist`` (Series, numpy) become lists/scalars."""
    if isinstance(value, (str, bytes, dict)):
        return value
    if isinstance(value, tuple):
        return list(value)
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        try:
            return tolist()
        except Exception:  # noqa: BLE001 - a broken tolist is just not a list-like
            return value
    return value


def one_quoted(text: str) -> bool:
    """``"a b"`` or ``'a b'``: the whole word is one quoted string (its first quote closes at its end)."""
    if len(text) < 2 or text[0] not in "'\"" or text[-1] != text[0]:
        return False
    i = 1
    while i < len(text):
        if text[0] == '"' and text[i] == "\\":
            i += 2
            continue
        if text[i] == text[0]:
            return i == len(text) - 1
        i += 1
    return False
