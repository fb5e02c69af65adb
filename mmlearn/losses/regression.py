"""Mean squared error, the regression loss: L = mean((ŷ − y)²)."""

from __future__ import annotations

from typing import Any

from mmlearn._validation import forward_cache, size
from mmlearn.backend import array_namespace
from mmlearn.losses.base import LOSS_FIRST, Loss, _as_pred, _as_target, _scalar

__all__ = ["MeanSquaredError"]


# -- mean squared error ---------------------------------------------------------------
class MeanSquaredError(Loss):
    """L = (1/n) Σ (ŷ − y)² over all n entries;  dL/dŷ = 2(ŷ − y)/n.

    Shapes: y_true, y_pred (batch, ...) alike ((batch,) with (batch, 1) is accepted).
    """

    name = "mean_squared_error"

    def __call__(self, y_true: Any, y_pred: Any) -> Any:
        y_pred = _as_pred(y_pred, "MeanSquaredError")
        y_true = _as_target(y_true, y_pred, "MeanSquaredError")
        return self.compute(y_true, y_pred)

    def compute(self, y_true: Any, y_pred: Any) -> Any:
        xp = array_namespace(y_pred)
        diff = y_pred - y_true
        self._cache = {"diff": diff}
        return _scalar(xp, xp.mean(diff * diff))

    def backward(self) -> Any:
        diff = forward_cache(self._cache, type(self).__name__, LOSS_FIRST)["diff"]
        return diff * (2.0 / size(diff))
