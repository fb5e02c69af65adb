"""Argument checks shared by the whole library (DESIGN 3.4).

Every message names the argument, what was expected and what came, e.g.
``Dense(64) expected input of shape (batch, 32), got (batch, 31)``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from mmlearn._names import did_you_mean
from mmlearn.backend import array_namespace, asarray, get_namespace, is_array, to_numpy


def lookup(name: Any, registry: Mapping[str, Any], what: str) -> Any:
    """Find ``name`` in ``registry`` (case-insensitive), with a did-you-mean on failure."""
    if not isinstance(name, str):
        raise TypeError(f"{what} must be a name (str) or an object, got {type(name).__name__}")
    key = name.lower()
    if key not in registry:
        raise ValueError(
            f"unknown {what} {name!r}; expected one of {sorted(registry)}"
            + did_you_mean(key, registry)
        )
    return registry[key]


def check_int(value: Any, arg: str, who: str, *, minimum: int = 1, expected: str = "",
              wrong_type: type[Exception] = ValueError) -> int:
    """``value`` as an int >= ``minimum`` (bools refused), the one integer check.

    A value below ``minimum`` is a ``ValueError``; a non-int (2.5, "3", True) raises
    ``wrong_type``: ``ValueError`` for a layer's size, as Keras's layer arguments, and
    ``TypeError`` where a dataset's size or a length is given. Messages name ``arg``:
    ``Dense: units must be a positive int, got 0``.
    """
    message = f"{who}: {arg} must be {expected or f'an int >= {minimum}'}, got {value!r}"
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise wrong_type(message)
    if value < minimum:
        raise ValueError(message)
    return int(value)


def fraction(value: Any, arg: str, who: str, *, low: float = 0.0, high: float = 1.0,
             closed: bool = True) -> float:
    """``value`` as a float in [low, high] (``closed=False``: (low, high)); a ``TypeError``
    for a non-number, a ``ValueError`` for NaN or a value outside the interval."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{who}: {arg} must be a number, got {value!r}")
    v = float(value)
    ok = low <= v <= high if closed else low < v < high
    if not ok or math.isnan(v):
        interval = f"[{low}, {high}]" if closed else f"({low}, {high})"
        raise ValueError(f"{who}: {arg} must be in {interval}, got {value!r}")
    return v


def dtype_name(a: Any) -> str:
    """The short dtype name of an array of any backend: ``float32``, ``int64``."""
    return str(a.dtype).rsplit(".", 1)[-1]


def shape_str(shape: tuple) -> str:
    """``(batch, 31)`` for ``(None, 31)`` or ``(5, 31)`` with the batch axis named."""
    inner = ", ".join("batch" if i == 0 else str(d) for i, d in enumerate(shape))
    return f"({inner}{',' if len(shape) == 1 else ''})"


def as_float_array(x: Any, arg: str, *, ndim: int | None = None, min_ndim: int | None = None,
                   allow_empty: bool = False, finite: bool = True) -> Any:
    """Validate ``x`` as a real-valued array and return it on the active backend.

    Lists and NumPy arrays are moved to the active backend; integer and bool data
    become float32; float64 stays float64 (gradient checks need it).
    """
    if not is_array(x):
        if isinstance(x, str | bytes | Mapping) or x is None:
            raise TypeError(f"{arg} must be an array of numbers, got {type(x).__name__}")
        try:
            x = asarray(x)
        except Exception as err:
            raise TypeError(f"{arg} must be an array of numbers, got {type(x).__name__}") from err
    else:
        x = _to_active_backend(x)
    xp = array_namespace(x)
    kind = _dtype_kind(x)
    if kind not in "fiub":
        raise TypeError(f"{arg} must hold real numbers, got dtype {x.dtype}")
    if kind != "f":
        x = xp.astype(x, xp.float32)
    if ndim is not None and x.ndim != ndim:
        raise ValueError(f"{arg} must be a {ndim}-d array, got shape {tuple(x.shape)}")
    if min_ndim is not None and x.ndim < min_ndim:
        raise ValueError(
            f"{arg} must have at least {min_ndim} dimensions, got shape {tuple(x.shape)}"
        )
    if not allow_empty and size(x) == 0:
        raise ValueError(f"{arg} is empty (shape {tuple(x.shape)}); expected at least one sample")
    if finite and not bool(xp.all(xp.isfinite(x))):
        raise ValueError(f"{arg} contains NaN or inf; clean or impute the data first")
    return x


