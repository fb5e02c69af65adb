"""Losses: a number that says how wrong the predictions are, and its gradient.

    loss = SparseCategoricalCrossentropy()
    value = loss(y_true, y_pred)     # batch mean, a 0-d array on y_pred's backend
    grad = loss.backward()           # dL/dy_pred of that mean, shaped like y_pred

The formulas are Keras 3's (torch backend), so values and gradients match it:

    MeanSquaredError            L = mean((ŷ − y)²)
    BinaryCrossentropy          L = mean(−y log p − (1 − y) log(1 − p)),   p = clip(ŷ, ε, 1 − ε)
    CategoricalCrossentropy     L = mean_rows(−Σ_k t_k log q_k),   q = clip(ŷ / Σŷ, ε, 1 − ε)
    SparseCategoricalCrossentropy   the same with t = onehot(label)

with ε = 1e-7 (``keras.backend.epsilon()``). The gradient through the clip is 0 on
clipped entries, exactly as autograd computes it. ``from_logits=True`` takes raw scores z
instead and uses log-softmax / log-sigmoid computed stably (log-sum-exp), so even
z = 1e4 gives finite values.

Fused path: when the last layer ends in softmax (sigmoid for binary cross-entropy), the
gradient with respect to the *logits* z is simply

    dL/dz = (p − onehot) / N        (0 on rows whose true-class probability was clipped)

``fused_backward()`` returns it (after a call on the probabilities) and the model hands it
to ``last_layer.backward_linear``: cheaper and more accurate than going through
``backward()`` and the softmax Jacobian. ``loss.fuses_with`` names the activation it fuses
with (``None`` when ``from_logits=True``: there is nothing to fuse).

``InfoNCE`` (contrastive alignment) lives in :mod:`mmlearn.contrastive` and is reachable
as ``mmlearn.losses.InfoNCE`` and ``losses.get("infonce")``.
"""

from __future__ import annotations

import importlib
from typing import Any

from mmlearn._validation import as_int_labels, check_same_batch, lookup
from mmlearn.backend import array_namespace, asarray, get_namespace, is_array

__all__ = [
    "BinaryCrossentropy", "CategoricalCrossentropy", "Loss", "MeanSquaredError",
    "SparseCategoricalCrossentropy", "get",
]

EPSILON = 1e-7  # keras.backend.epsilon()


# -- input checks --------------------------------------------------------------------
def _as_pred(y_pred: Any, who: str) -> Any:
    """y_pred: a non-empty real array (lists are moved to the active backend).

    NaN/inf are *not* rejected: a diverging model must produce a NaN loss that the
    training loop can report (TerminateOnNaN), not an exception here.
    """
    if not is_array(y_pred):
        if isinstance(y_pred, str | bytes | dict) or y_pred is None:
            raise TypeError(f"{who}: y_pred must be an array of numbers, "
                            f"got {type(y_pred).__name__}")
        try:
            y_pred = asarray(y_pred)
        except Exception as err:
            raise TypeError(f"{who}: y_pred must be an array of numbers, "
                            f"got {type(y_pred).__name__}") from err
    xp = array_namespace(y_pred)
    try:
        floating = xp.isdtype(y_pred.dtype, "real floating")
        integral = not floating and xp.isdtype(y_pred.dtype, ("integral", "bool"))
    except (TypeError, ValueError):
        floating = integral = False
    if integral:
        y_pred = xp.astype(y_pred, xp.float32)
    elif not floating:
        raise TypeError(f"{who}: y_pred must hold real numbers, got dtype {y_pred.dtype}")
    if y_pred.ndim == 0:
        raise ValueError(f"{who}: y_pred must have a batch axis, got a scalar")
    if any(int(d) == 0 for d in y_pred.shape):
        raise ValueError(f"{who}: y_pred is empty (shape {tuple(y_pred.shape)}); "
                         "expected at least one sample")
    return y_pred


