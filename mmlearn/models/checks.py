"""The arguments of compile / fit / evaluate / predict, checked once per call, with
messages that name the argument."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from mmlearn import metrics as _metrics
from mmlearn._validation import (
    as_float_array,
    as_int_labels,
    check_int,
    lookup,
    prefixed,
    shape_str,
)
from mmlearn.backend import array_namespace
from mmlearn.callbacks import Callback
from mmlearn.models.parts import leaves
from mmlearn.nn.layer import Layer

if TYPE_CHECKING:
    from mmlearn.models.model import Model

__all__: list[str] = []


def batch_size_or_default(batch_size: Any, who: str) -> int:
    """``batch_size`` as an int >= 1; None means Keras's 32."""
    return 32 if batch_size is None else check_int(batch_size, "batch_size", who, minimum=1)


def verbosity(verbose: Any, who: str) -> int:
    """0 (silent), 1 (progress bar; also "auto") or 2 (one line per epoch)."""
    if verbose == "auto":
        return 1
    if isinstance(verbose, bool | int | np.integer) and int(verbose) in (0, 1, 2):
        return int(verbose)
    raise ValueError(f"{who}: verbose must be 0 (silent), 1 (progress bar), 2 (one line per "
                     f"epoch) or 'auto', got {verbose!r}")


def validation_fraction(value: Any, who: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating) \
            or not 0 <= value < 1:
        raise ValueError(f"{who}: validation_split must be a fraction in [0, 1), got {value!r}")
    return float(value)


def shuffle_flag(shuffle: Any, who: str) -> bool:
    if not isinstance(shuffle, bool | np.bool_):
        raise TypeError(f"{who}: shuffle must be True or False, got {shuffle!r}")
    return bool(shuffle)


def callback_list(callbacks: Any, who: str) -> list[Callback]:
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        return [callbacks]
    if not isinstance(callbacks, list | tuple):
        raise TypeError(f"{who}: callbacks must be a list of Callback objects, "
                        f"got {type(callbacks).__name__}")
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise TypeError(f"{who}: callbacks must be Callback objects (e.g. "
                            f"EarlyStopping(patience=2)), got {cb!r}")
    return list(callbacks)


def validation_pair(data: Any, who: str) -> tuple[Any, Any]:
    if not isinstance(data, tuple | list) or len(data) != 2:
        length = f" of length {len(data)}" if isinstance(data, tuple | list) else ""
        raise ValueError(f"{who}: validation_data must be a pair (x_val, y_val), "
                         f"got {type(data).__name__}{length}")
    return data[0], data[1]


def metric_specs(metrics: Any, who: str) -> list[tuple[str, Any]]:
    """compile's ``metrics`` as [(name, "accuracy" or a function), ...], names distinct."""
    if metrics is None:
        metrics = []
    elif isinstance(metrics, str) or callable(metrics):
        metrics = [metrics]
    elif not isinstance(metrics, list | tuple):
        raise TypeError(f"{who}: metrics must be a list such as ['accuracy'], "
                        f"got {type(metrics).__name__}")
    specs: list[tuple[str, Any]] = []
    for m in metrics:
        if isinstance(m, str):
            specs.append((m.lower(), lookup(m, _metrics.ALIASES, "metric")))
        elif callable(m):
            specs.append((getattr(m, "__name__", type(m).__name__), m))
        else:
            raise TypeError(f"{who}: each metric must be a name such as 'accuracy' or a "
                            f"function, got {m!r}")
    names = [n for n, _ in specs]
    if any(names.count(n) > 1 or n == "loss" for n in names):
        raise ValueError(f"{who}: metric names must be distinct and not 'loss', got {names}")
    return specs


def metric_functions(specs: list[tuple[str, Any]], labels: bool, y: Any,
                     out_width: int) -> list[tuple[str, Callable]]:
    """Resolve "accuracy" by the targets, as Keras does: class labels (``labels``: the
    loss takes class ids, or 1-d targets for a wider output) → sparse, one output →
    binary, else categorical."""
    resolved = []
    for name, kind in specs:
        if callable(kind):
            resolved.append((name, kind))
            continue
        if kind == "accuracy":
            if labels or (y is not None and y.ndim == 1 and out_width > 1):
                kind = "sparse_categorical_accuracy"
            elif out_width == 1:
                kind = "binary_accuracy"
            else:
                kind = "categorical_accuracy"
        resolved.append((name, _metrics.FUNCTIONS[kind]))
    return resolved


def targets(y: Any, out_shape: tuple, arg: str, target: str,
            cast: Callable[[Any], Any]) -> Any:
    """``y`` as the loss wants it: class ids (``target`` "labels"), values shaped like the
    output (``"values"``, floats ``cast`` to the parameters' dtype), or nothing (``"pairs"``:
    row i of every modality belongs together)."""
    if target == "pairs":
        if y is not None:
            raise ValueError(f"{arg}: this model learns from matched pairs; leave the "
                             "targets out (row i of every modality belongs together)")
        return None
    if y is None:
        raise TypeError(f"{arg} (the targets) is required")
    width = int(out_shape[-1])
    if target == "labels":
        return as_int_labels(y, arg, num_classes=width)
    y = cast(as_float_array(y, arg, min_ndim=1))
    if y.ndim == 1 and len(out_shape) == 2 and width == 1:
        y = array_namespace(y).reshape(y, (-1, 1))
    if tuple(y.shape[1:]) != tuple(out_shape[1:]):
        hint = ""
        if y.ndim == 1 and width > 1:
            hint = ("; class indices need loss='sparse_categorical_crossentropy' "
                    "(or one-hot targets)")
        raise ValueError(f"{arg} must have shape {shape_str(out_shape)} to match the model's "
                         f"output, got {shape_str(tuple(y.shape))}{hint}")
    return y


def warn_nonfinite(model: Model, value: float, epoch: tuple[int, int],
                   batch: tuple[int, int]) -> None:
    """fit's warning when a batch's loss is NaN or inf: where, and whether the weights
    are still those the bad loss was computed with."""
    finite = True
    for _, _, layer, name in model._weight_entries():
        p = layer.params[name]
        xp = array_namespace(p)
        finite = finite and bool(xp.all(xp.isfinite(p)))
    state = ("the weights are those the bad loss was computed with" if finite else
             "the weights already hold NaN/inf from the previous update")
    warnings.warn(
        f"{model.name}.fit stopped: the loss became {value} at epoch {epoch[0] + 1}/"
        f"{epoch[1]}, batch {batch[0] + 1}/{batch[1]}. That batch's update was not applied; "
        f"{state}. Try a smaller learning_rate, or check the inputs and labels.",
        RuntimeWarning, stacklevel=5)


def first_layers(x: dict[str, Any], encoders: Mapping[str, Layer],
                 where: str) -> dict[str, Any]:
    """Each modality of x, all of it, through the ``check_input`` of the first layer of
    its encoder (Embedding: every id in range, which the one-sample probe cannot show);
    an error starts with ``where.format(modality)``. Returns x as those layers pass it."""
    out = dict(x)
    for m, xm in x.items():
        try:
            out[m] = leaves(encoders[m])[0][0].check_input(xm)
        except (ValueError, TypeError) as err:
            raise prefixed(err, where.format(m)) from err
    return out
