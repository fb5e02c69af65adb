"""Figures for the book (re-exported by :mod:`mmlearn.viz`); see that module's conventions.

Chapter 8 (tools): how far the first Adam step of two libraries goes for a gradient of a
given size, and a diagram of data-parallel training.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mmlearn._i18n import _
from mmlearn.viz._common import _axes, _host

__all__ = ["plot_adam_first_step", "plot_data_parallelism"]


def plot_adam_first_step(
    gradients: Any,
    steps: Mapping[str, Any],
    ax: Any = None,
    *,
    epsilon: float | None = None,
    title: str | None = None,
) -> Any:
    """Draw the first Adam step of each library against the size of the gradient.

    ``gradients`` holds the gradient magnitudes ``|g|``, shape ``(n,)``, all positive (the
    x-axis is logarithmic). ``steps`` maps a label (e.g. ``"Keras, mmlearn"``) to the
    first step of that library divided by the learning rate, shape ``(n,)``: a number
    between 0 and 1, where 1 is a full step. One line per label; the y-axis runs from 0 to
    the full step, marked by a dotted line. With ``epsilon`` a dotted vertical line marks
    ``|g| = ε``. Returns the Axes.
    """
    func = "plot_adam_first_step"
    g = _host(gradients, "gradients", func)
    if g.ndim != 1 or g.size < 2:
        raise ValueError(f"{func}: gradients must have shape (n,) with n >= 2, got {g.shape}")
    if np.any(g <= 0):
        raise ValueError(f"{func}: gradients must be positive magnitudes |g| (log axis)")
    if not isinstance(steps, Mapping) or not steps:
        raise TypeError(f"{func}: steps must be a non-empty dict label -> step fractions, "
                        f"got {type(steps).__name__}")
    if epsilon is not None and (isinstance(epsilon, bool) or not isinstance(
            epsilon, int | float) or not epsilon > 0):
        raise ValueError(f"{func}: epsilon must be a positive number or None, got {epsilon!r}")
    ax = _axes(ax, func)
    for label, values in steps.items():
        fraction = _host(values, f"steps[{label!r}]", func)
        if fraction.shape != g.shape:
            raise ValueError(f"{func}: steps[{label!r}] has shape {fraction.shape}, "
                             f"gradients {g.shape}")
        ax.plot(g, fraction, label=str(label), linewidth=2)
    ax.axhline(1.0, color="0.5", linestyle=":", linewidth=1)
    if epsilon is not None:
        ax.axvline(epsilon, color="0.5", linestyle=":", linewidth=1)
        ax.text(epsilon * 1.3, 1.02, r"$|g| = \epsilon$", fontsize=9, color="0.3",
                va="bottom")
    ax.set_xscale("log")
    ax.set_ylim(0, 1.08)
    ax.set_xlabel(_("|g|, the first gradient of a weight"))
    ax.set_ylabel(_("first step / learning rate"))
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="lower right")
    if title is not None:
        ax.set_title(title)
    return ax


def _box(ax: Any, x: float, y: float, width: float, height: float, text: str,
         color: str) -> None:
    """A rounded box centred at (x, y) with ``text`` inside."""
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                boxstyle="round,pad=0.02,rounding_size=0.08",
                                facecolor=color, edgecolor="0.25", linewidth=1))
    ax.text(x, y, text, ha="center", va="center", fontsize=8.5)


def _arrow(ax: Any, start: tuple[float, float], end: tuple[float, float]) -> None:
    ax.annotate("", xy=end, xytext=start,
                arrowprops={"arrowstyle": "-|>", "color": "0.25", "linewidth": 1.2})


def plot_data_parallelism(
    shard_sizes: Sequence[int] = (8, 8, 8, 8),
    ax: Any = None,
    *,
    title: str | None = None,
) -> Any:
    """Draw one step of data-parallel training on G GPUs, G = ``len(shard_sizes)``.

    From top to bottom: the batch of N = ``sum(shard_sizes)`` samples cut into G shards
    (widths proportional to the sizes N_j); one replica of the model per GPU computing the
    mean gradient of its shard; the all-reduce that combines them with weights N_j / N;
    the same optimizer step on every replica. Returns the Axes (axis lines hidden).
    """
    func = "plot_data_parallelism"
    if isinstance(shard_sizes, str | bytes) or not isinstance(shard_sizes, Sequence):
        raise TypeError(f"{func}: shard_sizes must be a list of ints, "
                        f"got {type(shard_sizes).__name__}")
    sizes = list(shard_sizes)
    if not 1 <= len(sizes) <= 6 or not all(
            isinstance(n, int | np.integer) and not isinstance(n, bool) and n > 0
            for n in sizes):
        raise ValueError(f"{func}: shard_sizes must be 1 to 6 positive ints, got {sizes!r}")
    ax = _axes(ax, func)
    n_gpus = len(sizes)
    centres = np.arange(n_gpus) * 2.7              # one column per GPU
    span = (centres[0] - 1.25, centres[-1] + 1.25)
    width = span[1] - span[0]
    _draw_shards(ax, sizes, centres, span)
    for j, x in enumerate(centres):
        _box(ax, x, 4.55, 2.3, 1.1,
             _("GPU {gpu}: a replica\nof the model,\nforward + backward\ngives {gradient}")
             .format(gpu=j + 1, gradient=rf"$\nabla L_{j + 1}$"), "white")
        _arrow(ax, (x, 3.97), (x, 3.33))
    middle = (span[0] + span[1]) / 2
    _box(ax, middle, 2.95, width, 0.7,
         _("all-reduce: {formula}\nevery GPU receives the same result").format(
             formula=r"$\nabla L = \sum_j \,(N_j\,/\,N)\; \nabla L_j$"), "0.92")
    for j, x in enumerate(centres):
        _arrow(ax, (x, 2.58), (x, 1.95))
        _box(ax, x, 1.45, 2.3, 0.9,
             _("GPU {gpu}: the same\noptimizer step,\nthe same new weights").format(gpu=j + 1),
             "white")
    ax.set_xlim(span[0] - 0.2, span[1] + 0.2)
    ax.set_ylim(0.85, 7.0)
    ax.set_aspect("equal")
    ax.axis("off")
    if title is not None:
        ax.set_title(title)
    return ax


def _draw_shards(ax: Any, sizes: list[int], centres: np.ndarray,
                 span: tuple[float, float]) -> None:
    """The batch on top, cut into shards as wide as their sizes, each with an arrow down to
    its GPU's column."""
    from matplotlib.patches import Rectangle

    n_gpus, total = len(sizes), sum(sizes)
    colors = [f"C{j}" for j in range(n_gpus)]
    width = span[1] - span[0]
    # the batch, cut into shards whose widths are proportional to their sizes
    ax.text(span[0], 6.55, _("one batch of N = {total} samples, cut into G = {shards} shards")
            .format(total=total, shards=n_gpus), fontsize=9, va="bottom")
    left = span[0]
    for j, n in enumerate(sizes):
        w = width * n / total
        ax.add_patch(Rectangle((left, 6.0), w, 0.45, facecolor=colors[j], alpha=0.55,
                               edgecolor="0.25"))
        ax.text(left + w / 2, 6.22, f"$N_{j + 1}$ = {n}", ha="center", va="center",
                fontsize=8)
        _arrow(ax, (left + w / 2, 5.98), (centres[j], 5.15))
        left += w
