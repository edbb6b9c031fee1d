"""Files only their owner can touch: the configuration directory and ``credentials.json``.

A directory or file that is a symlink, not owned by this user, or writable by group or others is refused
with one line; directories are created 0700 whatever the umask; files are opened with ``O_NOFOLLOW``.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..errors import ConfigurationError

__all__ = ["NOFOLLOW", "check_private", "make_private_dirs"]

NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def check_private(path: Path, info: os.stat_result, what: str) -> None:
    """Refuse a ``what`` that is a symlink, not owned by this user, or writable by group or others."""
    if stat.S_ISLNK(info.st_mode):
        raise ConfigurationError(f"the {what} {path} is a symlink; paragon_magic does not follow it "
                                 "(set $PARAGON_MAGIC_CONFIG_DIR to a real directory)")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise ConfigurationError(f"the {what} {path} is not owned by you; paragon_magic will not use it "
                                 "(set $PARAGON_MAGIC_CONFIG_DIR to a directory of your own)")
    if hasattr(os, "getuid") and stat.S_IMODE(info.st_mode) & 0o022:
        raise ConfigurationError(f"the {what} {path} is writable by other users, who could replace your "
                                 f"credentials; run chmod go-w {path} (or remove it) and try again")


def make_private_dirs(directory: Path) -> None:
    """Create ``directory`` and missing parents as 0700 (whatever the umask), then check it is private;
    a directory that is ours but readable by others is narrowed to 0700."""
    missing: list[Path] = []
    current = directory
    while not os.path.lexists(current) and current != current.parent:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
        else:
            os.chmod(path, 0o700)
    info = os.lstat(directory)
    check_private(directory, info, "configuration directory")
    if stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(directory, 0o700)
