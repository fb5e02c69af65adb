"""One artificial neuron, the seed's formula

    y = f(Σᵢ wᵢ xᵢ + b),

and the perceptron, the first learning rule (Rosenblatt, 1958):

    ŷ = step(w·x + b);    w ← w + η (y − ŷ) x,    b ← b + η (y − ŷ).

``Neuron(x)`` on one sample is written as the formula, a Python sum over the inputs;
``Neuron.forward(X)`` does a whole batch at once, X @ w + b, on any backend. The
perceptron converges on linearly separable data (AND, OR) and never on XOR: ``fit``
returns the number of mistakes in each epoch so that this can be seen.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from mmlearn._validation import as_float_array, check_int
from mmlearn.backend import array_namespace, asarray, floatx, rng, to_numpy
from mmlearn.nn import activations as _activations

__all__ = ["Neuron", "Perceptron"]


class Neuron:
    """A single neuron: y = f(Σᵢ wᵢ xᵢ + b).

    Args:
        n_inputs: number of inputs n; the weights start U(−√(6/(n+1)), +√(6/(n+1))) from
            the seeded ``mmlearn.backend.rng()``. May be omitted when ``weights`` is given.
        weights: the n weights (list or array), instead of a random start.
        bias: b.
        activation: f, a name ("sigmoid", "relu", "tanh", "step", "linear", ...) or None.

    Shapes: one sample x (n,) -> a float (``neuron(x)``); a batch X (batch, n) -> y (batch,)
    (``neuron.forward(X)``). ``weights`` is an (n,) array on the active backend.
    """

    def __init__(self, n_inputs: int | None = None, *, weights: Sequence[float] | Any = None,
                 bias: float = 0.0, activation: str | Callable | None = "sigmoid") -> None:
        who = type(self).__name__
        if weights is None:
            if n_inputs is None:
                raise ValueError(f"{who}: give n_inputs (how many inputs) or the weights")
            n = check_int(n_inputs, "n_inputs", who, expected="a positive int")
            limit = math.sqrt(6.0 / (n + 1))
            w = self._initial_weights(n, limit)
        else:
            # a copy: training updates the neuron's weights, never the caller's array
            w = asarray(as_float_array(weights, "weights", ndim=1), copy=True)
            if n_inputs is not None and int(w.shape[0]) != check_int(
                    n_inputs, "n_inputs", who, expected="a positive int"):
                raise ValueError(f"{who}: n_inputs={n_inputs} but weights has "
                                 f"{int(w.shape[0])} entries")
        if isinstance(bias, bool) or not isinstance(bias, int | float | np.number) \
                or not math.isfinite(float(bias)):
            raise TypeError(f"{who}: bias must be a finite real number, got {bias!r}")
        self.weights = w
        self.bias = float(bias)
        self.activation = _activations.get(activation)

    @staticmethod
    def _initial_weights(n: int, limit: float) -> Any:
        return asarray(rng().uniform(-limit, limit, size=n), dtype=floatx())

    @property
    def n_inputs(self) -> int:
        return int(self.weights.shape[0])

    def _check_sample(self, x: Any) -> list[float]:
        if isinstance(x, str | bytes) or not hasattr(x, "__len__"):
            raise TypeError(f"{type(self).__name__}: x must be a sequence of {self.n_inputs} "
                            f"numbers (one sample), got {type(x).__name__}")
        values = to_numpy(x).tolist() if hasattr(x, "shape") else list(x)
        if len(values) != self.n_inputs:
            raise ValueError(f"{type(self).__name__} expected x of length {self.n_inputs}, "
                             f"got {len(values)}")
        out = []
        for v in values:
            if isinstance(v, bool | str | bytes) or not isinstance(v, int | float | np.number):
                raise TypeError(f"{type(self).__name__}: x must hold real numbers, got {v!r}")
            if not math.isfinite(float(v)):
                raise ValueError(f"{type(self).__name__}: x contains NaN or inf: {values}")
            out.append(float(v))
        return out

    def __call__(self, x: Sequence[float] | Any) -> float:
        """y = f(Σᵢ wᵢ xᵢ + b) for ONE sample x, written as the formula."""
        x = self._check_sample(x)
        w = to_numpy(self.weights).tolist()
        z = sum(w_i * x_i for w_i, x_i in zip(w, x, strict=True)) + self.bias
        return float(self.activation.forward(asarray([z], dtype=floatx()))[0])

    def forward(self, X: Any) -> Any:
        """y = f(X @ w + b) for a batch X of shape (batch, n); returns shape (batch,)."""
        X = as_float_array(X, "X", ndim=2)
        if int(X.shape[1]) != self.n_inputs:
            raise ValueError(f"{type(self).__name__} expected X of shape (batch, "
                             f"{self.n_inputs}), got (batch, {int(X.shape[1])})")
        xp = array_namespace(X)
        w = self.weights if array_namespace(self.weights) is xp else asarray(
            to_numpy(self.weights), xp=xp)
        if X.dtype != w.dtype:
            X = xp.astype(X, w.dtype)
        return self.activation.forward(X @ w + self.bias)

    def __repr__(self) -> str:
        w = ", ".join(f"{v:.3g}" for v in to_numpy(self.weights).tolist())
        return (f"{type(self).__name__}(weights=[{w}], bias={self.bias:.3g}, "
                f"activation={self.activation.name!r})")


class Perceptron(Neuron):
    """Rosenblatt's perceptron: a neuron with the step activation, ŷ = 1[w·x + b ≥ 0],
    trained by the perceptron rule, one sample at a time:

        w ← w + η (y − ŷ) x,     b ← b + η (y − ŷ)      (labels y ∈ {0, 1}).

    It changes nothing on a correct answer and moves the boundary towards a misclassified
    point. On linearly separable data it stops making mistakes after finitely many
    updates (Novikoff's theorem); on XOR it never does. Weights start at zero unless given.
    """

    def __init__(self, n_inputs: int | None = None, *, weights: Sequence[float] | Any = None,
                 bias: float = 0.0) -> None:
        self._lazy = n_inputs is None and weights is None
        if self._lazy:                               # sized by the first fit(X, y)
            n_inputs = 1
        super().__init__(n_inputs, weights=weights, bias=bias, activation="step")

    @staticmethod
    def _initial_weights(n: int, limit: float) -> Any:
        return asarray(np.zeros(n), dtype=floatx())

    def fit(self, X: Any, y: Any, epochs: int = 10, learning_rate: float = 1.0,
            shuffle: bool = False) -> list[int]:
        """Run the perceptron rule over (X, y) for ``epochs`` passes; returns the number of
        mistakes made in each epoch (0 once every sample is classified correctly).

        X (batch, n) real; y (batch,) labels in {0, 1}. ``shuffle=True`` visits the samples
        in a new order each epoch, drawn from the seeded ``mmlearn.backend.rng()``.
        """
        X = as_float_array(X, "X", ndim=2)
        if self._lazy:
            self.weights = asarray(np.zeros(int(X.shape[1])), dtype=floatx())
            self._lazy = False
        if int(X.shape[1]) != self.n_inputs:
            raise ValueError(f"Perceptron expected X of shape (batch, {self.n_inputs}), "
                             f"got (batch, {int(X.shape[1])})")
        labels = to_numpy(as_float_array(y, "y", ndim=1)).tolist()
        if len(labels) != int(X.shape[0]):
            raise ValueError(f"Perceptron.fit: X and y must have the same batch size, got "
                             f"{int(X.shape[0])} and {len(labels)}")
        bad = sorted({v for v in labels if v not in (0.0, 1.0)})
        if bad:
            raise ValueError(f"Perceptron.fit: y must hold labels 0 or 1, got {bad[:5]}")
        epochs = check_int(epochs, "epochs", "Perceptron.fit", expected="a positive int")
        if isinstance(learning_rate, bool) or not isinstance(learning_rate, int | float) \
                or not learning_rate > 0:
            raise ValueError(f"Perceptron.fit: learning_rate must be a positive number, "
                             f"got {learning_rate!r}")
        xp = array_namespace(X)
        w = xp.astype(self.weights if array_namespace(self.weights) is xp
                      else asarray(to_numpy(self.weights), xp=xp), X.dtype)
        b = self.bias
        mistakes: list[int] = []
        for _ in range(epochs):
            order = rng().permutation(len(labels)).tolist() if shuffle else range(len(labels))
            errors = 0
            for i in order:
                x_i = X[i, :]
                y_hat = 1.0 if float(xp.sum(w * x_i)) + b >= 0.0 else 0.0
                update = learning_rate * (labels[i] - y_hat)      # 0 when right
                if update != 0.0:
                    w = w + update * x_i
                    b = b + update
                    errors += 1
            mistakes.append(errors)
        self.weights, self.bias = w, float(b)
        return mistakes

    def forward(self, X: Any) -> Any:
        """ŷ = step(X @ w + b) for a batch X (batch, n), as floats 0.0/1.0."""
        if self._lazy:
            raise RuntimeError("Perceptron: its size is set by the first fit(X, y); call fit "
                               "first or give n_inputs")
        return super().forward(X)

    def predict(self, X: Any) -> Any:
        """Class labels ŷ = 1[X @ w + b ≥ 0], shape (batch,), as int64."""
        xp = array_namespace(as_float_array(X, "X", ndim=2))
        return xp.astype(self.forward(X), xp.int64)

