"""Figures of chapter 4, the neuron's math (re-exported by :mod:`mmlearn.viz`).

The conventions of :mod:`mmlearn.viz` hold: each function draws on the Axes it is given
(the current Axes when None; a pair of Axes for the before/after picture), returns what it
drew on, brings arrays to the host with ``to_numpy`` and imports matplotlib only when
called. The words on a figure (titles, captions) are arguments, so that a chapter in
another language can pass its own.

* :func:`plot_neuron_diagram` draws y = f(Σᵢ wᵢ xᵢ + b) as a picture: inputs, weighted
  arrows, a summing node with its bias, the activation and the output; symbols only, or
  the numbers of a given neuron and sample.
* :func:`plot_hidden_remap` draws a dataset before and after a hidden layer: the points in
  input space with the hidden neurons' lines, and the same points in the hidden space,
  where an output neuron's line may separate them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mmlearn._i18n import _
from mmlearn.viz import _common

__all__ = ["plot_hidden_remap", "plot_neuron_diagram"]

# Layout of the neuron diagram, in data units of an Axes with equal aspect.
_INPUT_X, _SUM_X, _ACT_X, _OUT_X = 1.0, 5.0, 8.0, 10.2
_NODE_R, _SUM_R = 0.38, 0.62
_ROW = 1.25  # vertical distance between two inputs
_NODE_STYLE = dict(facecolor="white", edgecolor="k", linewidth=1.4)


def _number(v: float) -> str:
    """A number as a reader writes it: 0.5, -0.25, 1 (at most 4 significant digits)."""
    text = f"{v:.4g}"
    return "0" if text == "-0" else text


def _neuron_parts(neuron: Any, func: str) -> tuple[np.ndarray, float, str]:
    """(weights (n,), bias, activation name) of a neuron-like object."""
    if not hasattr(neuron, "weights") or not hasattr(neuron, "bias"):
        raise TypeError(f"{func}: neuron must have .weights and .bias (an mm.Neuron), "
                        f"got {type(neuron).__name__}")
    weights = _common._host(neuron.weights, "neuron.weights", func)
    if weights.ndim != 1 or weights.size == 0:
        raise ValueError(f"{func}: neuron.weights must have shape (n,) with n >= 1, "
                         f"got {weights.shape}")
    bias = float(_common._host(np.asarray(neuron.bias).reshape(()), "neuron.bias", func))
    activation = getattr(getattr(neuron, "activation", None), "name", "f")
    return weights, bias, str(activation)


def _arrow(ax: Any, start: tuple[float, float], end: tuple[float, float],
           r_start: float, r_end: float, **style: Any) -> tuple[np.ndarray, np.ndarray]:
    """An arrow between two nodes, from the edge of one to the edge of the other."""
    a, b = np.asarray(start, dtype=float), np.asarray(end, dtype=float)
    unit = (b - a) / np.linalg.norm(b - a)
    tail, head = a + r_start * unit, b - r_end * unit
    ax.annotate("", xy=tuple(head), xytext=tuple(tail),
                arrowprops=dict(arrowstyle="-|>", color=style.get("color", "k"),
                                linewidth=1.4, shrinkA=0, shrinkB=0, mutation_scale=14))
    return tail, head


def plot_neuron_diagram(
    neuron: Any = None,
    x: Any = None,
    ax: Any = None,
    *,
    captions: Sequence[str] = ("inputs", "weights", "sum and bias", "activation",
                               "output"),
    title: str | None = None,
) -> Any:
    """Draw a neuron y = f(Σᵢ wᵢ xᵢ + b): inputs, weighted arrows, Σ + b, f, then y.

    Without ``neuron`` the diagram is symbolic: inputs x₁, x₂, ..., xₙ, weights w₁, ...,
    wₙ, a bias b, an activation f. With ``neuron`` (an ``mm.Neuron``: ``weights`` of shape
    ``(n,)``, a number ``bias``, an ``activation``) its n weights, its bias and its
    activation's name are written on the diagram; with a sample ``x`` of shape ``(n,)``
    too, the inputs show their values, the arrow into f its pre-activation
    ``z = w·x + b`` and the output ``y = neuron(x)``. ``captions`` name the five parts
    under the diagram (inputs, weights, sum and bias, activation, output). Returns the
    Axes (drawn without axis lines, at equal aspect).
    """
    func = "plot_neuron_diagram"
    if len(captions) != 5:
        raise ValueError(f"{func}: captions must be 5 strings (inputs, weights, sum and "
                         f"bias, activation, output), got {len(captions)}")
    text = _diagram_texts(neuron, x, func)
    ax = _common._axes(ax, func)
    n = len(text["nodes"])
    rows = np.arange(n)[::-1] * _ROW
    if text["dots"]:  # x_1 and x_2 move up, to make room for the dots before x_n
        rows = rows + np.where(np.arange(n) < n - 1, 0.5, 0.0)
    middle = (rows.max() + rows.min()) / 2
    _draw_inputs(ax, text, rows, middle)
    top = _draw_sum_to_output(ax, text, rows, middle)

    bottom = rows.min() - 0.9
    for cx, caption in zip((_INPUT_X, (_INPUT_X + _SUM_X) / 2, _SUM_X, _ACT_X, _OUT_X),
                           captions, strict=True):
        ax.text(cx, bottom, _(caption), ha="center", va="top", fontsize=9, color="0.35")
    ax.set_xlim(-0.3 if text["names"] else 0.2, _OUT_X + 1.5)
    ax.set_ylim(bottom - 0.55, top + 0.75)
    ax.set_aspect("equal")
    ax.axis("off")
    if title is not None:
        ax.set_title(title)
    return ax


def _draw_inputs(ax: Any, text: dict[str, Any], rows: np.ndarray, middle: float) -> None:
    """The input nodes (with their names beside values), the dots before x_n, and one
    weighted arrow from each input to the sum."""
    from matplotlib.patches import Circle

    for row, label in zip(rows, text["nodes"], strict=True):
        ax.add_patch(Circle((_INPUT_X, row), _NODE_R, **_NODE_STYLE))
        ax.text(_INPUT_X, row, label, ha="center", va="center", fontsize=11)
    for row, name in zip(rows[:len(text["names"])], text["names"], strict=True):
        # x_i beside its value, when the nodes show values
        ax.text(_INPUT_X - _NODE_R - 0.1, row, name, ha="right", va="center",
                fontsize=10, color="0.35")
    if text["dots"]:
        ax.text(_INPUT_X, (rows[-2] + rows[-1]) / 2, r"$\vdots$", ha="center",
                va="center", fontsize=14)
    for row, weight in zip(rows, text["weights"], strict=True):
        tail, head = _arrow(ax, (_INPUT_X, row), (_SUM_X, middle), _NODE_R, _SUM_R)
        at = tail + 0.42 * (head - tail)
        ax.text(at[0], at[1], weight, ha="center", va="center", fontsize=11, color="C0",
                bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="none"))


def _draw_sum_to_output(ax: Any, text: dict[str, Any], rows: np.ndarray,
                        middle: float) -> float:
    """Σ with the bias arrow into it, the activation box, z on the arrow between them and
    y after; returns the height of the bias label (the diagram's top)."""
    from matplotlib.patches import Circle, FancyBboxPatch

    ax.add_patch(Circle((_SUM_X, middle), _SUM_R, **_NODE_STYLE))
    ax.text(_SUM_X, middle, r"$\Sigma$", ha="center", va="center", fontsize=17)
    top = max(rows.max(), middle + 1.6)
    _arrow(ax, (_SUM_X, top), (_SUM_X, middle), 0.0, _SUM_R)
    ax.text(_SUM_X, top + 0.1, text["bias"], ha="center", va="bottom", fontsize=11,
            color="C1")

    half = max(0.5, 0.08 * len(text["activation"]) + 0.25)  # the box fits the name
    ax.add_patch(FancyBboxPatch((_ACT_X - half, middle - 0.4), 2 * half, 0.8,
                                boxstyle="round,pad=0.05", **_NODE_STYLE))
    ax.text(_ACT_X, middle, text["activation"], ha="center", va="center", fontsize=12)
    tail, head = _arrow(ax, (_SUM_X, middle), (_ACT_X, middle), _SUM_R, half + 0.05)
    ax.text((tail[0] + head[0]) / 2, middle + 0.12, text["z"], ha="center", va="bottom",
            fontsize=11)
    _arrow(ax, (_ACT_X, middle), (_OUT_X - 0.45, middle), half + 0.05, 0.0)
    ax.text(_OUT_X - 0.35, middle, text["y"], ha="left", va="center", fontsize=12)
    return top


def _diagram_texts(neuron: Any, x: Any, func: str) -> dict[str, Any]:
    """What the neuron diagram writes: symbols, or the numbers of a neuron and a sample."""
    if neuron is None:
        if x is not None:
            raise ValueError(f"{func}: x given without a neuron to compute with")
        # x_1, x_2, dots, x_n: the diagram stands for any number of inputs
        return dict(nodes=["$x_1$", "$x_2$", "$x_n$"], names=[], dots=True,
                    weights=["$w_1$", "$w_2$", "$w_n$"], bias="$b$", activation="$f$",
                    z="$z$", y="$y$")
    w, b, activation = _neuron_parts(neuron, func)
    symbols = [f"$x_{i}$" if i < 10 else f"$x_{{{i}}}$" for i in range(1, w.size + 1)]
    text = dict(nodes=symbols, names=[], dots=False, weights=[_number(v) for v in w],
                bias=f"b = {_number(b)}", activation=activation, z="$z$", y="$y$")
    if x is not None:
        sample = _common._host(x, "x", func).reshape(-1)
        if sample.shape != w.shape:
            raise ValueError(f"{func}: x must have shape {w.shape} (one value per weight), "
                             f"got {sample.shape}")
        text.update(nodes=[_number(v) for v in sample], names=symbols,
                    z=f"z = {_number(float(sample @ w + b))}",
                    y=f"y = {_number(float(neuron(sample.tolist())))}")
    return text


# ----------------------------------------------------------------------------- hidden space


def _pair_axes(axes: Any, func: str) -> np.ndarray:
    """``axes`` as a flat array of two Axes; a new row of two panels when None."""
    plt = _common._pyplot()
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 4.6))
    flat = np.asarray(axes, dtype=object).reshape(-1)
    if flat.size != 2:
        raise ValueError(f"{func}: need 2 Axes (before, after), got {flat.size}")
    for ax in flat:
        _common._axes(ax, func)
    return flat


