"""One input control per catalog parameter type, each reading its widget(s) into a Stripe value.

Every control's :meth:`FieldControl.read` returns ``None`` for an empty field (so it is not sent) and
raises :class:`~paragon_magic.errors.UsageError` naming the field for a value it cannot use.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

import ipywidgets as w

from ..catalog_types import Param
from ..dates import to_epoch_seconds
from ..errors import UsageError

__all__ = [
    "INVALID_CLASS", "FieldControl", "TextControl", "IntegerControl", "ChoiceControl", "FlagControl", "DateControl",
    "DateRangeControl", "KeyValueEditor", "JsonControl", "control_for",
]

INVALID_CLASS = "pm-invalid"
Role = Literal["id", "param", "option"]
_LABEL_STYLE = {"description_width": "170px"}


def _label(name: str, required: bool) -> str:
    return f"{name} *" if required else name


class FieldControl:
    """A labelled input for one parameter: ``widget`` is laid out, ``inputs`` are named in ``.fields``."""

    def __init__(self, name: str, *, role: Role, required: bool = False, help: str = "") -> None:
        self.name = name
        self.role = role
        self.required = required
        self.help = help
        self.widget: w.Widget
        #: ``{field name: input widget}`` as the form exposes them in ``ActionForm.fields``.
        self.inputs: dict[str, w.Widget] = {}

    def read(self) -> Any:
        raise NotImplementedError

    def mark(self, invalid: bool) -> None:
        for widget in self.inputs.values():
            (widget.add_class if invalid else widget.remove_class)(INVALID_CLASS)

    def _bad(self, message: str) -> UsageError:
        return UsageError(f"{self.name}: {message}", field=self.name)


class TextControl(FieldControl):
    """Free text (strings, ids); lists of scalars as ``a, b, c`` or a JSON list."""

    def __init__(self, name: str, *, role: Role, required: bool = False, help: str = "",
                 placeholder: str = "", as_list: bool = False) -> None:
        super().__init__(name, role=role, required=required, help=help)
        self.as_list = as_list
        self.text = w.Text(description=_label(name, required), placeholder=placeholder, tooltip=help,
                           style=_LABEL_STYLE, layout=w.Layout(width="520px"))
        self.widget = self.text
        self.inputs = {name: self.text}

    def read(self) -> Any:
        text = self.text.value.strip()
        if not text:
            return None
        if not self.as_list:
            return text
        if text.startswith("["):
            try:
                items = json.loads(text)
            except ValueError:
                raise self._bad("not a valid JSON list") from None
            if not isinstance(items, list):
                raise self._bad("give a JSON list or comma-separated values")
            return [str(i) for i in items]
        return [part.strip() for part in text.split(",") if part.strip()]


class IntegerControl(TextControl):
    """A whole number typed as text, so an optional one can be left empty."""

    def __init__(self, name: str, *, role: Role, required: bool = False, help: str = "",
                 placeholder: str = "", minimum: int | None = None) -> None:
        super().__init__(name, role=role, required=required, help=help, placeholder=placeholder or "whole number")
        self.minimum = minimum

    def read(self) -> int | None:
        text = self.text.value.strip().replace("_", "")
        if not text:
            return None
        try:
            number = int(text)
        except ValueError:
            raise self._bad(f"takes a whole number, not {text[:20]!r}") from None
        if self.minimum is not None and number < self.minimum:
            raise self._bad(f"must be at least {self.minimum}")
        return number


class ChoiceControl(FieldControl):
    """A Dropdown: an enum's choices, or true/false for a boolean; an empty choice when optional."""

    def __init__(self, name: str, options: list[tuple[str, Any]], *, role: Role, required: bool = False,
                 help: str = "") -> None:
        super().__init__(name, role=role, required=required, help=help)
        if not required:
            options = [("", None), *options]
        self.dropdown = w.Dropdown(options=options, value=options[0][1], description=_label(name, required),
                                   tooltip=help, style=_LABEL_STYLE)
        self.widget = self.dropdown
        self.inputs = {name: self.dropdown}

    def read(self) -> Any:
        return self.dropdown.value


class FlagControl(FieldControl):
    """A Checkbox for a keyword option that is either given (True) or left out."""

    def __init__(self, name: str, *, role: Role = "option", help: str = "", label: str | None = None) -> None:
        super().__init__(name, role=role, help=help)
        self.checkbox = w.Checkbox(value=False, description=label or name, tooltip=help, indent=False)
        self.widget = self.checkbox
        self.inputs = {name: self.checkbox}

    def read(self) -> bool | None:
        return True if self.checkbox.value else None


class DateControl(FieldControl):
    """One date (midnight UTC); the value is a ``datetime.date`` the session turns into epoch seconds."""

    def __init__(self, name: str, *, role: Role, required: bool = False, help: str = "",
                 label: str | None = None) -> None:
        super().__init__(name, role=role, required=required, help=help)
        self.picker = w.DatePicker(description=_label(label or name, required), tooltip=help, style=_LABEL_STYLE)
        self.widget = self.picker
        self.inputs = {name: self.picker}

    def read(self) -> dt.date | int | None:
        value = self.picker.value
        if value is None:
            return None
        return value if self.role == "option" else to_epoch_seconds(value, field=self.name)


