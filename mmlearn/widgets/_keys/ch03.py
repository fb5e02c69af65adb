"""Answer keys of chapter 3's exercises (see :func:`mmlearn.widgets.exercise`)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from mmlearn._i18n import _
from mmlearn.widgets.exercises import Exercise, FunctionExercise, NumericExercise, Quiz


def _relu_backward_reference(z: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
    # ReLU passes the gradient where z > 0 and stops it elsewhere (0 at z = 0, as mmlearn)
    return np.where(z > 0, grad_out, 0.0)


def relu_backward() -> FunctionExercise:
    """Exercise 1: ``relu_backward(z, grad_out)``, checked on hidden cases (z = 0, 2-d)."""
    return FunctionExercise(
        _("Write <code>relu_backward(z, grad_out)</code>: the gradient with respect to z "
          "(NumPy is available as <code>np</code>)."),
        name="relu_backward",
        hidden_cases=[
            (np.array([-2.0, -0.5, 0.5, 3.0]), np.array([1.0, 1.0, 1.0, 1.0])),
            (np.array([1.0, -1.0, 2.0]), np.array([0.3, -0.7, -2.0])),
            (np.array([0.0, 0.0]), np.array([5.0, -5.0])),
            (np.array([[0.5, -0.5], [-1.0, 2.0]]), np.array([[1.0, 2.0], [3.0, 4.0]])),
        ],
        reference=_relu_backward_reference,
        namespace={"np": np},
    )


def gradient_w2() -> NumericExercise:
    """Exercise 2: dL/dw2 of a sigmoid neuron with binary cross-entropy, by hand."""
    w, b, x, y = (0.5, -0.25), 0.1, (1.0, 2.0), 1.0
    z = w[0] * x[0] + w[1] * x[1] + b
    y_hat = 1 / (1 + math.exp(-z))
    return NumericExercise(
        "dL/dw<sub>2</sub> = ?",
        answer=(y_hat - y) * x[1],          # dL/dz = y_hat - y, and dz/dw2 = x2
        tol=1e-3,
        hint=_("dL/dw2 = (y_hat - y) * x2, with y_hat = sigmoid(w . x + b)."),
    )


def standardise_on_train() -> Quiz:
    """Exercise 3: why the standardising statistics come from the training set only."""
    return Quiz(
        _("Why are the mean and standard deviation used for standardising computed on the "
          "training set only?"),
        [
            _("Because the test set is too small to estimate them."),
            _("So that nothing about the test samples influences the model before it is "
              "evaluated."),
            _("Because the test set does not need to be standardised."),
            _("Because it makes the training loss smaller."),
        ],
        answer=1,
        explanations=[
            _("Size is not the issue: even a large test set must not shape the preprocessing."),
            _("Right: the test set stands in for new data, which is not available at training "
              "time."),
            _("It does: every input must go through the same transformation the model was "
              "trained on."),
            _("The training loss is not the goal; the statistics must not leak test "
              "information."),
        ],
    )


EXERCISES: dict[str, Callable[[], Exercise]] = {
    "ch3-relu-backward": relu_backward,
    "ch3-gradient-w2": gradient_w2,
    "ch3-standardise-on-train": standardise_on_train,
}