def _limits(P: np.ndarray, padding: float) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = P.min(axis=0), P.max(axis=0)
    span = np.where(hi - lo > 0, hi - lo, 1.0)
    return lo - padding * span, hi + padding * span


def _line_in_box(w: np.ndarray, b: float, lo: np.ndarray,
                 hi: np.ndarray) -> np.ndarray | None:
    """The two ends of the segment of w·p + b = 0 inside the box [lo, hi], or None."""
    ends = []
    for axis in (0, 1):  # where the line crosses the box's vertical, then horizontal sides
        other = 1 - axis
        if w[other] == 0:
            continue
        for edge in (lo[axis], hi[axis]):
            value = -(w[axis] * edge + b) / w[other]
            if lo[other] - 1e-12 <= value <= hi[other] + 1e-12:
                point = np.empty(2)
                point[axis], point[other] = edge, value
                ends.append(point)
    if len(ends) < 2:
        return None
    ends = np.array(ends)
    far = np.argmax(np.linalg.norm(ends - ends[0], axis=1))
    return np.array([ends[0], ends[far]])


def _scatter_named(ax: Any, P: np.ndarray, labels: np.ndarray, names: Sequence[str],
                   class_names: dict, joiner: str = ", ") -> None:
    """Scatter points by class and write each point's name beside it; points that land
    on (almost) the same spot share one label, their names joined, so a merge shows."""
    for c in np.unique(labels):
        rows = labels == c
        ax.scatter(P[rows, 0], P[rows, 1], s=70, color=f"C{int(c) % 10}", edgecolors="k",
                   zorder=3, label=class_names[c])
    middle = (np.mean(ax.get_xlim()), np.mean(ax.get_ylim()))
    # Points closer than 4% of the panel would print their names on top of each other.
    near = 0.04 * max(np.ptp(ax.get_xlim()), np.ptp(ax.get_ylim()))
    seen: list[tuple[np.ndarray, list[str]]] = []
    for point, name in zip(P, names, strict=True):
        for spot, group in seen:
            if np.linalg.norm(spot - point) < near:
                group.append(name)
                break
        else:
            seen.append((point, [name]))
    for point, group in seen:
        # the label goes towards the middle of the panel, so it stays inside
        right, top = point[0] > middle[0], point[1] > middle[1]
        ax.annotate(joiner.join(group), tuple(point), xytext=(-8 if right else 8,
                                                             -10 if top else 8),
                    textcoords="offset points", ha="right" if right else "left",
                    va="top" if top else "bottom", fontsize=10, zorder=4)


