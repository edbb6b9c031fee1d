"""Result frames whose ``.plot()`` draws the chart people expect (other ``.plot`` uses work as usual)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from pandas.plotting import PlotAccessor

__all__ = ["MrrHistory", "CohortTable"]


class _ChartPlot(PlotAccessor):
    """``frame.plot()`` with no arguments draws the frame's own chart; anything else is pandas' plot."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        frame = self._parent
        chart = getattr(frame, "_chart", None)
        if chart is not None and not args and set(kwargs) <= {"ax", "currency", "title", "figsize"}:
            return chart(**kwargs)
        return super().__call__(*args, **kwargs)


class _ChartFrame(pd.DataFrame):
    _metadata: list[str] = []

    @classmethod
    def of(cls, frame: pd.DataFrame) -> Any:
        """``frame``'s data and attrs as this kind of frame."""
        made = cls(frame)
        made.attrs = dict(frame.attrs)
        return made

    @property
    def _constructor(self) -> type[pd.DataFrame]:
        return type(self)

    @property
    def plot(self) -> _ChartPlot:  # type: ignore[override]
        return _ChartPlot(self)


class MrrHistory(_ChartFrame):
    """:func:`paragon_magic.metrics.mrr_history`'s frame: ``.plot()`` stacks the movements under the MRR line."""

    def _chart(self, **kwargs: Any) -> Any:
        from .plots import plot_mrr_history

        return plot_mrr_history(self, **kwargs)


class CohortTable(_ChartFrame):
    """:func:`paragon_magic.metrics.cohorts`'s frame: ``.plot()`` draws the retention heatmap."""

    def _chart(self, **kwargs: Any) -> Any:
        from .plots import plot_cohorts

        return plot_cohorts(self, **kwargs)
