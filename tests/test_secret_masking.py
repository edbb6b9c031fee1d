"""PEM keys and JWTs are secrets like API keys (issue 14.4), and one mask covers every URL that is
printed or logged (issue 14.5): the dry-run line, httpx's INFO log of our requests, the client's DEBUG log."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from IPython.core.interactiveshell import InteractiveShell

from paragon_magic.auth import generate_signing_key, looks_like_secret, redact_secrets
from paragon_magic.client import DirectBackend, StripeClient, scrub
from paragon_magic.client.redaction import mask_url
from paragon_magic.errors import UsageError
from paragon_magic.magics.templating import mask_secrets
from paragon_magic.session import Session

from shell_helpers import fails, ok

PEM, _ = generate_signing_key(1024)
PEM_BODY = PEM.strip().splitlines()[1]
JWT = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ0eXBlZC11c2VyIn0.c2lnbmF0dXJlLXBhcnQtMTIzNDU2Nzg5"
KEY = "sk_test_" + "UsedAsAValue000000000001"


@pytest.mark.parametrize("text", [
    PEM, " ".join(PEM.strip().splitlines()), PEM.strip().replace("\n", "\\n"),
    "-----BEGIN RSA PRIVATE KEY----- " + PEM_BODY,  # a partial paste without its END line
])
def test_pem_private_keys_are_secrets_everywhere(text: str) -> None:
    line = f"%paragon authenticate P --signing-key '{text}' --user u"
    assert looks_like_secret(line)
    for masked in (mask_secrets(line), redact_secrets(line), scrub(line), mask_url(line)):
        assert PEM_BODY not in masked and "[PEM private key, hidden]" in masked and "--user u" in masked


def test_jwts_are_secrets_everywhere() -> None:
    for masked in (mask_secrets(f"x {JWT} y"), redact_secrets(f"x {JWT} y"), scrub(f"x {JWT} y"),
                   mask_url(f"https://h/p?token={JWT}")):
        assert JWT[:-4] not in masked and JWT[10:30] not in masked


def test_a_pasted_signing_key_is_refused_not_echoed_and_masked_in_history(ip: InteractiveShell) -> None:
    one_line = " ".join(PEM.strip().splitlines())
    line = fails(ip, f"%paragon authenticate proj-1 --signing-key '{one_line}' --user u1", UsageError)
    assert PEM_BODY not in line and "BEGIN" not in line and "--signing-key FILE" in line
    count = ip.execution_count - 1
    kept = [ip.user_ns[f"_i{count}"], ip.history_manager.input_hist_raw[-1]]
    assert all(PEM_BODY not in text and "[PEM private key, hidden]" in text for text in kept)
    line = fails(ip, f"%stripe list_customers --email {JWT}", UsageError)
    assert JWT[:-4] not in line and JWT[:-4] not in ip.history_manager.input_hist_raw[-1]


def test_dry_run_url_line_masks_a_key_used_as_a_value(ip: InteractiveShell, session: Session) -> None:
    ip.user_ns["leaked"] = KEY
    _, shown = ok(ip, "%stripe list_customers --email {{ leaked }} --dry-run")
    (url_line,) = [line for line in shown.splitlines() if line.startswith("GET ")]
    assert "email=sk_test_…0001" in url_line and "UsedAsAValue" not in shown


def _client(server: Any) -> StripeClient:
    return StripeClient(DirectBackend(server.key, base_url=server.url))


def test_httpx_info_log_of_our_requests_is_masked_and_others_untouched(stripe_server: Any,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="httpx"), _client(stripe_server) as client:
        client.request("GET", "/v1/customers", {"email": KEY})
        httpx.get(f"{stripe_server.url}/v1/customers", params={"email": KEY},
                  headers={"Authorization": f"Bearer {stripe_server.key}"})  # someone else's request
    ours, theirs = [r.getMessage() for r in caplog.records if r.name == "httpx"][-2:]
    assert "email=sk_test_…0001" in ours and "UsedAsAValue" not in ours
    assert KEY in theirs  # the filter leaves other code's records as they were


def test_client_debug_log_masks_a_key_in_the_path(stripe_server: Any, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="paragon_magic.client"), _client(stripe_server) as client:
        with pytest.raises(Exception):
            client.request("GET", f"/v1/customers/{KEY}")
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "paragon_magic.client")
    assert "/v1/customers/sk_test_…0001" in logged and "UsedAsAValue" not in logged
