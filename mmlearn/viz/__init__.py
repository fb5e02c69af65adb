"""Plots for the book: activations, decision boundaries, training curves,
attention maps and embeddings.

This is the one module that brings arrays back to the host (with
:func:`mmlearn.backend.to_numpy`): the models compute on the active backend
(NumPy, CuPy, ...), and only what is drawn travels to NumPy. matplotlib is
imported when a function is first called, so ``import mmlearn`` never needs it.

Every function draws on ``ax`` (the current Axes when ``ax`` is None) and
returns that Axes, so a plot can be finished with ordinary matplotlib calls::

    ax = mm.viz.plot_activation(["relu", "sigmoid"])
    ax.set_title("two activations")
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from mmlearn.backend import asarray, get_namespace, is_array, to_numpy

__all__ = [
    "pca_2d",
    "plot_activation",
    "plot_attention",
    "plot_decision_boundary",
    "plot_embeddings",
    "plot_history",
]

# Elementwise activations that can be drawn as a curve y = f(z).
# softmax is absent on purpose: it maps a vector to a vector.
_CURVE_ACTIVATIONS = ("relu", "sigmoid", "tanh", "gelu", "step", "linear")


# ----------------------------------------------------------------------------- helpers


def _pyplot():
    import matplotlib.pyplot as plt

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


# ----------------------------------------------------------------------------- activations


def _activation_pair(name: Any) -> tuple[str, Callable, Callable]:
    """(canonical name, f, f') for an elementwise activation name."""
    from mmlearn import activations
    from mmlearn._validation import did_you_mean

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
    from mmlearn.backend import array_namespace

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


# ----------------------------------------------------------------------------- decision boundary


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
    ax = _axes(ax, func)

    # The grid: the data's bounding box, widened by `padding` times its span.
    lo, hi = Xh.min(axis=0), Xh.max(axis=0)
    span = np.where(hi - lo > 0, hi - lo, 1.0)
    lo, hi = lo - padding * span, hi + padding * span
    g0 = np.linspace(lo[0], hi[0], resolution)
    g1 = np.linspace(lo[1], hi[1], resolution)
    xx, yy = np.meshgrid(g0, g1)
    grid = np.stack([xx.ravel(), yy.ravel()], axis=1)

    out = _host(predict(asarray(grid, dtype="float32")), "the model's output", func)
    m = grid.shape[0]
    if out.ndim == 2 and out.shape[1] == 1:
        out = out.reshape(-1)
    if out.ndim not in (1, 2) or out.shape[0] != m:
        raise ValueError(
            f"{func}: the model must return one output row per input row: given a grid of "
            f"shape ({m}, 2) it returned shape {out.shape}"
        )

    if out.ndim == 1:
        if threshold is None:
            threshold = 0.5 if (out.min() >= 0.0 and out.max() <= 1.0) else 0.0
        n_classes = 2
        cls = (out > threshold).astype(np.float64)
        field, levels = out.reshape(xx.shape), [float(threshold)]
    else:
        n_classes = out.shape[1]
        cls = np.argmax(out, axis=1).astype(np.float64)
        field, levels = cls.reshape(xx.shape), list(np.arange(n_classes - 1) + 0.5)

    colors = [f"C{c}" for c in range(n_classes)]
    ax.contourf(xx, yy, cls.reshape(xx.shape), levels=np.arange(n_classes + 1) - 0.5,
                colors=colors, alpha=0.25)
    levels = [v for v in levels if field.min() < v < field.max()]
    if levels:  # matplotlib warns when asked for a level the field never crosses
        ax.contour(xx, yy, field, levels=levels, colors="k", linewidths=1.5)

    if labels is None:
        ax.scatter(Xh[:, 0], Xh[:, 1], c="k", s=25)
    else:
        classes = list(np.unique(labels))
        as_index = all(
            isinstance(c, int | np.integer) and 0 <= c < n_classes for c in classes
        )
        for i, c in enumerate(classes):
            color = f"C{int(c) if as_index else i}"
            rows = labels == c
            ax.scatter(Xh[rows, 0], Xh[rows, 1], color=color, edgecolors="k", s=40,
                       label=f"class {c}")
        ax.legend()
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return ax


# ----------------------------------------------------------------------------- history


def plot_history(
    history: Any,
    keys: Sequence[str] | None = ("loss", "val_loss"),
    ax: Any = None,
    *,
    title: str | None = None,
) -> Any:
    """Draw training curves, one line per key, against the epoch (1, 2, ...).

    ``history`` is what ``model.fit`` returns (a History, whose ``.history``
    maps names such as ``"loss"`` and ``"accuracy"`` to one number per epoch)
    or such a dict itself, e.g. ``{"mistakes": perceptron.fit(...)}``.
    The default keys draw ``"loss"`` and, when it was recorded, ``"val_loss"``;
    ``keys=None`` draws every key; a key asked for by name must exist.
    Returns the Axes.
    """
    func = "plot_history"
    from mmlearn._validation import did_you_mean

    record = getattr(history, "history", history)
    if not isinstance(record, Mapping):
        raise TypeError(
            f"{func}: history must be a History (from model.fit) or a dict of name -> list of "
            f"numbers per epoch, got {type(history).__name__}"
        )
    if not record:
        raise ValueError(f"{func}: history is empty (was the model trained?)")
    if keys is None:
        chosen = list(record)
    else:
        if isinstance(keys, str):
            keys = (keys,)
        chosen = []
        defaults = keys == ("loss", "val_loss")
        for k in keys:
            if k in record:
                chosen.append(k)
            elif not (defaults and k == "val_loss"):
                raise ValueError(
                    f"{func}: history has no key {k!r}; it has {sorted(record)}"
                    + did_you_mean(k, list(record))
                )
    if not chosen:
        raise ValueError(f"{func}: keys must name at least one series, got {keys!r}")
    ax = _axes(ax, func)
    for k in chosen:
        values = _host(list(record[k]) if not is_array(record[k]) else record[k],
                       f"history[{k!r}]", func)
        if values.ndim != 1 or values.size == 0:
            raise ValueError(
                f"{func}: history[{k!r}] must be a non-empty list of numbers, one per epoch, "
                f"got shape {values.shape}"
            )
        marker = "o" if values.size <= 30 else None  # dots only while they can be told apart
        ax.plot(np.arange(1, values.size + 1), values, marker=marker, markersize=3, label=k)
    ax.set_xlabel("epoch")
    ax.set_ylabel(chosen[0] if len(chosen) == 1 else "value")
    ax.grid(True, alpha=0.3)
    if len(chosen) > 1:
        ax.legend()
    if title is not None:
        ax.set_title(title)
    return ax


# ----------------------------------------------------------------------------- attention


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
    A = _host(weights, "weights", func)
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
    ax.set_xlabel("key")
    ax.set_ylabel("query")
    if annotate:
        middle = (A.min() + A.max()) / 2
        for i in range(A.shape[0]):
            for j in range(A.shape[1]):
                ax.text(j, i, f"{A[i, j]:.2f}", ha="center", va="center", fontsize=8,
                        color="k" if A[i, j] > middle else "w")
    if colorbar:
        ax.figure.colorbar(image, ax=ax)
    if title is not None:
        ax.set_title(title)
    return ax


# ----------------------------------------------------------------------------- embeddings


def pca_2d(Z: Any) -> np.ndarray:
    """Project rows of ``Z`` (n, d), d >= 2, onto their first two principal components.

    Centre the rows, take the SVD ``Zc = U S Vᵀ`` and return ``Zc V[:, :2]``
    (a NumPy array of shape (n, 2)). Each component's sign is fixed so that its
    largest-magnitude entry is positive, so the picture does not flip between runs.
    """
    Zh = _host(Z, "Z", "pca_2d")
    if Zh.ndim != 2 or Zh.shape[1] < 2:
        raise ValueError(f"pca_2d: Z must have shape (n, d) with d >= 2, got {Zh.shape}")
    if Zh.shape[0] < 2:
        raise ValueError(f"pca_2d: Z needs at least 2 rows to find directions, got {Zh.shape[0]}")
    Zc = Zh - Zh.mean(axis=0)
    _, _, Vt = np.linalg.svd(Zc, full_matrices=False)
    V = Vt[:2].T
    signs = np.sign(V[np.argmax(np.abs(V), axis=0), [0, 1]])
    return Zc @ (V * np.where(signs == 0, 1.0, signs))


def plot_embeddings(
    Z: Any,
    labels: Any = None,
    ax: Any = None,
    *,
    title: str | None = None,
) -> Any:
    """Scatter embeddings ``Z`` (n, d) in the plane, one colour per label.

    Two-dimensional ``Z`` is drawn as it is (axes z1, z2); wider ``Z`` is first
    projected with :func:`pca_2d` (axes PC1, PC2). ``labels`` (n,) may be
    numbers or strings (e.g. ``"image"``/``"text"``); each distinct label is
    one scatter collection with a legend entry. Returns the Axes.
    """
    func = "plot_embeddings"
    Zh = _host(Z, "Z", func)
    if Zh.ndim != 2 or Zh.shape[1] < 2:
        raise ValueError(f"{func}: Z must have shape (n, d) with d >= 2, got {Zh.shape}")
    if Zh.shape[0] == 0:
        raise ValueError(f"{func}: Z is empty; expected at least one embedding")
    lab = None if labels is None else _labels(labels, Zh.shape[0], func, "labels", "Z")
    if Zh.shape[1] == 2:
        P, names = Zh, ("$z_1$", "$z_2$")
    else:
        P, names = pca_2d(Zh), ("PC1", "PC2")
    ax = _axes(ax, func)
    if lab is None:
        ax.scatter(P[:, 0], P[:, 1], s=20)
    else:
        for i, c in enumerate(np.unique(lab)):
            rows = lab == c
            ax.scatter(P[rows, 0], P[rows, 1], s=20, color=f"C{i % 10}", label=str(c))
        ax.legend()
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    if title is not None:
        ax.set_title(title)
    return ax


# Figures of particular chapters, each family in a file of its own; the public names are
# re-exported here, so a chapter writes ``viz.plot_roc(...)`` whatever file draws it.
from mmlearn.viz import (  # noqa: E402
    _concepts,
    _curves,
    _evaluation,
    _fusion,
    _graph,
    _neuron_diagrams,
    _reliability,
    _tools,
)
from mmlearn.viz._concepts import *  # noqa: E402, F403
from mmlearn.viz._curves import *  # noqa: E402, F403
from mmlearn.viz._evaluation import *  # noqa: E402, F403
from mmlearn.viz._fusion import *  # noqa: E402, F403
from mmlearn.viz._graph import *  # noqa: E402, F403
from mmlearn.viz._neuron_diagrams import *  # noqa: E402, F403
from mmlearn.viz._reliability import *  # noqa: E402, F403
from mmlearn.viz._tools import *  # noqa: E402, F403

__all__ += [*_concepts.__all__, *_curves.__all__, *_evaluation.__all__, *_fusion.__all__,
            *_graph.__all__, *_neuron_diagrams.__all__, *_reliability.__all__, *_tools.__all__]
