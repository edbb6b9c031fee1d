"""``session.sync()``, ``.sql()``, ``.tables()``, ``.table()``, ``.export_parquet()``: the session's face of the
local store (:mod:`paragon_magic.store`, imported on first use: DuckDB loads only when a store is used)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

__all__ = ["StoreMethods"]


class StoreMethods:
    """Mixed into :class:`paragon_magic.session.Session`."""

    def sync(self, *tables: str, full: bool = False, export: Any = None, progress: bool | None = None,
             credential: str | None = None, echo: Callable[[str], None] | None = print) -> Any:
        """Sync Stripe into the local store (default: the finance tables); ``echo`` gets one line per table."""
        from ..store import face

        return face.sync(self, list(tables) or None, full=full, export=export, progress=progress,
                         credential=credential, echo=echo)

    def sql(self, text: str, /, *, credential: str | None = None, **params: Any) -> pd.DataFrame:
        """Read-only DuckDB SQL over the synced tables; ``:name`` values are bound from ``params``."""
        from ..store import face

        return face.sql(self, text, params, credential=credential)

    def tables(self, *, credential: str | None = None) -> pd.DataFrame:
        """The synced tables with their row counts and when they were synced."""
        from ..store import face

        return face.tables(self, credential=credential)

    def table(self, name: str, *, credential: str | None = None) -> pd.DataFrame:
        """One synced table as the frame its ``list_*`` action gives."""
        from ..store import face

        return face.table(self, name, credential=credential)

    def export_parquet(self, directory: Any, *tables: str, credential: str | None = None) -> Any:
        """Write synced tables as Parquet (zstd), one folder per table, under ``directory``."""
        from ..store import face

        return face.export(self, directory, list(tables) or None, credential=credential)
