"""Attention maps: how much each query attends to each key."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mmlearn._i18n import _
from mmlearn.viz._common import _axes, _host

__all__ = ["plot_attention"]


def plot_attention(
    weights: Any,
    ax: Any = None,
    *,
    x_labels: Sequence[str] | None = None,
    y_labels: Sequence[str] | None = None,
    head: int | None = None,
    annotate: bool = False,
    colorbar: bool = True,
    cmap: str = "viridis",
    title: str | None = None,
) -> Any:
    """Draw an attention map: row i shows how much query i attends to each key.

    ``weights`` has shape ``(queries, keys)``, or ``(heads, queries, keys)``
    with ``head`` choosing one head (``None`` averages the heads). ``x_labels``
    name the keys (columns) and ``y_labels`` the queries (rows). With
    ``annotate`` each cell shows its value. Returns the Axes (one image on it).
    """
    func = "plot_attention"
    A = _one_map(_host(weights, "weights", func), head, func)
    if A.size == 0:
        raise ValueError(f"{func}: weights is empty, shape {A.shape}")
    for arg, labels, n in (("x_labels", x_labels, A.shape[1]), ("y_labels", y_labels, A.shape[0])):
        if labels is not None and len(labels) != n:
            axis = "keys (columns)" if arg == "x_labels" else "queries (rows)"
            raise ValueError(f"{func}: {arg} has {len(labels)} names but weights has {n} {axis}")
    ax = _axes(ax, func)
    image = ax.imshow(A, cmap=cmap, aspect="auto", interpolation="nearest")
    if x_labels is not None:
        ax.set_xticks(range(A.shape[1]), [str(s) for s in x_labels], rotation=45, ha="right")
    if y_labels is not None:
        ax.set_yticks(range(A.shape[0]), [str(s) for s in y_labels])
    ax.set_xlabel(_("key"))
    ax.set_ylabel(_("query"))
    if annotate:
        _annotate(ax, A)
    if colorbar:
        ax.figure.colorbar(image, ax=ax)
    if title is not None:
        ax.set_title(title)
    return ax


def _one_map(A: np.ndarray, head: Any, func: str) -> np.ndarray:
    """The (queries, keys) map to draw: ``A`` itself, or of (heads, queries, keys) the head
    asked for (the mean over heads when ``head`` is None)."""
    if A.ndim == 3:
        if head is None:
            A = A.mean(axis=0)
        elif isinstance(head, bool) or not isinstance(head, int | np.integer):
            raise TypeError(f"{func}: head must be an int or None, got {type(head).__name__}")
        elif not -A.shape[0] <= head < A.shape[0]:
            raise ValueError(f"{func}: head must be in [0, {A.shape[0] - 1}], got {head}")
        else:
            A = A[head]
    elif A.ndim != 2:
        hint = " (pick one sample first, e.g. weights[0])" if A.ndim == 4 else ""
        raise ValueError(
            f"{func}: weights must have shape (queries, keys) or (heads, queries, keys), "
            f"got {A.shape}{hint}"
        )
    elif head is not None:
        raise ValueError(f"{func}: head={head} given but weights has no heads axis: {A.shape}")
    return A


def _annotate(ax: Any, A: np.ndarray) -> None:
    """Each cell's value, dark on light cells and light on dark ones."""
    middle = (A.min() + A.max()) / 2
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            ax.text(j, i, f"{A[i, j]:.2f}", ha="center", va="center", fontsize=8,
                    color="k" if A[i, j] > middle else "w")
