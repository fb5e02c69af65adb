"""The Loss contract and the checks every loss runs on what it is given.

    loss(y_true, y_pred) -> the batch mean, a 0-d array on y_pred's backend
    loss.backward()      -> dL/dy_pred of that mean, shaped like y_pred
"""

from __future__ import annotations

from typing import Any

from mmlearn._validation import check_same_batch
from mmlearn.backend import array_namespace, asarray, is_array, to_numpy

__all__ = ["Loss"]

EPSILON = 1e-7  # keras.backend.epsilon()

# forward_cache's message for a loss: backward needs the loss's own forward, loss(y_true, y_pred)
LOSS_FIRST = "the loss was computed; call loss(y_true, y_pred) first"


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


class Loss:
    """Base class: ``loss(y_true, y_pred)`` returns the batch mean and caches what
    ``backward()`` needs to return dL/dy_pred (same shape as y_pred)."""

    name: str = "loss"
    # the activation whose backward this loss can fuse with (softmax, sigmoid), or None
    fuses_with: str | None = None
    # the kind of y_true: "values" shaped like y_pred, "labels" (class ids) or "pairs"
    target: str = "values"

    def __init__(self) -> None:
        self._cache: dict[str, Any] | None = None

    def __call__(self, y_true: Any, y_pred: Any) -> Any:
        """Check both arguments, then :meth:`compute`."""
        raise NotImplementedError

    def compute(self, y_true: Any, y_pred: Any) -> Any:
        """The formula alone, on arguments already checked: y_pred a real array, y_true
        what ``target`` says (class ids (rows,) for "labels", y_pred's shape and dtype for
        "values", None for "pairs"). A model checks its data once per ``fit`` and calls
        this on every batch. (A loss without its own runs the checked call.)"""
        return self(y_true, y_pred)

    def backward(self) -> Any:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"
