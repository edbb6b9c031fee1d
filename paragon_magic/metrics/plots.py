"""matplotlib charts: the MRR roll-forward (stacked movements, MRR line) and the cohort retention heatmap."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigurationError, UsageError
from ..frame_schema import THREE_DECIMAL, ZERO_DECIMAL

__all__ = ["plot_mrr_history", "plot_cohorts"]

_COLORS = {"new": "#2e7d32", "expansion": "#66bb6a", "reactivation": "#26a69a", "contraction": "#ef6c00",
           "churned": "#c62828"}


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - matplotlib is a dependency of the notebook extra
        raise ConfigurationError("plots need matplotlib: pip install matplotlib") from None
    return plt


def _one_currency(frame: pd.DataFrame, currency: str | None, what: str) -> tuple[pd.DataFrame, str]:
    found = [c for c in pd.unique(frame["currency"].astype(object)) if c is not None]
    if currency is None:
        if len(found) > 1:
            raise UsageError(f"{what}.plot(): the frame has {len(found)} currencies ({', '.join(map(str, found))}); "
                             f"pass currency='{found[0]}' or convert first (to='usd', rates=...)")
        currency = found[0] if found else "usd"
    return frame[frame["currency"].astype(object) == currency], str(currency)


def _scale(currency: str) -> float:
    code = currency.upper()
    return 1.0 if code in ZERO_DECIMAL else 1000.0 if code in THREE_DECIMAL else 100.0


def plot_mrr_history(history: pd.DataFrame, *, currency: str | None = None, ax: Any = None,
                     title: str | None = None, figsize: tuple[float, float] = (10, 5)) -> Any:
    """Bars: new, expansion and reactivation up, contraction and churned down; line: MRR. Major units."""
    plt = _pyplot()
    rows, currency = _one_currency(history, currency, "mrr_history")
    scale = _scale(currency)
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    labels = [str(m) for m in rows["month"]]
    x = np.arange(len(rows))
    up = np.zeros(len(rows))
    down = np.zeros(len(rows))
    for name in ("new", "expansion", "reactivation"):
        values = rows[name].to_numpy(dtype="float64", na_value=0.0) / scale
        ax.bar(x, values, bottom=up, color=_COLORS[name], label=name)
        up += values
    for name in ("contraction", "churned"):
        values = -rows[name].to_numpy(dtype="float64", na_value=0.0) / scale
        ax.bar(x, values, bottom=down, color=_COLORS[name], label=name)
        down += values
    ax.plot(x, rows["mrr"].to_numpy(dtype="float64", na_value=0.0) / scale, color="#1a237e", marker="o",
            linewidth=2, label="MRR")
    ax.axhline(0, color="#9e9e9e", linewidth=0.8)
    ax.set_xticks(x, labels, rotation=45 if len(x) > 12 else 0, ha="right" if len(x) > 12 else "center")
    ax.set_ylabel(currency.upper())
    ax.set_title(title or f"MRR and its movements ({currency.upper()})")
    ax.legend(loc="upper left", fontsize="small", ncols=3)
    ax.figure.tight_layout()
    return ax


def plot_cohorts(table: pd.DataFrame, *, currency: str | None = None, ax: Any = None, title: str | None = None,
                 figsize: tuple[float, float] = (10, 6)) -> Any:
    """Heatmap of subscriber retention: one row per signup month, one column per month since signup."""
    plt = _pyplot()
    rows, currency = _one_currency(table, currency, "cohorts")
    grid = rows.pivot_table(index="cohort", columns="months_since", values="retention", aggfunc="sum", sort=True)
    size_column = "cohort_size" if "cohort_size" in rows.columns else "subscribers"
    sizes = rows[rows["months_since"] == 0].set_index("cohort")[size_column]
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    image = ax.imshow(grid.to_numpy(dtype="float64"), cmap="YlGnBu", vmin=0, vmax=1, aspect="auto")
    for (i, j), value in np.ndenumerate(grid.to_numpy(dtype="float64")):
        if not np.isnan(value) and grid.shape[1] <= 24:
            ax.text(j, i, f"{value:.0%}", ha="center", va="center", fontsize=7,
                    color="white" if value > 0.6 else "black")
    ax.set_xticks(np.arange(grid.shape[1]), [str(c) for c in grid.columns])
    ax.set_yticks(np.arange(grid.shape[0]), [f"{c} ({int(sizes.get(c, 0))})" for c in grid.index])
    ax.set_xlabel("months since signup")
    ax.set_ylabel("signup month (subscribers)")
    ax.set_title(title or "Subscriber retention by signup month")
    ax.figure.colorbar(image, ax=ax, format=lambda v, _: f"{v:.0%}")
    ax.figure.tight_layout()
    return ax
