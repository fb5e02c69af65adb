"""Interactive playgrounds: sliders in, numbers and a picture out.

Each playground is an ``ipywidgets.VBox`` (display it, or put it in another box) whose
controls are attributes, and each is backed by a pure function that does the work and
can be called, and tested, on its own:

=========================================  ==========================================
playground                                 pure function
=========================================  ==========================================
:func:`neuron_playground`                  :func:`neuron_report`
:func:`decision_boundary_playground`       :func:`toy_dataset`, :func:`train_boundary_model`
:func:`modality_noise_explorer`            :func:`modality_accuracies`
:func:`learning_rate_explorer`             :func:`gradient_descent_path`, :func:`lr_verdict`
=========================================  ==========================================

The words shown come from ``labels=`` (a dict overriding any of the class's ``LABELS``
templates), so an edition in another language passes its own. Plots are PNGs placed in
an ``Output`` widget (``plot``), so they show in Jupyter, in Voilà and, as saved state,
in a static page; moving a slider needs a running kernel.

Computation happens where mmlearn computes (the neuron and the models run on the active
backend); what is drawn, and the small closed-form experiments, are host-side NumPy.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import ipywidgets as w
import numpy as np

from mmlearn import backend
from mmlearn._validation import lookup
from mmlearn.widgets._common import (
    STYLE,
    figure_output,
    fmt,
    merge_messages,
    new_figure,
    text_html,
)

__all__ = [
    "DecisionBoundaryPlayground", "LearningRateExplorer", "ModalityNoiseExplorer",
    "NeuronPlayground", "NeuronReport", "decision_boundary_playground", "gradient_descent_path",
    "learning_rate_explorer", "lr_verdict", "modality_accuracies", "modality_noise_explorer",
    "neuron_playground", "neuron_report", "quadratic_loss", "toy_dataset",
    "train_boundary_model",
]


class _Playground(w.VBox):
    """Shared parts: labels, a text area (``output``), a plot area (``plot``), ``text``."""

    LABELS: ClassVar[dict[str, str]] = {}
    kind: ClassVar[str] = "playground"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        # ipywidgets' text/plain repr embeds the plot's PNG bytes; a short name keeps a
        # notebook's text output stable across matplotlib versions (strict nbval).
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is not None:
            bundle["text/plain"] = f"{type(self).__name__}()"
        return bundle

    def _setup(self, labels: Mapping[str, str] | None, controls: Sequence[Any],
               plot: bool = True) -> None:
        self.labels = merge_messages(self.LABELS, labels, type(self).__name__)
        self.output = w.HTML(value="")
        self.output.add_class("mm-output")
        self.plot = w.Output()
        self.plot.add_class("mm-plot")
        self._text = ""
        children = [w.HTML(STYLE), *controls, self.output]
        if plot:
            children.append(self.plot)
        self.children = children
        self.add_class("mm-widget")
        self.add_class(f"mm-{self.kind}")

    @property
    def text(self) -> str:
        """What the text area says, as plain text."""
        return self._text

    def _show_text(self, text: str) -> None:
        self._text = text
        self.output.value = text_html(text)

    def _show_figure(self, fig: Any) -> None:
        self.plot.outputs = figure_output(fig)

    def _observe(self, controls: Sequence[Any]) -> None:
        for control in controls:
            control.observe(self._on_change, names="value")

    def _on_change(self, _change: Any = None) -> None:
        self.update()

    def update(self) -> None:
        raise NotImplementedError


def _slider(description: str, value: float, lo: float, hi: float, step: float,
            css: str) -> w.FloatSlider:
    s = w.FloatSlider(value=value, min=lo, max=hi, step=step, description=description,
                      readout_format=".2f", continuous_update=False)
    s.add_class(css)
    return s


def _pair(value: Any, arg: str, who: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{who}: {arg} must be a pair of numbers (low, high), got {value!r}") \
            from err
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"{who}: {arg} must have low < high, got {value!r}")
    return lo, hi


@contextlib.contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Run with ``mm.set_seed(seed)``, then give the notebook back its own random state."""
    old_seed = backend.get_seed()
    old_state = backend.rng().bit_generator.state
    backend.set_seed(seed)
    try:
        yield
    finally:
        backend.set_seed(old_seed)
        backend.rng().bit_generator.state = old_state


