"""FiLM (Perez et al., 2018): one modality scales and shifts another's features."""

from __future__ import annotations

from typing import Any

import numpy as np

from mmlearn._validation import forward_cache, shape_str
from mmlearn.backend import array_namespace
from mmlearn.fusion.base import _Fusion
from mmlearn.nn.init import glorot_uniform

__all__ = ["FiLM"]


class FiLM(_Fusion):
    """Feature-wise Linear Modulation: one modality scales and shifts another's features.

    Perez, E., Strub, F., de Vries, H., Dumoulin, V. & Courville, A. (2018).
    *FiLM: Visual Reasoning with a General Conditioning Layer*. AAAI.

        γ = c W_γ + b_γ,   β = c W_β + b_β,   out = γ ⊙ x + β

    with c the ``condition`` modality and x the ``target``. Shapes: c (batch, d_c);
    x (batch, C) or (batch, ..., C), channels last, γ and β broadcast over the middle
    axes; out has x's shape. W_γ, W_β (d_c, C) Glorot-uniform; b_γ = 1 and b_β = 0, so
    the modulation starts near the identity. Backward: dγ = Σ_middle δ ⊙ x,
    dβ = Σ_middle δ, dx = γ ⊙ δ, dc = dγ W_γᵀ + dβ W_βᵀ.
    """

    def __init__(self, condition: str = "text", target: str = "image", *,
                 name: str | None = None,
                 dtype: str | None = None) -> None:
        for arg, value in (("condition", condition), ("target", target)):
            if not isinstance(value, str):
                raise TypeError(f"FiLM: {arg} must be a modality name (str), got {value!r}")
        if condition == target:
            raise ValueError(f"FiLM: condition and target must differ, both are {condition!r}")
        self.condition, self.target = condition, target
        self._fixed_keys = (condition, target)
        super().__init__(name=name, dtype=dtype)

    def _label(self) -> str:
        return f"FiLM(condition={self.condition!r}, target={self.target!r})"

    def _check_built_shapes(self, shapes: dict[str, tuple]) -> None:
        c, x = shapes[self.condition], shapes[self.target]
        if len(c) != 2:
            raise ValueError(f"{self._label()} expected condition {self.condition!r} of shape "
                             f"(batch, features), got {shape_str(c)}")
        if len(x) < 2:
            raise ValueError(f"{self._label()} expected target {self.target!r} of shape "
                             f"(batch, ..., channels), got {shape_str(x)}")

    def _build(self, shapes: dict[str, tuple]) -> None:
        d_c, channels = shapes[self.condition][1], shapes[self.target][-1]
        self.add_param("W_gamma", glorot_uniform((d_c, channels)))
        self.add_param("b_gamma", np.ones(channels))
        self.add_param("W_beta", glorot_uniform((d_c, channels)))
        self.add_param("b_beta", np.zeros(channels))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return tuple(input_shape[self.target])

    def _broadcast(self, a: Any, ndim: int) -> Any:
        """(batch, C) -> (batch, 1, ..., 1, C) to line up with a rank-``ndim`` target."""
        xp = array_namespace(a)
        return xp.reshape(a, (a.shape[0],) + (1,) * (ndim - 2) + (a.shape[1],))

    def forward(self, x: dict[str, Any], training: bool = False) -> Any:
        c, t = self._inputs(x)
        p = self.params
        gamma = c @ p["W_gamma"] + p["b_gamma"]
        beta = c @ p["W_beta"] + p["b_beta"]
        self._cache = {"c": c, "x": t, "gamma": gamma}
        out = self._broadcast(gamma, t.ndim) * t + self._broadcast(beta, t.ndim)
        return self._remember_output(out)

    def backward(self, grad_out: Any) -> dict[str, Any]:
        self._check_grad_out(grad_out)
        cache = forward_cache(self._cache or None, self._label())
        xp = array_namespace(grad_out)
        c, t, gamma, p = cache["c"], cache["x"], cache["gamma"], self.params
        middle = tuple(range(1, t.ndim - 1))
        d_gamma = grad_out * t
        d_beta = grad_out
        if middle:
            d_gamma = xp.sum(d_gamma, axis=middle)
            d_beta = xp.sum(d_beta, axis=middle)
        ct = xp.matrix_transpose(c)
        self.grads["W_gamma"] = ct @ d_gamma
        self.grads["b_gamma"] = xp.sum(d_gamma, axis=0)
        self.grads["W_beta"] = ct @ d_beta
        self.grads["b_beta"] = xp.sum(d_beta, axis=0)
        dc = (d_gamma @ xp.matrix_transpose(p["W_gamma"])
              + d_beta @ xp.matrix_transpose(p["W_beta"]))
        return {self.condition: dc, self.target: self._broadcast(gamma, t.ndim) * grad_out}