def real_array(x: Any, what: str, *, cast_to: str | None = None) -> Any:
    """``x``, an array of any backend holding real numbers (bool, int or float), else a
    ``TypeError`` that starts with ``what`` (e.g. ``"Gated(5): modality 'image'"``).

    Complex, object and string arrays are refused. With ``cast_to`` (a float dtype name),
    integer and bool data become that dtype, as Keras casts inputs to its floatx; floating
    data is returned as it is.
    """
    if not is_array(x):
        raise TypeError(f"{what} must be an array, got {type(x).__name__}")
    kind = _dtype_kind(x)
    if kind not in "fiub":
        raise TypeError(f"{what} must hold real numbers, got dtype {x.dtype}")
    if cast_to is not None and kind != "f":
        xp = array_namespace(x)
        x = xp.astype(x, getattr(xp, cast_to))
    return x


def check_finite(x: Any, what: str) -> None:
    """A floating array without NaN or inf (integer data always passes), else ValueError."""
    xp = array_namespace(x)
    if _dtype_kind(x) == "f" and not bool(xp.all(xp.isfinite(x))):
        raise ValueError(f"{what} contains NaN or inf; clean or impute the data first")


def prefixed(err: BaseException, prefix: str) -> BaseException:
    """The same kind of error with ``prefix: `` in front of its message, to say where it
    happened (``validation_data[0]: ...``, ``modality 'text': ...``); raise it ``from err``.
    Errors whose class cannot be rebuilt from a message come back as they are."""
    try:
        new = type(err)(f"{prefix}: {err}")
    except Exception:
        return err
    return new if str(new) == f"{prefix}: {err}" else err


def as_int_labels(y: Any, arg: str, *, num_classes: int | None = None) -> Any:
    """Validate integer class labels in ``[0, num_classes)``, shape (batch,) or (batch, 1)."""
    if not is_array(y):
        try:
            y = asarray(y)
        except Exception as err:
            raise TypeError(f"{arg} must be an array of class labels, got {type(y).__name__}") \
                from err
    else:
        y = _to_active_backend(y)
    xp = array_namespace(y)
    already_int64 = y.dtype == xp.int64          # labels a model checked once already
    if not already_int64:
        kind = _dtype_kind(y)
        if kind == "f":
            if not bool(xp.all(xp.isfinite(y))) or not bool(xp.all(y == xp.round(y))):
                raise ValueError(f"{arg} must hold whole-number class labels, got non-integers")
        elif kind not in "iu":
            raise TypeError(f"{arg} must hold integer class labels, got dtype {y.dtype}")
    if y.ndim == 2 and y.shape[1] == 1:
        y = xp.reshape(y, (-1,))
    if y.ndim != 1:
        raise ValueError(f"{arg} must have shape (batch,) of class indices, got {tuple(y.shape)}")
    if not already_int64:
        y = xp.astype(y, xp.int64)
    if num_classes is not None and size(y):
        low, high = int(xp.min(y)), int(xp.max(y))
        if low < 0 or high >= num_classes:
            bad = low if low < 0 else high
            raise ValueError(
                f"{arg} must be in [0, {num_classes - 1}] for {num_classes} classes, got {bad}"
            )
    return y


def check_same_batch(arrays: Mapping[str, Any], what: str = "inputs") -> int:
    """All arrays share their first dimension; returns it."""
    sizes = {name: int(a.shape[0]) for name, a in arrays.items()}
    if len(set(sizes.values())) > 1:
        raise ValueError(f"{what} must have the same batch size, got {sizes}")
    return next(iter(sizes.values())) if sizes else 0


def _to_active_backend(x: Any) -> Any:
    """NumPy data given while another backend is active moves there (data in, once)."""
    xp = get_namespace()
    if array_namespace(x) is xp:
        return x
    if isinstance(x, np.ndarray):
        return asarray(x, xp=xp)
    if xp is np:
        return to_numpy(x)
    return x


def _dtype_kind(x: Any) -> str:
    xp = array_namespace(x)
    dt = x.dtype
    if xp.isdtype(dt, "bool"):
        return "b"
    if xp.isdtype(dt, "signed integer"):
        return "i"
    if xp.isdtype(dt, "unsigned integer"):
        return "u"
    if xp.isdtype(dt, "real floating"):
        return "f"
    return "c" if xp.isdtype(dt, "complex floating") else "O"


def size(x: Any) -> int:
    n = 1
    for d in x.shape:
        n *= int(d)
    return n