class DateRangeControl(FieldControl):
    """A Stripe range filter as a pair of dates: ``{gte: after, lt: before}`` in epoch seconds."""

    def __init__(self, name: str, *, role: Role, help: str = "") -> None:
        super().__init__(name, role=role, help=help)
        self.after = w.DatePicker(description=f"{name} after", tooltip=help, style=_LABEL_STYLE)
        self.before = w.DatePicker(description="before", tooltip=help, style={"description_width": "50px"})
        self.widget = w.HBox([self.after, self.before])
        self.inputs = {f"{name}_after": self.after, f"{name}_before": self.before}

    def read(self) -> dict[str, int] | None:
        bounds: dict[str, int] = {}
        if self.after.value is not None:
            bounds["gte"] = to_epoch_seconds(self.after.value, field=self.name)
        if self.before.value is not None:
            bounds["lt"] = to_epoch_seconds(self.before.value, field=self.name)
        if "gte" in bounds and "lt" in bounds and bounds["gte"] >= bounds["lt"]:
            raise self._bad("the 'after' date must be earlier than the 'before' date")
        return bounds or None


class KeyValueEditor(w.VBox):
    """Rows of key/value Text boxes and an "add" button, for maps such as ``metadata``."""

    def __init__(self, name: str, *, label: str | None = None, help: str = "", **kwargs: Any) -> None:
        self.name = name
        self.rows: list[tuple[w.Text, w.Text]] = []
        self.add_button = w.Button(description="add", icon="plus", tooltip=f"add a {name} entry",
                                   layout=w.Layout(width="80px"))
        self.add_button.on_click(lambda _b: self.add_row())
        self.title = w.Label(label or name, tooltip=help, layout=w.Layout(width="170px"))
        self._rows_box = w.VBox([])
        super().__init__([w.HBox([self.title, self.add_button]), self._rows_box], **kwargs)

    def add_row(self, key: str = "", value: str = "") -> tuple[w.Text, w.Text]:
        """Append a row (optionally filled in) and return its (key, value) Text boxes."""
        row = (w.Text(value=key, placeholder="key", layout=w.Layout(width="200px")),
               w.Text(value=value, placeholder="value", layout=w.Layout(width="300px")))
        self.rows.append(row)
        self._rows_box.children = [*self._rows_box.children, w.HBox(list(row))]
        return row

    @property
    def pairs(self) -> dict[str, str]:
        """The filled-in rows; a value without a key is an error, a row with neither is skipped."""
        out: dict[str, str] = {}
        for key_box, value_box in self.rows:
            key, value = key_box.value.strip(), value_box.value
            if not key and value.strip():
                raise UsageError(f"{self.name}: a value without a key", field=self.name)
            if key:
                out[key] = value
        return out


class MapControl(FieldControl):
    def __init__(self, name: str, *, role: Role, required: bool = False, help: str = "") -> None:
        super().__init__(name, role=role, required=required, help=help)
        self.editor = KeyValueEditor(name, label=_label(name, required), help=help)
        self.widget = self.editor
        self.inputs = {name: self.editor}

    def read(self) -> dict[str, str] | None:
        return self.editor.pairs or None

    def mark(self, invalid: bool) -> None:
        for widget in [self.editor, *(box for row in self.editor.rows for box in row)]:
            (widget.add_class if invalid else widget.remove_class)(INVALID_CLASS)


class JsonControl(FieldControl):
    """A JSON Textarea for nested objects and lists of objects."""

    def __init__(self, name: str, *, role: Role, required: bool = False, help: str = "",
                 kind: Literal["object", "list"] = "object", placeholder: str = "") -> None:
        super().__init__(name, role=role, required=required, help=help)
        self.kind = kind
        self.area = w.Textarea(description=_label(name, required), placeholder=placeholder, tooltip=help,
                               style=_LABEL_STYLE, layout=w.Layout(width="520px", height="64px"))
        self.widget = self.area
        self.inputs = {name: self.area}

    def read(self) -> Any:
        text = self.area.value.strip()
        if not text:
            return None
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise self._bad(f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
        expected = dict if self.kind == "object" else list
        if not isinstance(value, expected):
            raise self._bad(f"takes a JSON {'object {…}' if self.kind == 'object' else 'list […]'}")
        return value


def _json_placeholder(param: Param) -> str:
    if not param.fields:
        return '{"key": "value"}' if param.type == "object" else '["a", "b"]'
    sample = "{" + ", ".join(f'"{f.name}": …' for f in param.fields[:4]) + "}"
    return f"[{sample}]" if param.type == "list" else sample


def control_for(param: Param, *, role: Role = "param") -> FieldControl:
    """The control for ``param``, chosen by its catalog type alone (no per-action code)."""
    name, required, help_ = param.name, param.required, param.help
    common = dict(role=role, required=required, help=help_)
    if param.type == "string":
        return TextControl(name, placeholder=param.example, **common)
    if param.type == "integer":
        return IntegerControl(name, placeholder=param.example, minimum=1 if name == "limit" else None, **common)
    if param.type == "boolean":
        return ChoiceControl(name, [("true", True), ("false", False)], **common)
    if param.type == "enum":
        return ChoiceControl(name, [(c, c) for c in param.choices], **common)
    if param.type == "timestamp":
        return DateControl(name, label=name.replace("_", " "), **common)
    if param.type == "timestamp_range":
        return DateRangeControl(name, role=role, help=help_)
    if param.type == "map":
        return MapControl(name, **common)
    if param.type == "object" or (param.type == "list" and param.item_type == "object"):
        kind: Literal["object", "list"] = "object" if param.type == "object" else "list"
        return JsonControl(name, kind=kind, placeholder=_json_placeholder(param), **common)
    if param.type == "list":
        return TextControl(name, placeholder=param.example or "a, b, c", as_list=True, **common)
    raise ValueError(f"no form control for parameter type {param.type!r}")
