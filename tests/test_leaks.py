"""Leak scan: a whole notebook session in a real kernel never writes the API key or the Paragon user token
anywhere a user (or a shared notebook) could see it.

The generated notebook connects through the Connect Portal (the key comes from an environment variable read
inside the kernel, so the notebook source never holds it), through ``$STRIPE_API_KEY``, runs actions,
errors (404, a bad flag, a rejected near-copy of the key), ``--dry-run`` and a Paragon session (a
ParagonDouble served from this test process; the token only in ``$PARAGON_USER_TOKEN``). It is executed by
nbclient with widget state stored, with DEBUG logging to a file and IPython's history in a private
IPYTHONDIR. Then every output, the saved .ipynb text, the history database and the log are scanned for the
key and the token (whole, and their distinctive bodies minus the last four characters): zero hits.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import string
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from kernel_env import CREDENTIAL_VARIABLES, kernel_overrides
from paragon_magic.sandbox import LocalStripe
from paragon_magic.sandbox.paragon_double import ParagonDouble, ParagonDoubleServer

pytestmark = pytest.mark.slow

_RNG = random.Random(0x1EA6)
TEST_KEY = "sk_test_" + "".join(_RNG.choice(string.ascii_letters + string.digits) for _ in range(24))
USER_ID = "leak-user-1"

CELLS = [
    # 0: DEBUG logging of everything (paragon_magic, httpx, httpcore) to a file the test scans
    "import logging, os\n"
    "logging.basicConfig(filename=os.environ['LEAK_LOG'], level=logging.DEBUG, force=True,\n"
    "                    format='%(asctime)s %(name)s %(levelname)s %(message)s')\n"
    "logging.getLogger().setLevel(logging.DEBUG)",
    "%load_ext paragon_magic",
    # portal: the key is typed into the Password field (here: read from the environment) and submitted
    "from paragon_magic.widgets.portal import ConnectPortal\n"
    "from paragon_magic.magics.extension import context_of\n"
    "ctx = context_of(get_ipython())\n"
    "portal = ConnectPortal(base_url=os.environ['SANDBOX_URL'], profile='leaky', store=ctx.store,\n"
    "                       on_connect=lambda session: ctx.adopt(session, profile='leaky'))\n"
    "portal",
    "portal.key_input.value = os.environ['PORTAL_KEY']\n"
    "session = portal.submit()\n"
    "print(portal.status.value)\n"
    "print(repr(portal), repr(session), repr(session.client), repr(session.client.backend))\n"
    "print(portal.key_input.value == '', portal.error == '')",
    "%stripe status",
    "%stripe profiles",
    "%stripe create_customer --email leak@example.com --name Leak -o created",
    "created.attrs",
    "%stripe list_customers --limit 5",
    "%stripe get_customer cus_doesNotExist",  # 404
    "%stripe list_customers --bogus-flag 1",  # usage error
    "%stripe create_customer --email dry@example.com --dry-run",
    "%stripe request POST /v1/customers email=req@example.com --dry-run",
    # a near-copy of the key is rejected: the error must not echo it
    "import paragon_magic\n"
    "try:\n"
    "    paragon_magic.connect(os.environ['PORTAL_KEY'][:-1] + 'Z', save=False, base_url=os.environ['SANDBOX_URL'])\n"
    "except Exception as error:\n"
    "    print(type(error).__name__, str(error), repr(error))",
    # the environment route: forget the saved profile, the next action connects with $STRIPE_API_KEY
    "%stripe disconnect --profile leaky",
    "%stripe list_customers --limit 2",
    "%stripe status",
    "env_session = paragon_magic.connect(save=False)\n"
    "print(repr(env_session), env_session.masked_key)\n"
    "env_session",
    # Paragon: token only in $PARAGON_USER_TOKEN
    "%paragon authenticate {project} --base-url {proxy} --api-base {api}",
    "%paragon status",
    "%paragon user",
    "%stripe list_customers --limit 3",
    "%stripe get_customer cus_missingViaParagon",
    "%stripe create_customer --email para@example.com --dry-run",
    "print(repr(ctx), repr(ctx.session), repr(ctx.session.client.backend), repr(ctx.paragon))",
    "raise RuntimeError('a plain failure so a traceback with locals is rendered')",
    "%history -g -l 50",
    # 27-: a key used as a value (dry-run URL, httpx's INFO log, the sandbox's log), then secrets typed
    # on a line by mistake: a PEM signing key and a JWT (refused, masked in history)
    "%stripe disconnect",
    "%stripe list_customers --email {{ os.environ['PORTAL_KEY'] }} --dry-run",
    "%stripe list_customers --email {{ os.environ['PORTAL_KEY'] }} --limit 1",
    "%paragon authenticate {project} --signing-key '{pem}' --user typed-user",
    "%stripe list_customers --email {typed_jwt}",
    "%history -g -l 80",
]


def _forms(secret: str) -> list[str]:
    """What counts as a leak: the whole secret and its distinctive body minus the last 4 characters."""
    return [secret, secret[:-4], secret[8:-4] if secret.startswith(("sk_", "rk_")) else secret[:-4]]


@pytest.fixture
def proxy(stripe_server: LocalStripe) -> Iterator[ParagonDoubleServer]:
    double = ParagonDouble.with_new_key(stripe_server.url, {USER_ID: TEST_KEY})
    with ParagonDoubleServer(double) as server:
        yield server


def test_no_secret_reaches_outputs_notebook_history_or_logs(
    stripe_server: LocalStripe, proxy: ParagonDoubleServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = proxy.double.mint_token(USER_ID)
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in {**kernel_overrides(tmp_path), "LEAK_LOG": str(tmp_path / "kernel-debug.log")}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SANDBOX_URL", stripe_server.url)
    monkeypatch.setenv("STRIPE_API_BASE", stripe_server.url)
    monkeypatch.setenv("PORTAL_KEY", TEST_KEY)
    monkeypatch.setenv("STRIPE_API_KEY", TEST_KEY)
    monkeypatch.setenv("PARAGON_USER_TOKEN", token)
    stripe_server.add_secret_key(TEST_KEY)  # the sandbox accepts only its own key and keys registered with it
    stripe_server.revoke_key(TEST_KEY[:-1] + "Z")  # the near-copy the notebook tries must be refused

    pem = proxy.double.signing_key_pem
    typed_jwt = proxy.double.mint_token("typed-user")
    sources = [c.replace("{project}", proxy.double.project_id).replace("{proxy}", proxy.url)
               .replace("{api}", proxy.api_url)
               .replace("{pem}", " ".join(pem.strip().splitlines())).replace("{typed_jwt}", typed_jwt)
               for c in CELLS]
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    for form in _forms(TEST_KEY) + _forms(token):
        assert all(form not in source for source in sources)  # the secrets only ever travel by environment

    history = tmp_path / "ipython" / "profile_default" / "history.sqlite"
    client = NotebookClient(nb, kernel_name="python3", timeout=300, startup_timeout=120, allow_errors=True,
                            store_widget_state=True, ipython_hist_file=str(history),  # nbclient's default: :memory:
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    saved = tmp_path / "session.ipynb"
    nbformat.write(nb, saved)

    # -- the session really did what it claims (so the scan below is not vacuous) --
    texts = [_cell_text(cell) for cell in nb.cells]
    by_source = dict(zip(sources, texts))
    assert "Connected to" in by_source[sources[3]] and "True True" in by_source[sources[3]], by_source[sources[3]]
    masked = f"sk_test_…{TEST_KEY[-4:]}"
    assert masked in by_source[sources[3]]
    assert "resource_missing" in by_source["%stripe get_customer cus_doesNotExist"]
    assert "bogus" in by_source["%stripe list_customers --bogus-flag 1"]
    assert "Idempotency-Key" in by_source["%stripe create_customer --email dry@example.com --dry-run"]
    assert "KeyRejected" in texts[13] and "rejected this key" in texts[13], texts[13]
    assert "$STRIPE_API_KEY" in texts[16] and masked in texts[16], texts[16]
    assert "STRIPE_API_KEY" in texts[17] and masked in texts[17], texts[17]
    assert f"authenticated as user {USER_ID}" in texts[18] and f"…{token[-4:]}" in texts[18], texts[18]
    assert "Stripe connected, 1 credential(s)" in texts[20], texts[20]  # %paragon user, from the Users API host
    assert "cus_" in texts[21] and "resource_missing" in texts[22], (texts[21], texts[22])
    assert any(o.get("output_type") == "error" for o in nb.cells[25].outputs)
    assert any(line.startswith("GET ") and f"email=sk_test_…{TEST_KEY[-4:]}" in line
               for line in texts[28].splitlines()), texts[28]  # the dry-run URL line, masked
    assert "must not be typed" in texts[30] and "history" in texts[31], (texts[30], texts[31])
    widgets = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    assert widgets.get("state"), "widget state was not stored"

    # -- the scan --
    log = Path(os.environ["LEAK_LOG"])
    assert history.exists() and log.exists()
    with sqlite3.connect(history) as db:
        rows = db.execute("SELECT source, source_raw FROM history").fetchall()
        outputs = db.execute("SELECT output FROM output_history").fetchall() if _has_table(db, "output_history") else []
    assert len(rows) >= len(CELLS) - 1
    log_text = log.read_text(errors="replace")
    assert "paragon_magic.client" in log_text and "httpcore" in log_text  # DEBUG really was on
    assert f"email=sk_test_…{TEST_KEY[-4:]}" in log_text  # httpx's INFO line of the request, masked
    sandbox_log = json.dumps(stripe_server.requests(), ensure_ascii=False)
    assert f"sk_test_…{TEST_KEY[-4:]}" in sandbox_log

    places = {
        "outputs": "\n".join(texts),
        "notebook file": saved.read_text(),
        "widget state": json.dumps(widgets),
        "history rows": "\n".join(str(r) for r in rows + outputs),
        "history file bytes": history.read_bytes().decode("latin-1"),
        "debug log": log_text,
        "sandbox request log": sandbox_log,
    }
    hits = [(where, form[:12] + "…") for where, text in places.items()
            for form in _forms(TEST_KEY) + _forms(token) if form in text]
    assert hits == []
    # secrets typed on a line by mistake: the cell source keeps them (documented), nothing else does
    typed = [line for line in pem.strip().splitlines()[1:-1] if len(line) >= 32] + _forms(typed_jwt)
    assert typed and any(form in saved.read_text() for form in typed)  # they really were typed
    typed_hits = [(where, form[:12] + "…") for where, text in places.items() if where != "notebook file"
                  for form in typed if form in text]
    assert typed_hits == []


def _cell_text(cell: nbformat.NotebookNode) -> str:
    parts: list[str] = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append(output.get("text", ""))
        elif output.get("output_type") == "error":
            parts += [output.get("ename", ""), output.get("evalue", ""), *output.get("traceback", [])]
        else:
            parts += [v if isinstance(v, str) else json.dumps(v) for v in output.get("data", {}).values()]
    return "\n".join(parts)


def _has_table(db: sqlite3.Connection, name: str) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone() is not None
