"""Dense and Activation: y = f(x @ W + b) and y = f(x), the seed's building blocks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from mmlearn._validation import check_int, float_input, forward_cache, input_dims, lookup
from mmlearn.backend import array_namespace
from mmlearn.nn import activations
from mmlearn.nn.init import INITIALIZERS
from mmlearn.nn.layer import Layer

__all__ = ["Activation", "Dense"]


# -- Dense -------------------------------------------------------------------------
class Dense(Layer):
    """Fully connected layer: z = x @ W + b, then the activation, y = f(z).

    Shapes: x (batch, in) -> y (batch, units); W (in, units); b (units,).
    Inputs of higher rank (batch, ..., in) are transformed along the last axis, as in Keras.

    Backward, with δ = dL/dz = f'(z) ⊙ dL/dy (the activation's own backward):

        dL/dW = xᵀ δ,    dL/db = Σ_batch δ,    dL/dx = δ Wᵀ.

    ``backward_linear(δ)`` starts from δ = dL/dz directly (the model's fused
    softmax + cross-entropy path). Set ``input_grad = False`` on a first layer to skip
    dL/dx (nobody needs the gradient of the data); ``backward`` then returns ``None``.

    W starts Glorot-uniform, U(−√(6/(in+units)), +√(6/(in+units))), drawn from the seeded
    ``mmlearn.backend.rng()``; b starts at zero (Keras's defaults).
    """

    input_grad: bool = True

    def __init__(self, units: int, activation: str | Callable | None = None, *,
                 input_shape: tuple[int, ...] | None = None, use_bias: bool = True,
                 kernel_initializer: str | Callable = "glorot_uniform",
                 name: str | None = None,
                 dtype: str | None = None, trainable: bool = True) -> None:
        self.units = check_int(units, "units", "Dense", expected="a positive int")
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        if isinstance(kernel_initializer, str):
            self.kernel_initializer = lookup(kernel_initializer, INITIALIZERS,
                                             "kernel_initializer")
        elif callable(kernel_initializer):
            self.kernel_initializer = kernel_initializer
        else:
            raise TypeError("Dense: kernel_initializer must be a name such as 'glorot_uniform' "
                            f"or a function of the shape, got {kernel_initializer!r}")
        self._x: Any = None
        super().__init__(input_shape=input_shape, name=name, trainable=trainable, dtype=dtype)

    @property
    def activation_name(self) -> str:
        """Name of the activation (``"softmax"``, ``"relu"``, ``"linear"``, ...)."""
        return getattr(self.activation, "name", type(self.activation).__name__.lower())

    def build(self, input_shape: tuple) -> None:
        if len(input_shape) < 2:
            raise ValueError(
                f"Dense({self.units}) expected input of shape (batch, features), got "
                f"{tuple(input_shape)}: a single sample needs a batch axis, x[None, :]"
            )
        fan_in = int(input_shape[-1])
        w = np.asarray(self.kernel_initializer((fan_in, self.units)))
        if w.shape != (fan_in, self.units):
            raise ValueError(f"Dense: kernel_initializer returned shape {w.shape}, "
                             f"expected {(fan_in, self.units)}")
        self.add_param("W", w)
        if self.use_bias:
            self.add_param("b", np.zeros(self.units))
        super().build(input_shape)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (*tuple(input_shape)[:-1], self.units)

    def check_input(self, x: Any) -> Any:
        """x must be real (ints and bools become float, as Keras casts inputs) with
        ``in`` features on its last axis."""
        x = float_input(x, f"Dense({self.units})", self.dtype)
        fan_in = int(self.params["W"].shape[0])
        if x.ndim < 2 or int(x.shape[-1]) != fan_in:
            expected = f"(batch, {fan_in})" if x.ndim <= 2 else f"(batch, ..., {fan_in})"
            got = input_dims(x.shape) if x.ndim >= 1 else "a scalar"
            raise ValueError(f"Dense({self.units}) expected input of shape {expected}, got {got}")
        return x

    def forward(self, x: Any, training: bool = False) -> Any:
        """y = f(x @ W + b) for x (batch, ..., in) as :meth:`check_input` passes it."""
        self._x = x                                          # backward needs the input
        z = x @ self.params["W"]
        if self.use_bias:
            z += self.params["b"]                           # z is ours: add in place
        return self._remember_output(self.activation.forward(z))

    def backward(self, grad_out: Any) -> Any:
        """dL/dx from dL/dy: first through the activation (δ = f'(z) ⊙ dL/dy), then linear."""
        self._check_grad_out(grad_out)
        return self.backward_linear(self.activation.backward(grad_out))

    def backward_linear(self, delta: Any) -> Any:
        """From δ = dL/dz: dL/dW = xᵀδ, dL/db = Σ_batch δ; returns dL/dx = δ Wᵀ (or None)."""
        xp = array_namespace(delta)
        x = forward_cache(self._x, f"Dense({self.units})")
        W = self.params["W"]
        if x.ndim == 2:
            x2, d2 = x, delta
        else:                                                # (batch, ..., in): fold the ...
            x2 = xp.reshape(x, (-1, int(x.shape[-1])))
            d2 = xp.reshape(delta, (-1, self.units))
        self.grads["W"] = x2.T @ d2                          # 2-D here, so .T is xᵀ
        if self.use_bias:
            self.grads["b"] = xp.sum(d2, axis=0)
        if not self.input_grad:
            return None
        return delta @ W.T

    def __repr__(self) -> str:
        return f"<Dense units={self.units} activation={self.activation_name!r} name={self.name!r}>"


# -- Activation --------------------------------------------------------------------
class Activation(Layer):
    """An activation as a layer of its own: y = f(x), elementwise (softmax: over the last axis).

    Shapes: x (batch, ...) -> y (same). No parameters. ``backward`` returns
    dL/dx = f'(x) ⊙ dL/dy; ``backward_linear(δ)`` returns δ unchanged (the model's
    fused softmax + cross-entropy path hands it dL/dx directly).
    """

    def __init__(self, activation: str | Callable | None, *, input_shape: tuple | None = None,
                 name: str | None = None,
                 dtype: str | None = None) -> None:
        self.activation = activations.get(activation)
        super().__init__(input_shape=input_shape, name=name, dtype=dtype)

    @property
    def activation_name(self) -> str:
        return getattr(self.activation, "name", type(self.activation).__name__.lower())

    def check_input(self, x: Any) -> Any:
        """x must be real (ints and bools become float)."""
        return float_input(x, f"Activation({self.activation_name!r})", self.dtype)

    def forward(self, x: Any, training: bool = False) -> Any:
        return self._remember_output(self.activation.forward(x))

    def backward(self, grad_out: Any) -> Any:
        self._check_grad_out(grad_out)
        return self.activation.backward(grad_out)

    def backward_linear(self, delta: Any) -> Any:
        return delta
