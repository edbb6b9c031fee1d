"""One TLS context shared by every client of the process.

Building one loads the CA bundle (about 50 ms); a session's client and each listing's async twin would
otherwise pay that every time. The context follows ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` as httpx does:
a change to either gets a fresh context.
"""

from __future__ import annotations

import functools
import os
import ssl

import httpx

__all__ = ["shared_tls_context"]


def shared_tls_context() -> ssl.SSLContext:
    """httpx's default verifying context (certifi, or the environment's CA file/dir), made once."""
    return _context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.lru_cache(maxsize=4)
def _context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    # the arguments are only the cache key: httpx reads the same two variables itself
    return httpx.create_ssl_context(trust_env=True)
