"""Plumbing shared by the sandbox's child processes (the localstripe child and the front layer child).

A child binds ``127.0.0.1`` itself (port 0 = any free port, so there is no race between choosing and
binding), reports the port on the first line of stdout, then serves. A watchdog thread reads stdin:
the parent holds the other end of that pipe, so when the parent exits (even killed), stdin hits EOF
and the child exits too.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
from typing import Any

LOOPBACK = "127.0.0.1"


def start_parent_watchdog() -> None:
    """Exit this process as soon as stdin closes (the parent died or stopped us)."""

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


def serve_app(app: Any, port: int = 0) -> None:
    """Serve an aiohttp application on 127.0.0.1 until the parent goes away."""
    from aiohttp import web

    start_parent_watchdog()
    sock = bind_loopback(port)
    announce_port(sock)
    web.run_app(app, sock=sock, print=None, access_log=None, handle_signals=True)
