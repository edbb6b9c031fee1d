"""The "no key on a magic line" guard sees a key however it is quoted, in a real InteractiveShell.

The magics' tokenizer drops quotes and backslashes when it joins a word, so ``s"k_test_…"`` reaches the
parser as ``sk_test_…``: such a line is refused like a plain key, not echoed, nothing is sent, and the
saved history holds it masked.
"""

from __future__ import annotations

from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from paragon_magic.errors import UsageError
from paragon_magic.magics.templating import holds_secret
from shell_helpers import fails, ok, requests_since

KEY = "sk_test_" + "QuotedOnTheLine000000777"
BODY = KEY.removeprefix("sk_test_")[:-4]
SPLIT = [f's"{KEY[1:]}"', f"'s'{KEY[1:]}", f"s\\{KEY[1:]}", f'"sk_"{KEY[3:]}', f"sk_test_'{KEY[8:]}'"]


@pytest.mark.parametrize("typed", SPLIT)
def test_a_key_split_by_quotes_is_seen(typed: str) -> None:
    assert holds_secret(f"%stripe list_customers --email {typed}")
    assert not holds_secret('%stripe list_customers --email "risk_assessment@example.com" --name \'Desk\'')


@pytest.mark.parametrize("typed", SPLIT)
def test_a_quoted_key_on_a_line_is_refused_and_never_kept(ip: InteractiveShell, stripe_server: Any,
                                                          typed: str) -> None:
    start = len(stripe_server.requests())
    for cell in (f"%stripe list_customers --email {typed}", f"%%stripe create_customer\nname=x\nemail={typed}",
                 f"%paragon authenticate proj {typed}"):
        line = fails(ip, cell, UsageError)
        assert BODY not in line and "history" in line
        count = ip.execution_count - 1
        assert BODY not in ip.user_ns[f"_i{count}"] and "sk_test_…0777" in ip.user_ns[f"_i{count}"]
    assert requests_since(stripe_server, start) == []
    ok(ip, "1 + 1")
    ip.history_manager.writeout_cache()
    saved = ip.history_manager.db.execute("SELECT source, source_raw FROM history").fetchall()
    everything = [*ip.history_manager.input_hist_raw, *ip.user_ns["In"], *(text for row in saved for text in row)]
    assert not [text for text in everything if text and BODY in text]
