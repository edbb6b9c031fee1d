"""The shipped notebooks run top to bottom in a real kernel against a fresh embedded sandbox.

Each notebook is executed with nbclient in a ``python3`` kernel of *this* interpreter (a kernelspec
written to a temporary ``JUPYTER_PATH``, so a clean machine needs nothing installed), without
``STRIPE_API_KEY`` (so ``%stripe connect --sandbox`` starts the kernel's own seeded sandbox) and with
credentials, IPython profile and keyring isolated in the test's temporary directory.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import nbformat
import psutil
import pytest
from nbclient import NotebookClient

from kernel_env import CREDENTIAL_VARIABLES, NOTEBOOKS, kernel_overrides

pytestmark = pytest.mark.slow

ACTIONS = (
    "create_customer", "update_customer", "get_customer", "list_customers", "create_subscription",
    "list_subscriptions", "create_product", "get_product", "list_products", "list_balance_transactions",
    "list_plans",
)  # fmt: skip
def run_notebook(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                 extra_cells: tuple[str, ...] = ()) -> nbformat.NotebookNode:
    """Execute ``notebooks/<name>`` (plus ``extra_cells``) top to bottom; raises on any cell error."""
    for key, value in kernel_overrides(tmp_path).items():
        monkeypatch.setenv(key, value)
    for key in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(key, raising=False)
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code"), "outputs committed"
    nb.cells += [nbformat.v4.new_code_cell(source) for source in extra_cells]
    client = NotebookClient(nb, kernel_name="python3", timeout=600, startup_timeout=120,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    return nb


def _cell(nb: nbformat.NotebookNode, startswith: str) -> nbformat.NotebookNode:
    found = [c for c in nb.cells if c.cell_type == "code" and c.source.lstrip().startswith(startswith)]
    assert len(found) == 1, f"expected one cell starting with {startswith!r}, found {len(found)}"
    return found[0]


def _outputs(cell: nbformat.NotebookNode, mime: str) -> list[Any]:
    return [o["data"][mime] for o in cell.outputs if mime in o.get("data", {})]


def _table(cell: nbformat.NotebookNode) -> str:
    """The HTML of the cell's result DataFrame (its execute_result)."""
    results = [o for o in cell.outputs if o.output_type == "execute_result"]
    assert results and "text/html" in results[-1]["data"], f"no DataFrame result in {cell.source!r}"
    html = results[-1]["data"]["text/html"]
    assert "<table" in html and "dataframe" in html
    return html


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE  # an unreaped orphan has exited
    except psutil.NoSuchProcess:
        return False


