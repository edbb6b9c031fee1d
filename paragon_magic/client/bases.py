"""Where a secret may be sent: the one check every base URL passes before any connection is made.

* ``https://`` to any host;
* plain ``http://`` only to this machine (``127.0.0.0/8``, ``::1``, ``localhost``): anything else
  would carry ``Authorization: Bearer …`` in clear text;
* a live Stripe key (``sk_live_``/``rk_live_``) only to Stripe itself (``*.stripe.com`` over https),
  unless the caller opts in explicitly.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import unquote, urlsplit

import httpx

from ..errors import UsageError

__all__ = ["DEFAULT_STRIPE_BASE", "check_base_url", "check_request_path", "is_loopback_host", "is_stripe_base",
           "uses_environment_proxies"]

DEFAULT_STRIPE_BASE = "https://api.stripe.com"
_LOOPBACK_NAMES = frozenset({"localhost"})
_DNS_NAME = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*")


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
    """True when ``url`` is Stripe's own API (``https://`` to ``stripe.com`` or a subdomain), as httpx
    reads it (the host it will connect to)."""
    text = str(url).strip()
    try:
        sent = httpx.URL(text)
    except (httpx.InvalidURL, TypeError):
        return False
    host = _plain_host(sent) or ""
    if "\\" in text or sent.userinfo:  # other parsers (browsers) read another host in these
        return False
    return sent.scheme == "https" and (host == "stripe.com" or host.endswith(".stripe.com"))


def _plain_host(url: httpx.URL) -> str | None:
    """The host httpx will connect to, lower-case without a trailing dot, when it is a plain DNS name
    (letters, digits, ``-``, ``_`` and ``.``, IDNA-encoded) or an IP address; ``None`` for anything else
    (a backslash, ``%``, ``@``… in the host)."""
    host = url.raw_host.decode("ascii", "replace").rstrip(".").lower()
    if _DNS_NAME.fullmatch(host):
        return host
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
    return url.host.lower()


def check_base_url(url: str, *, what: str, live: bool = False, allow_non_stripe_live: bool = False) -> str:
    """``url`` without a trailing slash, or a one-line ``UsageError`` when a secret must not go there.

    ``what`` names where the URL came from in the message (``"STRIPE_API_BASE"``, ``"base_url"``);
    ``live`` says the secret is a live Stripe key, which goes only to Stripe unless
    ``allow_non_stripe_live``. Nothing here opens a connection.
    """
    text = str(url).strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a bad port
        sent = httpx.URL(text)  # what httpx will really connect to: every check below reads this parse
    except (ValueError, httpx.InvalidURL):
        raise UsageError(f"{what} is not a valid URL (expected https://host[:port])", field="base_url") from None
    host = _plain_host(sent)
    split_host = (parts.hostname or "").rstrip(".").lower()
    if host is None or "\\" in text or split_host not in (host, sent.host.rstrip(".").lower()):
        raise UsageError(f"{what} must be https://host[:port] with one plain host name (letters, digits, '-', "
                         "'.') or an IP address: this one is not, or parsers read it as different hosts",
                         field="base_url")
    scheme = sent.scheme
    if scheme not in ("http", "https") or not host:
        raise UsageError(f"{what} must be an https:// URL with a host name, not {_shown(text)}", field="base_url")
    if parts.username or parts.password or sent.userinfo:
        raise UsageError(f"{what} must not hold a user name or password", field="base_url")
    if parts.query or parts.fragment or sent.query or sent.fragment:
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


def check_request_path(path: str) -> str:
    """``path`` when it stays where it is sent, else a one-line ``UsageError``.

    A ``.`` or ``..`` segment (also percent-encoded) or a backslash would be resolved by httpx or the
    server: with Paragon a data-derived id of ``..`` would send the user token outside
    ``/sdk/proxy/stripe/``. Checked on the path only (the query may hold anything).
    """
    route = str(path).split("?", 1)[0]
    decoded = unquote(route)
    if "\\" in decoded or any(segment in (".", "..") for segment in decoded.split("/")):
        from .redaction import mask_url

        raise UsageError(f"a request path may not hold '.' or '..' segments or backslashes: {mask_url(route)[:120]!r}",
                         field="path")
    return path


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