def plot_hidden_remap(
    X: Any,
    H: Any,
    y: Any,
    axes: Any = None,
    *,
    hidden: Sequence[Any] | None = None,
    output: Any = None,
    titles: Sequence[str] = ("input space", "hidden space"),
    hidden_names: Sequence[str] = ("$h_1$", "$h_2$"),
    point_names: Sequence[str] | None = None,
    padding: float = 0.5,
) -> np.ndarray:
    """Draw points before and after a hidden layer of two neurons: the before/after picture.

    ``X`` ``(n, 2)`` are the inputs, ``H`` ``(n, 2)`` the hidden layer's outputs for them
    (row i of ``H`` belongs to row i of ``X``) and ``y`` ``(n,)`` their classes. The left
    Axes shows ``X`` and the right one ``H``. Every point carries its name from
    ``point_names`` (default A, B, C, ...) in both panels, and its coordinates in input
    space too, so a reader can follow it; points that the hidden layer sends to the same
    spot (closer than 4% of the panel) share one label.

    ``hidden`` (optional): the two hidden neurons (objects with ``weights`` (2,) and a
    ``bias``, such as ``mm.Neuron``); each one's line ``w·x + b = 0`` is drawn dashed in
    input space, named by ``hidden_names``, with an arrow along ``w`` towards the side
    where its pre-activation is positive. ``output`` (optional): a neuron reading the
    hidden space; the hidden plane is coloured by its class (``w·h + b > 0`` is class 1)
    and its line drawn in black. ``padding`` widens each panel around its points by that
    fraction of their span. Returns the two Axes as a 1-d array.
    """
    func = "plot_hidden_remap"
    Xh, Hh, labels = _remap_points(X, H, y, func)
    _check_remap_options(titles, hidden_names, hidden, padding, func)
    before, after = _pair_axes(axes, func)
    names = _point_names(point_names, Xh.shape[0], func)
    located = [f"{name} (" + ", ".join(_number(v) for v in row) + ")"
               for name, row in zip(names, Xh, strict=True)]
    class_names = {c: _("class {c}").format(c=c) for c in np.unique(labels)}

    lo, hi = _limits(Xh, padding)
    before.set_xlim(lo[0], hi[0])
    before.set_ylim(lo[1], hi[1])
    for j, unit in enumerate(hidden or []):
        _draw_hidden_line(before, unit, j, hidden_names[j], lo, hi, func)
    _scatter_named(before, Xh, labels, located, class_names, joiner="\n")

    lo, hi = _limits(Hh, padding)
    after.set_xlim(lo[0], hi[0])
    after.set_ylim(lo[1], hi[1])
    if output is not None:
        _draw_output_side(after, output, lo, hi, func)
    _scatter_named(after, Hh, labels, names, class_names)

    for ax, title, axis_names in ((before, titles[0], ("$x_1$", "$x_2$")),
                                  (after, titles[1], tuple(hidden_names))):
        ax.set_title(_(title))
        ax.set_xlabel(axis_names[0])
        ax.set_ylabel(axis_names[1])
        ax.set_aspect("equal")
    after.legend(loc="lower left", fontsize=9)
    return np.array([before, after], dtype=object)


