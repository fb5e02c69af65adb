"""Figures of chapter 3 (re-exported by :mod:`mmlearn.viz`); see that module's conventions.

* :func:`plot_graph` draws a small directed acyclic graph as boxes and arrows, data
  flowing from left to right; :func:`plot_computational_graph` draws the graph of a
  scalar autograd engine's values (micrograd style: ``data``, ``grad``, ``_op`` and
  ``_children``), each box with its operation, value and gradient.

The loss surfaces and gradient checks of the same chapter are drawn in ``_optimization``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mmlearn.viz._common import _axes

__all__ = ["plot_computational_graph", "plot_graph"]

# Box colours by the role of a node: an input (no incoming edge), an operation, the output
# (no outgoing edge).
_KIND_COLOURS = {"input": "#dbe9f6", "op": "#fde9d4", "output": "#d9f0d3"}


# ----------------------------------------------------------------------------- graphs


def _check_edges(n: int, edges: Any, func: str) -> list[tuple[int, int]]:
    if isinstance(edges, str | bytes | Mapping) or not isinstance(edges, Sequence):
        raise TypeError(f"{func}: edges must be a list of (source, target) index pairs, "
                        f"got {type(edges).__name__}")
    out = []
    for k, edge in enumerate(edges):
        if not (isinstance(edge, Sequence) and len(edge) == 2
                and all(isinstance(i, int | np.integer) and not isinstance(i, bool)
                        for i in edge)):
            raise TypeError(f"{func}: edges[{k}] must be a pair of node indices, got {edge!r}")
        src, dst = int(edge[0]), int(edge[1])
        if not (0 <= src < n and 0 <= dst < n):
            raise ValueError(f"{func}: edges[{k}] = {edge!r} refers to a node outside "
                             f"0..{n - 1}")
        if src == dst:
            raise ValueError(f"{func}: edges[{k}] = {edge!r} joins node {src} to itself")
        out.append((src, dst))
    return out


def _topological(n: int, inputs: list[list[int]], outputs: list[list[int]],
                 func: str) -> list[int]:
    """Kahn's algorithm: every node after its inputs; a cycle is an error."""
    missing = [len(set(inputs[v])) for v in range(n)]
    ready = [v for v in range(n) if missing[v] == 0]
    order = []
    while ready:
        v = ready.pop(0)
        order.append(v)
        for w in dict.fromkeys(outputs[v]):
            missing[w] -= 1
            if missing[w] == 0:
                ready.append(w)
    if len(order) < n:
        raise ValueError(f"{func}: the edges contain a cycle; a computational graph is "
                         "acyclic")
    return order


def _layout(n: int, edges: list[tuple[int, int]], func: str) -> tuple[np.ndarray, np.ndarray]:
    """Column and row of every node.

    Column: the longest path from an input, so every arrow points right; an input sits just
    left of its first consumer rather than far away in column 0. Row: a tree layout grown
    back from the outputs, inputs in consecutive rows in the order they are reached and
    every operation level with the middle of its inputs, then nudged apart where two nodes
    of a column would overlap.
    """
    inputs: list[list[int]] = [[] for _ in range(n)]
    outputs: list[list[int]] = [[] for _ in range(n)]
    for src, dst in edges:
        inputs[dst].append(src)
        outputs[src].append(dst)
    order = _topological(n, inputs, outputs, func)

    col = np.zeros(n)
    for v in order:
        if inputs[v]:
            col[v] = 1 + max(col[u] for u in inputs[v])
    for v in range(n):
        if not inputs[v] and outputs[v]:
            col[v] = min(col[w] for w in outputs[v]) - 1

    row = np.full(n, np.nan)
    next_row = 0.0
    for root in reversed(order):  # outputs first (latest in the order)
        if outputs[root] or not np.isnan(row[root]):
            continue
        # Iterative post-order walk, so that deep graphs do not hit the recursion limit.
        stack = [(root, False)]
        while stack:
            v, expanded = stack.pop()
            if not np.isnan(row[v]):
                continue
            if not inputs[v]:
                row[v], next_row = next_row, next_row + 1
            elif expanded:
                row[v] = float(np.mean([row[u] for u in inputs[v]]))
            else:
                stack.append((v, True))
                stack.extend((u, False) for u in reversed(inputs[v]))
    for c in np.unique(col):  # at least one row between two boxes of the same column
        members = sorted(np.nonzero(col == c)[0], key=lambda v: row[v])
        for above, below in zip(members, members[1:], strict=False):
            row[below] = max(row[below], row[above] + 1)
    return col, row


