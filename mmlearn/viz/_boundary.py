"""Decision boundaries: the plane coloured by the class a model predicts (chapters 3 and 4)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from mmlearn._i18n import _
from mmlearn.backend import asarray, is_array, to_numpy
from mmlearn.viz._common import _axes, _host, _labels

__all__ = ["plot_decision_boundary"]


def _neuron_score(model: Any) -> Callable[[Any], Any] | None:
    """z = X·w + b for a single neuron (an object with 1-d ``weights`` and a number ``bias``,
    such as ``mm.Neuron`` and ``mm.neuron.Perceptron``), else None."""
    w, b = getattr(model, "weights", None), getattr(model, "bias", None)
    if not is_array(w) or getattr(w, "ndim", None) != 1 or int(w.shape[0]) != 2:
        return None
    if isinstance(b, bool) or not isinstance(b, int | float | np.number):
        return None
    w_active = asarray(to_numpy(w), dtype="float32")  # the grid lives on the active backend
    return lambda X: X @ w_active + float(b)


def _predictor(model: Any) -> Callable[[Any], Any]:
    """A batch prediction function from a model, a neuron or a plain function."""
    score = _neuron_score(model)
    if score is not None:
        return score
    for attr in ("predict", "forward"):
        method = getattr(model, attr, None)
        if callable(method):
            try:
                parameters = inspect.signature(method).parameters
            except (TypeError, ValueError):
                parameters = {}
            options = {}
            if "verbose" in parameters:     # a Keras-style predict: keep the notebook quiet
                options["verbose"] = 0
            if "batch_size" in parameters:  # the grid in a few large batches, not 32 at a time
                options["batch_size"] = 4096
            return lambda X, m=method: m(X, **options)
    if callable(model):
        return model
    raise TypeError(
        "plot_decision_boundary: model must be a function of a batch X (n, 2), or an object "
        f"with .predict(X) or .forward(X), got {type(model).__name__}"
    )


def plot_decision_boundary(
    model: Any,
    X: Any,
    y: Any = None,
    ax: Any = None,
    resolution: int = 200,
    *,
    threshold: float | None = None,
    padding: float = 0.25,
) -> Any:
    """Colour the plane by the class a model predicts, draw the boundary, scatter the data.

    ``model`` is a function ``f(X) -> outputs`` of a batch ``X`` of shape
    ``(n, 2)``, or any object with ``.predict(X)`` (a Sequential model) or
    ``.forward(X)``. A single neuron (``mm.Neuron``, ``mm.neuron.Perceptron``:
    1-d ``weights`` and a number ``bias``) is scored by its pre-activation
    ``z = X·w + b``, so the line drawn is exactly ``w·x + b = 0`` whatever the
    activation (a step's 0/1 output would only give a staircase).

    The plane around ``X`` is sampled on a ``resolution`` x ``resolution`` grid,
    sent to the model as a float32 array of the active backend, and the outputs
    are read as:

    * shape ``(m,)`` or ``(m, 1)``: a score; class 1 where ``score > threshold``.
      ``threshold`` defaults to 0.5 when every output lies in [0, 1]
      (probabilities, 0/1 labels) and to 0 otherwise (raw scores, tanh);
      the boundary line is the contour ``score = threshold``;
    * shape ``(m, k)`` with ``k > 1``: class scores; the class is the argmax.

    ``y`` (optional) holds the class of each row of ``X``; each class is one
    scatter (so ``ax.collections`` has the regions, the boundary and one
    collection per class). Returns the Axes.
    """
    func = "plot_decision_boundary"
    predict = _predictor(model)
    Xh, labels = _checked_points(X, y, resolution, padding, func)
    ax = _axes(ax, func)
    xx, yy, lo, hi = _grid(Xh, padding, resolution)
    grid = np.stack([xx.ravel(), yy.ravel()], axis=1)
    out = _grid_outputs(predict, grid, func)
    n_classes, cls, field, levels = _classes(out, threshold, xx.shape)

    colors = [f"C{c}" for c in range(n_classes)]
    ax.contourf(xx, yy, cls.reshape(xx.shape), levels=np.arange(n_classes + 1) - 0.5,
                colors=colors, alpha=0.25)
    levels = [v for v in levels if field.min() < v < field.max()]
    if levels:  # matplotlib warns when asked for a level the field never crosses
        ax.contour(xx, yy, field, levels=levels, colors="k", linewidths=1.5)
    _scatter_points(ax, Xh, labels, n_classes)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return ax


def _checked_points(X: Any, y: Any, resolution: Any, padding: Any,
                    func: str) -> tuple[np.ndarray, np.ndarray | None]:
    """X (n, 2) and its labels (n,) or None, on the host; the grid's size and margin checked."""
    Xh = _host(X, "X", func)
    if Xh.ndim != 2 or Xh.shape[1] != 2:
        raise ValueError(
            f"{func}: X must have shape (n, 2) (two features, to draw in the plane), "
            f"got {Xh.shape}"
        )
    if Xh.shape[0] == 0:
        raise ValueError(f"{func}: X is empty; expected at least one sample")
    labels = None if y is None else _labels(y, Xh.shape[0], func)
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"{func}: resolution must be an int >= 2, got {resolution!r}")
    if isinstance(padding, bool) or not isinstance(padding, int | float) or padding < 0:
        raise ValueError(f"{func}: padding must be a number >= 0, got {padding!r}")
    return Xh, labels


