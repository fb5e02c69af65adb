"""Cross-entropies, as Keras 3 computes them: binary, categorical, sparse categorical.

Each can fuse with the softmax (sigmoid) of the last layer: ``fused_backward()`` returns
dL/dz for the logits directly, (p − onehot)/N.
"""

from __future__ import annotations

from typing import Any

from mmlearn._validation import as_int_labels, check_same_batch, forward_cache, size
from mmlearn.backend import array_namespace, asarray, get_namespace, is_array
from mmlearn.losses.base import (
    EPSILON,
    LOSS_FIRST,
    Loss,
    _as_pred,
    _as_target,
    _host,
    _rows,
    _scalar,
)
from mmlearn.nn.activations import log_softmax, sigmoid

__all__ = ["BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy"]


# -- binary cross-entropy ---------------------------------------------------------------
class BinaryCrossentropy(Loss):
    """Binary cross-entropy, averaged over every entry (Keras: mean over the last axis,
    then over the batch):

        p = clip(ŷ, ε, 1 − ε),   L = mean(−y log p − (1 − y) log(1 − p))
        dL/dŷ = (p − y) / (p(1 − p)) / n   (0 where ŷ was clipped)

    ``from_logits=True``: ŷ = z are scores, L = mean(max(z, 0) − z y + log(1 + e^{−|z|})),
    dL/dz = (σ(z) − y)/n. Fused with a sigmoid output: dL/dz = (p − y)/n, 0 where clipped.

    Shapes: y_true, y_pred (batch, ...) alike, labels in [0, 1] ((batch,) with (batch, 1)
    is accepted).
    """

    name = "binary_crossentropy"
    fuses_with: str | None = "sigmoid"

    def __init__(self, from_logits: bool = False) -> None:
        super().__init__()
        self.from_logits = bool(from_logits)
        if self.from_logits:
            self.fuses_with = None

    def __call__(self, y_true: Any, y_pred: Any) -> Any:
        y_pred = _as_pred(y_pred, "BinaryCrossentropy")
        y_true = _as_target(y_true, y_pred, "BinaryCrossentropy")
        return self.compute(y_true, y_pred)

    def compute(self, y_true: Any, y_pred: Any) -> Any:
        xp = array_namespace(y_pred)
        if self.from_logits:
            z = y_pred
            losses = (xp.maximum(z, 0.0) - z * y_true
                      + xp.log1p(xp.exp(-xp.abs(z))))
            self._cache = {"y": y_true, "z": z}
        else:
            keep = (y_pred >= EPSILON) & (y_pred <= 1.0 - EPSILON)
            p = xp.clip(y_pred, EPSILON, 1.0 - EPSILON)
            losses = -(y_true * xp.log(p) + (1.0 - y_true) * xp.log(1.0 - p))
            self._cache = {"y": y_true, "p": p, "keep": keep}
        return _scalar(xp, xp.mean(losses))

    def backward(self) -> Any:
        c = forward_cache(self._cache, type(self).__name__, LOSS_FIRST)
        y = c["y"]
        xp = array_namespace(y)
        n = size(y)
        if self.from_logits:
            return (sigmoid(c["z"]) - y) / n
        p = c["p"]
        g = (p - y) / (p * (1.0 - p) * n)
        return xp.where(c["keep"], g, 0.0)

    def fused_backward(self) -> Any:
        """dL/dz for ŷ = sigmoid(z): (p − y)/n, 0 where ŷ was clipped."""
        if self.from_logits:
            raise RuntimeError("BinaryCrossentropy(from_logits=True) has no fused path: its "
                               "backward() already is the gradient to the logits")
        c = forward_cache(self._cache, type(self).__name__, LOSS_FIRST)
        xp = array_namespace(c["y"])
        g = (c["p"] - c["y"]) / size(c["y"])
        return xp.where(c["keep"], g, 0.0)


# -- categorical cross-entropy ----------------------------------------------------------
class _CrossentropyBase(Loss):
    """Shared by the categorical losses; t is a (rows, classes) target distribution."""

    fuses_with: str | None = "softmax"

    def __init__(self, from_logits: bool = False) -> None:
        super().__init__()
        self.from_logits = bool(from_logits)
        if self.from_logits:
            self.fuses_with = None

    def _forward(self, t: Any, y_pred: Any) -> Any:
        """Mean over rows of −Σ_k t_k log q_k (Keras's formula); caches for backward."""
        xp = array_namespace(y_pred)
        n = _rows(y_pred)
        if self.from_logits:
            log_q = log_softmax(y_pred)
            self._cache = {"t": t, "log_q": log_q, "n": n}
        else:
            total = xp.sum(y_pred, axis=-1, keepdims=True)         # S = Σ_k ŷ_k
            q = y_pred / total
            keep = (q >= EPSILON) & (q <= 1.0 - EPSILON)
            log_q = xp.log(xp.clip(q, EPSILON, 1.0 - EPSILON))
            self._cache = {"t": t, "q": q, "total": total, "keep": keep, "n": n}
        return _scalar(xp, xp.sum(-(t * log_q)) / n)

    def backward(self) -> Any:
        """dL/dŷ. On probabilities, with g_k = −t_k/q_k/N (0 where clipped) and q = ŷ/S:
        dL/dŷ_j = (g_j − Σ_k g_k q_k)/S. On logits: (softmax(z)·Σt − t)/N."""
        c = forward_cache(self._cache, type(self).__name__, LOSS_FIRST)
        t, n = c["t"], c["n"]
        xp = array_namespace(t)
        if self.from_logits:
            p = xp.exp(c["log_q"])
            return (p * xp.sum(t, axis=-1, keepdims=True) - t) / n
        q = xp.clip(c["q"], EPSILON, 1.0 - EPSILON)
        g = xp.where(c["keep"], -t / (q * n), 0.0)
        return (g - xp.sum(g * c["q"], axis=-1, keepdims=True)) / c["total"]

    def fused_backward(self) -> Any:
        """dL/dz when ŷ = softmax(z): (p·Σt' − t')/N with t' = t where q was not clipped.

        For one-hot targets this is (p − onehot)/N, and 0 on rows whose true-class
        probability was clipped: the gradient Keras computes through the clip.
        """
        if self.from_logits:
            raise RuntimeError(f"{type(self).__name__}(from_logits=True) has no fused path: "
                               "its backward() already is the gradient to the logits")
        c = forward_cache(self._cache, type(self).__name__, LOSS_FIRST)
        xp = array_namespace(c["t"])
        t = xp.where(c["keep"], c["t"], 0.0)
        return (c["q"] * xp.sum(t, axis=-1, keepdims=True) - t) / c["n"]


