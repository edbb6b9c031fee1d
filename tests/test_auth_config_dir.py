"""The configuration directory and credentials.json are refused unless they are private (issue 14.7)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from paragon_magic.auth.credentials import CredentialStore, Credentials
from paragon_magic.errors import ConfigurationError

KEY = "sk_test_" + "ConfigDirTestKey00000001"


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def umask_000() -> Iterator[None]:
    old = os.umask(0)
    yield
    os.umask(old)


def _one_line(info: pytest.ExceptionInfo[ConfigurationError]) -> str:
    text = str(info.value)
    assert "\n" not in text and KEY not in text
    return text


def test_a_world_writable_config_dir_is_refused(tmp_path: Path) -> None:
    directory = tmp_path / "shared"
    directory.mkdir()
    os.chmod(directory, 0o777)
    store = CredentialStore(directory, keyring=None)
    with pytest.raises(ConfigurationError) as info:
        store.save("default", Credentials.stripe_key(KEY))
    assert "writable by other users" in _one_line(info)
    with pytest.raises(ConfigurationError, match="writable by other users"):
        store.profiles()
    assert list(directory.iterdir()) == []


def test_a_group_writable_credentials_file_is_refused(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path / "cfg", keyring=None)
    store.save("default", Credentials.stripe_key(KEY))
    os.chmod(store.path, 0o660)
    with pytest.raises(ConfigurationError) as info:
        store.load()
    assert "chmod go-w" in _one_line(info)


def test_a_symlinked_credentials_file_is_never_followed(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.json"
    target.write_text('{"version": 1, "active": "default", "profiles": {"default": '
                      f'{{"kind": "stripe_key", "secret": "{KEY}", "stored_in": "file"}}}}}}')
    os.chmod(target, 0o644)
    directory = tmp_path / "cfg"
    directory.mkdir(mode=0o700)
    (directory / "credentials.json").symlink_to(target)
    store = CredentialStore(directory, keyring=None)
    with pytest.raises(ConfigurationError) as info:
        store.load()
    assert "symlink" in _one_line(info)
    assert mode_of(target) == 0o644  # the target was neither chmod-ed nor parsed into a profile
    with pytest.raises(ConfigurationError, match="symlink"):
        store.save("other", Credentials.stripe_key(KEY))
    assert "other" not in target.read_text()


def test_a_symlinked_config_dir_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    link = tmp_path / "link"
    link.symlink_to(real)
    with pytest.raises(ConfigurationError) as info:
        CredentialStore(link, keyring=None).save("default", Credentials.stripe_key(KEY))
    assert "symlink" in _one_line(info) and list(real.iterdir()) == []


def test_a_config_dir_owned_by_someone_else_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = CredentialStore(tmp_path / "cfg", keyring=None)
    store.save("default", Credentials.stripe_key(KEY))
    me = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: me + 4242)  # the directory now belongs to "another user"
    with pytest.raises(ConfigurationError) as info:
        store.load()
    assert "not owned by you" in _one_line(info)


def test_created_with_explicit_modes_whatever_the_umask(tmp_path: Path, umask_000: None) -> None:
    directory = tmp_path / "a" / "b" / "cfg"
    store = CredentialStore(directory, keyring=None)
    store.save("default", Credentials.stripe_key(KEY))
    assert [mode_of(p) for p in (tmp_path / "a", tmp_path / "a" / "b", directory)] == [0o700] * 3
    assert mode_of(store.path) == 0o600
    assert store.load().secret.reveal() == KEY