def checked_weights(weights: Any, current: list[tuple[str, Any]], who: str) -> list[Any]:
    """New values for parameters, all checked before any is written (a bad list changes
    nothing): one array per ``(label, current array)`` pair, real numbers (not None,
    strings, bools or complex), the current shape, finite. Returns host (NumPy) copies in
    each parameter's dtype. Values that do not survive the conversion to that dtype
    (float64 weights into a float32 model) are converted with a warning, never silently.
    """
    if isinstance(weights, str | bytes | Mapping) or not isinstance(weights, Iterable):
        raise TypeError(f"{who} expected a list of {len(current)} arrays, "
                        f"got {type(weights).__name__}")
    weights = list(weights)
    if len(weights) != len(current):
        raise ValueError(f"{who} expected {len(current)} arrays "
                         f"({', '.join(label for label, _ in current)}), got {len(weights)}")
    converted, lossy = [], []
    for (label, old), new in zip(current, weights, strict=True):
        host = to_numpy(new) if is_array(new) else np.asarray(new, dtype=object)
        if host.dtype == object:
            if any(v is None for v in host.ravel()):
                raise TypeError(f"{who}: {label} holds None; expected an array of numbers")
            try:
                host = np.asarray(new, dtype=np.float64)
            except (TypeError, ValueError) as err:
                raise TypeError(f"{who}: {label} must be an array of numbers, got "
                                f"{_describe(new)}") from err
        if host.dtype.kind not in "fiu":
            raise TypeError(f"{who}: {label} must hold real numbers, got dtype {host.dtype}")
        want = tuple(old.shape)
        if tuple(host.shape) != want:
            raise ValueError(f"{who}: {label} expected shape {want}, got {tuple(host.shape)}")
        if not np.all(np.isfinite(host)):
            raise ValueError(f"{who}: {label} contains NaN or inf; nothing was changed")
        dtype = np.dtype(to_numpy(old).dtype.name)
        cast = host.astype(dtype, copy=True)
        if host.dtype != dtype and not np.array_equal(cast, host):
            lossy.append(f"{label} ({host.dtype})")
        converted.append(cast)
    if lossy:
        warnings.warn(f"{who}: converted {', '.join(lossy)} to the model's "
                      f"{to_numpy(current[0][1]).dtype}, losing precision; build the model "
                      "after mm.set_floatx('float64') to keep it", stacklevel=3)
    return converted


def _describe(x: Any) -> str:
    shape = getattr(x, "shape", None)
    return f"{type(x).__name__} of shape {tuple(shape)}" if shape is not None \
        else type(x).__name__


def input_dims(shape: tuple) -> str:
    """``(batch, 31)`` from an input shape, whatever its batch size."""
    return shape_str((None, *tuple(shape)[1:]))


def float_input(x: Any, who: str, dtype: str = "float32") -> Any:
    """``x`` must be a real floating array (ints/bools are cast to ``dtype``, as Keras does)."""
    if not hasattr(x, "shape") or not hasattr(x, "dtype"):
        raise TypeError(f"{who} expected an array, got {type(x).__name__}")
    try:
        xp = array_namespace(x)
        if x.dtype == xp.float32 or xp.isdtype(x.dtype, "real floating"):   # float32 first: cheap
            return x
        if xp.isdtype(x.dtype, ("integral", "bool")):
            return xp.astype(x, getattr(xp, dtype))
    except (TypeError, ValueError):
        pass
    raise TypeError(f"{who} expected real-valued (float) input, got dtype {x.dtype}")


def forward_cache(cache: Any, who: str, hint: str = "") -> Any:
    """What forward stored for backward; refuses a backward that runs before any forward.

    The one check of "forward has not run" for layers, activations, fusion and losses.
    """
    if cache is None:
        raise RuntimeError(f"{who}: backward called before {hint or 'forward'}")
    return cache


def positive_number(value: Any, arg: str, who: str) -> float:
    """``value`` as a finite float > 0: a TypeError for a non-number, else a ValueError."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{who}: {arg} must be a positive number, got {value!r}")
    v = float(value)
    if not math.isfinite(v) or v <= 0:
        raise ValueError(f"{who}: {arg} must be a positive number, got {value!r}")
    return v


def float_matrix(a: Any, arg: str, who: str) -> Any:
    """A 2-d real array (ints become float32), on its own backend."""
    if not is_array(a):
        if isinstance(a, str | bytes | Mapping) or a is None:
            raise TypeError(f"{who}: {arg} must be a 2-d array of numbers, "
                            f"got {type(a).__name__}")
        try:
            a = asarray(np.asarray(a))
        except Exception as err:
            raise TypeError(f"{who}: {arg} must be a 2-d array of numbers, "
                            f"got {type(a).__name__}") from err
    xp = array_namespace(a)
    if xp.isdtype(a.dtype, ("integral", "bool")):
        a = xp.astype(a, xp.float32)
    elif not xp.isdtype(a.dtype, "real floating"):
        raise TypeError(f"{who}: {arg} must hold real numbers, got dtype {a.dtype}")
    if a.ndim != 2:
        raise ValueError(f"{who}: {arg} must be a 2-d array (n, features), "
                         f"got shape {tuple(a.shape)}")
    return a
