"""Dropout: y = x ⊙ m / (1 − rate), m ~ Bernoulli(1 − rate), while training only."""

from __future__ import annotations

from typing import Any

import numpy as np

from mmlearn._validation import float_input
from mmlearn.backend import array_namespace, asarray, rng
from mmlearn.nn.layer import Layer

__all__ = ["Dropout"]


# -- Dropout -----------------------------------------------------------------------
class Dropout(Layer):
    """Inverted dropout: during training each unit is zeroed with probability ``rate`` and the
    survivors are scaled by 1/(1 − rate), so the expected output equals the input and
    inference (``training=False``) is the identity.

        y = x ⊙ m / (1 − rate),   m_i ~ Bernoulli(1 − rate),   dL/dx = dL/dy ⊙ m / (1 − rate)

    Shapes: x (batch, ...) -> y (same). The mask is drawn from the seeded
    ``mmlearn.backend.rng()`` (NumPy) and moved to x's backend.
    """

    def __init__(self, rate: float, *, input_shape: tuple | None = None,
                 name: str | None = None,
                 dtype: str | None = None) -> None:
        if isinstance(rate, bool) or not isinstance(rate, int | float | np.floating | np.integer) \
                or not 0.0 <= float(rate) < 1.0:
            raise ValueError(f"Dropout: rate must be a float in [0, 1), got {rate!r}")
        self.rate = float(rate)
        self._mask: Any = None
        super().__init__(input_shape=input_shape, name=name, dtype=dtype)

    def check_input(self, x: Any) -> Any:
        """x must be real (ints and bools become float)."""
        return float_input(x, f"Dropout({self.rate})", self.dtype)

    def forward(self, x: Any, training: bool = False) -> Any:
        if not training or self.rate == 0.0:
            self._mask = None                                 # identity: backward passes through
            return self._remember_output(x)
        xp = array_namespace(x)
        keep = rng().random(tuple(int(d) for d in x.shape)) >= self.rate
        self._mask = xp.astype(asarray(keep, xp=xp), x.dtype) * (1.0 / (1.0 - self.rate))
        return self._remember_output(x * self._mask)

    def backward(self, grad_out: Any) -> Any:
        self._check_grad_out(grad_out)
        return grad_out if self._mask is None else grad_out * self._mask
