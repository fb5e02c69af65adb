"""Figures of chapters 1 and 2 (re-exported by :mod:`mmlearn.viz`).

The conventions of :mod:`mmlearn.viz` hold: each function draws on the Axes it is given
(the current Axes when None; a row of Axes for the functions that draw several panels),
returns what it drew on, brings arrays to the host with ``to_numpy`` and imports matplotlib
only when called. The words on a figure (titles, labels) are arguments, so that a chapter
in another language can pass its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mmlearn._i18n import _
from mmlearn.viz import _common

__all__ = [
    "plot_accuracy_bars",
    "plot_accuracy_curves",
    "plot_concept_map",
    "plot_curve_fits",
    "plot_image_row",
    "plot_loss_vs_size",
    "plot_modalities",
    "plot_theory_vs_measured",
]


def _row_axes(axes: Any, n: int, func: str, width: float = 2.5,
              height: float = 3.2) -> np.ndarray:
    """``axes`` as a flat array of ``n`` Axes; a new row of ``n`` panels when None."""
    plt = _common._pyplot()
    if axes is None:
        _, axes = plt.subplots(1, n, figsize=(width * n, height), squeeze=False)
    flat = np.asarray(axes, dtype=object).reshape(-1)
    if flat.size != n:
        raise ValueError(f"{func}: need {n} Axes, got {flat.size}")
    for ax in flat:
        _common._axes(ax, func)
    return flat


def _series(values: Any, arg: str, func: str) -> np.ndarray:
    """Values as a (points, runs) float array: a 1-d series is one run."""
    out = _common._host(values, arg, func)
    if out.ndim == 1:
        out = out[:, None]
    if out.ndim != 2 or out.shape[0] == 0 or out.shape[1] == 0:
        raise ValueError(f"{func}: {arg} must have shape (points,) or (points, runs), "
                         f"got {out.shape}")
    return out


def plot_image_row(images: Any, *, image_shape: tuple[int, int] | None = None,
                   titles: Sequence[str] | None = None,
                   xlabels: Sequence[str] | None = None, axes: Any = None,
                   cmap: str = "gray", fontsize: float = 9) -> np.ndarray:
    """Draw ``images`` side by side, one per Axes, without ticks.

    ``images`` has shape ``(n, height, width)``, or ``(n, pixels)`` with ``image_shape``
    given; ``titles`` go above and ``xlabels`` below the pictures (``n`` strings each).
    Returns the ``n`` Axes as a 1-d array.
    """
    func = "plot_image_row"
    pictures = _common._host(images, "images", func)
    if image_shape is not None:
        pictures = pictures.reshape(len(pictures), *image_shape)
    if pictures.ndim != 3:
        raise ValueError(f"{func}: images must have shape (n, height, width), or "
                         f"(n, pixels) with image_shape, got {pictures.shape}")
    n = len(pictures)
    for arg, texts in (("titles", titles), ("xlabels", xlabels)):
        if texts is not None and len(texts) != n:
            raise ValueError(f"{func}: {arg} has {len(texts)} strings for {n} images")
    flat = _row_axes(axes, n, func)
    for i, (ax, picture) in enumerate(zip(flat, pictures, strict=True)):
        ax.imshow(picture, cmap=cmap)
        if titles is not None:
            ax.set_title(titles[i], fontsize=fontsize)
        if xlabels is not None:
            ax.set_xlabel(xlabels[i], fontsize=fontsize)
        ax.set_xticks([])
        ax.set_yticks([])
    return flat


def plot_modalities(image: Any, audio: Any, spectrogram: Any, *,
                    titles: Sequence[str] = ("image", "audio", "spectrogram"),
                    axes: Any = None) -> np.ndarray:
    """One sample of three modalities, drawn as a reader would look at them.

    ``image`` ``(height, width)`` as a grey picture, ``audio`` ``(samples,)`` as a waveform
    over time, ``spectrogram`` ``(bands, frames)`` as a heat map with low bands at the
    bottom. Returns the three Axes.
    """
    func = "plot_modalities"
    picture = _common._host(image, "image", func)
    wave = _common._host(audio, "audio", func)
    spec = _common._host(spectrogram, "spectrogram", func)
    if picture.ndim != 2 or wave.ndim != 1 or spec.ndim != 2:
        raise ValueError(f"{func}: need image (height, width), audio (samples,) and "
                         f"spectrogram (bands, frames), got {picture.shape}, {wave.shape}, "
                         f"{spec.shape}")
    flat = _row_axes(axes, 3, func, width=4.3)
    flat[0].imshow(picture, cmap="gray")
    flat[0].set_xticks([])
    flat[0].set_yticks([])
    flat[1].plot(wave)
    flat[1].set_xlabel(_("time step"))
    flat[2].imshow(spec, aspect="auto", origin="lower")
    flat[2].set_xlabel(_("time frame"))
    flat[2].set_ylabel(_("band"))
    for ax, title in zip(flat, titles, strict=True):
        ax.set_title(_(title))
    return flat


def plot_accuracy_bars(accuracies: Mapping[str, float], *,
                       ceilings: Mapping[str, float] | None = None,
                       chance: float | None = 0.5, colors: Sequence[str] | None = None,
                       ceiling_label: str = "expected ceiling", ax: Any = None) -> Any:
    """One bar per model with its accuracy written on it.

    ``ceilings`` maps some of the models to the accuracy they can expect at best: each is
    drawn as a dashed line across that model's bar. ``chance`` is a dotted line across
    the plot (None for none).
    """
    func = "plot_accuracy_bars"
    ax = _common._axes(ax, func)
    names = list(accuracies)
    values = [float(accuracies[name]) for name in names]
    colors = list(colors) if colors is not None else [f"C{i}" for i in range(len(names))]
    bars = ax.bar(names, values, color=colors)
    for bar, value in zip(bars, values, strict=True):
        ax.text(bar.get_x() + bar.get_width() / 2, value - 0.08, f"{value:.1%}",
                ha="center", color="white", fontweight="bold")
    labelled = False
    for name, ceiling in (ceilings or {}).items():
        if name not in accuracies:
            raise ValueError(f"{func}: ceiling for {name!r}, which has no accuracy")
        bar = bars[names.index(name)]
        ax.hlines(float(ceiling), bar.get_x() - 0.08, bar.get_x() + bar.get_width() + 0.08,
                  colors="k", linestyles="--",
                  label=None if labelled else _(ceiling_label))
        labelled = True
    if chance is not None:
        ax.axhline(chance, color="gray", linestyle=":", label=_("chance"))
    ax.set_ylim(0, 1.2)
    ax.set_ylabel(_("test accuracy"))
    ax.legend(loc="upper left")
    return ax


def plot_theory_vs_measured(x: Any, theory: Mapping[str, Any], measured: Mapping[str, Any],
                            *, chance: float | None = 0.5, ax: Any = None) -> Any:
    """Curves of a formula (lines) and of an experiment (dots), one colour per name.

    ``theory`` and ``measured`` map the same names to values at the points ``x``.
    """
    func = "plot_theory_vs_measured"
    ax = _common._axes(ax, func)
    xs = _common._host(x, "x", func)
    if set(theory) != set(measured):
        raise ValueError(f"{func}: theory and measured must have the same names, got "
                         f"{sorted(theory)} and {sorted(measured)}")
    for i, name in enumerate(theory):
        color = f"C{i}"
        ax.plot(xs, _common._host(theory[name], name, func), color=color,
                label=_("{name} (theory)").format(name=name))
        ax.plot(xs, _common._host(measured[name], name, func), "o", color=color,
                markersize=4, label=_("{name} (measured)").format(name=name))
    if chance is not None:
        ax.axhline(chance, color="gray", linestyle=":", linewidth=1)
    ax.set_ylabel(_("test accuracy"))
    ax.legend(ncol=2, fontsize=8)
    return ax


def plot_accuracy_curves(sizes: Sequence[int], curves: Mapping[str, Any], *,
                         references: Mapping[str, float] | None = None,
                         colors: Sequence[str] | None = None, spread: str = "range",
                         ticklabels: Sequence[str] | None = None,
                         ax: Any = None) -> Any:
    """Test accuracy of several models against the training-set size, with the spread.

    (For one model together with its training accuracy, see ``plot_learning_curve``.)

    ``curves`` maps a model name to its accuracies, shape ``(len(sizes), runs)``: the dots
    are the mean over runs and the bars the lowest and highest run (``spread="range"``) or
    one standard deviation either side (``spread="std"``). ``references`` maps a label to a
    level drawn as a horizontal line (a ceiling, zero-shot, chance). The x axis is
    logarithmic and labelled with the sizes themselves, or with ``ticklabels``.
    """
    func = "plot_accuracy_curves"
    ax = _common._axes(ax, func)
    if spread not in ("range", "std"):
        raise ValueError(f"{func}: spread must be 'range' or 'std', got {spread!r}")
    xs = _common._host(sizes, "sizes", func)
    if ticklabels is not None and len(ticklabels) != xs.size:
        raise ValueError(f"{func}: {len(ticklabels)} ticklabels for {xs.size} sizes")
    colors = list(colors) if colors is not None else [f"C{i}" for i in range(len(curves))]
    for (name, values), color in zip(curves.items(), colors, strict=True):
        runs = _series(values, name, func)
        if runs.shape[0] != xs.size:
            raise ValueError(f"{func}: {name!r} has {runs.shape[0]} rows for "
                             f"{xs.size} sizes")
        mean = runs.mean(axis=1)
        if spread == "std":
            bars = runs.std(axis=1)
        else:
            bars = np.stack([mean - runs.min(axis=1), runs.max(axis=1) - mean])
        ax.errorbar(xs, mean, yerr=bars, fmt="o-", color=color, capsize=3, label=name)
    styles = ["--", ":", "-.", (0, (1, 3))]
    for i, (label, level) in enumerate((references or {}).items()):
        ax.axhline(float(level), color="k" if i == 0 else "gray",
                   linestyle=styles[i % len(styles)], linewidth=1, label=label)
    ax.set_xscale("log")
    ax.set_xticks(xs, list(ticklabels) if ticklabels is not None
                  else [f"{int(s)}" for s in xs])
    ax.minorticks_off()
    ax.set_xlabel(_("training samples"))
    ax.set_ylabel(_("test accuracy"))
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return ax


def plot_concept_map(boxes: Mapping[str, tuple[float, float, str, str]],
                     arrows: Sequence[tuple[str, tuple[float, float], tuple[float, float],
                                            tuple[float, float], str]], *,
                     highlight: Sequence[str] = (), box_size: tuple[float, float] = (4.8, 1.3),
                     ax: Any = None) -> Any:
    """Boxes joined by labelled arrows.

    ``boxes`` maps a name to ``(centre x, centre y, title, subtitle)``; ``arrows`` lists
    ``(label, start, end, label position, alignment)`` with alignment ``"left"``,
    ``"right"`` or ``"center"`` (a centred label sits above its point). The boxes named in
    ``highlight`` are blue, the others grey. The Axes is set to fit the boxes, without axes.
    """
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    func = "plot_concept_map"
    ax = _common._axes(ax, func)
    width, height = box_size
    for name, (x, y, title, subtitle) in boxes.items():
        colour = "#dbe9f6" if name in highlight else "#f2f2f2"
        ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                    boxstyle="round,pad=0.06", facecolor=colour,
                                    edgecolor="#333333", linewidth=1.5))
        ax.text(x, y + 0.2, title, ha="center", va="center", fontsize=13, weight="bold")
        ax.text(x, y - 0.25, subtitle, ha="center", va="center", fontsize=11,
                style="italic")
    for label, start, end, where, align in arrows:
        if align not in ("left", "right", "center"):
            raise ValueError(f"{func}: alignment must be 'left', 'right' or 'center', "
                             f"got {align!r}")
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=20,
                                     linewidth=1.8, color="#1f4e79"))
        ax.text(*where, label, ha=align, va="bottom" if align == "center" else "center",
                fontsize=11, color="#1f4e79")
    xs = [b[0] for b in boxes.values()]
    ys = [b[1] for b in boxes.values()]
    ax.set_xlim(min(xs) - width / 2 - 0.3, max(xs) + width / 2 + 0.3)
    ax.set_ylim(min(ys) - height / 2 - 0.3, max(ys) + height / 2 + 0.3)
    ax.axis("off")
    return ax


def plot_curve_fits(x: Any, y: Any, x_fine: Any, fits: Mapping[str, Any], *,
                    ax: Any = None) -> Any:
    """Training points ``(x, y)`` as black dots and each fitted curve over ``x_fine``.

    ``x`` and ``y`` have shape ``(points,)`` or ``(points, 1)``; ``fits`` maps a label to
    a model's predictions at ``x_fine``, same shapes.
    """
    func = "plot_curve_fits"
    ax = _common._axes(ax, func)
    ax.plot(_common._host(x, "x", func).reshape(-1), _common._host(y, "y", func).reshape(-1),
            "k.", markersize=3, label=_("training data"))
    grid = _common._host(x_fine, "x_fine", func).reshape(-1)
    for label, values in fits.items():
        ax.plot(grid, _common._host(values, label, func).reshape(-1), label=label)
    ax.set_xlabel("x")
    ax.legend(fontsize=8)
    return ax


def plot_loss_vs_size(sizes: Mapping[str, Any], losses: Mapping[str, Any], *,
                      ax: Any = None) -> Any:
    """Final training loss against the number of parameters, log-log, one line per family.

    ``sizes`` maps a family name (``"depth 2"``) to its parameter counts ``(points,)``,
    ``losses`` to its losses ``(points, seeds)``: every seed is a faint dot, the line joins
    the medians.
    """
    func = "plot_loss_vs_size"
    ax = _common._axes(ax, func)
    if set(sizes) != set(losses):
        raise ValueError(f"{func}: sizes and losses must have the same names")
    for i, name in enumerate(sizes):
        counts = _common._host(sizes[name], name, func)
        runs = _series(losses[name], name, func)
        if runs.shape[0] != counts.size:
            raise ValueError(f"{func}: {name!r} has {runs.shape[0]} rows of losses for "
                             f"{counts.size} sizes")
        color = f"C{i}"
        ax.loglog(np.repeat(counts, runs.shape[1]), runs.reshape(-1), ".", color=color,
                  alpha=0.4)
        ax.loglog(counts, np.median(runs, axis=1), "o-", color=color, label=name)
    ax.set_xlabel(_("number of parameters"))
    ax.set_ylabel(_("final training MSE"))
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return ax