class CategoricalCrossentropy(_CrossentropyBase):
    """Cross-entropy with one-hot (or soft) targets.

        q = clip(ŷ / Σ_k ŷ_k, ε, 1 − ε),   L = (1/N) Σ_rows −Σ_k t_k log q_k

    Shapes: y_true, y_pred (batch, classes) (or (batch, ..., classes); N counts every row).
    ``from_logits=True``: log q = log_softmax(z), stable for any z.
    """

    name = "categorical_crossentropy"

    def __call__(self, y_true: Any, y_pred: Any) -> Any:
        y_pred = _as_pred(y_pred, "CategoricalCrossentropy")
        if y_pred.ndim < 2:
            raise ValueError("CategoricalCrossentropy: y_pred must have shape (batch, classes), "
                             f"got {tuple(y_pred.shape)}")
        t = _as_target(y_true, y_pred, "CategoricalCrossentropy")
        return self.compute(t, y_pred)

    def compute(self, y_true: Any, y_pred: Any) -> Any:
        return self._forward(y_true, y_pred)


class SparseCategoricalCrossentropy(_CrossentropyBase):
    """Cross-entropy with integer class labels: L = (1/N) Σ_i −log q_{i, y_i}.

    Shapes: y_true (batch,) ints in [0, classes) (or (batch, 1)); y_pred (batch, classes).
    Sequence outputs (batch, steps, classes) take y_true (batch, steps).
    ``from_logits=True``: log q = log_softmax(z), stable for any z.
    """

    name = "sparse_categorical_crossentropy"
    target = "labels"

    def __call__(self, y_true: Any, y_pred: Any) -> Any:
        y_pred = _as_pred(y_pred, "SparseCategoricalCrossentropy")
        xp = array_namespace(y_pred)
        if y_pred.ndim < 2:
            raise ValueError("SparseCategoricalCrossentropy: y_pred must have shape "
                             f"(batch, classes), got {tuple(y_pred.shape)}")
        classes = int(y_pred.shape[-1])
        if isinstance(y_true, str | bytes | dict) or y_true is None:
            raise TypeError("SparseCategoricalCrossentropy: y_true must be an array of class "
                            f"labels, got {type(y_true).__name__}")
        if is_array(y_true) and array_namespace(y_true) is not xp:
            y_true = asarray(_host(y_true), xp=xp)
        elif not is_array(y_true) and get_namespace() is not xp:
            y_true = asarray(y_true, xp=xp)
        if y_pred.ndim > 2:                                     # (batch, steps, classes)
            yt_shape = tuple(getattr(y_true, "shape", ()))
            lead = tuple(y_pred.shape)[:-1]
            if yt_shape == (*lead, 1):
                yt_shape = lead
            if yt_shape != lead:
                raise ValueError(f"SparseCategoricalCrossentropy: y_true must have shape "
                                 f"{lead} for y_pred {tuple(y_pred.shape)}, got {yt_shape}")
            y_true = xp.reshape(y_true, (-1,))
        labels = as_int_labels(y_true, "y_true", num_classes=classes)
        if array_namespace(labels) is not xp:                   # as_int_labels uses the active
            labels = asarray(_host(labels), xp=xp)              # backend; follow y_pred's
        rows = xp.reshape(y_pred, (-1, classes))
        check_same_batch({"y_true": labels, "y_pred": rows},
                         "SparseCategoricalCrossentropy: y_true and y_pred")
        return self.compute(labels, y_pred)

    def compute(self, y_true: Any, y_pred: Any) -> Any:
        """On checked labels: int class ids (rows,) on y_pred's backend, one per row of
        y_pred (batch, ..., classes)."""
        xp = array_namespace(y_pred)
        if y_pred.ndim == 2:
            return self._forward(_onehot(xp, y_true, y_pred), y_pred)
        rows = xp.reshape(y_pred, (-1, int(y_pred.shape[-1])))
        t = _onehot(xp, xp.reshape(y_true, (-1,)), rows)
        return self._forward(xp.reshape(t, tuple(y_pred.shape)), y_pred)


def _onehot(xp: Any, labels: Any, rows: Any) -> Any:
    """(rows, classes) one-hot targets in rows' dtype from int labels of shape (rows,)."""
    classes = int(rows.shape[-1])
    hits = labels[:, None] == xp.arange(classes, dtype=labels.dtype)[None, :]
    return xp.astype(hits, rows.dtype)
