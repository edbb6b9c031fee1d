"""``scripts/quickstart --execute`` writes into a fresh private directory, never a predictable /tmp path
(issue 14.8). The script runs for real against a stand-in ``_venv.sh`` whose "python" records its output."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FAKE_VENV = 'ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"\nPY="$ROOT/fake-python"\n'
FAKE_PYTHON = """#!/usr/bin/env bash
# records where nbconvert was asked to write, and writes there like nbconvert would
while [ $# -gt 0 ]; do
    if [ "$1" = "--output" ]; then echo "$2" >> "$(dirname "$0")/outputs"; echo '{}' > "$2"; fi
    shift
done
"""


def _run(copy: Path, tmpdir: Path) -> Path:
    env = {"PATH": os.environ["PATH"], "HOME": str(copy), "TMPDIR": str(tmpdir)}
    done = subprocess.run(["bash", str(copy / "scripts" / "quickstart"), "--execute"], env=env,
                          capture_output=True, text=True, timeout=60, check=True)
    written = Path((copy / "outputs").read_text().splitlines()[-1])
    assert f"executed notebook with outputs: {written}" in done.stdout
    return written


def test_execute_writes_into_a_fresh_private_directory(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    (copy / "scripts").mkdir(parents=True)
    shutil.copy(REPO / "scripts" / "quickstart", copy / "scripts" / "quickstart")
    (copy / "scripts" / "_venv.sh").write_text(FAKE_VENV)
    (copy / "fake-python").write_text(FAKE_PYTHON)
    os.chmod(copy / "fake-python", 0o755)
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    planted = tmpdir / "quickstart.executed.ipynb"  # what another user could pre-create (or symlink)
    planted.write_text("planted")

    first, second = _run(copy, tmpdir), _run(copy, tmpdir)
    assert first.parent != second.parent and first != planted and planted.read_text() == "planted"
    for written in (first, second):
        assert written.parent.parent == tmpdir and written.exists()
        assert stat.S_IMODE(written.parent.stat().st_mode) == 0o700
