"""Where a secret may be sent: the one check every base URL passes before any connection is made.

* ``https://`` to any host;
* plain ``http://`` only to this machine (``127.0.0.0/8``, ``::1``, ``localhost``): anything else
  would carry ``Authorization: Bearer …`` in clear text;
* a live Stripe key (``sk_live_``/``rk_live_``) only to Stripe itself (``*.stripe.com`` over https),
  unless the caller opts in explicitly.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import httpx

from ..errors import UsageError

__all__ = ["DEFAULT_STRIPE_BASE", "check_base_url", "is_loopback_host", "is_stripe_base", "uses_environment_proxies"]

DEFAULT_STRIPE_BASE = "https://api.stripe.com"
_LOOPBACK_NAMES = frozenset({"localhost"})


def is_loopback_host(host: str | None) -> bool:
    """True for ``localhost``, ``127.0.0.0/8`` and ``::1`` (also as an IPv4-mapped IPv6 address)."""
    if not host:
        return False
    host = host.strip("[]").rstrip(".").lower()
    if host in _LOOPBACK_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def uses_environment_proxies(url: str) -> bool:
    """Whether requests to ``url`` may follow ``$HTTP_PROXY``/``$HTTPS_PROXY``/``$ALL_PROXY`` (httpx's
    ``trust_env``): yes for another machine (corporate proxies are real), never for this one. httpx
    does not exempt ``127.0.0.1`` from a proxy, which would carry the key, the sandbox's per-run
    secrets and Paragon tokens to the proxy in clear text."""
    try:
        host = httpx.URL(str(url)).host
    except (httpx.InvalidURL, TypeError):
        return False
    return not is_loopback_host(host)


def is_stripe_base(url: str) -> bool:
    """True when ``url`` is Stripe's own API (``https://`` to ``stripe.com`` or a subdomain)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".").lower()
    return parts.scheme == "https" and (host == "stripe.com" or host.endswith(".stripe.com"))


def check_base_url(url: str, *, what: str, live: bool = False, allow_non_stripe_live: bool = False) -> str:
    """``url`` without a trailing slash, or a one-line ``UsageError`` when a secret must not go there.

    ``what`` names where the URL came from in the message (``"STRIPE_API_BASE"``, ``"base_url"``);
    ``live`` says the secret is a live Stripe key, which goes only to Stripe unless
    ``allow_non_stripe_live``. Nothing here opens a connection.
    """
    text = str(url).strip()
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise UsageError(f"{what} is not a valid URL (expected https://host[:port])", field="base_url") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host:
        raise UsageError(f"{what} must be an https:// URL with a host name, not {_shown(text)}", field="base_url")
    if parts.username or parts.password:
        raise UsageError(f"{what} must not hold a user name or password", field="base_url")
    if parts.query or parts.fragment:
        raise UsageError(f"{what} must not hold a query (?…) or fragment (#…)", field="base_url")
    if scheme == "http" and not is_loopback_host(host):
        raise UsageError(
            f"{what} {_shown(text)} is plain http:// to another machine: the key would travel in clear "
            "text. Use https:// (plain http:// is allowed only for 127.0.0.1, ::1 and localhost)",
            field="base_url",
        )
    if live and not allow_non_stripe_live and not is_stripe_base(text):
        raise UsageError(
            f"a live key is sent only to Stripe, not to {what} {_shown(text)}; pass "
            "allow_live_on_custom_base=True if you really mean to send it there",
            field="base_url",
        )
    return text.rstrip("/")


def _shown(url: str) -> str:
    """The URL for a message: scheme, host and port only (never a path that could hold a secret)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(unparseable URL)"
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}{port}" if parts.scheme else repr(host or "")