def plot_graph(
    labels: Sequence[str],
    edges: Sequence[tuple[int, int]],
    ax: Any = None,
    *,
    kinds: Sequence[str] | None = None,
    fontsize: float = 8,
) -> Any:
    """Draw a directed acyclic graph: one box per node, one arrow per edge.

    ``labels[i]`` is the text of node ``i`` (it may have several lines). ``edges`` is a
    list of pairs ``(source, target)`` of node indices: the source is an input of the
    target, and the arrow points from source to target, so data flows from left to right
    (a node's column is the longest path to it from an input). A pair given twice (a node
    used twice by one operation, as in ``d * d``) is drawn as two bent arrows.
    ``kinds[i]`` (optional) is ``"input"``, ``"op"`` or ``"output"`` and sets the box
    colour; by default nodes without incoming edges are inputs and nodes without outgoing
    edges are outputs.

    The Axes gets one patch per node (``ax.patches[:len(labels)]``, a
    ``FancyBboxPatch``) followed by one ``FancyArrowPatch`` per edge, and one text per
    node; its axis is switched off. Choose a figure about 1.6 inches wide per column and
    0.6 inches high per input. Returns the Axes.
    """
    func = "plot_graph"
    if isinstance(labels, str | bytes) or not isinstance(labels, Sequence) or not labels:
        raise TypeError(f"{func}: labels must be a non-empty list of strings, got "
                        f"{type(labels).__name__}")
    if not all(isinstance(text, str) for text in labels):
        raise TypeError(f"{func}: every label must be a str")
    n = len(labels)
    pairs = _check_edges(n, edges, func)
    kinds = _node_kinds(kinds, n, pairs, func)
    col, row = _layout(n, pairs, func)
    ax = _axes(ax, func)
    from matplotlib.patches import FancyBboxPatch

    width, height = 0.8, 0.8  # a box in units of one column and one row
    for v in range(n):
        ax.add_patch(FancyBboxPatch((col[v] - width / 2, -row[v] - height / 2), width, height,
                                    boxstyle="round,pad=0,rounding_size=0.08",
                                    facecolor=_KIND_COLOURS[kinds[v]], edgecolor="0.3",
                                    linewidth=0.8))
        ax.text(col[v], -row[v], labels[v], ha="center", va="center", fontsize=fontsize,
                family="monospace")
    _draw_edges(ax, pairs, col, row, width)
    ax.set_xlim(col.min() - 0.5, col.max() + 0.5)
    ax.set_ylim(-row.max() - 0.5, -row.min() + 0.5)
    ax.axis("off")
    return ax


def _node_kinds(kinds: Sequence[str] | None, n: int, pairs: list[tuple[int, int]],
                func: str) -> list[str]:
    """Each node's kind: as given, or input (no incoming edge), output (no outgoing edge)
    or op."""
    if kinds is None:
        has_in = {dst for _, dst in pairs}
        has_out = {src for src, _ in pairs}
        return ["input" if v not in has_in else "output" if v not in has_out else "op"
                for v in range(n)]
    if len(kinds) != n or any(k not in _KIND_COLOURS for k in kinds):
        raise ValueError(f"{func}: kinds must have one entry per node, each one of "
                         f"{list(_KIND_COLOURS)}, got {list(kinds)!r}")
    return list(kinds)


