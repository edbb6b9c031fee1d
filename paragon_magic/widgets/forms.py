"""Action forms: an ipywidgets form generated from one catalog row, with no per-action code.

``form("list_customers", session=..., namespace=...)`` lays out one control per parameter (chosen by
its catalog type), the list options (limit, created after/before) for list actions, the common options
under "More options", a "store result as" name, a Run button and an Output area. Run checks every
field before anything is sent, runs the action through the session and shows the DataFrame, or one
error line with the offending field marked (CSS class ``pm-invalid``).

The form is itself an ``ipywidgets.VBox``, so it can be placed in a ``Tab`` or ``VBox`` like any widget.
Without ``session=`` it runs through the current connection at Run time (see ``paragon_magic.current``).
"""

from __future__ import annotations

import html
import keyword
from collections.abc import Callable, MutableMapping
from typing import Any, Union

import ipywidgets as w
import pandas as pd

from ..catalog import COMMON_OPTIONS, get_action, list_options
from ..catalog.help import expand_option
from ..catalog_types import Action
from ..errors import ConfigurationError, ParagonMagicError, UsageError
from ..session import missing_required, place_targets
from .fields import INVALID_CLASS, FieldControl, FlagControl, TextControl, control_for

__all__ = ["ActionForm", "SessionSource", "form"]

#: A Session, a function returning the current Session (or None when not connected), or None.
SessionSource = Union[Any, Callable[[], Any], None]

_STYLE = (
    f"<style>.{INVALID_CLASS} input, .{INVALID_CLASS} textarea, .{INVALID_CLASS} select "
    "{border-color: #d32f2f !important; background: #fff5f5;} "
    f".{INVALID_CLASS} > .widget-label {{color: #d32f2f;}}</style>"
)


def form(action_name: str, *, session: SessionSource = None,
         namespace: MutableMapping[str, Any] | None = None) -> ActionForm:
    """The form for catalog action ``action_name`` (``UsageError`` with a suggestion if unknown)."""
    return ActionForm(get_action(action_name), session=session, namespace=namespace)


