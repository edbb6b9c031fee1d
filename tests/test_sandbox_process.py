"""The sandbox's child process: loopback-only, cleanup, the CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import psutil
import pytest

from paragon_magic.sandbox import LocalStripe

def _wait_gone(pids: list[int], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE for p in pids):
            return True
        time.sleep(0.05)
    return False


def test_the_child_listens_on_loopback_only(local_stripe: LocalStripe) -> None:
    assert set(local_stripe.pids) == {"front"}
    for name, pid in local_stripe.pids.items():
        listening = [c for c in psutil.Process(pid).net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
        assert listening, name
        assert {c.laddr.ip for c in listening} == {"127.0.0.1"}, name
    ports = {c.laddr.port for pid in local_stripe.pids.values()
             for c in psutil.Process(pid).net_connections(kind="inet") if c.status == psutil.CONN_LISTEN}  # fmt: skip
    assert ports == {int(local_stripe.url.rsplit(":", 1)[1])}


def test_stop_ends_the_child_and_context_manager_restarts_clean() -> None:
    with LocalStripe() as server:
        pids = list(server.pids.values())
        headers = {"Authorization": f"Bearer {server.key}"}
        assert httpx.get(f"{server.url}/v1/customers", headers=headers).json()["data"] == []
    assert _wait_gone(pids)
    with pytest.raises(RuntimeError):
        _ = server.url


_PARENT = """
import sys
from paragon_magic.sandbox import LocalStripe
server = LocalStripe().start()
print(server.pids["front"], flush=True)
sys.stdin.read()
"""


def test_children_die_when_the_parent_is_killed() -> None:
    parent = subprocess.Popen([sys.executable, "-c", _PARENT], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert parent.stdout is not None
        pids = [int(p) for p in parent.stdout.readline().split()]
        assert len(pids) == 1 and all(psutil.pid_exists(p) for p in pids)
        parent.kill()  # no chance to clean up: the children must notice on their own
        parent.wait(30)
        assert _wait_gone(pids)
    finally:
        if parent.poll() is None:
            parent.kill()


def test_cli_prints_url_and_key_and_stops_on_ctrl_c() -> None:
    cli = subprocess.Popen(
        [sys.executable, "-m", "paragon_magic.sandbox"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert cli.stdout is not None
        url = cli.stdout.readline().strip().rsplit(" ", 1)[1]
        key = cli.stdout.readline().strip().rsplit(" ", 1)[1]
        assert url.startswith("http://127.0.0.1:") and key.startswith("sk_test_")
        assert httpx.get(f"{url}/v1/account", headers={"Authorization": f"Bearer {key}"}).status_code == 200
        children = [c.pid for c in psutil.Process(cli.pid).children()]
        cli.send_signal(signal.SIGINT)
        assert cli.wait(30) == 0
        assert _wait_gone(children)
    finally:
        if cli.poll() is None:
            cli.kill()


def test_a_taken_port_is_one_clear_line_from_the_cli() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "paragon_magic.sandbox", "--port", str(port)],
                                capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: the sandbox's front process did not start: OSError: [Errno 98] Address already in use"]