def _as_target(y_true: Any, y_pred: Any, who: str) -> Any:
    """Real-valued y_true on y_pred's backend and dtype, shaped like y_pred.

    As in Keras, a trailing axis of size 1 is added or removed to match ranks:
    y_true (batch,) goes with y_pred (batch, 1).
    """
    xp = array_namespace(y_pred)
    if isinstance(y_true, str | bytes | dict) or y_true is None:
        raise TypeError(f"{who}: y_true must be an array of numbers, got {type(y_true).__name__}")
    if not is_array(y_true) or array_namespace(y_true) is not xp:
        try:
            y_true = asarray(_host(y_true), xp=xp)
        except Exception as err:
            raise TypeError(f"{who}: y_true must be an array of numbers, "
                            f"got {type(y_true).__name__}") from err
    try:
        real = xp.isdtype(y_true.dtype, ("real floating", "integral", "bool"))
    except (TypeError, ValueError):
        real = False
    if not real:
        raise TypeError(f"{who}: y_true must hold real numbers, got dtype {y_true.dtype}")
    if y_true.dtype != y_pred.dtype:
        y_true = xp.astype(y_true, y_pred.dtype)
    t, p = tuple(y_true.shape), tuple(y_pred.shape)
    if len(t) == len(p) + 1 and t[-1] == 1:
        y_true = xp.reshape(y_true, p if t[:-1] == p else t[:-1])
    elif len(p) == len(t) + 1 and p[-1] == 1:
        y_true = xp.reshape(y_true, (*t, 1))
    if y_true.ndim and y_pred.ndim:
        check_same_batch({"y_true": y_true, "y_pred": y_pred}, f"{who}: y_true and y_pred")
    if tuple(y_true.shape) != p:
        raise ValueError(f"{who}: y_true must have the shape of y_pred {p}, "
                         f"got {tuple(y_true.shape)}")
    return y_true


def _host(y: Any) -> Any:
    """NumPy data stays as is; a backend array of another backend comes back via NumPy."""
    if is_array(y):
        from mmlearn.backend import to_numpy

        return to_numpy(y)
    return y


def _scalar(xp: Any, value: Any) -> Any:
    """A 0-d array (np.mean returns a NumPy scalar; the contract is an array)."""
    return xp.asarray(value)


def _rows(y_pred: Any) -> int:
    """Number of predictions the mean is over: every position but the class axis."""
    n = 1
    for d in tuple(y_pred.shape)[:-1]:
        n *= int(d)
    return n


def _log_softmax(z: Any) -> Any:
    """log softmax(z) = z − logsumexp(z), along the last axis, never forming e^{big}."""
    xp = array_namespace(z)
    m = xp.max(z, axis=-1, keepdims=True)
    return z - m - xp.log(xp.sum(xp.exp(z - m), axis=-1, keepdims=True))


# -- base ---------------------------------------------------------------------------
class Loss:
    """Base class: ``loss(y_true, y_pred)`` returns the batch mean and caches what
    ``backward()`` needs to return dL/dy_pred (same shape as y_pred)."""

    name: str = "loss"
    fuses_with: str | None = None

    def __init__(self) -> None:
        self._cache: dict[str, Any] | None = None

    def __call__(self, y_true: Any, y_pred: Any) -> Any:
        raise NotImplementedError

    def backward(self) -> Any:
        raise NotImplementedError

    def _cached(self) -> dict[str, Any]:
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}: backward called before the loss "
                               "was computed; call loss(y_true, y_pred) first")
        return self._cache

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


# -- mean squared error ---------------------------------------------------------------
class MeanSquaredError(Loss):
    """L = (1/n) Σ (ŷ − y)² over all n entries;  dL/dŷ = 2(ŷ − y)/n.

    Shapes: y_true, y_pred (batch, ...) alike ((batch,) with (batch, 1) is accepted).
    """

    name = "mean_squared_error"

    def __call__(self, y_true: Any, y_pred: Any) -> Any:
        y_pred = _as_pred(y_pred, "MeanSquaredError")
        y_true = _as_target(y_true, y_pred, "MeanSquaredError")
        xp = array_namespace(y_pred)
        diff = y_pred - y_true
        self._cache = {"diff": diff}
        return _scalar(xp, xp.mean(diff * diff))

    def backward(self) -> Any:
        diff = self._cached()["diff"]
        n = 1
        for d in diff.shape:
            n *= int(d)
        return diff * (2.0 / n)


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
        c = self._cached()
        y = c["y"]
        xp = array_namespace(y)
        n = _count(y)
        if self.from_logits:
            from mmlearn.activations import sigmoid

            return (sigmoid(c["z"]) - y) / n
        p = c["p"]
        g = (p - y) / (p * (1.0 - p) * n)
        return xp.where(c["keep"], g, 0.0)

    def fused_backward(self) -> Any:
        """dL/dz for ŷ = sigmoid(z): (p − y)/n, 0 where ŷ was clipped."""
        if self.from_logits:
            raise RuntimeError("BinaryCrossentropy(from_logits=True) has no fused path: its "
                               "backward() already is the gradient to the logits")
        c = self._cached()
        xp = array_namespace(c["y"])
        g = (c["p"] - c["y"]) / _count(c["y"])
        return xp.where(c["keep"], g, 0.0)