def _wait_gone(pids: Any, timeout: float) -> list[int]:
    """Poll until none of ``pids`` runs any more; returns those still running at the deadline."""
    deadline = time.monotonic() + timeout
    while (alive := [pid for pid in pids if _running(pid)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive


def _stderr(nb: nbformat.NotebookNode) -> str:
    return "".join(o.text for c in nb.cells if c.cell_type == "code"
                   for o in c.outputs if o.output_type == "stream" and o.name == "stderr")


_REPORT_CELL = """
import json
import pandas as pd
from paragon_magic.connection import shared_sandbox
frames = {n: v.astype(str).to_dict("records") for n, v in Out.items() if isinstance(v, pd.DataFrame)}
named = {n: v.astype(str).to_dict("records") for n, v in globals().items()
         if isinstance(v, pd.DataFrame) and not n.startswith("_")}
print(json.dumps({"pids": shared_sandbox().pids, "frames": frames, "named": named}))
"""


def test_quickstart_runs_every_action_against_its_own_sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nb = run_notebook("quickstart.ipynb", tmp_path, monkeypatch, extra_cells=(_REPORT_CELL,))
    report = json.loads(nb.cells[-1].outputs[0]["text"])

    def rows(startswith: str) -> list[dict[str, str]]:
        """The DataFrame the cell returned (from IPython's Out), checked to be displayed as a table; with
        ``-o NAME`` the cell shows nothing and the frame is the variable ``NAME``."""
        cell = _cell(nb, startswith)
        if stored := re.search(r" -o (\w+)\s*$", cell.source):
            assert not [o for o in cell.outputs if o.output_type == "execute_result"], cell.source
            return report["named"][stored[1]]
        _table(cell)
        return report["frames"][str(cell.execution_count)]

    connected = "".join(o.get("text", "") for o in _cell(nb, "import os").outputs)
    assert "connected (sandbox, test mode)" in connected and "sk_test_…" in connected
    for action in ACTIONS:
        cells = [c for c in nb.cells if c.cell_type == "code" and f"%stripe {action} " in c.source + " "]
        assert cells, f"the quickstart does not run {action}"
        shown = [c for c in cells if not re.search(r" -o \w+\s*$", c.source)]
        assert shown or rows(cells[0].source), action
        if shown:
            _table(shown[0])
            assert str(shown[0].execution_count) in report["frames"]

    [jenny] = rows("%stripe create_customer")
    assert (jenny["name"], jenny["email"]) == ("Jenny Rosen", "jenny.rosen@example.com")
    [updated] = rows("%stripe update_customer {{ jenny.id[0] }}")
    assert (updated["id"], updated["description"], updated["metadata.tier"]) == (jenny["id"], "VIP", "gold")
    [fetched] = rows("%stripe get_customer {{ jenny.id[0] }}")
    assert (fetched["id"], fetched["description"]) == (jenny["id"], "VIP")
    listed = rows("%stripe list_customers --limit 5")
    assert len(listed) == 5 and listed[0]["id"] == jenny["id"]  # newest first, then seeded customers
    [product] = rows("%stripe create_product")
    [got_product] = rows("%stripe get_product {{ product.id[0] }}")
    assert got_product["id"] == product["id"] and got_product["name"] == "Notebook Pro"
    assert rows("%stripe list_products --limit 5")[0]["id"] == product["id"]
    [price] = rows("%stripe request POST /v1/prices")
    assert (price["product"], price["unit_amount"], price["recurring.interval"]) == (product["id"], "1500", "month")
    assert (price["type"], price["lookup_key"]) == ("recurring", "notebook_pro_monthly")
    plans = rows("%stripe list_plans --limit 10")
    assert plans[0]["id"] == price["id"] and len(plans) == 10  # the new price, read as its plan, then seeded ones
    [subscription] = rows("%stripe create_subscription")
    assert (subscription["customer"], subscription["status"], subscription["currency"]) == (jenny["id"], "active", "usd")
    assert "plan.id" not in subscription and "current_period_start" not in subscription  # on the item now
    assert '"id":"%s"' % price["id"] in subscription["items.data"] and '"current_period_start":' in subscription["items.data"]
    [listed_sub] = rows("%stripe list_subscriptions --customer {{ jenny.id[0] }}")
    assert listed_sub["id"] == subscription["id"]
    txns = rows("%stripe list_balance_transactions")
    assert len(txns) == 5 and {t["type"] for t in txns} <= {"charge", "refund", "payout"}
    assert all(float(t["net"]) < float(t["amount"]) for t in txns if t["type"] == "charge")  # card fees
    assert all(float(t["net"]) == float(t["amount"]) for t in txns if t["type"] != "charge")

    for start in ("if USE_SANDBOX:", "%stripe form create_customer"):  # the portal and the form
        views = _outputs(_cell(nb, start), "application/vnd.jupyter.widget-view+json")
        assert len(views) == 1 and views[0]["model_id"]
    assert "Traceback" not in _stderr(nb) and "Warning" not in _stderr(nb)
    assert "paragonMagicSandbox4242" not in json.dumps([c.get("outputs", []) for c in nb.cells])  # masked only

    # The kernel has exited (nbclient shut it down): its sandbox children must be gone too.
    assert set(report["pids"]) == {"front"}
    assert _wait_gone(report["pids"].values(), timeout=60) == [], "sandbox processes outlived the kernel"
