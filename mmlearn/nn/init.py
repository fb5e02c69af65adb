"""Weight initialisers, as Keras's: each draws from the seeded ``mmlearn.backend.rng()``.

A kernel of ``shape`` is drawn on the host (NumPy) and moved to the backend by
``Layer.add_param``, so one seed gives the same weights on every backend. The fans
default to ``shape[0]`` (inputs) and ``shape[-1]`` (outputs); a layer whose kernel has
more axes (a low-rank factor, attention heads) names them.

    glorot_uniform   U(−l, l),  l = √(6 / (fan_in + fan_out))
    he_uniform       U(−l, l),  l = √(6 / fan_in)
    lecun_uniform    U(−l, l),  l = √(3 / fan_in)
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from mmlearn.backend import rng

__all__ = ["glorot_uniform", "he_uniform", "lecun_uniform"]


def glorot_uniform(shape: tuple[int, ...], fan_in: int | None = None,
                   fan_out: int | None = None) -> np.ndarray:
    """Glorot/Xavier uniform: U(−l, l), l = √(6 / (fan_in + fan_out))."""
    fan_in = shape[0] if fan_in is None else fan_in
    fan_out = shape[-1] if fan_out is None else fan_out
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng().uniform(-limit, limit, size=shape)


def he_uniform(shape: tuple[int, ...]) -> np.ndarray:
    """He uniform (for ReLU): U(−l, l), l = √(6 / fan_in)."""
    limit = math.sqrt(6.0 / shape[0])
    return rng().uniform(-limit, limit, size=shape)


def lecun_uniform(shape: tuple[int, ...]) -> np.ndarray:
    """LeCun uniform: U(−l, l), l = √(3 / fan_in)."""
    limit = math.sqrt(3.0 / shape[0])
    return rng().uniform(-limit, limit, size=shape)


#: Dense's ``kernel_initializer`` names: each is a function of the kernel's shape.
INITIALIZERS: dict[str, Callable[[tuple[int, ...]], np.ndarray]] = {
    "glorot_uniform": glorot_uniform,
    "he_uniform": he_uniform,
    "lecun_uniform": lecun_uniform,
    "zeros": np.zeros,
    "ones": np.ones,
}
