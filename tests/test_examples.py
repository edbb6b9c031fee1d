"""Every example in ``%stripe help``, every action's help, README.md and docs/ runs as pasted.

Examples run in a real IPython shell against the sandbox (``stripe_server``), in document order so one
line can use the variables an earlier one made (``customers = %stripe list_customers ...``). Placeholder
ids (``cus_123``, ``plan_123``, ...) stand for objects of the small business the fixture creates; an
example is sent with ``--dry-run`` only when it is listed in ``DRY_RUN`` with the reason (the sandbox
does not serve that endpoint or filter yet, or the example needs an object the sandbox cannot make).
A flag's ``e.g.`` fragment in an action's help is a syntax illustration: it is completed into a call
(the id and required flags from their own examples) and checked with ``--dry-run``.
"""

from __future__ import annotations

import ast
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

import paragon_magic.connection as connection
from paragon_magic.catalog import ACTIONS, describe
from paragon_magic.catalog_types import Action
from paragon_magic.magics import display

from shell_helpers import ok

ROOT = Path(__file__).resolve().parent.parent

#: Examples sent with --dry-run, and why (an endpoint or filter the sandbox does not serve). Empty: the
#: sandbox serves prices, search and every list filter the examples use, so every example runs for real.
DRY_RUN: dict[str, str] = {}


@dataclass
class Example:
    where: str  # "README.md", "help create_customer", ...
    code: str  # one magic line, or a Python cell
    dry_run: bool = False


# --- extraction ------------------------------------------------------------------------------------

def examples_section(text: str) -> list[str]:
    """The indented lines after ``Examples:`` (magic lines and the Python lines between them)."""
    _, found, rest = text.partition("\nExamples:\n")
    if not found:
        return []
    lines = []
    for line in rest.splitlines():
        if line.startswith("  "):
            lines.append(line.strip())
    return lines


def help_examples() -> list[Example]:
    found = [Example("%stripe help", line) for line in examples_section(display.USAGE)]
    for name, action in ACTIONS.items():
        found += [Example(f"help {name}", line) for line in examples_section(describe(action))]
    return found


def fragment_examples() -> list[Example]:
    """Each ``e.g. --flag value`` line of an action's help, completed into a call and dry-run."""
    found = []
    for name, action in ACTIONS.items():
        if action.kind == "request":
            continue
        for line in describe(action).splitlines():
            match = re.match(r"\s+e\.g\. (--\S+ .*)$", line)
            if match and match.group(1).startswith("--credential "):
                continue  # Paragon mode only: run through the Paragon double in test_paragon_credentials.py
            if match:
                flag = match.group(1).split()[0]
                found.append(Example(f"help {name} ({flag})", _complete_call(action, match.group(1)), dry_run=True))
    return found


def _complete_call(action: Action, fragment: str) -> str:
    words = [f"%stripe {action.name}"]
    if action.id_param:
        words.append(f"{action.id_param[:3]}_123")
    given = fragment.split()[0]
    for param in action.params:
        if param.required and param.flag != given and param.example:
            words.append(f"{param.flag} {param.example}")
    return " ".join([*words, fragment])


def markdown_examples(path: Path) -> list[Example]:
    """Fenced ``python`` blocks and blocks of magic lines, and inline ``%stripe <action> ...`` spans."""
    text = path.read_text()
    found = []
    for lang, body in re.findall(r"```(\w*)\n(.*?)```", text, flags=re.S):
        if lang == "python":
            found.append(Example(path.name, body))
        elif any(line.startswith("%") for line in body.splitlines()):
            found += [Example(path.name, line) for line in body.splitlines() if line.strip()]
    for span in re.findall(r"`(%(?:stripe|config) [^`]+)`", re.sub(r"```.*?```", "", text, flags=re.S)):
        words = span.split()
        placeholder = re.search(r"[\[<|…]|\b(?!GET\b|POST\b|DELETE\b)[A-Z_]{3,}\b", span)
        if (words[1] in ACTIONS or words[0] == "%config") and not placeholder:
            found.append(Example(path.name, span))
    return found


def all_examples() -> list[Example]:
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return [*help_examples(), *[e for doc in docs for e in markdown_examples(doc)]]


# --- running ---------------------------------------------------------------------------------------

@dataclass
class Business:
    ids: dict[str, str]


