"""Figures of chapter 3 about optimization (re-exported by :mod:`mmlearn.viz`).

* :func:`plot_loss_contours` draws a loss over two weights as contour lines, with the
  paths an optimizer took across it.
* :func:`plot_gradient_check` compares gradient-check errors with their threshold on a
  logarithmic scale.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mmlearn._i18n import _
from mmlearn.viz._common import _axes, _host

__all__ = ["plot_gradient_check", "plot_loss_contours"]


# ----------------------------------------------------------------------------- loss surfaces


def plot_loss_contours(
    w1: Any,
    w2: Any,
    loss: Any,
    ax: Any = None,
    *,
    paths: Mapping[str, Any] | Any = None,
    minimum: Sequence[float] | None = None,
    levels: int | Sequence[float] = 14,
    equal_aspect: bool = False,
    labels: tuple[str, str] = ("$w_1$", "$w_2$"),
) -> Any:
    """Contour lines of a loss over a grid of two weights, with optimizer paths.

    ``w1``, ``w2`` and ``loss`` have the same shape ``(G2, G1)``, as made by
    ``np.meshgrid``. ``levels`` is a list of loss values, or a number of levels spaced
    geometrically (a bowl's contours then stay evenly spread from the floor to the rim).
    ``paths`` is one array of shape ``(steps + 1, 2)`` (the weights after each step) or a
    dict from a legend label to such an array; each is drawn as dots joined by a line
    (``ax.lines``, in order), and a path that leaves the grid runs off the picture.
    ``minimum`` (a pair) is marked with a black cross. With ``equal_aspect`` one unit of
    ``w1`` is as long as one of ``w2``, so a round bowl looks round. Returns the Axes.
    """
    func = "plot_loss_contours"
    W1, W2, Lh = (_host(a, name, func) for a, name in ((w1, "w1"), (w2, "w2"), (loss, "loss")))
    if W1.ndim != 2 or W1.shape != W2.shape or W1.shape != Lh.shape:
        raise ValueError(f"{func}: w1, w2 and loss must be 2-d grids of the same shape, got "
                         f"{W1.shape}, {W2.shape} and {Lh.shape}")
    level_values = _contour_levels(Lh, levels, func)
    ax = _axes(ax, func)
    ax.contour(W1, W2, Lh, levels=level_values, cmap="viridis", linewidths=0.8)

    if paths is None:
        paths = {}
    elif not isinstance(paths, Mapping):
        paths = {None: paths}
    (x_lo, x_hi), (y_lo, y_hi) = (W1.min(), W1.max()), (W2.min(), W2.max())
    for i, (label, path) in enumerate(paths.items()):
        _draw_path(ax, path, label, f"C{(3 + i) % 10}", (x_lo, x_hi), (y_lo, y_hi), func)
    if minimum is not None:
        m = _host(minimum, "minimum", func).ravel()
        if m.shape != (2,):
            raise ValueError(f"{func}: minimum must be a pair (w1, w2), got shape {m.shape}")
        ax.plot([m[0]], [m[1]], "k+", markersize=12, markeredgewidth=1.5)
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    if equal_aspect:
        ax.set_aspect("equal")
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    if any(label is not None for label in paths):
        ax.legend(fontsize=8, loc="upper right")
    return ax


def _contour_levels(Lh: np.ndarray, levels: int | Sequence[float], func: str) -> np.ndarray:
    """The loss values to draw: as given (sorted), or ``levels`` values spaced geometrically
    between the smallest positive loss and the largest."""
    if isinstance(levels, int | np.integer) and not isinstance(levels, bool):
        if levels < 1:
            raise ValueError(f"{func}: levels must be >= 1, got {levels}")
        positive = Lh[Lh > 0]
        if positive.size == 0:
            raise ValueError(f"{func}: the loss has no positive value to space levels by")
        low = max(float(positive.min()), float(Lh.max()) * 1e-6)
        return np.geomspace(low, float(Lh.max()), int(levels) + 2)[1:-1]
    return np.sort(_host(levels, "levels", func).ravel())


def _draw_path(ax: Any, path: Any, label: str | None, color: str, x_range: tuple[float, float],
               y_range: tuple[float, float], func: str) -> None:
    """One optimizer path (steps + 1, 2) as dots joined by a line, up to its first point
    far outside the grid."""
    (x_lo, x_hi), (y_lo, y_hi) = x_range, y_range
    P = _host(path, "paths", func)
    if P.ndim != 2 or P.shape[1] != 2:
        raise ValueError(f"{func}: a path must have shape (steps + 1, 2), got {P.shape}")
    # Points far outside the grid would only stretch the line: stop at the first one.
    far = (np.abs(P[:, 0] - (x_lo + x_hi) / 2) > 2 * (x_hi - x_lo)) | \
          (np.abs(P[:, 1] - (y_lo + y_hi) / 2) > 2 * (y_hi - y_lo))
    stop = int(np.argmax(far)) + 1 if far.any() else len(P)
    ax.plot(P[:stop, 0], P[:stop, 1], "o-", color=color, markersize=3,
            linewidth=1, label=label)


# ----------------------------------------------------------------------------- gradient checks


def plot_gradient_check(
    errors: Mapping[str, Mapping[str, float]],
    ax: Any = None,
    *,
    threshold: float = 1e-6,
    floor: float = 1e-17,
) -> Any:
    """Bars of relative errors on a log scale, with the pass/fail threshold as a line.

    ``errors`` maps a comparison (the legend label, e.g. ``"backprop vs central
    differences"``) to ``{parameter name: relative error}``. Parameters are placed on the x
    axis in the order they first appear; at each one, the comparisons that report it stand
    side by side, one colour per comparison (``ax.containers``, in order). An error of
    exactly 0 cannot be drawn on a log scale and is drawn at ``floor``. The dashed line at
    ``threshold`` (``ax.lines[0]``) separates passing gradients (below) from failing ones.
    Returns the Axes.
    """
    func = "plot_gradient_check"
    if not isinstance(errors, Mapping) or not errors:
        raise TypeError(f"{func}: errors must be a non-empty dict {{comparison: {{name: "
                        f"error}}}}, got {type(errors).__name__}")
    for value in (threshold, floor):
        if isinstance(value, bool) or not isinstance(value, int | float) or \
                not (math.isfinite(value) and value > 0):
            raise ValueError(f"{func}: threshold and floor must be positive numbers, got "
                             f"{value!r}")
    names: list[str] = []
    for comparison, values in errors.items():
        if not isinstance(values, Mapping):
            raise TypeError(f"{func}: errors[{comparison!r}] must be a dict {{name: error}}, "
                            f"got {type(values).__name__}")
        for name, err in values.items():
            if isinstance(err, bool) or not isinstance(err, int | float | np.floating) or \
                    not (math.isfinite(err) and err >= 0):
                raise ValueError(f"{func}: errors[{comparison!r}][{name!r}] must be a finite "
                                 f"number >= 0, got {err!r}")
            if name not in names:
                names.append(name)
    ax = _axes(ax, func)
    power = math.log10(threshold)
    shown = f"$10^{{{round(power)}}}$" if abs(power - round(power)) < 1e-9 else f"{threshold:g}"
    ax.axhline(threshold, color="k", linestyle="--", linewidth=1,
               label=_("threshold {value}").format(value=shown))
    for i, (comparison, values) in enumerate(errors.items()):
        xs, heights, widths = [], [], []
        for j, name in enumerate(names):
            if name not in values:
                continue
            # the comparisons that report this parameter share its slot of width 0.8
            present = [c for c, v in errors.items() if name in v]
            width = 0.8 / len(present)
            xs.append(j - 0.4 + width * (present.index(comparison) + 0.5))
            heights.append(max(float(values[name]), floor))
            widths.append(width)
        ax.bar(xs, heights, width=widths, color=f"C{i}", label=comparison)
    ax.set_yscale("log")
    ax.set_xticks(range(len(names)), names)
    ax.set_ylabel(_("relative error"))
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax
