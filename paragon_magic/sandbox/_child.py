"""Plumbing of the sandbox's child process (the engine behind its front).

A child binds ``127.0.0.1`` itself (port 0 = any free port, so there is no race between choosing and
binding), reports the port on the first line of stdout, then serves. The parent writes the child's
per-run secrets as the first line of its stdin (a JSON object: never in the environment, which stays
readable in ``/proc/<pid>/environ`` for the child's whole life, nor on the command line). After that
line a watchdog thread reads stdin: the parent holds the other end of that pipe, so when the parent
exits (even killed), stdin hits EOF and the child exits too.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
from typing import Any

LOOPBACK = "127.0.0.1"
#: The sandbox's fixed, public demo key: its data plane accepts it, and keys registered by the owner.
SANDBOX_KEY = "sk_test_paragonMagicSandbox4242"
#: The per-run secret of the front's ``/_sandbox/*`` control routes (header, and its name on stdin).
CONTROL_HEADER = "Paragon-Sandbox-Secret"
CONTROL_SECRET_ENV = "PARAGON_SANDBOX_CONTROL_SECRET"

_secrets: dict[str, str] | None = None


def secrets_line(secrets: dict[str, str] | None) -> bytes:
    """What the parent writes first on a child's stdin: its secrets as one JSON line."""
    return json.dumps(dict(secrets or {})).encode() + b"\n"


def read_secrets() -> dict[str, str]:
    """The secrets the parent wrote as the first line of stdin (read once; ``{}`` without one)."""
    global _secrets
    if _secrets is None:
        line = sys.stdin.buffer.readline()
        try:
            data = json.loads(line) if line.strip() else {}
        except ValueError:
            data = {}
        _secrets = {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    return _secrets


def start_parent_watchdog() -> None:
    """Exit this process as soon as stdin closes (the parent died or stopped us)."""
    read_secrets()  # the first line is the secrets, not the watchdog's

    def watch() -> None:
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except (OSError, ValueError):
            pass
        os._exit(0)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def bind_loopback(port: int = 0) -> socket.socket:
    """A listening-ready TCP socket bound to 127.0.0.1 only."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((LOOPBACK, port))
    return sock


def announce_port(sock: socket.socket) -> None:
    """Print the bound port for the parent, then silence stdout so the pipe can never fill up."""
    sys.stdout.write(f"{sock.getsockname()[1]}\n")
    sys.stdout.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)


def take_secret(name: str) -> str:
    """The secret ``name`` the parent passed on stdin (and forget it here); ``""`` when not given."""
    return read_secrets().pop(name, "")


def minimal_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """What a child needs to run Python, and nothing else (no STRIPE_API_KEY, PARAGON_USER_TOKEN, ...)."""
    keep = {"PATH", "HOME", "LANG", "LANGUAGE", "TMPDIR", "TEMP", "TMP", "PYTHONPATH", "PYTHONHOME",
            "PYTHONIOENCODING", "PYTHONUTF8", "VIRTUAL_ENV", "SYSTEMROOT", "SystemRoot", "LD_LIBRARY_PATH",
            "TZ", "USERPROFILE", "APPDATA", "LOCALAPPDATA", "COMSPEC", "PATHEXT", "WINDIR"}
    env = {k: v for k, v in os.environ.items() if k in keep or k.startswith("LC_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def serve_app(app: Any, port: int = 0) -> None:
    """Serve an aiohttp application on 127.0.0.1 until the parent goes away."""
    from aiohttp import web

    start_parent_watchdog()
    sock = bind_loopback(port)
    announce_port(sock)
    web.run_app(app, sock=sock, print=None, access_log=None, handle_signals=True)
