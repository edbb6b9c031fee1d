"""The ipywidgets face: the Connect Portal and catalog-generated action forms.

``ConnectPortal(store=..., base_url=..., on_connect=...)`` and ``form(action, session=..., namespace=...)``
are what ``%stripe connect`` and ``%stripe form`` display.
"""

from .fields import INVALID_CLASS, KeyValueEditor
from .forms import ActionForm, SessionSource, form
from .portal import ConnectPortal

__all__ = ["INVALID_CLASS", "ActionForm", "ConnectPortal", "KeyValueEditor", "SessionSource", "form"]
