"""paragon_magic: Stripe inside Jupyter — %stripe magics, a Connect Portal widget, typed DataFrames."""

from ._version import __version__

__all__ = ["__version__"]
