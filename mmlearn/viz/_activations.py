"""Activation curves y = f(z) and their derivatives (chapter 4)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from mmlearn import activations
from mmlearn._names import did_you_mean
from mmlearn.backend import array_namespace, get_namespace, to_numpy
from mmlearn.viz._common import _axes

__all__ = ["plot_activation"]

# Elementwise activations that can be drawn as a curve y = f(z).
# softmax is absent on purpose: it maps a vector to a vector.
_CURVE_ACTIVATIONS = ("relu", "sigmoid", "tanh", "gelu", "step", "linear")


def _activation_pair(name: Any) -> tuple[str, Callable, Callable]:
    """(canonical name, f, f') for an elementwise activation name."""
    if not isinstance(name, str):
        raise TypeError(
            f"plot_activation: name must be an activation name (str) or a list of names, "
            f"got {type(name).__name__}"
        )
    key = name.lower()
    if key == "softmax":
        raise ValueError(
            "plot_activation: 'softmax' maps a vector to a vector, so it has no curve y = f(z); "
            f"choose one of {list(_CURVE_ACTIVATIONS)}"
        )
    if key not in _CURVE_ACTIVATIONS:
        raise ValueError(
            f"plot_activation: unknown activation {name!r}; expected one of "
            f"{list(_CURVE_ACTIVATIONS)}" + did_you_mean(key, _CURVE_ACTIVATIONS)
        )
    if key == "step":  # 0 everywhere but at z = 0, where it is undefined; drawn as 0
        return key, activations.step, _zeros_like
    return key, getattr(activations, key), getattr(activations, f"{key}_derivative")


def _zeros_like(z: Any) -> Any:
    return array_namespace(z).zeros_like(z)


def plot_activation(
    name: str | Sequence[str],
    ax: Any = None,
    derivative: bool = True,
    *,
    x_range: tuple[float, float] = (-4.0, 4.0),
    num: int = 401,
) -> Any:
    """Draw activation functions y = f(z) and, dashed, their derivatives f'(z).

    ``name`` is one name (``"relu"``, ``"sigmoid"``, ``"tanh"``, ``"gelu"``,
    ``"step"``, ``"linear"``) or a list of names. The curves are computed by
    :mod:`mmlearn.activations` on the active backend at ``num`` points in
    ``x_range``. One line per function, plus one per derivative when
    ``derivative`` is true (f and f' share a colour). The step's derivative is
    drawn as 0 (it is 0 everywhere except at z = 0, where it does not exist).
    Returns the Axes.
    """
    names = [name] if isinstance(name, str) else name
    if not isinstance(names, Sequence) or isinstance(names, bytes) or len(names) == 0:
        raise TypeError(
            "plot_activation: name must be an activation name (str) or a non-empty list of "
            f"names, got {name!r}"
        )
    pairs = [_activation_pair(n) for n in names]
    if isinstance(num, bool) or not isinstance(num, int) or num < 2:
        raise ValueError(f"plot_activation: num must be an int >= 2, got {num!r}")
    lo, hi = _range(x_range)
    ax = _axes(ax, "plot_activation")

    xp = get_namespace()
    z = xp.linspace(lo, hi, num, dtype=xp.float32)
    z_host = to_numpy(z)
    for i, (key, f, df) in enumerate(pairs):
        color = f"C{i}"
        ax.plot(z_host, to_numpy(f(z)), color=color, label=f"{key}(z)")
        if derivative:
            ax.plot(z_host, to_numpy(df(z)), color=color, linestyle="--", label=f"{key}'(z)")
    ax.set_xlabel("z")
    ax.set_ylabel("f(z)" if not derivative else "f(z), f'(z)")
    ax.grid(True, alpha=0.3)
    ax.legend()
    if len(pairs) == 1:
        ax.set_title(pairs[0][0])
    return ax


def _range(x_range: Any) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in x_range)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"plot_activation: x_range must be a pair of numbers (low, high), got {x_range!r}"
        ) from err
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"plot_activation: x_range must have low < high, got {x_range!r}")
    return lo, hi
