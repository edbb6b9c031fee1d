"""A profile whose base is on this machine (the sandbox's ephemeral port) is never written to disk or keyring.

It is kept for this process only: a later session cannot auto-connect with it and send the key to
whatever program then holds that port. Over real HTTP against the local sandbox and the Paragon double.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import paragon_magic
from paragon_magic import Paragon
from paragon_magic.auth import CredentialStore, Credentials
from paragon_magic.auth.session_profiles import is_session_only
from paragon_magic.sandbox.paragon_double import ParagonDouble, ParagonDoubleServer
from tests.test_auth_credentials import MemoryKeyring

REAL_KEY = "sk_test_" + "SavedForStripeItself00001"


def profiles_in_a_new_process(config_dir: Path) -> list[str]:
    """What another Python process (a later session) finds saved in ``config_dir``."""
    code = ("import json, sys; from paragon_magic.auth import CredentialStore; "
            "print(json.dumps([p.name for p in CredentialStore(sys.argv[1], keyring=None).profiles()]))")
    done = subprocess.run([sys.executable, "-c", code, str(config_dir)], capture_output=True, text=True,
                          check=True, timeout=120)
    return json.loads(done.stdout)


def test_which_bases_are_kept_for_the_session_only() -> None:
    assert is_session_only("http://127.0.0.1:53412") and is_session_only("http://localhost:8080")
    assert is_session_only("https://[::1]:4242")
    assert not is_session_only(None) and not is_session_only("https://api.stripe.com")


def test_a_sandbox_profile_is_kept_in_memory_only(stripe_server: Any, tmp_path: Path) -> None:
    keyring = MemoryKeyring()
    store = CredentialStore(config_dir=tmp_path, keyring=keyring)
    session = paragon_magic.connect(stripe_server.key, base_url=stripe_server.url, store=store, save=True,
                                    profile="sandbox")
    (info,) = store.profiles()
    assert (info.name, info.stored_in, info.base_url, info.active) == ("sandbox", "session", stripe_server.url, True)
    assert not store.path.exists() and keyring.passwords == {}  # nothing written anywhere
    again = paragon_magic.connect(store=store)  # this process may still use it
    assert again.client.backend.base_url == stripe_server.url and again.account == session.account
    assert profiles_in_a_new_process(tmp_path) == []  # a later session finds nothing to auto-connect with


def test_a_real_profile_on_file_is_untouched_by_a_session_one(stripe_server: Any, tmp_path: Path) -> None:
    store = CredentialStore(config_dir=tmp_path, keyring=None)
    store.save("real", Credentials.stripe_key(REAL_KEY))  # for Stripe itself: on file, active
    paragon_magic.connect(stripe_server.key, base_url=stripe_server.url, store=store, save=True, profile="local")
    assert store.active_profile == "local" and {p.name for p in store.profiles()} == {"real", "local"}
    on_file = json.loads(store.path.read_text())
    assert set(on_file["profiles"]) == {"real"} and on_file["active"] == "real"
    assert stripe_server.key not in store.path.read_text()
    assert profiles_in_a_new_process(tmp_path) == ["real"]
    assert store.delete("local") and store.active_profile == "real"
    store.use("real")
    assert json.loads(store.path.read_text())["active"] == "real"


def test_a_paragon_profile_with_a_local_proxy_is_kept_in_memory_only(stripe_server: Any, tmp_path: Path) -> None:
    double = ParagonDouble.with_new_key(stripe_server.url, users={"user-1": stripe_server.key})
    store = CredentialStore(config_dir=tmp_path, keyring=None)
    with ParagonDoubleServer(double) as server:
        Paragon(base_url=server.url, api_base=server.api_url, store=store).authenticate(
            double.project_id, double.mint_token("user-1"), save=True, profile="portal")
    assert [(p.name, p.stored_in) for p in store.profiles()] == [("portal", "session")]
    assert not store.path.exists()


@pytest.mark.parametrize("base", ["https://api.stripe.com", None])
def test_profiles_for_other_machines_are_still_saved(tmp_path: Path, base: str | None) -> None:
    store = CredentialStore(config_dir=tmp_path, keyring=None)
    store.save("work", Credentials.stripe_key(REAL_KEY, base_url=base))
    assert [p.stored_in for p in store.profiles()] == ["file"] and profiles_in_a_new_process(tmp_path) == ["work"]
