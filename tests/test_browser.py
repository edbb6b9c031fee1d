"""The quickstart in a real JupyterLab, driven by headless Chromium: widgets render and their callbacks run.

JupyterLab serves a temporary copy of ``notebooks/quickstart.ipynb`` on 127.0.0.1 (no token). The test
runs all cells, pastes the sandbox key into the Connect Portal, fills the ``create_customer`` form,
clicks Run, and reads the result in the page. A screenshot is saved next to the server log in the
test's temporary directory when anything fails.

Needs Debian's ``/usr/bin/chromium`` (``.ci/run`` installs it). Without it the test is skipped on a
developer machine and fails in CI (``CI=true``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from kernel_env import NOTEBOOKS, kernel_environment

from paragon_magic.sandbox import SANDBOX_KEY

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SLOW = 300_000  # ms: a kernel start plus seeding the sandbox on two noisy cores


@dataclass
class Lab:
    url: str
    workdir: Path
    log: Path


def _require_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{CHROMIUM} is missing in CI (.ci/run installs the chromium package)")
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); CI runs this test")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_ready(proc: subprocess.Popen[bytes], url: str, log: Path, timeout: float = 180.0) -> None:
    """Poll ``/api/status`` until the server answers (short back-off, no fixed sleep)."""
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/api/status", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"JupyterLab not ready after {timeout}s:\n{log.read_text()[-3000:]}")
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


def _stop(proc: subprocess.Popen[bytes], url: str) -> None:
    """Shut the kernels down through the API (their sandboxes exit with them), then the server."""
    try:
        for kernel in httpx.get(f"{url}/api/kernels", timeout=10).json():
            httpx.delete(f"{url}/api/kernels/{kernel['id']}", timeout=60)
    except (httpx.HTTPError, ValueError):
        pass
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(30)


@pytest.fixture
def jupyter_lab(tmp_path: Path) -> Iterator[Lab]:
    _require_chromium()
    workdir = tmp_path / "work"
    workdir.mkdir()
    shutil.copy(NOTEBOOKS / "quickstart.ipynb", workdir / "quickstart.ipynb")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "jupyterlab.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
             "--ServerApp.port_retries=0", "--IdentityProvider.token=", "--ServerApp.password=",
             "--ServerApp.disable_check_xsrf=True", "--allow-root", f"--ServerApp.root_dir={workdir}",
             "--LabApp.news_url=None"],
            cwd=workdir, env=kernel_environment(tmp_path), stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        _wait_ready(proc, url, log)
        yield Lab(url, workdir, log)
    finally:
        _stop(proc, url)


@pytest.mark.timeout(900)
def test_quickstart_portal_and_form_in_a_real_browser(jupyter_lab: Lab, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(60_000)
        try:
            page.goto(f"{jupyter_lab.url}/lab/tree/quickstart.ipynb")
            page.wait_for_selector(".jp-Notebook")
            expect(page.get_by_text("Python 3 (ipykernel) | Idle")).to_be_visible(timeout=SLOW)
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()

            # The Connect Portal: type the sandbox key, Connect, and the kernel's callback says connected.
            portal = page.locator(".pm-connect-portal")
            key_field = portal.locator("input[type=password]")
            key_field.wait_for(state="visible", timeout=SLOW)
            form = page.locator(".pm-action-form")
            form.wait_for(state="visible", timeout=SLOW)  # the last cell: everything above has run
            key_field.fill(SANDBOX_KEY)
            portal.get_by_role("button", name="Connect").click()
            expect(portal).to_contain_text("Connected to", timeout=SLOW)
            expect(portal).to_contain_text("Paragon Magic Sandbox")
            expect(portal).to_contain_text("sk_test_…4242")
            expect(key_field).to_have_value("")  # the key does not stay in the widget
            assert SANDBOX_KEY not in page.content()

            # The create_customer form: fill name and email, store the result, Run, see the table.
            form.locator(".widget-text:has(> label:text-is('name')) input").fill("Grace Browser")
            form.locator(".widget-text:has(> label:text-is('email')) input").fill("grace.browser@example.com")
            form.locator(".widget-text:has(> label:text-is('store result as')) input").fill("from_form")
            form.get_by_role("button", name="Run").click()
            table = form.locator("table.dataframe")
            expect(table).to_be_visible(timeout=SLOW)
            expect(form).to_contain_text("1 customer")
            expect(form).to_contain_text("stored as from_form")
            expect(table.locator("tbody tr")).to_have_count(1)
            expect(table.locator("tbody tr").first).to_contain_text("cus_")

            # The stored DataFrame is in the kernel: show its name and email from a new cell.
            page.locator(".jp-Notebook .jp-Cell").last.locator(".jp-InputPrompt").click()
            page.keyboard.press("Escape")
            page.keyboard.press("b")
            page.keyboard.press("Enter")
            page.keyboard.type('from_form[["name", "email"]]')
            page.keyboard.press("Shift+Enter")
            result = page.locator(".jp-Notebook .jp-Cell").filter(has_text="from_form[").locator("table.dataframe")
            expect(result).to_contain_text("Grace Browser", timeout=SLOW)
            expect(result).to_contain_text("grace.browser@example.com")
            expect(result.locator("tbody tr")).to_have_count(1)
        except BaseException:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            print(f"screenshot: {tmp_path / 'failure.png'}; server log: {jupyter_lab.log}")
            raise
        finally:
            browser.close()