def _draw_edges(ax: Any, pairs: list[tuple[int, int]], col: np.ndarray, row: np.ndarray,
                width: float) -> None:
    """One arrow per edge, from the right side of the source's box to the left of the
    target's."""
    from matplotlib.patches import FancyArrowPatch

    seen: dict[tuple[int, int], int] = {}
    for src, dst in pairs:
        # A node used twice by the same operation (d * d) gets two arrows, bent apart.
        copies, k = pairs.count((src, dst)), seen.get((src, dst), 0)
        seen[(src, dst)] = k + 1
        start, end = (col[src] + width / 2, -row[src]), (col[dst] - width / 2, -row[dst])
        length = math.hypot(end[0] - start[0], end[1] - start[1])
        # arc3's rad is relative to the arrow's length: bend the copies about 0.15 apart
        bend = 0.0 if copies == 1 else min(1.0, 0.3 / length) * (k - (copies - 1) / 2)
        ax.add_patch(FancyArrowPatch(start, end,
                                     connectionstyle=f"arc3,rad={bend}",
                                     arrowstyle="-|>", mutation_scale=9, color="0.35",
                                     linewidth=0.8, shrinkA=0, shrinkB=0))


def _walk(root: Any, func: str) -> list[Any]:
    """Every value ``root`` was computed from, and ``root``, each after its children."""
    order: list[Any] = []
    seen: set[int] = set()
    stack = [(root, False)]
    while stack:
        v, expanded = stack.pop()
        if expanded:
            order.append(v)
            continue
        if id(v) in seen:
            continue
        for attr in ("data", "grad"):
            if not hasattr(v, attr):
                raise TypeError(f"{func}: every node needs .data, .grad and ._children "
                                f"(micrograd's Value); {type(v).__name__} has no .{attr}")
        seen.add(id(v))
        stack.append((v, True))
        stack.extend((c, False) for c in reversed(tuple(_children(v))))
    return order


def _children(v: Any) -> tuple:
    for attr in ("_children", "_prev"):  # this book's name, and micrograd's
        if hasattr(v, attr):
            return tuple(getattr(v, attr))
    return ()


def plot_computational_graph(
    root: Any,
    ax: Any = None,
    *,
    names: Mapping[Any, str] | None = None,
    precision: int = 3,
    fontsize: float = 8,
) -> Any:
    """Draw the computational graph that produced the scalar ``root``.

    ``root`` is a node of a scalar autograd engine in the style of micrograd: it has
    ``data`` and ``grad`` (numbers), ``_op`` (the operation that made it, ``""`` for an
    input) and ``_children`` (or micrograd's ``_prev``: the nodes it was computed from).
    Each node becomes a box with three lines: its name (from ``names``, a dict keyed by
    the node objects, e.g. ``{w1: "w1"}``) and/or its operation (``"const"`` for an
    unnamed input), its value ``data`` and its gradient ``grad``, with ``precision``
    decimals. An arrow runs from each child to the node computed from it (two arrows for
    a child used twice); backward runs along the arrows in reverse. Returns the Axes (see
    :func:`plot_graph`).
    """
    func = "plot_computational_graph"
    if isinstance(precision, bool) or not isinstance(precision, int) or precision < 0:
        raise ValueError(f"{func}: precision must be an int >= 0, got {precision!r}")
    names = {} if names is None else names
    if not isinstance(names, Mapping):
        raise TypeError(f"{func}: names must be a dict from nodes to names, got "
                        f"{type(names).__name__}")
    named = {id(node): str(name) for node, name in names.items()}
    nodes = _walk(root, func)
    index = {id(v): i for i, v in enumerate(nodes)}
    labels = []
    for v in nodes:
        op = str(getattr(v, "_op", "") or "")
        name = named.get(id(v))
        title = f"{name}: {op}" if name and op else name or op or "const"
        labels.append(f"{title}\ndata {float(v.data):.{precision}f}\n"
                      f"grad {float(v.grad):.{precision}f}")
    edges = [(index[id(c)], index[id(v)]) for v in nodes for c in _children(v)]
    return plot_graph(labels, edges, ax, fontsize=fontsize)
