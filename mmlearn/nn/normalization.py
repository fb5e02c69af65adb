"""LayerNorm: y = γ ⊙ (x − μ)/√(σ² + ε) + β over the last axis."""

from __future__ import annotations

from typing import Any

import numpy as np

from mmlearn._validation import float_input, forward_cache, input_dims
from mmlearn.backend import array_namespace
from mmlearn.nn.layer import Layer

__all__ = ["LayerNorm"]


# -- LayerNorm ---------------------------------------------------------------------
class LayerNorm(Layer):
    """Layer normalisation over the last axis (Keras ``LayerNormalization``, eps = 1e-3):

        μ = mean(x),  σ² = mean((x − μ)²),  x̂ = (x − μ)/√(σ² + ε),  y = γ ⊙ x̂ + β.

    Shapes: x (batch, ..., d) -> y (same); γ = params["gamma"] (d,) ones,
    β = params["beta"] (d,) zeros.

    Backward, with g = dL/dy and ĝ = g ⊙ γ, per row of length d:

        dL/dγ = Σ g ⊙ x̂,   dL/dβ = Σ g   (summed over every axis but the last)
        dL/dx = (ĝ − mean(ĝ) − x̂ · mean(ĝ ⊙ x̂)) / √(σ² + ε)
    """

    def __init__(self, epsilon: float = 1e-3, *, input_shape: tuple | None = None,
                 name: str | None = None,
                 dtype: str | None = None, trainable: bool = True) -> None:
        if isinstance(epsilon, bool) or not isinstance(epsilon, int | float) or epsilon <= 0:
            raise ValueError(f"LayerNorm: epsilon must be a positive float, got {epsilon!r}")
        self.epsilon = float(epsilon)
        self._cache: Any = None
        super().__init__(input_shape=input_shape, name=name, trainable=trainable, dtype=dtype)

    def build(self, input_shape: tuple) -> None:
        d = input_shape[-1] if len(input_shape) >= 2 else None
        if d is None:
            raise ValueError(f"LayerNorm expected input of shape (batch, ..., features), "
                             f"got {tuple(input_shape)}")
        self.add_param("gamma", np.ones(int(d)))
        self.add_param("beta", np.zeros(int(d)))
        super().build(input_shape)

    def check_input(self, x: Any) -> Any:
        """x must be real (ints and bools become float) with ``d`` features on its last
        axis."""
        x = float_input(x, "LayerNorm", self.dtype)
        d = int(self.params["gamma"].shape[0])
        if x.ndim < 2 or int(x.shape[-1]) != d:
            raise ValueError(f"LayerNorm expected input of shape (batch, ..., {d}), "
                             f"got {input_dims(x.shape) if x.ndim else 'a scalar'}")
        return x

    def forward(self, x: Any, training: bool = False) -> Any:
        gamma, beta = self.params["gamma"], self.params["beta"]
        xp = array_namespace(x)
        mu = xp.mean(x, axis=-1, keepdims=True)
        xc = x - mu
        var = xp.mean(xc * xc, axis=-1, keepdims=True)
        inv_std = 1.0 / xp.sqrt(var + self.epsilon)
        x_hat = xc * inv_std
        self._cache = (x_hat, inv_std)
        return self._remember_output(x_hat * gamma + beta)

    def backward(self, grad_out: Any) -> Any:
        self._check_grad_out(grad_out)
        xp = array_namespace(grad_out)
        x_hat, inv_std = forward_cache(self._cache, "LayerNorm")
        d = int(x_hat.shape[-1])
        g2 = xp.reshape(grad_out, (-1, d))
        self.grads["gamma"] = xp.sum(g2 * xp.reshape(x_hat, (-1, d)), axis=0)
        self.grads["beta"] = xp.sum(g2, axis=0)
        g_hat = grad_out * self.params["gamma"]
        mean_g = xp.mean(g_hat, axis=-1, keepdims=True)
        mean_gx = xp.mean(g_hat * x_hat, axis=-1, keepdims=True)
        return (g_hat - mean_g - x_hat * mean_gx) * inv_std
