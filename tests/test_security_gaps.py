"""Tests that were missing (issue 14.9): the portal empties its password field *before* the key is checked;
a key typed on a magic line is masked in a real kernel's history.sqlite; the sandbox's ``--seed`` CLI."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import nbformat
import pytest
from nbclient import NotebookClient

import paragon_magic.widgets.portal as portal_module
from kernel_env import CREDENTIAL_VARIABLES, kernel_overrides
from paragon_magic.auth import CredentialStore
from paragon_magic.connection import connect
from paragon_magic.widgets import ConnectPortal

TYPED_KEY = "sk_test_" + "TypedInAKernel0000000001"
REPO = Path(__file__).resolve().parents[1]


# -- the portal ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["good", "pk_test_" + "Publishable000000000001"])
def test_the_portal_empties_the_field_before_the_key_is_checked(stripe_server: Any, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch, typed: str) -> None:
    """Seen from the shape check and from the real ``GET /v1/account``: the field is already empty."""
    key = stripe_server.key if typed == "good" else typed
    seen: list[tuple[str, str]] = []
    portal: ConnectPortal

    def checked_shape(secret: Any) -> Any:
        seen.append(("shape check", portal.key_input.value))
        return real_classify(secret)

    def checked_by_stripe(*args: Any, **kwargs: Any) -> Any:
        seen.append(("GET /v1/account", portal.key_input.value))
        return connect(*args, **kwargs)

    real_classify = portal_module.classify_key
    monkeypatch.setattr(portal_module, "classify_key", checked_shape)
    portal = ConnectPortal(store=CredentialStore(config_dir=tmp_path, keyring=None), base_url=stripe_server.url,
                           connect=checked_by_stripe)
    portal.key_input.value = key
    portal.connect_button.click()
    assert seen and all(value == "" for _, value in seen), seen
    assert (portal.session is not None) == (typed == "good")


# -- history.sqlite of a real kernel -------------------------------------------------------------------------

def test_a_typed_key_is_masked_in_a_real_kernels_history_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in kernel_overrides(tmp_path).items():
        monkeypatch.setenv(name, value)
    cells = ["%load_ext paragon_magic", f"%stripe connect {TYPED_KEY}",
             f"%stripe list_customers --email {TYPED_KEY}", f"%%stripe create_customer\nname=x\nemail={TYPED_KEY}",
             "1 + 1"]
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    history = tmp_path / "ipython" / "profile_default" / "history.sqlite"
    NotebookClient(nb, kernel_name="python3", timeout=120, startup_timeout=120, allow_errors=True,
                   ipython_hist_file=str(history), resources={"metadata": {"path": str(tmp_path)}}).execute()
    refused = [o for cell in nb.cells[1:4] for o in cell.outputs if o.get("output_type") == "error"]
    assert len(refused) == 3 and all(o["ename"] == "UsageError" for o in refused)
    with sqlite3.connect(history) as db:
        rows = [raw for (raw,) in db.execute("SELECT source_raw FROM history ORDER BY line")]
    assert sum("sk_test_…0001" in row for row in rows) == 3, rows  # kept, masked
    body = TYPED_KEY.removeprefix("sk_test_")[:-4]
    assert body not in "\n".join(rows) and body.encode() not in history.read_bytes()


# -- python -m paragon_magic.sandbox --seed ------------------------------------------------------------------

def test_the_seed_cli_serves_a_seeded_sandbox(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in CREDENTIAL_VARIABLES}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    proc = subprocess.Popen([sys.executable, "-m", "paragon_magic.sandbox", "--seed", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        printed: list[str] = []
        assert proc.stdout is not None
        for line in proc.stdout:  # until it says where it runs (no sleeps: the output is the readiness signal)
            printed.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        url = next(line.split(" at ", 1)[1].strip() for line in printed if line.startswith("Local Stripe running at"))
        key = next(line.split(": ", 1)[1].strip() for line in printed if line.startswith("API key:"))
        assert url.startswith("http://127.0.0.1:") and key.startswith("sk_test_")
        customers = httpx.get(f"{url}/v1/customers", params={"limit": 50},
                              headers={"Authorization": f"Bearer {key}"}, timeout=60).json()
        assert len(customers["data"]) == 50 and customers["has_more"] is True  # seeded with 100
        assert httpx.get(f"{url}/_sandbox/requests", timeout=30).status_code == 403  # the handle keeps the secret
        assert "Secret" not in "".join(printed)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, errors = proc.communicate(timeout=60)
    assert proc.returncode == 0, errors
