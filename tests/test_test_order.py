"""The ``--shuffle-seed`` order (tests/conftest.py): modules shuffled, each module's tests shuffled and kept
together, the same for the same seed; and it is what pytest runs (seed shown in the header)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from conftest import shuffled


@dataclass
class _Item:
    nodeid: str


def test_modules_stay_together_in_a_seeded_order() -> None:
    items = [_Item(f"tests/test_{m}.py::test_{i}") for m in "abcdef" for i in range(6)]
    first = [i.nodeid for i in shuffled(items, 316)]  # type: ignore[arg-type]
    assert first == [i.nodeid for i in shuffled(items, 316)]  # type: ignore[arg-type]
    assert first != [i.nodeid for i in items] and sorted(first) == sorted(i.nodeid for i in items)
    modules = [nodeid.split("::")[0] for nodeid in first]
    runs = [m for k, m in enumerate(modules) if k == 0 or modules[k - 1] != m]
    assert len(runs) == 6 and runs != sorted(runs)  # each module once, contiguous; modules reordered
    inside = [n for n in first if n.startswith("tests/test_a.py")]
    assert inside != sorted(inside)  # and the tests inside a module too
    assert [i.nodeid for i in shuffled(items, 317)] != first  # type: ignore[arg-type]


def test_pytest_runs_the_shuffled_order_and_prints_the_seed(tmp_path: Path) -> None:
    for name in ("one", "two"):
        (tmp_path / f"test_{name}.py").write_text(
            "".join(f"def test_{name}_{i}():\n    print('RAN {name}_{i}')\n" for i in range(5)))
    (tmp_path / "conftest.py").write_text((Path(__file__).parent / "conftest.py").read_text())
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-s",
                          "--shuffle-seed", "5", str(tmp_path)], capture_output=True, text=True, timeout=120,
                         cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "test order shuffled: --shuffle-seed 5" in run.stdout
    ran = [line.split("RAN ")[1] for line in run.stdout.splitlines() if "RAN " in line]
    assert len(ran) == 10 and ran != sorted(ran)
    assert ran == [n for n in ran if n.startswith(ran[0][:3])] + [n for n in ran if not n.startswith(ran[0][:3])]
