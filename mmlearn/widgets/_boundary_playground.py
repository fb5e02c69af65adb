"""The decision-boundary playground: a small network trained on a 2-D dataset, and the
boundary it learns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from mmlearn import backend, viz
from mmlearn._i18n import N_
from mmlearn._validation import lookup
from mmlearn.layers import Dense
from mmlearn.models import Sequential
from mmlearn.optimizers import Adam
from mmlearn.widgets._common import (
    merge_messages,
    new_figure,
)
from mmlearn.widgets._playground import _Playground, _seeded

__all__ = ["DecisionBoundaryPlayground", "decision_boundary_playground", "toy_dataset",
           "train_boundary_model"]


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
        "output": N_("train accuracy = {accuracy:.2f} ({hidden} hidden units, {epochs} epochs)"),
        "dataset": N_("data"),
        "hidden": N_("hidden"),
        "epochs": N_("epochs"),
        "activation": "f",
    }
    kind = "boundary"

    def __init__(self, dataset: str = "moons", hidden: int = 8, epochs: int = 100,
                 activation: str = "relu", *, datasets: Sequence[str] = TOY_DATASETS,
                 n_samples: int = 200, noise: float = 0.15, max_hidden: int = 32,
                 max_epochs: int = 300, learning_rate: float = 0.03, seed: int = 0,
                 labels: Mapping[str, str] | None = None) -> None:
        import ipywidgets as w

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

        fig = new_figure(4.2, 3.6)
        ax = fig.add_subplot()
        viz.plot_decision_boundary(self.model, X, y, ax=ax, resolution=60)
        self._show_figure(fig)


def decision_boundary_playground(dataset: str = "moons", hidden: int = 8, epochs: int = 100,
                                 **kwargs: Any) -> DecisionBoundaryPlayground:
    """A :class:`DecisionBoundaryPlayground` (data, hidden width, epochs -> boundary)."""
    return DecisionBoundaryPlayground(dataset, hidden, epochs, **kwargs)