def _count(a: Any) -> int:
    n = 1
    for d in a.shape:
        n *= int(d)
    return n


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
            log_q = _log_softmax(y_pred)
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
        c = self._cached()
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
        c = self._cached()
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
        return self._forward(t, y_pred)


class SparseCategoricalCrossentropy(_CrossentropyBase):
    """Cross-entropy with integer class labels: L = (1/N) Σ_i −log q_{i, y_i}.

    Shapes: y_true (batch,) ints in [0, classes) (or (batch, 1)); y_pred (batch, classes).
    Sequence outputs (batch, steps, classes) take y_true (batch, steps).
    ``from_logits=True``: log q = log_softmax(z), stable for any z.
    """

    name = "sparse_categorical_crossentropy"

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
        return self._forward(xp.reshape(_onehot(xp, labels, rows), tuple(y_pred.shape)), y_pred)

    def _call_checked(self, labels: Any, y_pred: Any) -> Any:
        """``__call__`` for labels a model has already checked (int64 in range, on
        y_pred's backend), as its training loop passes them: skips re-checking them on
        every batch (about 10 µs, 7% of the seed model's step)."""
        if getattr(labels, "ndim", None) != 1 or getattr(y_pred, "ndim", None) != 2:
            return self(labels, y_pred)
        return self._forward(_onehot(array_namespace(y_pred), labels, y_pred), y_pred)


def _onehot(xp: Any, labels: Any, rows: Any) -> Any:
    """(rows, classes) one-hot targets in rows' dtype from int labels of shape (rows,)."""
    classes = int(rows.shape[-1])
    hits = labels[:, None] == xp.arange(classes, dtype=labels.dtype)[None, :]
    return xp.astype(hits, rows.dtype)


# -- lookup -------------------------------------------------------------------------------
def _infonce(**kwargs: Any) -> Any:
    return importlib.import_module("mmlearn.contrastive").InfoNCE(**kwargs)


_REGISTRY: dict[str, Any] = {
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "meansquarederror": MeanSquaredError,
    "binary_crossentropy": BinaryCrossentropy,
    "binarycrossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "categoricalcrossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "sparsecategoricalcrossentropy": SparseCategoricalCrossentropy,
    "infonce": _infonce,
}


def get(identifier: Any) -> Any:
    """A loss object from Keras's name (``"mse"``, ``"binary_crossentropy"``,
    ``"categorical_crossentropy"``, ``"sparse_categorical_crossentropy"``, ``"infonce"``;
    case-insensitive, unknown names raise ``ValueError`` with a did-you-mean), a loss class
    (instantiated) or a loss object (returned as is: anything with ``__call__`` and
    ``backward``).
    """
    if isinstance(identifier, str):
        return lookup(identifier, _REGISTRY, "loss")()
    if isinstance(identifier, type):
        obj = identifier()
    else:
        obj = identifier
    if callable(obj) and callable(getattr(obj, "backward", None)):
        return obj
    raise TypeError("loss must be a name such as 'sparse_categorical_crossentropy' or an object "
                    f"with __call__(y_true, y_pred) and backward(), got {identifier!r}")


def __getattr__(name: str) -> Any:
    """``losses.InfoNCE`` comes from :mod:`mmlearn.contrastive`, imported on first use
    (contrastive may import this module, so importing it here eagerly would be circular)."""
    if name == "InfoNCE":
        return importlib.import_module("mmlearn.contrastive").InfoNCE
    raise AttributeError(f"module 'mmlearn.losses' has no attribute {name!r}")
