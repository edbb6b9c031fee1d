"""An isolated Jupyter kernel for tests that run notebooks (nbclient, JupyterLab).

A ``python3`` kernelspec for *this* interpreter in a temporary ``JUPYTER_PATH`` (so a clean machine
needs nothing installed), no Stripe or Paragon credentials, and Jupyter, IPython, credential, keyring
and local-store state kept under the test's temporary directory.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
CREDENTIAL_VARIABLES = ("STRIPE_API_KEY", "STRIPE_API_BASE", "PARAGON_USER_TOKEN", "PARAGON_PROXY_BASE")


def kernel_overrides(root: Path) -> dict[str, str]:
    """The variables to set for an isolated kernel (and write its kernelspec under ``root``)."""
    spec_dir = root / "jupyter" / "kernels" / "python3"
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "metadata": {"debugger": False},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return dict(
        JUPYTER_PATH=str(root / "jupyter"),
        JUPYTER_CONFIG_DIR=str(root / "jupyter-config"),
        JUPYTER_RUNTIME_DIR=str(root / "jupyter-runtime"),
        IPYTHONDIR=str(root / "ipython"),
        PARAGON_MAGIC_CONFIG_DIR=str(root / "paragon-config"),
        PARAGON_MAGIC_DATA_DIR=str(root / "paragon-data"),  # %stripe sync's stores
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        MPLBACKEND="Agg",
    )


def kernel_environment(root: Path) -> dict[str, str]:
    """A whole environment for a kernel or server process: this one's, isolated as above."""
    env = {k: v for k, v in os.environ.items() if k not in CREDENTIAL_VARIABLES}
    env.update(kernel_overrides(root))
    return env
