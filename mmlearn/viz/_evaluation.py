"""Figures of chapter 7, *Applications* (re-exported by :mod:`mmlearn.viz`): how a model is
measured and where it fails.

The conventions of :mod:`mmlearn.viz` hold: each function draws on the Axes it is given
(the current Axes when None; a grid of Axes for the functions that draw several panels),
returns what it drew on, brings arrays to the host with ``to_numpy`` and imports matplotlib
only when called. The words on a figure (titles, labels) are arguments, so that a chapter
in another language can pass its own.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mmlearn._i18n import _
from mmlearn.viz import _common

__all__ = [
    "plot_confusion_matrix",
    "plot_image_grid",
    "plot_retrieval",
    "plot_roc",
    "plot_seed_spread",
    "roc_curve",
]

# the gid of the chance diagonal, so that several ROC curves on one Axes draw it once
_CHANCE_GID = "roc-chance"


def _names(names: Any, n: int, arg: str, func: str) -> list[str]:
    """``names`` as a list of ``n`` strings (``str(i)`` for each when None)."""
    if names is None:
        return [str(i) for i in range(n)]
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise TypeError(f"{func}: {arg} must be a list of str, got {type(names).__name__}")
    if len(names) != n:
        raise ValueError(f"{func}: {arg} has {len(names)} names, expected {n}")
    return [str(name) for name in names]


def _grid(axes: Any, nrows: int, ncols: int, func: str, width: float,
          height: float) -> np.ndarray:
    """``axes`` as an (nrows, ncols) array of Axes; a new figure of that grid when None."""
    if axes is None:
        plt = _common._pyplot()
        _, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows),
                               squeeze=False)
    grid = np.asarray(axes, dtype=object)
    if grid.size != nrows * ncols:
        raise ValueError(f"{func}: need {nrows} x {ncols} Axes, got {grid.size}")
    grid = grid.reshape(nrows, ncols)
    for ax in grid.ravel():
        _common._axes(ax, func)
    return grid


def _images(images: Any, image_shape: Any, func: str) -> np.ndarray:
    """Images (n, H*W) or (n, H, W) of any backend as an (n, H, W) NumPy array."""
    pictures = _common._host(images, "images", func)
    try:
        height, width = (int(v) for v in image_shape)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{func}: image_shape must be (height, width), got {image_shape!r}") \
            from err
    if pictures.ndim not in (2, 3) or pictures[0].size != height * width:
        raise ValueError(f"{func}: images must have shape (n, {height * width}) or "
                         f"(n, {height}, {width}), got {pictures.shape}")
    return pictures.reshape(-1, height, width)


# ----------------------------------------------------------------------------- ROC


def roc_curve(y_true: Any, scores: Any) -> tuple[np.ndarray, np.ndarray]:
    """The ROC curve of a ranking: false and true positive rates at every threshold.

    ``y_true`` (N,) holds 0 and 1 (both present), ``scores`` (N,) any real numbers, higher
    meaning "more likely 1". Calling every sample with score >= t positive, for t from
    above the highest score down to the lowest, gives one point (FPR, TPR) per distinct
    score. Returns ``(fpr, tpr)``, two NumPy arrays of the same length that start at
    (0, 0) and end at (1, 1). Tied scores move the curve diagonally, so the area under it
    (``np.trapezoid(tpr, fpr)``) is the AUC with ties counted one half.
    """
    s = _common._host(scores, "scores", "roc_curve").reshape(-1)
    y = _common._labels(y_true, s.size, "roc_curve", "y_true", "scores")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("roc_curve: y_true must hold 0 and 1 only")
    positives = int(y.sum())
    negatives = y.size - positives
    if positives == 0 or negatives == 0:
        raise ValueError("roc_curve: y_true needs both a 0 and a 1 (the curve compares "
                         "positives with negatives)")
    order = np.argsort(-s, kind="stable")
    s_sorted, y_sorted = s[order], y[order]
    # the last sample of each run of equal scores: a threshold falls after it
    ends = np.r_[np.flatnonzero(np.diff(s_sorted)), s.size - 1]
    true_pos = np.cumsum(y_sorted)[ends]
    false_pos = ends + 1 - true_pos
    return (np.r_[0.0, false_pos / negatives], np.r_[0.0, true_pos / positives])


def plot_roc(y_true: Any, scores: Any, ax: Any = None, *, label: str | None = None,
             show_auc: bool = True, color: str | None = None, chance: bool = True,
             chance_label: str = "chance", xlabel: str = "false positive rate",
             ylabel: str = "true positive rate", title: str | None = None) -> Any:
    """Draw the ROC curve of ``scores`` (N,) against the labels ``y_true`` (N,) of 0 and 1.

    The curve is :func:`roc_curve`'s; its legend entry is ``label`` followed, when
    ``show_auc``, by the area under it ("(AUC 0.936)"). With ``chance`` the diagonal of a
    random ranking (AUC 0.5) is drawn dashed, once per Axes however many curves share it.
    Returns the Axes.
    """
    fpr, tpr = roc_curve(y_true, scores)
    ax = _common._axes(ax, "plot_roc")
    text = label or ""
    if show_auc:
        area = float(np.trapezoid(tpr, fpr))
        text = f"{text} (AUC {area:.3f})" if text else f"AUC {area:.3f}"
    ax.plot(fpr, tpr, color=color, label=text or None, linewidth=2)
    if chance and not any(line.get_gid() == _CHANCE_GID for line in ax.get_lines()):
        ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1,
                label=_(chance_label), gid=_CHANCE_GID)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.set_aspect("equal")
    ax.set_xlabel(_(xlabel))
    ax.set_ylabel(_(ylabel))
    ax.grid(True, alpha=0.3)
    # the curves first, in the order drawn, and the chance line last
    handles, labels = ax.get_legend_handles_labels()
    order = sorted(range(len(handles)), key=lambda i: handles[i].get_gid() == _CHANCE_GID)
    ax.legend([handles[i] for i in order], [labels[i] for i in order],
              loc="lower right", fontsize=8)
    if title is not None:
        ax.set_title(title)
    return ax


# ----------------------------------------------------------------------------- confusion matrix


def plot_confusion_matrix(counts: Any, class_names: Sequence[str] | None = None,
                          ax: Any = None, *, show_zeros: bool = False,
                          cmap: str = "Blues", xlabel: str = "predicted class",
                          ylabel: str = "true class", title: str | None = None) -> Any:
    """Draw a confusion matrix as a heatmap with its count in every cell.

    ``counts`` (K, K): ``counts[i, j]`` samples of true class i predicted as class j
    (rows true, columns predicted). ``class_names`` (K,) label both axes. Zero cells stay
    blank unless ``show_zeros``, so the mistakes stand out. Returns the Axes.
    """
    table = _common._host(counts, "counts", "plot_confusion_matrix")
    if table.ndim != 2 or table.shape[0] != table.shape[1] or table.shape[0] == 0:
        raise ValueError(f"plot_confusion_matrix: counts must have shape (K, K), "
                         f"got {table.shape}")
    if (table < 0).any():
        raise ValueError("plot_confusion_matrix: counts must be >= 0")
    k = table.shape[0]
    names = _names(class_names, k, "class_names", "plot_confusion_matrix")
    ax = _common._axes(ax, "plot_confusion_matrix")
    ax.imshow(table, cmap=cmap, vmin=0)
    dark = table.max() / 2
    for i in range(k):
        for j in range(k):
            if table[i, j] or show_zeros:
                ax.text(j, i, f"{table[i, j]:g}", ha="center", va="center",
                        fontsize=9 if k <= 5 else 8,
                        color="white" if table[i, j] > dark else "black")
    # slanted column labels only when level ones would run into each other
    crowded = sum(len(name) + 2 for name in names) > 40
    ax.set_xticks(range(k), names, rotation=45 if crowded else 0,
                  ha="right" if crowded else "center")
    ax.set_yticks(range(k), names)
    ax.set_xlabel(_(xlabel))
    ax.set_ylabel(_(ylabel))
    if title is not None:
        ax.set_title(title)
    return ax


# ----------------------------------------------------------------------------- seeds


def plot_seed_spread(scores: Mapping[str, Any], ax: Any = None, *,
                     groups: Sequence[str] | None = None,
                     references: Mapping[str, float] | None = None,
                     reference_colors: Sequence[str] | None = None,
                     ylabel: str = "accuracy", title: str | None = None,
                     ylim: tuple[float, float] | None = None) -> Any:
    """Draw one score per seed for several models, so a reader sees how much seeds matter.

    ``scores`` maps a model's name to its scores over seeds: shape (S,), one score per
    seed, or (S, G), one per seed and group (e.g. per kind of sample; ``groups`` names
    the G groups). Each seed is a small dot, the mean a wide bar and the vertical line
    spans min to max; with groups, the models sit side by side within each group. Two
    models differ beyond the noise of seeds when their ranges do not overlap.
    ``references`` maps a label to a value drawn as a dashed horizontal line (an expected
    ceiling, chance), in ``reference_colors`` (grey by default). Returns the Axes.
    """
    if not isinstance(scores, Mapping) or not scores:
        raise TypeError("plot_seed_spread: scores must be a non-empty dict "
                        "{model name: scores over seeds}")
    table, n_groups = _score_table(scores)
    grouped = groups is not None or n_groups > 1
    if grouped:
        group_names = _names(groups, n_groups, "groups", "plot_seed_spread")
    ax = _common._axes(ax, "plot_seed_spread")

    n_models = len(table)
    step = 0.8 / n_models if grouped else 1.0      # room of one model within a group
    for m, (name, array) in enumerate(table.items()):
        centre = (np.arange(n_groups) - 0.4 + step * (m + 0.5)) if grouped else np.array([m])
        _draw_spread(ax, array, centre, step, f"C{m}", name if grouped else None)
    for r, (label, value) in enumerate((references or {}).items()):
        colors = reference_colors or []
        ax.axhline(float(value), linestyle="--", linewidth=1.2,
                   color=colors[r] if r < len(colors) else "grey", label=label)
    if grouped:
        ax.set_xticks(range(n_groups), group_names)
    else:
        ax.set_xticks(range(n_models), list(table))
    ax.set_xlim(-0.6, (n_groups if grouped else n_models) - 0.4)
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_ylabel(_(ylabel))
    ax.grid(True, axis="y", alpha=0.3)
    if grouped or references:
        ax.legend(fontsize=8)
    if title is not None:
        ax.set_title(title)
    return ax


def _score_table(scores: Mapping[str, Any]) -> tuple[dict[str, np.ndarray], int]:
    """Each model's scores as (S, G) host arrays, and the number of groups G they share."""
    table = {}
    for name, values in scores.items():
        array = _common._host(values, f"scores[{name!r}]", "plot_seed_spread")
        table[str(name)] = array[:, None] if array.ndim == 1 else array
        if table[str(name)].ndim != 2 or table[str(name)].size == 0:
            raise ValueError(f"plot_seed_spread: scores[{name!r}] must have shape (S,) or "
                             f"(S, G), got {array.shape}")
    n_groups = {a.shape[1] for a in table.values()}
    if len(n_groups) != 1:
        raise ValueError(f"plot_seed_spread: every model needs the same number of groups, "
                         f"got {sorted(n_groups)}")
    return table, n_groups.pop()