# ============================================================================ the neuron


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
    "title": "y = {activation}(w·x + b); line: z = 0",
    "curve_title": "y = {activation}(w1·x1 + b)",
}


def neuron_report(weights: Sequence[float], bias: float, x: Sequence[float],
                  activation: str = "sigmoid",
                  labels: Mapping[str, str] | None = None) -> NeuronReport:
    """Evaluate ``mm.Neuron(weights=weights, bias=bias, activation=activation)`` on ``x``.

    z is the seed's sum Σᵢ wᵢxᵢ + b of the numbers given; y is what the Neuron returns.
    """
    from mmlearn.neuron import Neuron

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
        super().__init__()
        who = "neuron_playground"
        if isinstance(n_inputs, bool) or not isinstance(n_inputs, int) or n_inputs < 1:
            raise ValueError(f"{who}: n_inputs must be a positive int, got {n_inputs!r}")
        weights = [0.5] * n_inputs if weights is None else [float(v) for v in weights]
        x = [1.0] * n_inputs if x is None else [float(v) for v in x]
        if len(weights) != n_inputs or len(x) != n_inputs:
            raise ValueError(f"{who}: weights and x must have n_inputs={n_inputs} entries, got "
                             f"{len(weights)} and {len(x)}")
        from mmlearn import activations as acts

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
        from mmlearn.backend import asarray, to_numpy
        from mmlearn.neuron import Neuron

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


# ============================================================================ decision boundary

TOY_DATASETS = ("moons", "circles", "xor", "blobs")


