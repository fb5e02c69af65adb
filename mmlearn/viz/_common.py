"""What every plot shares: matplotlib on first use, the Axes to draw on, and the data
brought to the host as checked NumPy arrays (the one place where arrays leave the backend)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from mmlearn.backend import is_array, to_numpy
from mmlearn.viz._fonts import use_language_font


def _pyplot():
    import matplotlib.pyplot as plt

    use_language_font()
    return plt


def _axes(ax: Any, func: str) -> Any:
    """``ax`` itself when it is a matplotlib Axes, the current Axes when None."""
    plt = _pyplot()
    if ax is None:
        return plt.gca()
    from matplotlib.axes import Axes

    if not isinstance(ax, Axes):
        raise TypeError(f"{func}: ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    return ax


def _host(x: Any, arg: str, func: str) -> np.ndarray:
    """An array of any backend, or a list of numbers, as a NumPy float array."""
    if isinstance(x, str | bytes | Mapping) or x is None:
        raise TypeError(f"{func}: {arg} must be an array of numbers, got {type(x).__name__}")
    try:
        out = to_numpy(x) if is_array(x) else np.asarray(x)
    except Exception as err:
        raise TypeError(f"{func}: {arg} must be an array of numbers, got {type(x).__name__}") \
            from err
    if out.dtype.kind not in "fiub":
        raise TypeError(f"{func}: {arg} must hold real numbers, got dtype {out.dtype}")
    out = out.astype(np.float64)
    if out.size and not np.all(np.isfinite(out)):
        raise ValueError(f"{func}: {arg} contains NaN or inf")
    return out


def _labels(y: Any, n: int, func: str, arg: str = "y", data: str = "X") -> np.ndarray:
    """Class labels (numbers or strings) of length ``n``, as a 1-d NumPy array."""
    if isinstance(y, str | bytes | Mapping):
        raise TypeError(f"{func}: {arg} must be a sequence of labels, got {type(y).__name__}")
    out = to_numpy(y) if is_array(y) else np.asarray(y)
    if out.ndim == 2 and out.shape[1] == 1:
        out = out.reshape(-1)
    if out.ndim != 1:
        raise ValueError(f"{func}: {arg} must have shape ({n},), got {out.shape}")
    if out.shape[0] != n:
        raise ValueError(f"{func}: {arg} has {out.shape[0]} labels but {data} has {n} rows")
    if out.dtype.kind == "f":
        if not np.all(np.isfinite(out)):
            raise ValueError(f"{func}: {arg} contains NaN or inf")
        if not np.all(out == np.round(out)):
            raise ValueError(f"{func}: {arg} must hold class labels, got non-integer values")
        out = out.astype(np.int64)
    return out
