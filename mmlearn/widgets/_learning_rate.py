"""The learning-rate explorer: gradient descent's path on a narrow valley, and a verdict."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from mmlearn._i18n import N_
from mmlearn.widgets._common import (
    merge_messages,
    new_figure,
)
from mmlearn.widgets._playground import _pair, _Playground

__all__ = ["LearningRateExplorer", "gradient_descent_path", "learning_rate_explorer",
           "lr_verdict", "quadratic_loss"]


def gradient_descent_path(learning_rate: float, steps: int = 50,
                          curvatures: tuple[float, float] = (1.0, 10.0),
                          start: tuple[float, float] = (-2.0, 1.0)) -> np.ndarray:
    """Plain gradient descent w ← w − η ∇L(w) on L(w) = ½(a·w1² + b·w2²), (a, b) =
    ``curvatures``, from ``start``; returns the ``steps + 1`` points visited, shape
    (steps + 1, 2). Each coordinate is multiplied by (1 − η·curvature) per step, so the
    path diverges exactly when η > 2 / max(curvatures).
    """
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, int | float) \
            or not learning_rate > 0:
        raise ValueError(f"gradient_descent_path: learning_rate must be a number > 0, "
                         f"got {learning_rate!r}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"gradient_descent_path: steps must be an int >= 1, got {steps!r}")
    a = np.asarray(curvatures, dtype=np.float64)
    path = np.empty((steps + 1, 2))
    path[0] = start
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(steps):
            grad = a * path[t]                  # ∇L = (a·w1, b·w2)
            path[t + 1] = path[t] - learning_rate * grad
    return path


def quadratic_loss(path: np.ndarray, curvatures: tuple[float, float] = (1.0, 10.0)
                   ) -> np.ndarray:
    """L(w) = ½(a·w1² + b·w2²) at each point of ``path`` (n, 2)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return 0.5 * (np.asarray(path) ** 2 @ np.asarray(curvatures, dtype=np.float64))


def lr_verdict(losses: Sequence[float], good_ratio: float = 1e-2) -> str:
    """``"diverges"`` (the loss ends above where it started, or overflows), ``"good"``
    (it ends below ``good_ratio`` times its start) or ``"converges slowly"``."""
    losses = np.asarray(losses, dtype=np.float64)
    first, last = losses[0], losses[-1]
    if not np.all(np.isfinite(losses)) or last > first:
        return "diverges"
    if last <= good_ratio * first:
        return "good"
    return "converges slowly"


class LearningRateExplorer(_Playground):
    """A learning-rate slider (log scale) and a step count; shows gradient descent's path
    on a long, narrow quadratic valley and a verdict: diverges, converges slowly or good
    (:func:`gradient_descent_path`, :func:`lr_verdict`).

    Attributes: ``lr_slider``, ``steps_slider``, ``output``, ``plot``, ``path``,
    ``losses``, ``verdict``, ``text``.
    """

    LABELS: ClassVar[dict[str, str]] = {
        "output": N_("learning rate {lr:.3g}: {verdict} (loss {first:.3g} → {last:.3g} in "
                     "{steps} steps; it diverges above 2/{curvature:g} = {limit:.3g})"),
        "diverges": N_("diverges"),
        "converges slowly": N_("converges slowly"),
        "good": N_("good"),
        "zigzag": N_(" It zig-zags across the valley."),
        "lr": "η",
        "steps": N_("steps"),
    }
    kind = "learning-rate"

    def __init__(self, learning_rate: float = 0.05, *, steps: int = 30,
                 curvatures: tuple[float, float] = (1.0, 10.0),
                 start: tuple[float, float] = (-2.0, 1.0), max_steps: int = 200,
                 lr_range: tuple[float, float] = (1e-3, 1.0),
                 labels: Mapping[str, str] | None = None) -> None:
        import ipywidgets as w

        lab = merge_messages(self.LABELS, labels, type(self).__name__)
        lo, hi = _pair(lr_range, "lr_range", "learning_rate_explorer")
        if lo <= 0:
            raise ValueError(f"learning_rate_explorer: lr_range must be positive, got {lr_range}")
        self.curvatures = tuple(float(c) for c in curvatures)
        self.start = tuple(float(s) for s in start)
        self.lr_slider = w.FloatLogSlider(value=learning_rate, base=10, min=math.log10(lo),
                                          max=math.log10(hi), step=0.05,
                                          description=lab["lr"], readout_format=".3g",
                                          continuous_update=False)
        self.steps_slider = w.IntSlider(value=steps, min=1, max=max_steps,
                                        description=lab["steps"], continuous_update=False)
        self.lr_slider.add_class("mm-lr")
        self.steps_slider.add_class("mm-steps")
        g1, g2 = np.linspace(-2.6, 2.6, 80), np.linspace(-1.6, 1.6, 60)
        self._grid = np.meshgrid(g1, g2)
        self._setup(labels, [self.lr_slider, self.steps_slider])
        self._observe([self.lr_slider, self.steps_slider])
        self.update()

    def update(self) -> None:
        """Rerun gradient descent with the chosen rate and redraw."""
        lr, steps = self.lr_slider.value, self.steps_slider.value
        self.path = gradient_descent_path(lr, steps, self.curvatures, self.start)
        self.losses = quadratic_loss(self.path, self.curvatures)
        self.verdict = lr_verdict(self.losses)
        lab = self.labels
        curvature = max(self.curvatures)
        text = lab["output"].format(lr=lr, verdict=lab[self.verdict], first=self.losses[0],
                                    last=self.losses[-1], steps=steps, curvature=curvature,
                                    limit=2.0 / curvature)
        steep = int(np.argmax(self.curvatures))
        coords = self.path[:, steep]
        if np.sum(np.sign(coords[1:]) != np.sign(coords[:-1])) >= 2:
            text += lab["zigzag"]
        self._show_text(text)
        self._show_figure(self._figure())

    def _figure(self) -> Any:
        xx, yy = self._grid
        a, b = self.curvatures
        fig = new_figure(4.6, 3.0)
        ax = fig.add_subplot()
        ax.contour(xx, yy, 0.5 * (a * xx ** 2 + b * yy ** 2), levels=12, cmap="viridis",
                   linewidths=0.8)
        shown = self.path[np.all(np.abs(self.path) < 50, axis=1)]
        ax.plot(shown[:, 0], shown[:, 1], "o-", color="C3", markersize=3, linewidth=1)
        ax.plot([0], [0], "k+", markersize=10)
        ax.set_xlim(xx.min(), xx.max())
        ax.set_ylim(yy.min(), yy.max())
        ax.set_xlabel("$w_1$")
        ax.set_ylabel("$w_2$")
        ax.set_title(self.labels[self.verdict], fontsize=10)
        return fig


def learning_rate_explorer(learning_rate: float = 0.05, **kwargs: Any) -> LearningRateExplorer:
    """A :class:`LearningRateExplorer` (learning rate -> gradient-descent path and verdict)."""
    return LearningRateExplorer(learning_rate, **kwargs)
