"""``LocalStripe``: starts localstripe and the front layer as child processes and controls them.

localstripe (GPL-3.0) is only ever imported inside its own child process, started with ``python -c``
so nothing in this package imports it. Both children get their per-run secrets as the first line of
stdin, bind 127.0.0.1 on a free port, report the port on stdout, and exit when their stdin pipe
closes (i.e. when this process exits or dies).
"""

from __future__ import annotations

import importlib.util
import re
import secrets
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Iterable, Mapping
from typing import IO, Any

import httpx

from ..errors import ConfigurationError
from ._child import CONTROL_HEADER, CONTROL_SECRET_ENV, UPSTREAM_HEADER, UPSTREAM_SECRET_ENV, minimal_environment
from ._child import secrets_line
from ._child import SANDBOX_KEY  # the fixed demo key (the data plane accepts it and the keys registered here)


_LOCALSTRIPE_CHILD = """
import warnings
warnings.simplefilter("ignore")
import localstripe.resources as resources
# No pickling to the machine-wide /tmp/localstripe.pickle, and never load a stale one.
resources.Store.dump_to_disk = lambda self: None
resources.Store.try_load_from_disk = lambda self: None
resources.store.clear()

# Listing customers exports each one's `subscriptions`, which scans the whole store: quadratic.
# Index subscriptions by customer once per store version instead (statuses are read live).
_version = [0]
def _setitem(self, key, value):
    dict.__setitem__(self, key, value)
    _version[0] += 1
def _delitem(self, key):
    dict.__delitem__(self, key)
    _version[0] += 1
resources.Store.__setitem__ = _setitem
resources.Store.__delitem__ = _delitem
_index = {"version": -1, "by_customer": {}}
def _customer_subscriptions(self):
    if _index["version"] != _version[0]:
        by_customer = {}
        for key, value in resources.store.items():
            if key.startswith("subscription:"):
                by_customer.setdefault(value.customer, []).append(value)
        _index.update(version=_version[0], by_customer=by_customer)
    listing = resources.List("/v1/customers/" + self.id + "/subscriptions")
    listing._list = [sub for sub in _index["by_customer"].get(self.id, [])
                     if sub.status not in ("canceled", "incomplete_expired")]
    return listing
resources.Customer.subscriptions = property(_customer_subscriptions)

from localstripe import server
from paragon_magic.sandbox._child import UPSTREAM_HEADER, UPSTREAM_SECRET_ENV, admit_only, serve_app, take_secret
admit_only(server.app, UPSTREAM_HEADER, take_secret(UPSTREAM_SECRET_ENV))
serve_app(server.app, 0)
"""

_FRONT_CHILD = "from paragon_magic.sandbox.front import main; main()"


class SandboxStartError(ConfigurationError):
    """A sandbox child process did not come up (its last error line says why)."""


