"""Saved credential profiles: file backend (0600/0700), keyring backend, and the resolution order."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import keyring
import pytest
from keyring.backends import chainer, fail, null

from paragon_magic.auth.credentials import (
    CONFIG_DIR_ENV,
    CredentialStore,
    Credentials,
    default_config_dir,
    usable_keyring,
)
from paragon_magic.auth.resolution import next_connection, resolve_credentials
from paragon_magic.auth.keys import Secret
from paragon_magic.errors import ConfigurationError, UsageError

KEY_A = "sk_test_AAAAaaaa1111bbbbAAAA"
KEY_B = "rk_live_BBBBbbbb2222ccccBBBB"
TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJlWFla"


class MemoryKeyring:
    """A keyring backend kept in memory, to exercise the keyring path. Deliberately not a
    ``KeyringBackend`` subclass: those register themselves and keyring would pick it globally."""

    def __init__(self) -> None:
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if self.passwords.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def store(tmp_path: Path) -> CredentialStore:
    return CredentialStore(tmp_path / "cfg", keyring=None)


def test_save_load_switch_delete_and_list(store: CredentialStore) -> None:
    assert store.profiles() == []
    assert store.active_profile is None
    saved = store.save("default", Credentials.stripe_key(KEY_A, account_id="acct_1", account_name="Shop"))
    assert saved.saved_at is not None and saved.mode == "test"
    store.save("live", Credentials.stripe_key(KEY_B), activate=False)
    store.save("portal", Credentials.paragon(TOKEN, "proj-1", mode="test"), activate=False)

    assert store.active_profile == "default"
    loaded = store.load("default")
    assert loaded.secret.reveal() == KEY_A
    assert (loaded.kind, loaded.account_id, loaded.account_name, loaded.mode) == (
        "stripe_key", "acct_1", "Shop", "test",
    )
    assert store.load().secret == KEY_A  # the active one
    paragon = store.load("portal")
    assert (paragon.kind, paragon.project_id, paragon.secret.reveal()) == ("paragon", "proj-1", TOKEN)

    store.use("live")
    assert store.active_profile == "live"
    assert store.load().secret.reveal() == KEY_B
    assert "live" in store and "nope" not in store

    listed = store.profiles()
    assert [p.name for p in listed] == ["default", "live", "portal"]
    assert [p.active for p in listed] == [False, True, False]
    assert [p.masked for p in listed] == ["sk_test_…AAAA", "rk_live_…BBBB", "…WFla"]
    assert {p.stored_in for p in listed} == {"file"}
    assert listed[0].account_name == "Shop" and listed[2].project_id == "proj-1"

    assert store.delete("live") is True
    assert store.delete("live") is False
    assert store.active_profile == "default"  # falls back to "default" when the active one is gone
    with pytest.raises(ConfigurationError, match="no saved profile 'live'.*default, portal"):
        store.load("live")
    with pytest.raises(ConfigurationError, match="no saved profile 'ghost'"):
        store.use("ghost")


def test_a_fresh_store_sees_what_another_saved(tmp_path: Path) -> None:
    CredentialStore(tmp_path, keyring=None).save("work", Credentials.stripe_key(KEY_B))
    other = CredentialStore(tmp_path, keyring=None)
    assert other.active_profile == "work"
    assert other.load().secret.reveal() == KEY_B


def test_file_is_0600_and_directory_0700(store: CredentialStore) -> None:
    store.save("default", Credentials.stripe_key(KEY_A))
    assert store.path.exists()
    assert mode_of(store.path) == 0o600
    assert mode_of(store.path.parent) == 0o700
    store.save("other", Credentials.stripe_key(KEY_B))  # replaced atomically, still private
    assert mode_of(store.path) == 0o600
    assert [p.name for p in store.path.parent.iterdir()] == ["credentials.json"]  # no temp files left


def test_wider_file_and_directory_are_narrowed(store: CredentialStore) -> None:
    store.save("default", Credentials.stripe_key(KEY_A))
    os.chmod(store.path, 0o644)
    os.chmod(store.path.parent, 0o755)
    assert store.load().secret.reveal() == KEY_A
    assert mode_of(store.path) == 0o600
    store.use("default")
    assert mode_of(store.path.parent) == 0o700


def test_existing_directory_is_made_private(tmp_path: Path) -> None:
    directory = tmp_path / "existing"
    directory.mkdir(mode=0o755)
    os.chmod(directory, 0o755)
    CredentialStore(directory, keyring=None).save("default", Credentials.stripe_key(KEY_A))
    assert mode_of(directory) == 0o700


def test_corrupt_file_gives_a_clear_error(store: CredentialStore) -> None:
    store.save("default", Credentials.stripe_key(KEY_A))
    store.path.write_text("{not json")
    with pytest.raises(ConfigurationError, match="not valid JSON"):
        store.profiles()
    store.path.write_text("[1, 2]")
    with pytest.raises(ConfigurationError, match="not a paragon_magic credentials file"):
        store.profiles()


def test_profile_names_are_checked(store: CredentialStore) -> None:
    for bad in ("", "../evil", "a b", "-x", "x" * 65):
        with pytest.raises(UsageError, match="profile name"):
            store.save(bad, Credentials.stripe_key(KEY_A))


def test_no_secret_in_any_repr(store: CredentialStore) -> None:
    creds = store.save("default", Credentials.stripe_key(KEY_A, account_id="acct_1"))
    shown = " ".join(
        [repr(creds), str(creds), repr(store), repr(store.profiles()), repr(store.load()),
         repr(resolve_credentials(store=store, environ={}))]
    )
    assert "AAAAaaaa1111" not in shown
    assert "sk_test_…AAAA" in shown
    paragon = Credentials.paragon(TOKEN, "proj-1")
    assert "c2lnbmF0dXJl" not in repr(paragon)


def test_keyring_backend_keeps_the_secret_out_of_the_file(tmp_path: Path) -> None:
    ring = MemoryKeyring()
    store = CredentialStore(tmp_path, keyring=ring)
    assert store.backend.startswith("keyring")
    store.save("default", Credentials.stripe_key(KEY_A, account_name="Shop"))
    assert ring.passwords == {("paragon_magic", "default"): KEY_A}
    text = store.path.read_text()
    assert KEY_A not in text and "AAAAaaaa1111" not in text
    assert json.loads(text)["profiles"]["default"]["stored_in"] == "keyring"
    assert store.load().secret.reveal() == KEY_A
    assert store.profiles()[0].stored_in == "keyring"

    ring.passwords.clear()  # someone removed it from the keychain
    with pytest.raises(ConfigurationError, match="no longer in the keyring"):
        store.load()
    store.save("default", Credentials.stripe_key(KEY_A))
    assert store.delete("default")
    assert ring.passwords == {}
    assert CredentialStore(tmp_path, keyring=None).profiles() == []


def test_keyring_profile_read_without_keyring_is_explained(tmp_path: Path) -> None:
    CredentialStore(tmp_path, keyring=MemoryKeyring()).save("default", Credentials.stripe_key(KEY_A))
    with pytest.raises(ConfigurationError, match="keyring that is not available"):
        CredentialStore(tmp_path, keyring=None).load()


def test_file_backend_stores_secret_in_the_private_file(store: CredentialStore) -> None:
    store.save("default", Credentials.stripe_key(KEY_A))
    entry = json.loads(store.path.read_text())["profiles"]["default"]
    assert entry["stored_in"] == "file" and entry["secret"] == KEY_A
    assert store.backend == f"file ({store.path})"


def test_usable_keyring_rejects_placeholder_backends() -> None:
    real = keyring.get_keyring()
    if isinstance(real, (fail.Keyring, null.Keyring)):  # e.g. this container: no OS keyring
        assert usable_keyring() is None
        assert CredentialStore(config_dir="/nonexistent-dir-never-written").keyring_backend is None
    else:
        assert CredentialStore(config_dir="/nonexistent-dir-never-written").keyring_backend is usable_keyring()
    for placeholder in (fail.Keyring(), null.Keyring()):
        assert usable_keyring(placeholder) is None
    empty_chain = chainer.ChainerBackend()
    if not empty_chain.backends:  # the chainer lists the real backends installed: none here
        assert usable_keyring(empty_chain) is None
    ring = MemoryKeyring()
    assert usable_keyring(ring) is ring


def test_config_dir_from_env_and_argument(tmp_path: Path) -> None:
    env = {CONFIG_DIR_ENV: str(tmp_path / "from-env")}
    assert default_config_dir(env) == tmp_path / "from-env"
    assert CredentialStore(environ=env, keyring=None).path == tmp_path / "from-env" / "credentials.json"
    assert CredentialStore(tmp_path / "arg", environ=env, keyring=None).config_dir == tmp_path / "arg"
    assert default_config_dir({}).name == "paragon_magic"


def test_resolution_order(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path, keyring=None)
    env = {"STRIPE_API_KEY": KEY_B}

    resolved = resolve_credentials(store=store, environ=env)  # nothing saved: the env var
    assert (resolved.source, resolved.profile, resolved.credentials.secret.reveal()) == (
        "environment", None, KEY_B,
    )
    store.save("work", Credentials.stripe_key(KEY_A))
    resolved = resolve_credentials(store=store, environ=env)  # the env var beats a saved profile (Stripe CLI)
    assert (resolved.source, resolved.profile, resolved.credentials.secret.reveal()) == (
        "environment", None, KEY_B,
    )
    resolved = resolve_credentials(store=store, environ={})  # no env var: the active profile
    assert (resolved.source, resolved.profile, resolved.credentials.secret.reveal()) == (
        "profile", "work", KEY_A,
    )
    resolved = resolve_credentials(store=store, environ=env, profile="work")  # a profile chosen by name
    assert (resolved.source, resolved.profile) == ("profile", "work")
    explicit = "rk_test_CCCCcccc3333ddddCCCC"
    resolved = resolve_credentials(explicit, store=store, environ=env)  # explicit beats everything
    assert (resolved.source, resolved.credentials.secret.reveal()) == ("explicit", explicit)
    resolved = resolve_credentials(Secret(explicit), store=store, environ=env)
    assert resolved.credentials.mode == "test"
    paragon = Credentials.paragon(TOKEN, "proj-9")
    assert resolve_credentials(paragon, store=store, environ=env).credentials is paragon

    store.delete("work")
    with pytest.raises(ConfigurationError, match="not connected"):
        resolve_credentials(store=store, environ={})


def test_the_environment_base_url_never_applies_to_a_saved_profile(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path, keyring=None)
    store.save("real", Credentials.stripe_key(KEY_A))  # saved for Stripe itself (no base URL)
    store.save("local", Credentials.stripe_key(KEY_B, base_url="http://127.0.0.1:5555"), activate=False)
    sandbox_env = {"STRIPE_API_BASE": "http://127.0.0.1:12111"}
    resolved = resolve_credentials(store=store, environ=sandbox_env)
    assert (resolved.profile, resolved.base_url) == ("real", None)  # Stripe, not the sandbox's port
    assert resolve_credentials(store=store, environ=sandbox_env, profile="local").base_url == "http://127.0.0.1:5555"
    with pytest.raises(UsageError, match="saved profile 'real' is used only with Stripe"):
        resolve_credentials(store=store, environ={}, base_url="http://127.0.0.1:12111")
    env_key = {**sandbox_env, "STRIPE_API_KEY": KEY_B}  # the env base goes with the env key
    assert resolve_credentials(store=store, environ=env_key).base_url == "http://127.0.0.1:12111"
    assert resolve_credentials(KEY_A, store=store, environ=sandbox_env).base_url == "http://127.0.0.1:12111"


def test_next_connection_follows_the_resolver(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path, keyring=None)
    assert "needs a key" in next_connection(store, {})
    store.save("work", Credentials.stripe_key(KEY_A))
    assert next_connection(store, {}) == "the next action connects with saved profile 'work'"
    assert resolve_credentials(store=store, environ={}).profile == "work"
    env = {"STRIPE_API_KEY": KEY_B}
    assert next_connection(store, env) == "the next action connects with $STRIPE_API_KEY"
    assert resolve_credentials(store=store, environ=env).source == "environment"


def test_bad_env_key_names_the_variable_not_the_key(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path, keyring=None)
    bad = "pk_test_PPPPpppp4444qqqqPPPP"
    with pytest.raises(UsageError) as info:
        resolve_credentials(store=store, environ={"STRIPE_API_KEY": bad})
    assert "$STRIPE_API_KEY" in str(info.value) and "publishable" in str(info.value)
    assert "PPPPpppp" not in str(info.value)
    with pytest.raises(UsageError, match="publishable"):
        resolve_credentials(bad, store=store, environ={})


def test_paragon_credentials_need_token_and_project() -> None:
    with pytest.raises(UsageError, match="token is empty"):
        Credentials.paragon("  ", "proj")
    with pytest.raises(UsageError, match="project id"):
        Credentials.paragon(TOKEN, "")


def test_keyring_is_looked_for_only_when_a_secret_is_stored_or_read(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Connecting with a key that is not saved never pays for the keyring's backend detection."""
    import paragon_magic.auth.credentials as credentials_module

    looked: list[bool] = []
    monkeypatch.setattr(credentials_module, "usable_keyring", lambda: looked.append(True) or MemoryKeyring())
    store = CredentialStore(tmp_path)
    assert store.profiles() == [] and looked == []
    store.save("default", Credentials.stripe_key(KEY_A))
    assert looked == [True] and store.load().secret.reveal() == KEY_A
    assert looked == [True]  # found once, then kept