def _grid(Xh: np.ndarray, padding: float,
          resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The grid (xx, yy), each (resolution, resolution), over the data's bounding box widened
    by ``padding`` times its span, and that box's corners lo, hi."""
    lo, hi = Xh.min(axis=0), Xh.max(axis=0)
    span = np.where(hi - lo > 0, hi - lo, 1.0)
    lo, hi = lo - padding * span, hi + padding * span
    g0 = np.linspace(lo[0], hi[0], resolution)
    g1 = np.linspace(lo[1], hi[1], resolution)
    xx, yy = np.meshgrid(g0, g1)
    return xx, yy, lo, hi


def _grid_outputs(predict: Callable[[Any], Any], grid: np.ndarray, func: str) -> np.ndarray:
    """The model's outputs on the grid (m, 2), float32 on the active backend: (m,) or (m, k)."""
    out = _host(predict(asarray(grid, dtype="float32")), "the model's output", func)
    m = grid.shape[0]
    if out.ndim == 2 and out.shape[1] == 1:
        out = out.reshape(-1)
    if out.ndim not in (1, 2) or out.shape[0] != m:
        raise ValueError(
            f"{func}: the model must return one output row per input row: given a grid of "
            f"shape ({m}, 2) it returned shape {out.shape}"
        )
    return out


def _classes(out: np.ndarray, threshold: float | None,
             shape: tuple[int, ...]) -> tuple[int, np.ndarray, np.ndarray, list[float]]:
    """(number of classes, class per grid point, the field whose contours are the boundary,
    their levels): a score against ``threshold``, or the argmax of class scores."""
    if out.ndim == 1:
        if threshold is None:
            threshold = 0.5 if (out.min() >= 0.0 and out.max() <= 1.0) else 0.0
        cls = (out > threshold).astype(np.float64)
        return 2, cls, out.reshape(shape), [float(threshold)]
    n_classes = out.shape[1]
    cls = np.argmax(out, axis=1).astype(np.float64)
    return n_classes, cls, cls.reshape(shape), list(np.arange(n_classes - 1) + 0.5)


def _scatter_points(ax: Any, Xh: np.ndarray, labels: np.ndarray | None,
                    n_classes: int) -> None:
    """The data: black dots without labels, else one scatter (and legend entry) per class,
    coloured as its region when the labels are class indices."""
    if labels is None:
        ax.scatter(Xh[:, 0], Xh[:, 1], c="k", s=25)
        return
    classes = list(np.unique(labels))
    as_index = all(
        isinstance(c, int | np.integer) and 0 <= c < n_classes for c in classes
    )
    for i, c in enumerate(classes):
        color = f"C{int(c) if as_index else i}"
        rows = labels == c
        ax.scatter(Xh[rows, 0], Xh[rows, 1], color=color, edgecolors="k", s=40,
                   label=_("class {c}").format(c=c))
    ax.legend()
