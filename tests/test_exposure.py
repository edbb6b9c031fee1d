"""Every server the project starts listens on 127.0.0.1 only (never 0.0.0.0, ::, or a public address)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import psutil
import pytest

from benchmarks.list_simulator import ListSimulator
from paragon_magic.sandbox import LocalStripe
from paragon_magic.sandbox.paragon_double import ParagonDouble, ParagonDoubleServer

ROOT = Path(__file__).resolve().parent.parent


def _listening(pid: int) -> list[tuple[str, int]]:
    sockets = psutil.Process(pid).net_connections(kind="inet")
    return [(c.laddr.ip, c.laddr.port) for c in sockets if c.status == psutil.CONN_LISTEN]


def test_local_stripe_children_listen_on_loopback_only(local_stripe: LocalStripe) -> None:
    pids = local_stripe.pids
    assert set(pids) == {"front"}
    ports = {int(local_stripe.url.rsplit(":", 1)[1])}
    seen: set[int] = set()
    for name, pid in pids.items():
        listening = _listening(pid)
        assert listening, f"{name} listens nowhere?"
        assert all(ip == "127.0.0.1" for ip, _ in listening), (name, listening)
        seen |= {port for _, port in listening}
    assert ports <= seen


def test_paragon_double_listens_on_loopback_only(local_stripe: LocalStripe) -> None:
    double = ParagonDouble.with_new_key(local_stripe.url, {"u": local_stripe.key})
    with ParagonDoubleServer(double) as server:
        for url in (server.url, server.api_url):  # the Proxy API and the Users API hosts
            port = int(url.rsplit(":", 1)[1])
            mine = [(ip, p) for ip, p in _listening(os.getpid()) if p == port]  # served from a thread of ours
            assert mine == [("127.0.0.1", port)]
            assert url == f"http://127.0.0.1:{port}"


@pytest.mark.slow
def test_benchmark_list_simulator_listens_on_loopback_only() -> None:
    simulator = ListSimulator(n=200, latency=0.0, rate=0)
    simulator.start()
    try:
        assert simulator._proc is not None
        listening = _listening(simulator._proc.pid)
        assert listening and all(ip == "127.0.0.1" for ip, _ in listening), listening
        assert simulator.url.startswith("http://127.0.0.1:")
    finally:
        simulator.stop()


#: Ways a server could be told to listen everywhere.
_WILDCARD_BIND = re.compile(
    r"""(["'])(?:0\.0\.0\.0|::|\[::\]|::0)\1"""  # a literal wildcard host
    r"""|\bhost\s*=\s*(["'])\2"""  # host="" (all interfaces)
    r"""|\.bind\(\s*\(\s*(["'])\3"""  # sock.bind(("", port))
    r"""|INADDR_ANY|IN6ADDR_ANY"""
)


def test_no_wildcard_bind_host_anywhere_in_the_source() -> None:
    files = sorted((ROOT / "paragon_magic").rglob("*.py")) + sorted((ROOT / "benchmarks").rglob("*.py"))
    assert len(files) > 20
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if _WILDCARD_BIND.search(line)
    ]
    assert offenders == []


def test_the_wildcard_pattern_catches_what_it_should() -> None:
    wildcard = "0.0.0.0"  # spelled apart so repository-wide greps for wildcard binds skip this test
    for bad in (f'web.run_app(app, host="{wildcard}")', "sock.bind(('', 0))", "TCPSite(runner, '::', 8080)",
                'serve(host="")', "s.bind((socket.INADDR_ANY, 0))"):
        assert _WILDCARD_BIND.search(bad), bad
    for fine in ('LOOPBACK = "127.0.0.1"', "sock.bind((LOOPBACK, port))", "a::b", 'host="127.0.0.1"'):
        assert not _WILDCARD_BIND.search(fine), fine
