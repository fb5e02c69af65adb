"""Figures for the book (re-exported by :mod:`mmlearn.viz`); see that module's conventions.

Chapter 6 (fusion and contrastive alignment): the held-out accuracy of several fusion
strategies over a few seeds next to their sizes, and a matrix of picture-caption
similarities. The words on a figure (axis labels) are arguments, so that a chapter in
another language can pass its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mmlearn._i18n import _
from mmlearn.viz._common import _axes, _host, _pyplot

__all__ = ["plot_fusion_results", "plot_similarity_matrix"]


def plot_fusion_results(
    accuracies: Mapping[str, Any],
    parameters: Mapping[str, int],
    *,
    ceiling: float | None = None,
    ceiling_label: str = "one modality, expected",
    accuracy_label: str = "held-out accuracy",
    parameters_label: str = "parameters of the whole model",
    axes: Any = None,
) -> np.ndarray:
    """Two panels, one row per model: its accuracy over seeds, and its size.

    ``accuracies`` maps a model's name to its held-out accuracy for each seed, shape
    ``(seeds,)``; ``parameters`` maps the same names to the model's parameter count. Left:
    a bar at the mean accuracy, a black dot for every seed and a line from the lowest to
    the highest, so that the spread over seeds is visible next to the differences between
    models; ``ceiling`` (e.g. 1/3, what a model that sees one modality can expect) is a
    dashed vertical line. Right: the parameter counts. ``axes`` is a pair of Axes (a new
    figure when None). Returns the two Axes.
    """
    func = "plot_fusion_results"
    if not isinstance(accuracies, Mapping) or not accuracies:
        raise TypeError(f"{func}: accuracies must be a non-empty dict name -> accuracies "
                        f"over seeds, got {type(accuracies).__name__}")
    names = list(accuracies)
    if not isinstance(parameters, Mapping) or set(parameters) != set(names):
        raise ValueError(f"{func}: parameters must have the same names as accuracies, "
                         f"{names}")
    runs = [_accuracy_run(accuracies[name], name, func) for name in names]
    if ceiling is not None and not 0 <= float(ceiling) <= 1:
        raise ValueError(f"{func}: ceiling must be in [0, 1], got {ceiling}")
    if axes is None:
        axes = _pyplot().subplots(1, 2, figsize=(12, 0.42 * len(names) + 1.2))[1]
    pair = np.asarray(axes, dtype=object).reshape(-1)
    if pair.size != 2:
        raise ValueError(f"{func}: axes must be two Axes, got {pair.size}")
    left, right = (_axes(ax, func) for ax in pair)

    rows = np.arange(len(names))
    _draw_accuracy_bars(left, rows, runs)
    if ceiling is not None:
        left.axvline(float(ceiling), color="0.3", linestyle="--", label=_(ceiling_label))
        left.legend(loc="upper right", fontsize=9)
    left.set_xlim(0, 1)
    left.set_xlabel(_(accuracy_label))

    right.barh(rows, [int(parameters[name]) for name in names], color="C1")
    right.set_xlabel(_(parameters_label))
    left.set_yticks(rows, names)
    right.set_yticks(rows, [])             # the same rows: their names are on the left
    for ax in (left, right):
        ax.invert_yaxis()                  # the first model on top, as in a table
        ax.grid(True, axis="x", alpha=0.3)
    return pair


def _accuracy_run(values: Any, name: str, func: str) -> np.ndarray:
    """One model's accuracies over seeds, a flat host array of numbers in [0, 1]."""
    values = _host(values, f"accuracies[{name!r}]", func).reshape(-1)
    if values.size == 0 or np.any((values < 0) | (values > 1)):
        raise ValueError(f"{func}: accuracies[{name!r}] must be one or more numbers "
                         f"in [0, 1], got {values}")
    return values


def _draw_accuracy_bars(ax: Any, rows: np.ndarray, runs: list[np.ndarray]) -> None:
    """A bar at each model's mean accuracy, its seeds as dots on a line from min to max."""
    means = np.array([values.mean() for values in runs])
    ax.barh(rows, means, color="C0", alpha=0.6)
    for row, values in zip(rows, runs, strict=True):
        ax.plot([values.min(), values.max()], [row, row], color="k", linewidth=1)
        ax.plot(values, np.full(values.shape, row), "o", color="k", markersize=3.5)


def plot_similarity_matrix(
    similarity: Any,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    ax: Any = None,
    *,
    label: str = "cosine similarity",
    cmap: str = "viridis",
) -> Any:
    """Draw a matrix of similarities, ``(rows, columns)``, with the diagonal outlined.

    Row i is one item of one modality (a picture), column j one of the other (a caption),
    and the diagonal holds the true pairs, each outlined in white so that a reader can see
    whether it is its row's largest entry. ``row_labels`` and ``column_labels`` name them;
    ``label`` goes on the colour bar. Returns the Axes.
    """
    func = "plot_similarity_matrix"
    matrix = _host(similarity, "similarity", func)
    if matrix.ndim != 2 or matrix.size == 0:
        raise ValueError(f"{func}: similarity must have shape (rows, columns), "
                         f"got {matrix.shape}")
    for arg, labels, n in (("row_labels", row_labels, matrix.shape[0]),
                           ("column_labels", column_labels, matrix.shape[1])):
        if len(labels) != n:
            raise ValueError(f"{func}: {arg} has {len(labels)} names for {n} entries")
    ax = _axes(ax, func)
    from matplotlib.patches import Rectangle

    image = ax.imshow(matrix, cmap=cmap)
    for i in range(min(matrix.shape)):
        ax.add_patch(Rectangle((i - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="white",
                               linewidth=1.5))
    ax.set_yticks(range(matrix.shape[0]), [str(s) for s in row_labels])
    ax.set_xticks(range(matrix.shape[1]), [str(s) for s in column_labels], rotation=35,
                  ha="right", fontsize=8)
    ax.figure.colorbar(image, ax=ax, label=_(label))
    return ax
