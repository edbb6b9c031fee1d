"""``LocalStripe``: starts the sandbox (the engine behind its Stripe front) as a child process and
controls it.

The child gets its per-run secrets as the first line of stdin, binds 127.0.0.1 on a free port, reports
the port on stdout, and exits when its stdin pipe closes (i.e. when this process exits or dies).
"""

from __future__ import annotations

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
from ._child import CONTROL_HEADER, CONTROL_SECRET_ENV, minimal_environment, secrets_line
from ._child import SANDBOX_KEY  # the fixed demo key (the data plane accepts it and the keys registered here)


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
    """A local Stripe on 127.0.0.1: the sandbox's engine behind its Stripe-faithful front.

    ``url`` is where clients point and ``key`` the sandbox's secret key; :meth:`seed` plays the demo
    business (:mod:`.seed`) on it. The ``/_sandbox/*`` control routes answer only this handle: each
    run makes a random control secret (held here, never printed; ``control_headers`` carries it).
    """

    def __init__(self, *, port: int = 0, start_timeout: float = 60.0) -> None:
        self._port = port
        self._start_timeout = start_timeout
        self._children: list[_Child] = []
        self._finalizer = weakref.finalize(self, _stop_all, self._children)
        self._control: httpx.Client | None = None
        self.key = SANDBOX_KEY
        self._control_secret = secrets.token_urlsafe(32)

    @property
    def control_headers(self) -> dict[str, str]:
        """The header ``/_sandbox/*`` requests need (for this process's tools and tests only)."""
        return {CONTROL_HEADER: self._control_secret}

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> LocalStripe:
        if self._children:
            return self
        try:
            args = ["-m", "paragon_magic.sandbox.front", "--port", str(self._port)]
            front = _Child("front", args,
                           {CONTROL_SECRET_ENV: self._control_secret})
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

    def set_clock(self, now: int | None) -> None:
        """Freeze the sandbox clock at ``now`` (epoch seconds; jobs due by then run at their moments),
        or give it back to real time (``None``)."""
        self._post("/_sandbox/clock", {"now": now})

    def seed(self, *, customers: int = 100, rng_seed: int = 7, now: int | None = None) -> Any:
        """Play the seeded demo business (:mod:`.seed`) on this sandbox; returns its ``SeedReport``."""
        from .seed import SeedReport

        return SeedReport.from_json(self._post("/_sandbox/seed", {"customers": customers, "rng_seed": rng_seed, "now": now}))

    def settings(self, **changes: Any) -> dict[str, Any]:
        """Change account settings the engine follows (``event_retention_days``, ``retry_days``,
        ``dunning_action``, ``payout_every_days``, ``automatic_payouts``); returns them all."""
        return self._post("/_sandbox/settings", changes) if changes else self._get("/_sandbox/settings")

    def requests(self) -> list[dict[str, Any]]:
        return self._get("/_sandbox/requests")

    def stats(self) -> dict[str, Any]:
        return self._get("/_sandbox/stats")
