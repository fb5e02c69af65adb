"""Figures for the book (re-exported by :mod:`mmlearn.viz`); see that module's conventions.

Chapter 9 (trends and challenges): scores over seeds as grouped bars and as curves with
their spread, an emoji drawn as ink on paper, a saliency map, and the reliability diagram
with the number of samples in each confidence bin.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mmlearn._i18n import _
from mmlearn.viz._common import _axes, _host, _pyplot

__all__ = [
    "plot_curves_over_seeds",
    "plot_emoji",
    "plot_grouped_bars",
    "plot_reliability_diagram",
    "plot_saliency",
]


def _runs(values: Any, width: int, arg: str, func: str) -> np.ndarray:
    """Scores as (runs, width): one run of shape (width,) becomes a single row."""
    out = _host(values, arg, func)
    if out.ndim == 1:
        out = out[None, :]
    if out.ndim != 2 or out.shape[0] == 0 or out.shape[1] != width:
        raise ValueError(f"{func}: {arg} must have shape ({width},) or (runs, {width}), "
                         f"got {out.shape}")
    return out


def _series(values: Any, func: str) -> Mapping[str, Any]:
    if not isinstance(values, Mapping) or not values:
        raise TypeError(f"{func}: expected a non-empty dict label -> scores, "
                        f"got {type(values).__name__}")
    return values


def plot_grouped_bars(
    values: Mapping[str, Any],
    groups: Sequence[str],
    ax: Any = None,
    *,
    ceilings: Mapping[str, float] | None = None,
    ceiling_label: str = "one modality, expected",
    ylabel: str | None = None,
    ylim: tuple[float, float] | None = None,
    title: str | None = None,
    legend_loc: str = "best",
) -> Any:
    """Draw scores as bars, one cluster per group and one bar per label in each cluster.

    ``values`` maps a label (e.g. ``"modality dropout 0.3"``) to its scores, shape
    ``(G,)`` for one run or ``(runs, G)`` for several seeds, where G = ``len(groups)``.
    A bar is the mean over the runs; with more than one run a black line spans the
    lowest to the highest run, so a reader sees whether a difference is larger than the
    spread over seeds. ``ceilings`` maps a group to a value drawn as a dashed line over
    that group's cluster (e.g. the expected accuracy of one modality), labelled
    ``ceiling_label`` once; the legend goes to ``legend_loc``. Returns the Axes.
    """
    func = "plot_grouped_bars"
    names = [str(g) for g in groups]
    if not names:
        raise ValueError(f"{func}: groups must name at least one group")
    table = {str(k): _runs(v, len(names), f"values[{k!r}]", func)
             for k, v in _series(values, func).items()}
    ceilings = dict(ceilings or {})
    unknown = [g for g in ceilings if g not in names]
    if unknown:
        raise ValueError(f"{func}: ceilings name groups {unknown} that are not in {names}")
    ax = _axes(ax, func)
    width = 0.8 / len(table)
    centres = np.arange(len(names))
    for k, (label, runs) in enumerate(table.items()):
        x = centres - 0.4 + width * (k + 0.5)
        mean = runs.mean(axis=0)
        ax.bar(x, mean, width=width * 0.95, color=f"C{k % 10}", label=label)
        if runs.shape[0] > 1:
            ax.vlines(x, runs.min(axis=0), runs.max(axis=0), color="k", linewidth=1.5)
    labelled = False                        # one legend entry for all the ceilings
    for j, group in enumerate(names):
        if group in ceilings:
            ax.hlines(ceilings[group], j - 0.45, j + 0.45, colors="k", linestyles="--",
                      linewidth=1.2, label=None if labelled else _(ceiling_label))
            labelled = True
    ax.set_xticks(centres, names)
    if ylim is not None:
        ax.set_ylim(*ylim)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    if title is not None:
        ax.set_title(title)
    ax.grid(True, axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    ax.legend(fontsize=8, loc=legend_loc)
    return ax


def plot_curves_over_seeds(
    x: Any,
    curves: Mapping[str, Any],
    ax: Any = None,
    *,
    dotted: Sequence[str] = (),
    ceiling: float | None = None,
    ceiling_label: str = "one modality, expected",
    log: bool = False,
    xlabel: str | None = None,
    ylabel: str | None = None,
    title: str | None = None,
) -> Any:
    """Draw curves against ``x``, each as its mean over seeds with a band from min to max.

    ``x`` has shape ``(P,)``; ``curves`` maps a label to shape ``(P,)`` (one run) or
    ``(runs, P)``. Labels listed in ``dotted`` are drawn as dotted black lines (e.g. a
    confidence beside accuracies). ``ceiling`` adds a dashed horizontal line labelled
    ``ceiling_label``; ``log`` makes the y-axis logarithmic. Returns the Axes.
    """
    func = "plot_curves_over_seeds"
    xs = _host(x, "x", func)
    if xs.ndim != 1 or xs.size < 2:
        raise ValueError(f"{func}: x must have shape (P,) with P >= 2, got {xs.shape}")
    table = {str(k): _runs(v, xs.size, f"curves[{k!r}]", func)
             for k, v in _series(curves, func).items()}
    missing = [d for d in dotted if d not in table]
    if missing:
        raise ValueError(f"{func}: dotted names {missing}, which are not among the curves "
                         f"{list(table)}")
    if log and any(np.any(runs <= 0) for runs in table.values()):
        raise ValueError(f"{func}: log=True needs positive values")
    ax = _axes(ax, func)
    colour = 0
    for label, runs in table.items():
        if label in dotted:
            style = {"color": "k", "linestyle": ":", "marker": None}
        else:
            style = {"color": f"C{colour % 10}", "linestyle": "-", "marker": "o"}
            colour += 1
        ax.plot(xs, runs.mean(axis=0), markersize=4, label=label, **style)
        if runs.shape[0] > 1:
            ax.fill_between(xs, runs.min(axis=0), runs.max(axis=0), color=style["color"],
                            alpha=0.2, linewidth=0)
    if ceiling is not None:
        ax.axhline(ceiling, color="k", linestyle="--", linewidth=1, label=_(ceiling_label))
    if log:
        ax.set_yscale("log")
    for setter, text in ((ax.set_xlabel, xlabel), (ax.set_ylabel, ylabel),
                         (ax.set_title, title)):
        if text is not None:
            setter(text)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return ax


def _picture(image: Any, func: str) -> np.ndarray:
    """An image as (H, W); a flat square image (H*H,) is folded into its square."""
    out = _host(image, "image", func)
    if out.ndim == 1:
        side = int(round(np.sqrt(out.size)))
        if side * side != out.size or side == 0:
            raise ValueError(f"{func}: a flat image must have a square number of pixels, "
                             f"got {out.size}")
        out = out.reshape(side, side)
    if out.ndim != 2 or 0 in out.shape:
        raise ValueError(f"{func}: image must have shape (H, W) or (H*W,), got {out.shape}")
    return out


def plot_emoji(image: Any, ax: Any = None, *, title: str | None = None,
               ylabel: str | None = "row") -> Any:
    """Draw one emoji as dark ink on light paper (``gray_r``, range of its own pixels).

    ``image`` has shape ``(H, W)``, or ``(H*H,)`` for a flattened square image. The
    colour range is the image's own minimum to maximum, so no pixel is clipped; the
    y-axis counts pixel rows (the keys of the chapter's row attention), labelled
    ``ylabel``. Returns the Axes.
    """
    func = "plot_emoji"
    picture = _picture(image, func)
    ax = _axes(ax, func)
    ax.imshow(picture, cmap="gray_r", interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks(range(0, picture.shape[0], 3 if picture.shape[0] > 8 else 1))
    if ylabel is not None:
        ax.set_ylabel(_(ylabel))
    if title is not None:
        ax.set_title(title)
    return ax


def plot_saliency(values: Any, ax: Any = None, *, title: str | None = None,
                  colorbar: bool = True) -> Any:
    """Draw a signed map such as a saliency dL/dx: red positive, blue negative, white 0.

    ``values`` has shape ``(H, W)``, or ``(H*H,)`` for a flattened square image. The
    colour range is symmetric, ±max|values|, so white always means zero. Returns the Axes.
    """
    func = "plot_saliency"
    picture = _picture(values, func)
    ax = _axes(ax, func)
    limit = float(np.abs(picture).max()) or 1.0     # an all-zero map is drawn white
    image = ax.imshow(picture, cmap="coolwarm", vmin=-limit, vmax=limit,
                      interpolation="nearest")
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.046)
    if title is not None:
        ax.set_title(title)
    return ax


def plot_reliability_diagram(
    confidence: Any,
    correct: Any,
    axes: Any = None,
    *,
    n_bins: int = 10,
    title: str | None = None,
) -> np.ndarray:
    """Draw a reliability diagram: accuracy per confidence bin, and the samples per bin.

    ``confidence`` (N,) holds each prediction's confidence in [0, 1] and ``correct`` (N,)
    1 where it was right, 0 where not. Bin b holds b / n_bins <= c < (b + 1) / n_bins
    (c = 1 joins the last bin). The upper panel draws each non-empty bin's accuracy as a
    bar over the bin, its mean confidence as a black tick, and the diagonal of perfect
    calibration; the lower panel draws the number of samples in each bin, on a log axis
    with the count written above it, since a confident model puts nearly every sample in
    the last bin. ``axes``: two Axes (upper, lower), or None for a new figure. Returns
    the two Axes as an array.
    """
    func = "plot_reliability_diagram"
    c, ok = _calibration_data(confidence, correct, func)
    if isinstance(n_bins, bool) or not isinstance(n_bins, int) or n_bins < 1:
        raise ValueError(f"{func}: n_bins must be an int >= 1, got {n_bins!r}")
    axes = _two_panels(axes, func)
    top, bottom = (_axes(a, func) for a in axes)
    bins = np.minimum((c * n_bins).astype(int), n_bins - 1)
    counts = np.bincount(bins, minlength=n_bins)
    filled = np.flatnonzero(counts)
    left = filled / n_bins
    accuracy = np.array([ok[bins == b].mean() for b in filled])
    mean_confidence = np.array([c[bins == b].mean() for b in filled])
    top.bar(left, accuracy, width=1 / n_bins, align="edge", color="C0", alpha=0.75,
            edgecolor="C0", label=_("accuracy in the bin"))
    top.hlines(mean_confidence, left, left + 1 / n_bins, colors="k", linewidth=2,
               label=_("mean confidence in the bin"))
    top.plot([0, 1], [0, 1], "--", color="0.4", linewidth=1, label=_("perfect calibration"))
    top.set_xlim(0, 1)
    top.set_ylim(0, 1.05)
    top.set_ylabel(_("accuracy"))
    top.legend(fontsize=8, loc="upper left")
    if title is not None:
        top.set_title(title)
    _draw_bin_counts(bottom, left, counts, filled, n_bins)
    return axes


def _calibration_data(confidence: Any, correct: Any, func: str) -> tuple[np.ndarray, np.ndarray]:
    """Confidences (N,) in [0, 1] and 0/1 outcomes (N,), on the host."""
    c = _host(confidence, "confidence", func)
    ok = _host(correct, "correct", func)
    if c.ndim != 1 or c.size == 0:
        raise ValueError(f"{func}: confidence must have shape (N,) with N >= 1, "
                         f"got {c.shape}")
    if ok.shape != c.shape:
        raise ValueError(f"{func}: correct has shape {ok.shape}, confidence {c.shape}")
    if np.any((c < 0) | (c > 1)):
        raise ValueError(f"{func}: confidences must lie in [0, 1]")
    if not np.all((ok == 0) | (ok == 1)):
        raise ValueError(f"{func}: correct must hold 0 and 1 only")
    return c, ok


def _two_panels(axes: Any, func: str) -> np.ndarray:
    """The (upper, lower) Axes given, or a new figure's, the lower a third as high."""
    if axes is None:
        _, axes = _pyplot().subplots(2, 1, figsize=(5, 5.2), sharex=True,
                                     height_ratios=[3, 1])
    axes = np.asarray(axes, dtype=object).ravel()
    if axes.size != 2:
        raise ValueError(f"{func}: axes must be two Axes (upper, lower), got {axes.size}")
    return axes


def _draw_bin_counts(ax: Any, left: np.ndarray, counts: np.ndarray, filled: np.ndarray,
                     n_bins: int) -> None:
    """Samples per non-empty bin, on a log axis, each count written above its bar."""
    ax.bar(left, counts[filled], width=1 / n_bins, align="edge", color="0.6")
    for x, n in zip(left, counts[filled], strict=True):
        ax.text(x + 0.5 / n_bins, n, str(n), ha="center", va="bottom", fontsize=8)
    ax.set_yscale("log")
    ax.set_ylim(0.5, counts.max() * 8)
    ax.set_xlim(0, 1)
    ax.set_xlabel(_("confidence"))
    ax.set_ylabel(_("samples"))