def toy_dataset(name: str = "moons", n_samples: int = 200, noise: float = 0.15,
                seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A small 2-D, 2-class dataset as NumPy arrays: X (n, 2) float32, y (n,) int64.

    ``"moons"`` (two interleaved half circles), ``"circles"`` (a ring around a disc),
    ``"xor"`` (class 1 where x1·x2 > 0) and ``"blobs"`` (two Gaussian clouds, linearly
    separable). ``noise`` is the standard deviation of the Gaussian jitter.
    """
    key = lookup(name, {n: n for n in TOY_DATASETS}, "dataset")
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 4:
        raise ValueError(f"toy_dataset: n_samples must be an int >= 4, got {n_samples!r}")
    if not isinstance(noise, int | float) or noise < 0:
        raise ValueError(f"toy_dataset: noise must be a number >= 0, got {noise!r}")
    gen = np.random.default_rng(seed)
    y = np.arange(n_samples) % 2
    if key == "moons":
        t = gen.uniform(0.0, np.pi, n_samples)
        X = np.where(y[:, None] == 0,
                     np.stack([np.cos(t), np.sin(t)], axis=1),
                     np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1))
        X = (X - [0.5, 0.25]) * 1.5
    elif key == "circles":
        t = gen.uniform(0.0, 2 * np.pi, n_samples)
        r = np.where(y == 0, 1.6, 0.7)
        X = np.stack([r * np.cos(t), r * np.sin(t)], axis=1)
    elif key == "xor":
        X = gen.uniform(-1.5, 1.5, (n_samples, 2))
        X += np.sign(X) * 0.1
        y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    else:
        X = np.where(y[:, None] == 0, [-1.0, -0.7], [1.0, 0.7]) + gen.normal(0, 0.5,
                                                                            (n_samples, 2))
    X = X + gen.normal(0.0, noise, X.shape)
    return X.astype(np.float32), y.astype(np.int64)


def train_boundary_model(X: Any, y: Any, hidden: int = 8, epochs: int = 100,
                         activation: str = "relu", *, learning_rate: float = 0.03,
                         batch_size: int = 32, seed: int = 0) -> tuple[Any, float]:
    """Train ``mm.Sequential([Dense(hidden, activation), Dense(2, "softmax")])`` with Adam
    on (X, y); returns ``(model, train accuracy)``. ``hidden=0`` means no hidden layer (a
    linear classifier). Seeded by ``seed`` without disturbing the notebook's own seed.
    """
    from mmlearn.layers import Dense
    from mmlearn.models import Sequential
    from mmlearn.optimizers import Adam

    X = backend.asarray(np.asarray(X, dtype=np.float32))
    y = backend.asarray(np.asarray(y, dtype=np.int64))
    with _seeded(seed):
        layers = [Dense(hidden, activation=activation, input_shape=(2,))] if hidden else []
        layers.append(Dense(2, activation="softmax", **({} if hidden else
                                                       {"input_shape": (2,)})))
        model = Sequential(layers)
        model.compile(optimizer=Adam(learning_rate=learning_rate),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        if epochs > 0:
            model.fit(X, y, epochs=epochs, batch_size=batch_size, verbose=0)
        _, accuracy = model.evaluate(X, y, verbose=0)
    return model, float(accuracy)


class DecisionBoundaryPlayground(_Playground):
    """A small ``mm.Sequential`` (one hidden layer) trained on a 2-D dataset; choose the
    dataset, the hidden width, the activation and the number of epochs, and see the
    boundary it learns (:func:`train_boundary_model`, ``mm.viz.plot_decision_boundary``).

    Attributes: ``dataset_dropdown``, ``hidden_slider``, ``epochs_slider``,
    ``activation_dropdown``, ``output``, ``plot``, ``model``, ``accuracy``, ``text``.
    """

    LABELS: ClassVar[dict[str, str]] = {
        "output": "train accuracy = {accuracy:.2f} ({hidden} hidden units, {epochs} epochs)",
        "dataset": "data",
        "hidden": "hidden",
        "epochs": "epochs",
        "activation": "f",
    }
    kind = "boundary"

    def __init__(self, dataset: str = "moons", hidden: int = 8, epochs: int = 100,
                 activation: str = "relu", *, datasets: Sequence[str] = TOY_DATASETS,
                 n_samples: int = 200, noise: float = 0.15, max_hidden: int = 32,
                 max_epochs: int = 300, learning_rate: float = 0.03, seed: int = 0,
                 labels: Mapping[str, str] | None = None) -> None:
        super().__init__()
        names = [lookup(d, {n: n for n in TOY_DATASETS}, "dataset") for d in datasets]
        dataset = lookup(dataset, {n: n for n in TOY_DATASETS}, "dataset")
        lab = merge_messages(self.LABELS, labels, type(self).__name__)
        self.n_samples, self.noise, self.seed = n_samples, noise, seed
        self.learning_rate = learning_rate
        self.dataset_dropdown = w.Dropdown(options=names, value=dataset,
                                           description=lab["dataset"])
        self.hidden_slider = w.IntSlider(value=hidden, min=0, max=max_hidden,
                                         description=lab["hidden"], continuous_update=False)
        self.epochs_slider = w.IntSlider(value=epochs, min=0, max=max_epochs, step=10,
                                         description=lab["epochs"], continuous_update=False)
        self.activation_dropdown = w.Dropdown(options=["relu", "tanh", "sigmoid"],
                                              value=activation, description=lab["activation"])
        controls = [self.dataset_dropdown, self.hidden_slider, self.epochs_slider,
                    self.activation_dropdown]
        for c, css in zip(controls, ("mm-dataset", "mm-hidden", "mm-epochs", "mm-activation"),
                          strict=True):
            c.add_class(css)
        self._setup(labels, [w.HBox([w.VBox(controls[:2]), w.VBox(controls[2:])])])
        self._observe(controls)
        self.update()

    def update(self) -> None:
        """Retrain on the chosen data and redraw."""
        X, y = toy_dataset(self.dataset_dropdown.value, self.n_samples, self.noise, self.seed)
        hidden, epochs = self.hidden_slider.value, self.epochs_slider.value
        self.model, self.accuracy = train_boundary_model(
            X, y, hidden, epochs, self.activation_dropdown.value,
            learning_rate=self.learning_rate, seed=self.seed)
        self._show_text(self.labels["output"].format(accuracy=self.accuracy, hidden=hidden,
                                                     epochs=epochs))
        from mmlearn import viz

        fig = new_figure(4.2, 3.6)
        ax = fig.add_subplot()
        viz.plot_decision_boundary(self.model, X, y, ax=ax, resolution=60)
        self._show_figure(fig)


def decision_boundary_playground(dataset: str = "moons", hidden: int = 8, epochs: int = 100,
                                 **kwargs: Any) -> DecisionBoundaryPlayground:
    """A :class:`DecisionBoundaryPlayground` (data, hidden width, epochs -> boundary)."""
    return DecisionBoundaryPlayground(dataset, hidden, epochs, **kwargs)


# ============================================================================ modality noise


@functools.lru_cache(maxsize=8)
def _modality_base(n_train: int, n_test: int, dim: int, seed: int) -> tuple[np.ndarray, ...]:
    """Labels and unit-variance noise, drawn once: moving a slider only rescales the noise."""
    gen = np.random.default_rng(seed)
    n = n_train + n_test
    sign = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    gen.shuffle(sign)
    noise_a = gen.standard_normal((n, dim))
    noise_b = gen.standard_normal((n, dim))
    for a in (sign, noise_a, noise_b):
        a.setflags(write=False)
    return sign, noise_a, noise_b


def _least_squares_accuracy(X: np.ndarray, t: np.ndarray, n_train: int) -> float:
    """Fit t ≈ [X, 1] w by least squares on the first n_train rows; accuracy of sign on
    the rest. (For two Gaussian classes this is Fisher's linear discriminant.)"""
    A = np.concatenate([X, np.ones((X.shape[0], 1))], axis=1)
    w, *_ = np.linalg.lstsq(A[:n_train], t[:n_train], rcond=None)
    pred = np.where(A[n_train:] @ w >= 0, 1.0, -1.0)
    return float(np.mean(pred == t[n_train:]))


def modality_accuracies(noise_image: float, noise_text: float, *, separation: float = 1.0,
                        dim: int = 4, n_train: int = 500, n_test: int = 2000,
                        seed: int = 0) -> dict[str, float]:
    """Test accuracy of an image-only, a text-only and a fused (concatenated) linear model.

    The task: a label y = ±1; each modality is a ``dim``-vector ``y·μ + σ·ε`` with
    ``|μ| = separation`` and ε standard normal, σ its own noise level. Each model is fit
    in closed form (least squares, ``numpy.linalg.lstsq``). The best possible accuracies
    are Φ(separation/σ) for one modality and Φ(√(separation²/σ_image² + separation²/σ_text²))
    for both, so fusing beats either alone whenever both carry signal.
    Returns ``{"image": ..., "text": ..., "fused": ...}``.
    """
    for arg, v in (("noise_image", noise_image), ("noise_text", noise_text)):
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) \
                or v < 0:
            raise ValueError(f"modality_accuracies: {arg} must be a number >= 0, got {v!r}")
    sign, eps_a, eps_b = _modality_base(n_train, n_test, dim, seed)
    mu = np.full(dim, separation / math.sqrt(dim))
    image = sign[:, None] * mu + noise_image * eps_a
    text = sign[:, None] * mu + noise_text * eps_b
    return {
        "image": _least_squares_accuracy(image, sign, n_train),
        "text": _least_squares_accuracy(text, sign, n_train),
        "fused": _least_squares_accuracy(np.concatenate([image, text], axis=1), sign, n_train),
    }


class ModalityNoiseExplorer(_Playground):
    """One noise slider per modality; shows the test accuracy of image-only, text-only and
    fused models (:func:`modality_accuracies`) as text and as a bar chart.

    Attributes: ``image_slider``, ``text_slider``, ``output``, ``plot``, ``accuracies``,
    ``text``.
    """

    LABELS: ClassVar[dict[str, str]] = {
        "output": "{image_name} only: {image:.1%} · {text_name} only: {text:.1%} · "
                  "fused: {fused:.1%}",
        "image": "image",
        "text": "text",
        "fused": "fused",
        "noise": "{name} noise",
        "accuracy": "test accuracy",
        "chance": "chance",
    }
    kind = "modality-noise"

    def __init__(self, noise_image: float = 1.0, noise_text: float = 1.5, *,
                 max_noise: float = 4.0, separation: float = 1.0, dim: int = 4,
                 n_train: int = 500, n_test: int = 2000, seed: int = 0,
                 labels: Mapping[str, str] | None = None) -> None:
        super().__init__()
        lab = merge_messages(self.LABELS, labels, type(self).__name__)
        self._options = {"separation": separation, "dim": dim, "n_train": n_train,
                         "n_test": n_test, "seed": seed}
        self.image_slider = _slider(lab["noise"].format(name=lab["image"]), noise_image, 0.0,
                                    max_noise, 0.1, "mm-noise-image")
        self.text_slider = _slider(lab["noise"].format(name=lab["text"]), noise_text, 0.0,
                                   max_noise, 0.1, "mm-noise-text")
        for s in (self.image_slider, self.text_slider):
            s.style.description_width = "initial"
        self._setup(labels, [self.image_slider, self.text_slider])
        self._observe([self.image_slider, self.text_slider])
        self.update()

    def update(self) -> None:
        """Refit the three models for the current noise levels and redraw."""
        acc = modality_accuracies(self.image_slider.value, self.text_slider.value,
                                  **self._options)
        self.accuracies = acc
        lab = self.labels
        self._show_text(lab["output"].format(image_name=lab["image"], text_name=lab["text"],
                                             **acc))
        fig = new_figure(4.0, 2.8)
        ax = fig.add_subplot()
        names = [lab["image"], lab["text"], lab["fused"]]
        values = [acc["image"], acc["text"], acc["fused"]]
        bars = ax.bar(names, values, color=["C0", "C1", "C2"])
        for bar, v in zip(bars, values, strict=True):
            ax.text(bar.get_x() + bar.get_width() / 2, v + 0.01, f"{v:.0%}", ha="center",
                    fontsize=9)
        ax.axhline(0.5, color="k", linestyle="--", linewidth=1, label=lab["chance"])
        ax.set_ylim(0.0, 1.08)
        ax.set_ylabel(lab["accuracy"])
        ax.legend(loc="lower right", fontsize=8)
        self._show_figure(fig)


def modality_noise_explorer(noise_image: float = 1.0, noise_text: float = 1.5,
                            **kwargs: Any) -> ModalityNoiseExplorer:
    """A :class:`ModalityNoiseExplorer` (noise per modality -> three accuracies)."""
    return ModalityNoiseExplorer(noise_image, noise_text, **kwargs)


# ============================================================================ learning rate


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
        "output": "learning rate {lr:.3g}: {verdict} (loss {first:.3g} → {last:.3g} in "
                  "{steps} steps; it diverges above 2/{curvature:g} = {limit:.3g})",
        "diverges": "diverges",
        "converges slowly": "converges slowly",
        "good": "good",
        "zigzag": " It zig-zags across the valley.",
        "lr": "η",
        "steps": "steps",
    }
    kind = "learning-rate"

    def __init__(self, learning_rate: float = 0.05, *, steps: int = 30,
                 curvatures: tuple[float, float] = (1.0, 10.0),
                 start: tuple[float, float] = (-2.0, 1.0), max_steps: int = 200,
                 lr_range: tuple[float, float] = (1e-3, 1.0),
                 labels: Mapping[str, str] | None = None) -> None:
        super().__init__()
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