def _remap_points(X: Any, H: Any, y: Any,
                  func: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """X (n, 2), H (n, 2) (row i the hidden output of row i of X) and y (n,), on the host."""
    Xh = _common._host(X, "X", func)
    Hh = _common._host(H, "H", func)
    for arg, P in (("X", Xh), ("H", Hh)):
        if P.ndim != 2 or P.shape[1] != 2 or P.shape[0] == 0:
            raise ValueError(f"{func}: {arg} must have shape (n, 2) with n >= 1, "
                             f"got {P.shape}")
    if Hh.shape[0] != Xh.shape[0]:
        raise ValueError(f"{func}: H has {Hh.shape[0]} rows but X has {Xh.shape[0]}; "
                         "row i of H must be the hidden output of row i of X")
    return Xh, Hh, _common._labels(y, Xh.shape[0], func)


def _check_remap_options(titles: Sequence[str], hidden_names: Sequence[str],
                         hidden: Sequence[Any] | None, padding: Any, func: str) -> None:
    if len(titles) != 2 or len(hidden_names) != 2:
        raise ValueError(f"{func}: titles and hidden_names must hold 2 strings each")
    if hidden is not None and len(hidden) != 2:
        raise ValueError(f"{func}: hidden must be the 2 hidden neurons, got {len(hidden)}")
    if isinstance(padding, bool) or not isinstance(padding, int | float) or padding < 0:
        raise ValueError(f"{func}: padding must be a number >= 0, got {padding!r}")


def _point_names(point_names: Sequence[str] | None, n: int, func: str) -> list[str]:
    """One name per point: ``point_names``, or A, B, C, ... by default."""
    if point_names is None:
        if n > 26:
            raise ValueError(f"{func}: {n} points are too many to name A-Z; "
                             "pass point_names")
        point_names = [chr(ord("A") + i) for i in range(n)]
    if len(point_names) != n:
        raise ValueError(f"{func}: point_names has {len(point_names)} names for "
                         f"{n} points")
    return [str(name) for name in point_names]


def _draw_hidden_line(ax: Any, unit: Any, j: int, name: str, lo: np.ndarray, hi: np.ndarray,
                      func: str) -> None:
    """Hidden neuron j's line w·x + b = 0, dashed, with its name and an arrow along w."""
    w, b, _ = _neuron_parts(unit, func)
    if w.shape != (2,):
        raise ValueError(f"{func}: hidden neuron {j} must have 2 weights, got {w.shape}")
    segment = _line_in_box(w, b, lo, hi)
    if segment is None:
        return
    ax.plot(segment[:, 0], segment[:, 1], "--", color=f"C{j + 2}", linewidth=1.5)
    # The name sits a quarter along the visible segment; the arrow shows w's side.
    at = segment[0] + 0.25 * (segment[1] - segment[0])
    step = 0.12 * float(np.min(hi - lo)) * w / np.linalg.norm(w)
    ax.annotate("", xy=tuple(at + step), xytext=tuple(at),
                arrowprops=dict(arrowstyle="->", color=f"C{j + 2}", linewidth=1.5))
    ax.text(*(at - 0.6 * step), name, color=f"C{j + 2}", fontsize=12,
            ha="center", va="center")


def _draw_output_side(ax: Any, output: Any, lo: np.ndarray, hi: np.ndarray,
                      func: str) -> None:
    """The hidden plane coloured by the output neuron's class, and its line in black."""
    w, b, _ = _neuron_parts(output, func)
    if w.shape != (2,):
        raise ValueError(f"{func}: output must have 2 weights (one per hidden neuron), "
                         f"got {w.shape}")
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200))
    side = (w[0] * g0 + w[1] * g1 + b > 0).astype(float)
    ax.contourf(g0, g1, side, levels=[-0.5, 0.5, 1.5], colors=["C0", "C1"],
                alpha=0.25)
    segment = _line_in_box(w, b, lo, hi)
    if segment is not None:
        ax.plot(segment[:, 0], segment[:, 1], color="k", linewidth=1.5)
