"""The neuron playground: sliders for w, b and x, an activation, and what comes out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mmlearn import activations as acts
from mmlearn._i18n import N_
from mmlearn.backend import asarray, to_numpy
from mmlearn.neuron import Neuron
from mmlearn.widgets._common import (
    fmt,
    merge_messages,
    new_figure,
)
from mmlearn.widgets._playground import _pair, _Playground, _slider

__all__ = ["NeuronPlayground", "NeuronReport", "neuron_playground", "neuron_report"]


@dataclass(frozen=True)
class NeuronReport:
    """One neuron evaluated on one input: z = w·x + b, y = f(z), and how to say it."""

    z: float
    y: float
    activation: str
    text: str          # "z = w·x + b = 0.70, y = sigmoid(z) = 0.668"
    detail: str        # "z = 0.5·1 + 0.2·1 + 0 = 0.7"


NEURON_LABELS = {
    "output": "z = w·x + b = {z:.2f}, y = {activation}(z) = {y:.3f}",
    "detail": "z = {expansion} = {z:.4g}",
    "activation": "f",
    "title": N_("y = {activation}(w·x + b); line: z = 0"),
    "curve_title": "y = {activation}(w1·x1 + b)",
}


def neuron_report(weights: Sequence[float], bias: float, x: Sequence[float],
                  activation: str = "sigmoid",
                  labels: Mapping[str, str] | None = None) -> NeuronReport:
    """Evaluate ``mm.Neuron(weights=weights, bias=bias, activation=activation)`` on ``x``.

    z is the seed's sum Σᵢ wᵢxᵢ + b of the numbers given; y is what the Neuron returns.
    """

    labels = merge_messages(NEURON_LABELS, labels, "neuron_report")
    weights, x = [float(v) for v in weights], [float(v) for v in x]
    if len(weights) != len(x):
        raise ValueError(f"neuron_report: {len(weights)} weights but x has {len(x)} entries")
    neuron = Neuron(weights=weights, bias=float(bias), activation=activation)
    z = sum(wi * xi for wi, xi in zip(weights, x, strict=True)) + float(bias)
    z = round(z, 12) + 0.0  # 0.5·1 − 0.3·2 + 0.1 is 0, not 2.8e-17 (and never −0)
    y = neuron(x)
    name = neuron.activation.name
    terms = [f"{fmt(wi)}·{fmt(xi)}" for wi, xi in zip(weights, x, strict=True)] + [fmt(bias)]
    expansion = " + ".join(terms).replace("+ -", "- ")
    return NeuronReport(z=z, y=y, activation=name,
                        text=labels["output"].format(z=z, y=y, activation=name),
                        detail=labels["detail"].format(expansion=expansion, z=z))


class NeuronPlayground(_Playground):
    """Sliders for the weights w1..wn, the bias b and the input x1..xn, and a dropdown for
    the activation f; shows z = w·x + b and y = f(z) for that input (:func:`neuron_report`),
    and for two inputs the plane coloured by y with the decision boundary z = 0.

    Attributes: ``weight_sliders``, ``bias_slider``, ``input_sliders``,
    ``activation_dropdown``, ``output`` (HTML), ``plot`` (Output), ``report``, ``text``.
    """

    LABELS = NEURON_LABELS
    kind = "neuron"

    def __init__(self, n_inputs: int = 2, *, weights: Sequence[float] | None = None,
                 bias: float = 0.0, x: Sequence[float] | None = None,
                 activation: str = "sigmoid",
                 activations: Sequence[str] = ("sigmoid", "relu", "tanh", "step", "linear",
                                               "gelu"),
                 value_range: tuple[float, float] = (-3.0, 3.0),
                 input_range: tuple[float, float] = (-2.0, 2.0), step: float = 0.1,
                 plot: bool = True, labels: Mapping[str, str] | None = None) -> None:
        import ipywidgets as w

        who = "neuron_playground"
        if isinstance(n_inputs, bool) or not isinstance(n_inputs, int) or n_inputs < 1:
            raise ValueError(f"{who}: n_inputs must be a positive int, got {n_inputs!r}")
        weights = [0.5] * n_inputs if weights is None else [float(v) for v in weights]
        x = [1.0] * n_inputs if x is None else [float(v) for v in x]
        if len(weights) != n_inputs or len(x) != n_inputs:
            raise ValueError(f"{who}: weights and x must have n_inputs={n_inputs} entries, got "
                             f"{len(weights)} and {len(x)}")

        names = [acts.get(a).name for a in activations]  # unknown names: did-you-mean
        self.activation_name = acts.get(activation).name
        if self.activation_name not in names:
            names.append(self.activation_name)
        self.value_range = _pair(value_range, "value_range", who)
        self.input_range = _pair(input_range, "input_range", who)
        lo, hi = self.value_range
        ilo, ihi = self.input_range
        self.weight_sliders = [_slider(f"w{i + 1}", v, lo, hi, step, f"mm-w{i + 1}")
                               for i, v in enumerate(weights)]
        self.bias_slider = _slider("b", float(bias), lo, hi, step, "mm-b")
        self.input_sliders = [_slider(f"x{i + 1}", v, ilo, ihi, step, f"mm-x{i + 1}")
                              for i, v in enumerate(x)]
        labels_merged = merge_messages(self.LABELS, labels, type(self).__name__)
        self.activation_dropdown = w.Dropdown(options=names, value=self.activation_name,
                                              description=labels_merged["activation"])
        self.activation_dropdown.add_class("mm-activation")
        controls = [*self.weight_sliders, self.bias_slider, *self.input_sliders,
                    self.activation_dropdown]
        self._plot_on = plot and n_inputs <= 2
        self._setup(labels, [w.HBox([w.VBox([*self.weight_sliders, self.bias_slider]),
                                     w.VBox([*self.input_sliders, self.activation_dropdown])])],
                    plot=self._plot_on)
        self._observe(controls)
        self.update()

    @property
    def weights(self) -> list[float]:
        return [s.value for s in self.weight_sliders]

    @property
    def bias(self) -> float:
        return self.bias_slider.value

    @property
    def x(self) -> list[float]:
        return [s.value for s in self.input_sliders]

    def update(self) -> None:
        """Recompute the text and the plot from the controls."""
        self.report = neuron_report(self.weights, self.bias, self.x,
                                    self.activation_dropdown.value, self.labels)
        self._show_text(f"{self.report.text}\n{self.report.detail}")
        if self._plot_on:
            self._show_figure(self._figure())

    def _figure(self) -> Any:
        neuron = Neuron(weights=self.weights, bias=self.bias,
                        activation=self.activation_dropdown.value)
        lo, hi = self.input_range
        name = self.report.activation
        fig = new_figure(4.0, 3.4)
        ax = fig.add_subplot()
        if len(self.weights) == 1:
            xs = np.linspace(lo, hi, 200)
            ys = to_numpy(neuron.forward(asarray(xs[:, None], dtype="float32")))
            ax.plot(xs, ys, color="C0")
            ax.plot(self.x, [self.report.y], "k*", markersize=12)
            ax.set_xlabel("$x_1$")
            ax.set_ylabel("y")
            ax.set_title(self.labels["curve_title"].format(activation=name), fontsize=10)
            ax.grid(True, alpha=0.3)
            return fig
        g = np.linspace(lo, hi, 41)
        xx, yy = np.meshgrid(g, g)
        grid = np.stack([xx.ravel(), yy.ravel()], axis=1)
        out = to_numpy(neuron.forward(asarray(grid, dtype="float32"))).reshape(xx.shape)
        bounds = {"sigmoid": (0.0, 1.0), "step": (0.0, 1.0), "tanh": (-1.0, 1.0)}
        vmin, vmax = bounds.get(name, (float(out.min()), float(out.max()) + 1e-9))
        image = ax.imshow(out, origin="lower", extent=(lo, hi, lo, hi), cmap="RdBu_r",
                          vmin=vmin, vmax=vmax, aspect="equal", interpolation="bilinear")
        fig.colorbar(image, ax=ax, shrink=0.8, label="y")
        w1, w2 = self.weights
        b = self.bias
        if abs(w2) > 1e-12:  # the boundary w1 x1 + w2 x2 + b = 0
            ax.plot(g, -(w1 * g + b) / w2, "k-", linewidth=1.5)
        elif abs(w1) > 1e-12:
            ax.axvline(-b / w1, color="k", linewidth=1.5)
        ax.plot([self.x[0]], [self.x[1]], "k*", markersize=12)
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        ax.set_title(self.labels["title"].format(activation=name), fontsize=10)
        return fig


def neuron_playground(n_inputs: int = 2, **kwargs: Any) -> NeuronPlayground:
    """A :class:`NeuronPlayground` (sliders for w, b, x; activation; output and boundary)."""
    return NeuronPlayground(n_inputs, **kwargs)