@pytest.fixture
def business(stripe_server: Any, monkeypatch: pytest.MonkeyPatch) -> Business:
    """A small business in the sandbox; ``%stripe connect --sandbox`` and ``connect("sk_test_…")`` reach it."""
    monkeypatch.setattr(connection, "shared_sandbox", lambda **_: stripe_server)
    monkeypatch.setenv("STRIPE_API_BASE", stripe_server.url)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")  # a saved profile stays in tmp
    session = connection.connect(stripe_server.key, base_url=stripe_server.url, save=False, rate_limit=1000)
    post = lambda path, params: session.client.request("POST", path, params).data  # noqa: E731
    customer = post("/v1/customers", {"name": "Jenny Rosen", "email": "jenny@example.com",
                                      "payment_method": "pm_card_visa",
                                      "invoice_settings": {"default_payment_method": "pm_card_visa"}})["id"]
    product = post("/v1/products", {"name": "T-shirt"})["id"]
    plan = post("/v1/plans", {"product": product, "amount": 2000, "currency": "usd", "interval": "month"})["id"]
    price = post("/v1/prices", {"product": product, "unit_amount": 2500, "currency": "usd",
                                "recurring": {"interval": "month"}})["id"]
    subscription = post("/v1/subscriptions", {"customer": customer, "items": [{"plan": plan}]})["id"]
    intent = post("/v1/payment_intents", {"amount": 4900, "currency": "usd", "customer": customer,
                                          "payment_method": "pm_card_visa", "confirm": True})["id"]
    charge = session.client.request("GET", "/v1/charges", {"customer": customer}).data["data"][0]["id"]
    invoice = session.client.request("GET", "/v1/invoices", {"customer": customer}).data["data"][0]["id"]
    settled = int(time.time()) - 3 * 86_400  # a payout takes settled funds (Stripe refuses more)
    txns = session.client.request("GET", "/v1/balance_transactions", {"limit": 100}).data["data"]
    stripe_server.backdate({t["id"]: settled for t in txns})
    payout = post("/v1/payouts", {"amount": 1000, "currency": "usd"})["id"]
    session.close()
    monkeypatch.setenv("EXAMPLE_SANDBOX_KEY", stripe_server.key)
    return Business({"cus_123": customer, "prod_123": product, "plan_123": plan, "price_123": price,
                     "sub_123": subscription,
                     "pi_123": intent, "ch_123": charge, "in_123": invoice, "po_123": payout,
                     "pm_123": "pm_card_visa",
                     # a pasted key becomes an expression, so the key itself never enters the shell's history
                     '"sk_test_…"': '__import__("os").environ["EXAMPLE_SANDBOX_KEY"]'})


def placed(code: str, ids: dict[str, str]) -> str:
    for placeholder, real in ids.items():
        code = re.sub(re.escape(placeholder) + r"(?![\w])", real, code)
    return code


def run_example(ip: InteractiveShell, example: Example, ids: dict[str, str]) -> None:
    code = placed(example.code, ids)
    dry = example.dry_run or example.code in DRY_RUN
    if dry:
        assert code.startswith("%stripe "), f"{example.where}: only magic lines can be dry-run: {code}"
        code += " --dry-run"
    elif not code.startswith("%"):
        ast.parse(code)  # a Python example must at least be Python
    try:
        ok(ip, code)
    except AssertionError as exc:
        raise AssertionError(f"{example.where}: {example.code!r} failed as pasted:\n{exc}") from None


def test_examples_are_found() -> None:
    examples = all_examples()
    wheres = {e.where for e in examples}
    assert {"%stripe help", "README.md", "help create_customer", "help search_customers"} <= wheres
    assert all(f"help {name}" in wheres for name, a in ACTIONS.items())
    assert len(fragment_examples()) > 60
    assert set(DRY_RUN) <= {e.code for e in examples}, set(DRY_RUN) - {e.code for e in examples}


def test_help_and_action_examples_run(ip: InteractiveShell, business: Business) -> None:
    ok(ip, "%stripe connect --sandbox")
    for example in help_examples():
        run_example(ip, example, business.ids)


def test_help_flag_fragments_parse_and_plan(ip: InteractiveShell, business: Business) -> None:
    ok(ip, "%stripe connect --sandbox")
    for example in fragment_examples():
        run_example(ip, example, business.ids)


@pytest.mark.parametrize("doc", ["README.md", *sorted(p.name for p in (ROOT / "docs").glob("*.md"))])
def test_document_examples_run_in_order(ip: InteractiveShell, business: Business, doc: str) -> None:
    path = ROOT / doc if doc == "README.md" else ROOT / "docs" / doc
    ok(ip, "%stripe connect --sandbox")  # a reader has connected (README: "Authenticate once ..., then")
    for example in markdown_examples(path):
        run_example(ip, example, business.ids)


def test_a_stray_word_says_to_quote(ip: InteractiveShell, business: Business) -> None:
    from shell_helpers import fails

    ok(ip, "%stripe connect --sandbox")
    message = fails(ip, "%stripe create_customer --name Jenny Rosen")
    assert "quote the value: --name 'Jenny Rosen'" in message
    message = fails(ip, "%stripe list_customers Rosen")
    assert "quote a value with spaces" in message
    message = fails(ip, "%stripe update_customer cus_1 --description Very Important")
    assert "quote the value: --description 'Very Important'" in message
