"""Where arrays live (NumPy, CuPy or array_api_strict) and where randomness comes from.

Library code never calls ``np.`` on data. It asks the data for its namespace,

    xp = array_namespace(x)

and calls ``xp.exp``, ``xp.sum``, ... so the same code runs on every backend.
Parameters are drawn from one seeded NumPy generator and then moved to the active
backend with :func:`asarray`, so a seed gives the same weights everywhere.
:func:`to_numpy` is the one way back (for plotting and saving).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import ModuleType
from typing import Any

import numpy as np

from mmlearn._names import did_you_mean

BACKENDS = ("numpy", "cupy", "array_api_strict")

_state: dict[str, Any] = {
    "backend": "numpy",
    "xp": np,
    "seed": 0,
    "rng": np.random.default_rng(0),
    "floatx": "float32",
}
FLOATX = ("float32", "float64")


def set_backend(name: str) -> None:
    """Choose where new arrays live: ``"numpy"`` (CPU), ``"cupy"`` (GPU) or
    ``"array_api_strict"`` (a strict reference used by the tests).

    Raises ``ValueError`` for an unknown name and ``RuntimeError`` when CuPy is
    asked for on a machine without a usable CUDA GPU; the backend is unchanged then.
    """
    if not isinstance(name, str) or name not in BACKENDS:
        raise ValueError(
            f"set_backend: name must be one of {BACKENDS}, got {name!r}"
            + did_you_mean(name, BACKENDS)
        )
    _state["xp"] = _load_namespace(name)
    _state["backend"] = name


def _load_namespace(name: str) -> ModuleType:
    if name == "numpy":
        return np
    if name == "cupy":
        try:
            cupy = importlib.import_module("cupy")
        except ImportError as err:
            raise RuntimeError(
                "set_backend('cupy'): CuPy is not installed; install it with "
                "`pip install -e .[gpu]` on a machine with a CUDA GPU"
            ) from err
        try:
            available = cupy.cuda.is_available()
        except Exception:  # a broken driver raises instead of answering
            available = False
        if not available:
            raise RuntimeError(
                "set_backend('cupy'): CuPy is installed but no usable CUDA GPU was found "
                "(cupy.cuda.is_available() is False); stay on set_backend('numpy')"
            )
        from array_api_compat import cupy as cupy_compat

        return cupy_compat
    try:
        return importlib.import_module("array_api_strict")
    except ImportError as err:
        raise RuntimeError(
            "set_backend('array_api_strict'): install it with `pip install array-api-strict`"
        ) from err


def get_backend() -> str:
    """Name of the active backend."""
    return _state["backend"]


def get_namespace() -> ModuleType:
    """Array namespace of the active backend (``numpy``, CuPy's or array_api_strict)."""
    return _state["xp"]


def array_namespace(*arrays: Any) -> ModuleType:
    """Namespace of the given arrays, the scikit-learn way.

    Plain NumPy arrays get ``numpy`` itself (NumPy 2 follows the array API and
    skipping the compatibility wrapper keeps per-call overhead low); everything
    else goes through ``array_api_compat``.
    """
    if len(arrays) == 1 and type(arrays[0]) is np.ndarray:     # the hot path: one call per op
        return np
    arrays = tuple(a for a in arrays if a is not None)
    if all(isinstance(a, np.ndarray | np.generic) for a in arrays):
        return np
    from array_api_compat import array_namespace as compat_namespace

    return compat_namespace(*arrays)


def set_seed(seed: int) -> None:
    """Seed every initialiser and data generator in mmlearn."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"set_seed: seed must be a non-negative int, got {seed!r}")
    _state["seed"] = int(seed)
    _state["rng"] = np.random.default_rng(int(seed))


def get_seed() -> int:
    """The seed last given to :func:`set_seed` (0 at import)."""
    return _state["seed"]


def rng() -> np.random.Generator:
    """The shared, seeded NumPy generator that initialisers draw from."""
    return _state["rng"]


def floatx() -> str:
    """The floating dtype new layers, parameters and data get: ``"float32"`` unless
    :func:`set_floatx` chose ``"float64"`` (as ``keras.backend.floatx``)."""
    return _state["floatx"]


def set_floatx(dtype: str) -> None:
    """Compute in ``"float32"`` (the default) or ``"float64"`` from now on.

    Layers and data generators created afterwards use it (a layer's ``dtype=`` argument
    overrides it); existing layers keep their dtype. float64 is for checking gradients
    by finite differences, where float32's rounding swamps the difference.
    """
    if dtype not in FLOATX:
        raise ValueError(f"set_floatx: dtype must be one of {FLOATX}, got {dtype!r}")
    _state["floatx"] = dtype


def asarray(x: Any, dtype: str | None = None, xp: ModuleType | None = None, *,
            copy: bool | None = None) -> Any:
    """Move ``x`` (NumPy array, list, scalar or backend array) to a backend.

    ``xp`` defaults to the active backend. ``dtype`` is a name such as
    ``"float32"``; ``None`` keeps the data's own dtype. ``copy=True`` always returns a
    new array that nothing else references: the library asks for it wherever it keeps
    what a caller passed in (weights, a neuron's weights), so that its in-place updates
    never reach the caller's arrays.
    """
    xp = xp or get_namespace()
    if isinstance(x, np.ndarray) and xp is not np and x.ndim > 0:
        x = np.ascontiguousarray(x)  # (ascontiguousarray would make a 0-d array 1-d)
    if dtype is None:
        return xp.asarray(x, copy=copy)
    return xp.asarray(x, dtype=getattr(xp, dtype), copy=copy)


def take_rows(x: Any, idx: Any) -> Any:
    """Rows ``idx`` (ints, shape (k,)) of an array, or of every array in a dict of
    modalities, each on its own backend: a new array, ``x`` is left as it is."""
    if isinstance(x, Mapping):
        return {key: take_rows(value, idx) for key, value in x.items()}
    xp = array_namespace(x)
    return xp.take(x, asarray(idx, dtype="int64", xp=xp), axis=0)


def to_numpy(x: Any) -> np.ndarray:
    """Bring an array back to the host as a NumPy array (for plots and files)."""
    if isinstance(x, np.ndarray):
        return x
    if hasattr(x, "get") and type(x).__module__.startswith("cupy"):
        return x.get()
    return np.asarray(x)


def is_array(x: Any) -> bool:
    """True for an array of any backend (not lists or Python scalars)."""
    if isinstance(x, np.ndarray):
        return True
    from array_api_compat import is_array_api_obj

    return is_array_api_obj(x) and not isinstance(x, np.generic)
