"""Figures for the book (re-exported by :mod:`mmlearn.viz`); see that module's conventions.

Chapter 10 (questions and answers): learning curves with their spread over seeds and the
expected ceilings, and the time of a training step against its arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mmlearn._i18n import _
from mmlearn.viz._common import _axes, _host

__all__ = ["plot_learning_curve", "plot_time_vs_flops"]


def _runs(values: Any, n_sizes: int, arg: str, func: str) -> np.ndarray:
    """Accuracies per seed, shape (runs, n_sizes); a single run (n_sizes,) becomes one row."""
    out = _host(values, arg, func)
    if out.ndim == 1:
        out = out[None, :]
    if out.ndim != 2 or out.shape[1] != n_sizes or out.shape[0] == 0:
        raise ValueError(f"{func}: {arg} must have shape (seeds, {n_sizes}) or ({n_sizes},), "
                         f"one column per training-set size, got {out.shape}")
    return out


def plot_learning_curve(
    sizes: Sequence[int] | Any,
    test: Any,
    train: Any = None,
    ax: Any = None,
    *,
    ceilings: Mapping[str, float] | None = None,
    test_label: str = "test",
    color: str = "C0",
    title: str | None = None,
) -> Any:
    """Draw a learning curve: accuracy against the number of training samples.

    ``sizes`` (S,) are the training-set sizes, all positive (the x-axis is logarithmic).
    ``test`` holds held-out accuracies of shape (R, S), one row per seed (or (S,) for a
    single run); ``train`` (optional, same shape) the accuracies on each model's own
    training samples. Each is drawn as its mean over the seeds, held-out solid and
    training dotted, with a shaded band from the lowest to the highest seed when R > 1.
    ``ceilings`` maps a label (e.g. ``"text: expected ceiling"``) to an accuracy drawn as a
    dashed horizontal line, in grey shades. Returns the Axes.
    """
    func = "plot_learning_curve"
    n = _host(sizes, "sizes", func)
    if n.ndim != 1 or n.size < 2:
        raise ValueError(f"{func}: sizes must have shape (S,) with S >= 2, got {n.shape}")
    if np.any(n <= 0) or np.any(np.diff(n) <= 0):
        raise ValueError(f"{func}: sizes must be positive and increasing (log axis), "
                         f"got {n.tolist()}")
    curves = [(_(test_label), _runs(test, n.size, "test", func), "o-")]
    if train is not None:
        curves.append((_("training"), _runs(train, n.size, "train", func), "s:"))
    if ceilings is not None and not isinstance(ceilings, Mapping):
        raise TypeError(f"{func}: ceilings must be a dict label -> accuracy, "
                        f"got {type(ceilings).__name__}")
    ax = _axes(ax, func)
    for label, runs, style in curves:
        mean = runs.mean(axis=0)
        ax.plot(n, mean, style, color=color,
                label=_("{label} (mean of {runs})").format(label=label, runs=runs.shape[0])
                if runs.shape[0] > 1 else label)
        if runs.shape[0] > 1:
            ax.fill_between(n, runs.min(axis=0), runs.max(axis=0), color=color, alpha=0.2,
                            linewidth=0)
    for i, (label, value) in enumerate((ceilings or {}).items()):
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not math.isfinite(value):
            raise TypeError(f"{func}: ceiling {label!r} must be a finite number, got {value!r}")
        ax.axhline(value, color=f"{0.15 + 0.35 * (i % 2):.2f}", linestyle="--",
                   linewidth=1, label=str(label))
    ax.set_xscale("log")
    ax.set_xticks(n, [f"{v:g}" for v in n])
    ax.minorticks_off()
    ax.set_xlabel(_("training samples"))
    ax.set_ylabel(_("accuracy"))
    ax.legend(fontsize="small", loc="lower right")
    if title is not None:
        ax.set_title(title)
    return ax


def _decades(low: float, high: float, lo_limit: float, hi_limit: float) -> tuple[float, float]:
    """The fixed limits, widened by whole decades only if a point falls outside them."""
    while low < lo_limit:
        lo_limit /= 10
    while high > hi_limit:
        hi_limit *= 10
    return lo_limit, hi_limit


def plot_time_vs_flops(
    flops: Any,
    seconds: Any,
    labels: Sequence[str] | None = None,
    ax: Any = None,
    *,
    xlim: tuple[float, float] = (1e5, 1e9),
    ylim_ms: tuple[float, float] = (1e-2, 1e2),
    title: str | None = None,
) -> Any:
    """Draw the time of a training step against its FLOPs, log-log, with a slope-1 line.

    ``flops`` (n,) are the floating-point operations of one step of each model, ``seconds``
    (n,) its measured time in seconds (drawn in milliseconds); ``labels`` (n,) optional
    names written beside the points. The dashed reference line passes through the point
    with the most FLOPs and has slope 1: where time grew in proportion to the arithmetic,
    the points would lie on it; points above it to the left are steps whose time is
    mostly fixed overhead. The axes are fixed (``xlim``, ``ylim_ms``, equal decades, so
    slope 1 is the diagonal), so two runs give comparable pictures; they widen by whole
    decades only if a point would fall outside. Returns the Axes.
    """
    func = "plot_time_vs_flops"
    f = _host(flops, "flops", func)
    t = _host(seconds, "seconds", func)
    if f.ndim != 1 or f.size == 0 or f.shape != t.shape:
        raise ValueError(f"{func}: flops and seconds must have the same shape (n,), "
                         f"got {f.shape} and {t.shape}")
    if np.any(f <= 0) or np.any(t <= 0):
        raise ValueError(f"{func}: flops and seconds must be positive (log axes)")
    if labels is not None and (isinstance(labels, str) or len(labels) != f.size):
        raise ValueError(f"{func}: labels must be a list of {f.size} names, got {labels!r}")
    for name, (low, high) in (("xlim", xlim), ("ylim_ms", ylim_ms)):
        if not 0 < low < high:
            raise ValueError(f"{func}: {name} must be (low, high) with 0 < low < high, "
                             f"got {(low, high)}")
    ms = 1000 * t
    ax = _axes(ax, func)
    x0, x1 = _decades(float(f.min()), float(f.max()), *xlim)
    y0, y1 = _decades(float(ms.min()), float(ms.max()), *ylim_ms)
    top = int(np.argmax(f))
    line = np.array([x0, x1])
    ax.plot(line, ms[top] * line / f[top], "k--", linewidth=1,
            label=_("time proportional to FLOPs (slope 1)"))
    ax.plot(f, ms, "o-", color="C0", label=_("measured"))
    for i, name in enumerate(labels or []):
        ax.annotate(str(name), (f[i], ms[i]), textcoords="offset points", xytext=(6, -12),
                    fontsize="small")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel(_("FLOPs per training step"))
    ax.set_ylabel(_("milliseconds per step"))
    ax.legend(fontsize="small", loc="upper left")
    if title is not None:
        ax.set_title(title)
    return ax