class ActionForm(w.VBox):
    """A generated form for one catalog action (an ``ipywidgets.VBox``).

    ``fields`` maps each field name (the Stripe parameter, the id parameter such as ``customer``,
    ``limit``, ``created_after``/``created_before``, ``account``, ``expand``) to its input widget.
    After ``submit()`` (what Run does): ``result`` is the last DataFrame, ``error`` the last error
    line ("" after a success).
    """

    def __init__(self, action: Action | str, *, session: SessionSource = None,
                 namespace: MutableMapping[str, Any] | None = None) -> None:
        self.action = get_action(action) if isinstance(action, str) else action
        if self.action.kind == "request":
            raise UsageError("`request` has no form; use %stripe request <path> ... instead", field="action")
        self.session_source = session
        self.namespace = namespace
        self.result: pd.DataFrame | None = None
        self.error = ""

        self.controls: list[FieldControl] = self._build_controls()
        self.fields: dict[str, w.Widget] = {}
        for control in self.controls:
            self.fields.update(control.inputs)

        self.store_as = w.Text(description="store result as", placeholder="variable name (optional)",
                               style={"description_width": "170px"}, layout=w.Layout(width="420px"))
        self.run_button = w.Button(description="Run", button_style="primary", icon="play",
                                   tooltip=f"{self.action.method} {self.action.path}")
        self.run_button.on_click(lambda _button: self.submit())
        self.output = w.Output()
        super().__init__(children=self._children())
        self.add_class("pm-action-form")

    @property
    def widget(self) -> ActionForm:
        """The form itself (kept for code written when the form wrapped a VBox)."""
        return self

    # -- building -----------------------------------------------------------------------------------
    def _build_controls(self) -> list[FieldControl]:
        act = self.action
        controls: list[FieldControl] = []
        if act.id_param:
            controls.append(TextControl(act.id_param, role="id", required=True,
                                        help=f"ID of the {act.id_param}", placeholder=f"{act.id_param} id"))
        for param in act.params:
            if act.filters_created and param.name == "created":
                continue  # the created after/before list options below cover it
            controls.append(control_for(param))
        controls += [control_for(option, role="option") for option in list_options(act)]
        controls += [control_for(expand_option(act) if option.name == "expand" else option, role="option")
                     for option in COMMON_OPTIONS]  # --expand's example: a field this object expands
        if act.is_write:
            controls.append(FlagControl("live", label="allow this change on a LIVE account",
                                        help="Needed to write with a live key (sk_live_/rk_live_)."))
        return controls

    def _children(self) -> list[w.Widget]:
        act = self.action
        common = {o.name for o in COMMON_OPTIONS} | {"live"}
        main = [c.widget for c in self.controls if c.name not in common]
        more = w.Accordion(children=[w.VBox([c.widget for c in self.controls if c.name in common])])
        more.set_title(0, "More options")
        more.selected_index = None
        header = w.HTML(
            f"{_STYLE}<b>{html.escape(act.name)}</b> — {html.escape(act.summary)} "
            f"<small><code>{act.method} {html.escape(act.path)}</code> · * required</small>"
        )
        return [header, *main, more, w.HBox([self.store_as, self.run_button]), self.output]

    def __repr__(self) -> str:
        return f"<ActionForm {self.action.name}>"

    # -- running ------------------------------------------------------------------------------------
    def values(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """``(params, options)`` from the filled-in fields; empty fields are left out.

        ``options`` holds ``id`` and the session's keyword options (limit, created_after, ...).
        Raises ``UsageError`` naming the first field whose value cannot be used.
        """
        params: dict[str, Any] = {}
        options: dict[str, Any] = {}
        for control in self.controls:
            value = control.read()
            if value is None:
                continue
            target = params if control.role == "param" else options
            target["id" if control.role == "id" else control.name] = value
        return params, options

    def submit(self) -> pd.DataFrame | None:
        """Validate, run the action and show the result (what the Run button does)."""
        self.error = ""
        for control in self.controls:
            control.mark(False)
        self.store_as.remove_class(INVALID_CLASS)
        self.run_button.disabled = True
        try:
            frame = self._submit()
        except ParagonMagicError as exc:
            field = getattr(exc, "field", None) or getattr(exc, "param", None)
            return self._fail(str(exc), field)
        except Exception as exc:  # a Run click must not end in ipywidgets' callback logger
            return self._fail(f"{type(exc).__name__} while running {self.action.name}", None)
        finally:
            self.run_button.disabled = False
        return frame

    def _submit(self) -> pd.DataFrame:
        params, options = self.values()
        name = self._result_name()
        missing = missing_required(self.action, place_targets(self.action, params), options.get("id"))
        if missing:
            raise UsageError(f"{missing} is required (fields marked * must be filled in)", field=missing)
        session = self._session()
        self.output.clear_output()
        failure: BaseException | None = None
        with self.output:  # progress bars render inside the form; Output.__exit__ would swallow errors
            try:
                frame = session.run(self.action.name, params, **options)
            except BaseException as exc:  # noqa: BLE001 - re-raised right below, outside the Output
                failure = exc
        if failure is not None:
            raise failure
        self.result = frame
        if name:
            self._namespace()[name] = frame
        self._show(frame, name)
        return frame

    def _result_name(self) -> str | None:
        name = self.store_as.value.strip()
        if not name:
            return None
        if not name.isidentifier() or keyword.iskeyword(name):
            raise UsageError(f"'store result as' needs a Python variable name, not {name[:40]!r}",
                             field="store_as")
        return name

    def _session(self) -> Any:
        source = self.session_source
        if source is None:
            from ..current import current_session

            source = current_session
        session = source() if callable(source) and not hasattr(source, "run") else source
        if session is None:
            raise ConfigurationError("not connected to Stripe: run %stripe connect (or paragon_magic.connect(...)) first")
        return session

    def _namespace(self) -> MutableMapping[str, Any]:
        if self.namespace is not None:
            return self.namespace
        from IPython import get_ipython

        shell = get_ipython()
        if shell is None:
            raise ConfigurationError("no namespace to store the result in; pass namespace= to form()")
        return shell.user_ns

    # -- output -------------------------------------------------------------------------------------
    def _show(self, frame: pd.DataFrame, name: str | None) -> None:
        from IPython.display import HTML, display

        noun = self.action.object_type or "row"
        summary = f"{len(frame)} {noun}{'' if len(frame) == 1 else 's'}"
        if frame.attrs.get("stripe", {}).get("complete") is False:
            summary += " (stopped early; more exist)"
        if name:
            summary += f" · stored as <code>{html.escape(name)}</code>"
        self.output.clear_output()
        with self.output:
            display(HTML(f"<small style='color:#2e7d32'>✓ {summary}</small>"))
            display(frame)

    def _fail(self, message: str, field: str | None) -> None:
        from IPython.display import HTML, display

        self.error = " ".join(message.split())
        for control in self._controls_for(field):
            control.mark(True)
        if field == "store_as":
            self.store_as.add_class(INVALID_CLASS)
        self.output.clear_output()
        with self.output:
            display(HTML(f"<span class='pm-error' style='color:#d32f2f'>✗ {html.escape(self.error)}</span>"))
        return None

    def _controls_for(self, field: str | None) -> list[FieldControl]:
        """The controls an error's field (ours) or ``param`` (Stripe's, e.g. ``metadata[k]``) is about."""
        if not field:
            return []
        act = self.action
        top = field.split("[", 1)[0]
        names = {field, top}
        if field == "id" and act.id_param:
            names.add(act.id_param)
        if act.is_list and top == "created":
            names |= {"created_after", "created_before"}
        names |= {p.name for p in act.params if p.target and (p.target == field or p.top_level_key == top)}
        return [c for c in self.controls if c.name in names or names & set(c.inputs)]
