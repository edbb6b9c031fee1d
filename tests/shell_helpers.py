"""Running cells in a real InteractiveShell and reading what they showed (for the test_magics_* modules)."""

from __future__ import annotations

import re
from typing import Any

from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from paragon_magic.errors import ParagonMagicError

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run(ip: InteractiveShell, cell: str) -> tuple[Any, str]:
    """Run ``cell``; returns the ExecutionResult and everything shown (ANSI colours stripped)."""
    with capture_output() as captured:
        result = ip.run_cell(cell, store_history=True)
    return result, _ANSI.sub("", captured.stdout + captured.stderr)


def ok(ip: InteractiveShell, cell: str) -> tuple[Any, str]:
    """Run ``cell``, which must succeed; returns (its value, its output)."""
    result, text = run(ip, cell)
    assert result.success, text
    return result.result, text


def fails(ip: InteractiveShell, cell: str, error: type[BaseException] = ParagonMagicError) -> str:
    """Run ``cell``, which must fail with ``error`` shown as one line without a traceback."""
    result, text = run(ip, cell)
    assert result.success is False
    assert isinstance(result.error_in_exec, error), repr(result.error_in_exec)
    assert "Traceback" not in text
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]


def requests_since(server: Any, count: int) -> list[dict[str, Any]]:
    return server.requests()[count:]
