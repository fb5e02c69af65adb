"""Layers without parameters that change an input's shape.

    Flatten()                  (batch, d1, d2, ...) -> (batch, d1·d2·...)
    GlobalAveragePooling1D()   (batch, steps, features) -> mean over steps
"""

from __future__ import annotations

import math
from typing import Any

from mmlearn._validation import float_input, forward_cache, input_dims, size
from mmlearn.backend import array_namespace
from mmlearn.nn.layer import Layer

__all__ = ["Flatten", "GlobalAveragePooling1D"]


# -- Flatten -----------------------------------------------------------------------
class Flatten(Layer):
    """Flattens all but the batch axis: (batch, d1, d2, ...) -> (batch, d1·d2·...).

    (batch,) becomes (batch, 1), as in Keras. Backward reshapes the gradient back.
    """

    def __init__(self, *, input_shape: tuple | None = None, name: str | None = None,
                 dtype: str | None = None) -> None:
        self._shape: tuple | None = None
        super().__init__(input_shape=input_shape, name=name, dtype=dtype)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        rest = tuple(input_shape)[1:]
        if any(d is None for d in rest):
            return (input_shape[0], None)
        return (input_shape[0], math.prod(int(d) for d in rest))

    def check_input(self, x: Any) -> Any:
        """x must be an array with a batch axis."""
        if not hasattr(x, "shape") or x.ndim < 1:
            raise ValueError(f"Flatten expected an array with a batch axis, got {x!r}")
        return x

    def forward(self, x: Any, training: bool = False) -> Any:
        xp = array_namespace(x)
        self._shape = tuple(x.shape)
        rows = int(x.shape[0])
        return self._remember_output(xp.reshape(x, (rows, -1) if size(x) else (rows, 0)))

    def backward(self, grad_out: Any) -> Any:
        self._check_grad_out(grad_out)
        return array_namespace(grad_out).reshape(grad_out, forward_cache(self._shape, "Flatten"))


# -- GlobalAveragePooling1D --------------------------------------------------------
class GlobalAveragePooling1D(Layer):
    """Mean over the steps (token) axis: (batch, steps, features) -> (batch, features).

        y = (1/T) Σ_t x[:, t, :],    dL/dx[:, t, :] = dL/dy / T   for every t.
    """

    def __init__(self, *, input_shape: tuple | None = None, name: str | None = None,
                 dtype: str | None = None) -> None:
        self._steps: int | None = None
        super().__init__(input_shape=input_shape, name=name, dtype=dtype)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (input_shape[0], input_shape[-1])

    def check_input(self, x: Any) -> Any:
        """x must be real (ints and bools become float), (batch, steps, features), steps > 0."""
        x = float_input(x, "GlobalAveragePooling1D", self.dtype)
        if x.ndim != 3 or int(x.shape[1]) == 0:
            raise ValueError("GlobalAveragePooling1D expected input of shape "
                             f"(batch, steps, features) with steps > 0, got {input_dims(x.shape)}")
        return x

    def forward(self, x: Any, training: bool = False) -> Any:
        self._steps = int(x.shape[1])
        return self._remember_output(array_namespace(x).mean(x, axis=1))

    def backward(self, grad_out: Any) -> Any:
        self._check_grad_out(grad_out)
        xp = array_namespace(grad_out)
        steps = forward_cache(self._steps, "GlobalAveragePooling1D")
        g = xp.expand_dims(grad_out / steps, axis=1)                    # (batch, 1, features)
        return xp.zeros((int(g.shape[0]), steps, int(g.shape[2])), dtype=g.dtype) + g
