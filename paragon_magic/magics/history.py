"""Keep a secret that a user typed on a magic line out of IPython's input history.

IPython saves a cell's input before running it, so refusing the line is not enough: the saved copy
(the ``In``/``_ih`` lists, the ``_i<N>`` variables and the history database) is masked too.
"""

from __future__ import annotations

from typing import Any

from .templating import mask_typed_secrets as mask_line_secrets


def redact_current_input(shell: Any) -> None:
    """Mask secrets in the input of the cell now running, wherever IPython has saved it."""
    history = getattr(shell, "history_manager", None)
    if history is None or not history.input_hist_raw:
        return
    typed = history.input_hist_raw[-1]
    # the cell's line number: IPython 8 counts it during the run, IPython 9 already counts the next one
    lines = [int(name[2:]) for name, value in shell.user_ns.items()
             if name.startswith("_i") and name[2:].isdigit() and value == typed]
    for inputs in (history.input_hist_parsed, history.input_hist_raw):
        inputs[-1] = mask_line_secrets(inputs[-1])
    history._i00 = mask_line_secrets(history._i00)  # becomes _i/_ii/_iii on the next cells
    for line in lines:
        shell.user_ns[f"_i{line}"] = mask_line_secrets(typed)
    with history.db_input_cache_lock:  # the saving thread writes under this lock: pending or written
        history.db_input_cache = [
            (n, mask_line_secrets(source), mask_line_secrets(raw)) for n, source, raw in history.db_input_cache
        ]
        if getattr(history, "enabled", False) and getattr(history, "db", None) is not None:
            for line in lines:
                _redact_saved_row(history, line)


def _redact_saved_row(history: Any, line: int) -> None:
    where = (history.session_number, line)
    row = history.db.execute("SELECT source, source_raw FROM history WHERE session=? AND line=?", where).fetchone()
    if row is not None:
        history.db.execute("PRAGMA secure_delete = ON")  # the old row's bytes are overwritten, not freed
        with history.db:
            history.db.execute(
                "UPDATE history SET source=?, source_raw=? WHERE session=? AND line=?",
                (mask_line_secrets(row[0] or ""), mask_line_secrets(row[1] or ""), *where),
            )
