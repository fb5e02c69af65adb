"""Central-difference gradient checks for any Layer or loss.

The analytic gradient from ``backward`` is compared with the numerical one,

    df/dx_i  ≈  (f(x + ε e_i) − f(x − ε e_i)) / 2ε,

for a scalar ``f``. A layer's output is reduced to a scalar with a fixed random
projection, f = Σ out ⊙ R, so that ``backward(R)`` is exactly df/dx. Run checks
in float64: in float32 the rounding error of the difference swamps ε.

The error reported is relative to the gradient's scale,

    max_i |analytic_i − numeric_i| / max_i max(|analytic_i|, |numeric_i|),

which, unlike an element-by-element ratio, does not blow up on entries that are
exactly zero (masked attention, ReLU's dead units).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from mmlearn.backend import array_namespace, asarray, get_seed, is_array, set_seed, to_numpy


def relative_error(analytic: Any, numeric: Any) -> float:
    """Largest absolute difference divided by the largest magnitude (0 when both are 0)."""
    a = np.asarray(to_numpy(analytic), dtype=np.float64)
    n = np.asarray(to_numpy(numeric), dtype=np.float64)
    if a.shape != n.shape:
        raise ValueError(f"relative_error: shapes differ, analytic {a.shape} vs numeric {n.shape}")
    scale = max(np.max(np.abs(a), initial=0.0), np.max(np.abs(n), initial=0.0))
    return 0.0 if scale == 0 else float(np.max(np.abs(a - n)) / scale)


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray,
                       eps: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar function ``f`` at the NumPy array ``x``."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        saved = x[idx]
        x[idx] = saved + eps
        f_plus = f(x)
        x[idx] = saved - eps
        f_minus = f(x)
        x[idx] = saved
        grad[idx] = (f_plus - f_minus) / (2 * eps)
    return grad


def _check_layer_args(layer: Any, x: Any, who: str) -> None:
    if not all(callable(getattr(layer, m, None)) for m in ("forward", "backward")) \
            or not isinstance(getattr(layer, "params", None), Mapping):
        raise TypeError(f"{who}: layer must be a Layer (with forward, backward and params), "
                        f"e.g. mm.layers.Dense(3); got {type(layer).__name__}")
    arrays = list(x.values()) if isinstance(x, dict) else [x]
    if not arrays or not all(is_array(a) for a in arrays):
        got = type(x).__name__ if not isinstance(x, dict) else \
            f"a dict of {[type(a).__name__ for a in arrays]}"
        raise TypeError(f"{who}: x must be an array (a dict of arrays for a fusion layer), "
                        f"got {got}")


def _check_eps(eps: Any, who: str) -> None:
    if isinstance(eps, bool) or not isinstance(eps, int | float | np.floating) \
            or not 0 < float(eps) < np.inf:
        raise ValueError(f"{who}: eps must be a small positive number such as 1e-6, "
                         f"got {eps!r}")


def check_layer(layer: Any, x: Any, *, training: bool = False, eps: float = 1e-6,
                seed: int | None = None) -> dict[str, float]:
    """Compare ``layer.backward`` with central differences.

    ``x`` is an array, or a dict of arrays for fusion layers (float64 for a
    meaningful check). Randomness inside ``forward`` (Dropout) is frozen by
    re-seeding before every forward pass. Returns the relative error for the
    input (``"x"``, or ``"x[name]"`` per modality) and for every parameter
    (``"W"``, ``"b"``, ...).
    """
    _check_layer_args(layer, x, "check_layer")
    _check_eps(eps, "check_layer")
    seed = get_seed() if seed is None else seed
    xp = array_namespace(*(x.values() if isinstance(x, dict) else (x,)))
    set_seed(seed)
    out = layer(x, training=training)
    projection = np.random.default_rng(1234).standard_normal(to_numpy(out).shape)
    r = asarray(projection, dtype="float64", xp=xp)

    def scalar(inputs: Any) -> float:
        set_seed(seed)
        return float(np.sum(to_numpy(layer.forward(inputs, training=training)) * projection))

    set_seed(seed)
    layer.forward(x, training=training)
    grad_in = layer.backward(r)
    analytic_params = {k: to_numpy(g).copy() for k, g in layer.grads.items()}
    errors: dict[str, float] = {}

    inputs = x if isinstance(x, dict) else {None: x}
    grads_in = grad_in if isinstance(x, dict) else {None: grad_in}
    for name, value in inputs.items():
        def f(v: np.ndarray, name: Any = name) -> float:
            moved = asarray(v, xp=xp)
            if name is None:
                return scalar(moved)
            return scalar({**x, name: moved})

        numeric = numerical_gradient(f, to_numpy(value), eps)
        key = "x" if name is None else f"x[{name}]"
        errors[key] = relative_error(grads_in[name], numeric)

    for key, param in list(layer.params.items()):
        original = param

        def f(v: np.ndarray, key: str = key) -> float:
            layer.params[key] = asarray(v, xp=xp)
            return scalar(x)

        numeric = numerical_gradient(f, to_numpy(original), eps)
        layer.params[key] = original
        errors[key] = relative_error(analytic_params[key], numeric)
    return errors


def check_loss(loss: Any, y_true: Any, y_pred: Any, *, eps: float = 1e-6) -> float:
    """Compare ``loss.backward()`` (dL/dy_pred of the batch-mean loss) with central differences."""
    who = "check_loss"
    if not callable(loss) or not callable(getattr(loss, "backward", None)):
        raise TypeError(f"{who}: loss must be a loss object (called as loss(y_true, y_pred), "
                        f"with backward()), e.g. mm.losses.get('mse'); got {type(loss).__name__}")
    if not is_array(y_pred):
        raise TypeError(f"{who}: y_pred must be an array, got {type(y_pred).__name__}")
    _check_eps(eps, who)
    xp = array_namespace(y_pred)
    loss(y_true, y_pred)
    analytic = to_numpy(loss.backward()).copy()

    def f(v: np.ndarray) -> float:
        return float(to_numpy(loss(y_true, asarray(v, xp=xp))))

    return relative_error(analytic, numerical_gradient(f, to_numpy(y_pred), eps))


def check_function(f: Callable[[Any], Any], df: Callable[[Any], Any], x: Any, *,
                   eps: float = 1e-6) -> float:
    """Elementwise function ``f`` against its derivative ``df`` (activations)."""
    who = "check_function"
    for arg, fn in (("f", f), ("df", df)):
        if not callable(fn):
            raise TypeError(f"{who}: {arg} must be a function, got {type(fn).__name__}")
    if not is_array(x):
        raise TypeError(f"{who}: x must be an array, got {type(x).__name__}")
    _check_eps(eps, who)
    xp = array_namespace(x)

    def total(v: np.ndarray) -> float:
        return float(np.sum(to_numpy(f(asarray(v, xp=xp)))))

    return relative_error(df(x), numerical_gradient(total, to_numpy(x), eps))