class _Child:
    """One child process: started, its port read from stdout, stopped terminate -> wait -> kill."""

    def __init__(self, name: str, args: list[str], secrets: dict[str, str] | None = None) -> None:
        self.name = name
        self._stderr: IO[bytes] = tempfile.TemporaryFile(prefix=f"paragon-sandbox-{name}-")
        env = minimal_environment()  # never the parent's keys and tokens, nor this run's secrets
        self.proc = subprocess.Popen(
            [sys.executable, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
            start_new_session=True,  # Ctrl-C in a terminal/notebook goes to the parent only
        )
        if self.proc.stdin is not None:  # the secrets go on stdin: not in /proc/<pid>/environ or cmdline
            try:
                self.proc.stdin.write(secrets_line(secrets))
                self.proc.stdin.flush()
            except OSError:
                pass  # the child died at once: its stderr says why, below
        line = self.proc.stdout.readline() if self.proc.stdout else b""
        if not line.strip().isdigit():
            try:
                self.proc.wait(5)  # let it finish writing why
            except subprocess.TimeoutExpired:
                pass
            reason = _reason(self.stderr_tail())
            self.stop()
            raise SandboxStartError(f"the sandbox's {name} process did not start: {reason}")
        self.port = int(line)
        self.url = f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stderr_tail(self, limit: int = 2000) -> str:
        try:
            self._stderr.seek(0)
            return self._stderr.read().decode(errors="replace")[-limit:].strip() or "(no output)"
        except (OSError, ValueError):
            return "(no output)"

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc.poll() is None:
            for stream in (self.proc.stdin, self.proc.stdout):
                if stream is not None:
                    stream.close()
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        self._stderr.close()


def _reason(stderr: str) -> str:
    """The line of a child's stderr that says why it failed (its exception), else the last line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if re.match(r"^[A-Za-z_][\w.]*(Error|Exception)\b", line)]
    return (errors or lines or ["(no output)"])[-1]


def _stop_all(children: list[_Child]) -> None:
    for child in reversed(children):
        child.stop()
    children.clear()


class LocalStripe:
    """A local Stripe: localstripe plus the Stripe-faithful front layer, both on 127.0.0.1.

    ``url`` is the front layer (point clients there) and ``key`` the sandbox's secret key. The
    ``/_sandbox/*`` control routes answer only this handle: each run makes a random control secret
    (held here, never printed; ``control_headers`` carries it) and another one that the front adds
    to every call to localstripe, which answers nothing else.
    """

    def __init__(self, *, port: int = 0, start_timeout: float = 60.0) -> None:
        self._port = port
        self._start_timeout = start_timeout
        self._children: list[_Child] = []
        self._finalizer = weakref.finalize(self, _stop_all, self._children)
        self._control: httpx.Client | None = None
        self.key = SANDBOX_KEY
        self._control_secret = secrets.token_urlsafe(32)
        self._upstream_secret = secrets.token_urlsafe(32)

    @property
    def control_headers(self) -> dict[str, str]:
        """The header ``/_sandbox/*`` requests need (for this process's tools and tests only)."""
        return {CONTROL_HEADER: self._control_secret}

    @property
    def upstream_headers(self) -> dict[str, str]:
        """The header localstripe's own port needs (diagnostics and tests only)."""
        return {UPSTREAM_HEADER: self._upstream_secret}

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> LocalStripe:
        if self._children:
            return self
        if importlib.util.find_spec("localstripe") is None:  # looked up, never imported here (GPL)
            raise ConfigurationError(
                "the sandbox needs localstripe: pip install 'paragon_magic[sandbox]'"
            )
        try:
            upstream = _Child("localstripe", ["-W", "ignore", "-c", _LOCALSTRIPE_CHILD],
                              {UPSTREAM_SECRET_ENV: self._upstream_secret})
            self._children.append(upstream)
            self._wait_ready(upstream, "/v1/balance", {"Authorization": f"Bearer {SANDBOX_KEY}",
                                                       **self.upstream_headers})
            front_args = ["-c", _FRONT_CHILD, "--upstream", upstream.url]
            front = _Child("front", [*front_args, "--port", str(self._port)],
                           {CONTROL_SECRET_ENV: self._control_secret, UPSTREAM_SECRET_ENV: self._upstream_secret})
            self._children.append(front)
            self._wait_ready(front, "/_sandbox/stats", self.control_headers)
        except BaseException:
            _stop_all(self._children)
            raise
        self._control = httpx.Client(base_url=front.url, timeout=60.0, headers=self.control_headers,
                                     trust_env=False)  # loopback: never through $HTTP_PROXY
        return self

    def stop(self) -> None:
        if self._control is not None:
            self._control.close()
            self._control = None
        _stop_all(self._children)

    def __enter__(self) -> LocalStripe:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _wait_ready(self, child: _Child, path: str, headers: dict[str, str]) -> None:
        """Poll until the child answers HTTP (no fixed sleep: short back-off between attempts)."""
        deadline = time.monotonic() + self._start_timeout
        delay = 0.01
        with httpx.Client(base_url=child.url, timeout=5.0, trust_env=False) as client:
            while True:
                if not child.alive():
                    raise SandboxStartError(f"{child.name} exited: {child.stderr_tail()}")
                try:
                    if client.get(path, headers=headers).status_code < 500:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise SandboxStartError(f"{child.name} not ready after {self._start_timeout}s")
                time.sleep(delay)
                delay = min(delay * 2, 0.2)

    # -- addresses ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return self._child("front").url

    @property
    def upstream_url(self) -> str:
        """localstripe itself (no Stripe fidelity; for diagnostics only)."""
        return self._child("localstripe").url

    @property
    def pids(self) -> dict[str, int]:
        return {child.name: child.pid for child in self._children}

    def _child(self, name: str) -> _Child:
        for child in self._children:
            if child.name == name:
                return child
        raise RuntimeError("LocalStripe is not running; call start() or use it as a context manager")

    def __repr__(self) -> str:
        state = f"url={self.url!r}" if self._children else "stopped"
        return f"<LocalStripe {state}>"

    # -- control -----------------------------------------------------------------------------
    def _post(self, path: str, payload: Mapping[str, Any] | None = None) -> Any:
        if self._control is None:
            raise RuntimeError("LocalStripe is not running")
        response = self._control.post(path, json=dict(payload or {}))
        if response.status_code >= 400:
            raise ValueError(f"{path}: {response.text.strip()}")
        return response.json()

    def _get(self, path: str) -> Any:
        if self._control is None:
            raise RuntimeError("LocalStripe is not running")
        response = self._control.get(path)
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        """Empty the store and forget idempotency keys, faults, scripts, log, backdates, keys."""
        self._post("/_sandbox/reset")

    def configure(
        self,
        *,
        latency: float = 0.0,
        error_rate: float = 0.0,
        drop_rate: float = 0.0,
        drop_after_ratio: float = 0.5,
        stall_rate: float = 0.0,
        stall_seconds: float = 3.0,
        rate_limit: float | None = None,
        rate_limit_burst: int = 0,
        seed: int = 0,
    ) -> dict[str, Any]:
        """Replace the fault configuration (every argument not given is off)."""
        return self._post("/_sandbox/config", dict(
            latency=latency, error_rate=error_rate, drop_rate=drop_rate,
            drop_after_ratio=drop_after_ratio, stall_rate=stall_rate, stall_seconds=stall_seconds,
            rate_limit=rate_limit, rate_limit_burst=rate_limit_burst, seed=seed,
        ))  # fmt: skip

    def script(self, responses: Iterable[Mapping[str, Any]]) -> None:
        """Force the next responses, one per request: ``{"status", "headers", "body", "drop",
        "forward", "delay"}`` (``forward``: execute for real first, then drop/replace)."""
        self._post("/_sandbox/script", {"responses": [dict(r) for r in responses]})

    def add_secret_key(self, key: str) -> None:
        """Let the data plane accept ``key`` (an ``sk_test_``/``sk_live_`` key; a live-shaped one gets
        ``livemode: true`` answers) until the next reset; only :attr:`key` is accepted otherwise."""
        self._post("/_sandbox/keys", {"secret": [key]})

    def add_restricted_key(self, key: str, permissions: Iterable[str]) -> None:
        """Let the data plane accept the restricted ``key`` with these ``rak_…`` permissions."""
        self._post("/_sandbox/keys", {"restricted": {key: list(permissions)}})

    def revoke_key(self, key: str) -> None:
        self._post("/_sandbox/keys", {"revoked": [key]})

    def backdate(
        self, created_by_id: Mapping[str, int] | None = None, *, fields: Mapping[str, Mapping[str, int]] | None = None
    ) -> None:
        """Override ``created`` of these objects in every response, list order and filter; ``fields``
        overrides other timestamps too (``{sub_id: {"canceled_at": epoch, "ended_at": epoch}}``)."""
        body: dict[str, Any] = {"ids": {k: int(v) for k, v in (created_by_id or {}).items()}}
        if fields:
            body["fields"] = {k: {f: int(t) for f, t in v.items()} for k, v in fields.items()}
        self._post("/_sandbox/backdate", body)

    def requests(self) -> list[dict[str, Any]]:
        return self._get("/_sandbox/requests")

    def stats(self) -> dict[str, Any]:
        return self._get("/_sandbox/stats")