def _draw_spread(ax: Any, array: np.ndarray, centre: np.ndarray, step: float, color: str,
                 label: str | None) -> None:
    """One model's seeds per group: the dots, their range as a bar and their mean as a
    tick (``label`` on the first group's tick, for the legend)."""
    # the seeds spread a little sideways, so that equal scores stay visible
    jitter = np.linspace(-0.25, 0.25, array.shape[0]) * step * 0.6
    for g in range(array.shape[1]):
        column = array[:, g]
        ax.plot(centre[g] + jitter, column, "o", color=color, alpha=0.5, markersize=4)
        ax.plot([centre[g]] * 2, [column.min(), column.max()], color=color, linewidth=1.5)
        ax.plot(centre[g], column.mean(), "_", color=color, markersize=22 * step,
                markeredgewidth=2.5, label=label if g == 0 else None)


# ----------------------------------------------------------------------------- images


def plot_image_grid(images: Any, image_shape: Sequence[int],
                    titles: Sequence[str] | None = None, axes: Any = None, *,
                    ncols: int = 6, width: float = 1.9, height: float = 2.5,
                    wrap: int = 22, cmap: str = "gray_r") -> np.ndarray:
    """Draw flattened images in a grid, each with its caption wrapped under ``wrap`` chars.

    ``images`` (n, H*W) or (n, H, W), ``image_shape`` (H, W), ``titles`` (n,) or None.
    The grid has ``ncols`` columns and as many rows as needed; panels left over stay
    blank. Dark pixels are ink (``gray_r``). ``axes``: a grid of at least that many Axes,
    or None for a new figure of ``width`` x ``height`` inches per panel. Returns the
    (rows, ncols) array of Axes.
    """
    pictures = _images(images, image_shape, "plot_image_grid")
    n = pictures.shape[0]
    if isinstance(ncols, bool) or not isinstance(ncols, int) or ncols < 1:
        raise ValueError(f"plot_image_grid: ncols must be an int >= 1, got {ncols!r}")
    captions = _names(titles, n, "titles", "plot_image_grid") if titles is not None else None
    nrows = -(-n // ncols)
    grid = _grid(axes, nrows, ncols, "plot_image_grid", width, height)
    for ax in grid.ravel():
        ax.axis("off")
    for i, ax in enumerate(grid.ravel()[:n]):
        ax.imshow(pictures[i], cmap=cmap)
        if captions is not None:
            ax.set_title(textwrap.fill(captions[i], wrap), fontsize=8)
    grid[0, 0].figure.tight_layout()
    return grid


def plot_retrieval(similarity: Any, images: Any, image_shape: Sequence[int],
                   queries: Sequence[int], captions: Sequence[str], axes: Any = None, *,
                   k: int = 4, wrap: int = 22,
                   row_label: str = "'{caption}'\n(partner at rank {rank})",
                   title: str | None = None) -> np.ndarray:
    """Draw, for some text queries, the ``k`` images a retrieval model ranks highest.

    ``similarity`` (Q, Q): cosine similarity of caption q with image j, where image q is
    caption q's true partner; ``images`` (Q, H*W) the gallery, ``captions`` (Q,) its
    captions, ``queries`` the caption indices to show (one row each). Each panel shows an
    image with its similarity above it; the true partner, when among the ``k``, is framed
    in green. Each row is labelled with ``row_label`` filled with the query's caption and
    the partner's rank (1 = the top image). Returns the (len(queries), k) array of Axes.
    """
    sims = _common._host(similarity, "similarity", "plot_retrieval")
    if sims.ndim != 2 or sims.shape[0] != sims.shape[1]:
        raise ValueError(f"plot_retrieval: similarity must be square (Q, Q), got {sims.shape}")
    pictures = _images(images, image_shape, "plot_retrieval")
    size = sims.shape[0]
    if pictures.shape[0] != size:
        raise ValueError(f"plot_retrieval: {pictures.shape[0]} images for a {size} x {size} "
                         "similarity matrix")
    texts = _names(captions, size, "captions", "plot_retrieval")
    rows = [int(q) for q in queries]
    if not rows or not all(0 <= q < size for q in rows):
        raise ValueError(f"plot_retrieval: queries must be indices in [0, {size}), got {rows}")
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= size:
        raise ValueError(f"plot_retrieval: k must be an int in [1, {size}], got {k!r}")
    ranking = np.argsort(-sims, axis=1, kind="stable")
    grid = _grid(axes, len(rows), k, "plot_retrieval", 2.0, 2.2)
    for row, q in enumerate(rows):
        rank = int(np.flatnonzero(ranking[q] == q)[0]) + 1
        for col in range(k):
            j = ranking[q, col]
            ax = grid[row, col]
            ax.imshow(pictures[j], cmap="gray_r")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{sims[q, j]:.2f}", fontsize=8)
            if j == q:
                for spine in ax.spines.values():
                    spine.set_color("green")
                    spine.set_linewidth(3)
        label = _(row_label).format(caption=texts[q], rank=rank)
        grid[row, 0].set_ylabel("\n".join(textwrap.fill(part, wrap)
                                          for part in label.split("\n")), fontsize=8)
    figure = grid[0, 0].figure
    if title is not None:
        figure.suptitle(title)
    figure.tight_layout()
    return grid
