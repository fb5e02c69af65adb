"""Activation functions f(z), their derivatives, and stateful activation objects.

Each function reads like its formula and works on any backend (it asks its input
for the namespace, ``xp = array_namespace(z)``):

    relu(z)    = max(z, 0)                       relu'(z)    = 1[z > 0]
    sigmoid(z) = 1 / (1 + e^{-z})                sigmoid'(z) = σ(z)(1 − σ(z))
    tanh(z)    = (e^z − e^{-z}) / (e^z + e^{-z}) tanh'(z)    = 1 − tanh(z)²
    gelu(z)    ≈ ½ z (1 + tanh(√(2/π)(z + 0.044715 z³)))   (GPT-2/BERT approximation)
    softmax(z)_i = e^{z_i} / Σ_j e^{z_j}         (a Jacobian-vector product, see below)
    linear(z)  = z                               linear'(z)  = 1
    step(z)    = 1[z ≥ 0]  (Heaviside; the perceptron's; no useful derivative)

Layers use the stateful objects returned by :func:`get`: ``forward(z)`` computes
f(z) and caches what ``backward(grad_out)`` needs to return dL/dz = dL/df · f'(z).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

from mmlearn._validation import forward_cache, lookup
from mmlearn.backend import array_namespace

__all__ = [
    "ActivationFunction", "GELU", "Linear", "ReLU", "Sigmoid", "Softmax", "Step", "Tanh",
    "gelu", "gelu_derivative", "get", "linear", "linear_derivative", "log_softmax", "relu",
    "relu_derivative",
    "sigmoid", "sigmoid_derivative", "softmax", "softmax_derivative", "step", "step_derivative",
    "tanh", "tanh_derivative",
]

_GELU_C = math.sqrt(2.0 / math.pi)  # √(2/π)
_GELU_A = 0.044715


# -- the functions -------------------------------------------------------------
def relu(z: Any) -> Any:
    """ReLU: max(z, 0), elementwise."""
    return array_namespace(z).maximum(z, 0.0)


def relu_derivative(z: Any) -> Any:
    """relu'(z) = 1 where z > 0, else 0 (we take 0 at the kink z = 0, as Keras and PyTorch do)."""
    xp = array_namespace(z)
    return xp.astype(z > 0, z.dtype)


def sigmoid(z: Any) -> Any:
    """Logistic sigmoid σ(z) = 1 / (1 + e^{-z}).

    Computed without overflow: with e = e^{-|z|} ≤ 1, σ(z) = 1/(1+e) for z ≥ 0 and
    e/(1+e) for z < 0 (the same number, but e^{-z} is never formed for very negative z).
    """
    xp = array_namespace(z)
    e = xp.exp(-xp.abs(z))
    return xp.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_derivative(z: Any) -> Any:
    """σ'(z) = σ(z)(1 − σ(z))."""
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh(z: Any) -> Any:
    """Hyperbolic tangent, elementwise."""
    return array_namespace(z).tanh(z)


def tanh_derivative(z: Any) -> Any:
    """tanh'(z) = 1 − tanh(z)²."""
    t = tanh(z)
    return 1.0 - t * t


def gelu(z: Any) -> Any:
    """GELU, tanh approximation (GPT-2, BERT; ``torch.nn.GELU(approximate="tanh")``,
    ``keras.activations.gelu(x, approximate=True)``):

        gelu(z) = ½ z (1 + tanh(√(2/π) (z + 0.044715 z³)))

    The exact GELU is z·Φ(z) with Φ(z) = ½(1 + erf(z/√2)); the array API standard has
    no ``erf``, so the approximation (max. difference about 5e-4) is what runs on every
    backend.
    """
    xp = array_namespace(z)
    return 0.5 * z * (1.0 + xp.tanh(_GELU_C * (z + _GELU_A * z * z * z)))


def gelu_derivative(z: Any) -> Any:
    """d/dz of the tanh-approximate GELU: with u = √(2/π)(z + 0.044715 z³), t = tanh(u),

        gelu'(z) = ½(1 + t) + ½ z (1 − t²) · √(2/π)(1 + 3·0.044715 z²).
    """
    xp = array_namespace(z)
    t = xp.tanh(_GELU_C * (z + _GELU_A * z * z * z))
    return 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * _GELU_C * (1.0 + 3.0 * _GELU_A * z * z)


def softmax(z: Any, axis: int = -1) -> Any:
    """softmax(z)_i = e^{z_i − m} / Σ_j e^{z_j − m}, with m = max_j z_j along ``axis``.

    Subtracting the maximum changes nothing mathematically and keeps e^{·} ≤ 1, so huge
    logits (1e4) give probabilities, not inf/inf = NaN.
    """
    xp = array_namespace(z)
    e = xp.exp(z - xp.max(z, axis=axis, keepdims=True))
    return e / xp.sum(e, axis=axis, keepdims=True)


def softmax_derivative(z: Any, grad_out: Any, axis: int = -1) -> Any:
    """Jacobian-vector product of softmax: given v = dL/ds, returns dL/dz.

    The Jacobian is ∂s_i/∂z_j = s_i(δ_ij − s_j), so (Jᵀv)_j = s_j (v_j − Σ_i v_i s_i).
    Forming J itself would cost (classes)² per sample; this costs O(classes).
    """
    xp = array_namespace(z, grad_out)
    s = softmax(z, axis=axis)
    return s * (grad_out - xp.sum(grad_out * s, axis=axis, keepdims=True))


def log_softmax(z: Any, axis: int = -1) -> Any:
    """log softmax(z) = z − m − log Σ_j e^{z_j − m}, m = max_j z_j along ``axis``
    (log-sum-exp: never forms e^{big})."""
    xp = array_namespace(z)
    m = xp.max(z, axis=axis, keepdims=True)
    return z - m - xp.log(xp.sum(xp.exp(z - m), axis=axis, keepdims=True))


def linear(z: Any) -> Any:
    """Identity: f(z) = z (a Dense layer with no activation)."""
    return z


def linear_derivative(z: Any) -> Any:
    """linear'(z) = 1."""
    return array_namespace(z).ones_like(z)


def step(z: Any) -> Any:
    """Heaviside step, the perceptron's activation: 1 where z ≥ 0, else 0."""
    xp = array_namespace(z)
    return xp.astype(z >= 0, z.dtype)


def step_derivative(z: Any) -> Any:
    """The step has derivative 0 everywhere except at 0 (where it is undefined), so gradient
    descent cannot learn through it. Raises ``ValueError``: use the perceptron rule
    (:class:`mmlearn.neuron.Perceptron`) or a smooth activation such as ``"sigmoid"``.
    """
    raise ValueError(
        "activation 'step' has no useful derivative (0 everywhere, undefined at 0), so "
        "backpropagation cannot train through it; use the perceptron rule "
        "(mmlearn.neuron.Perceptron) or a smooth activation such as 'sigmoid'"
    )


# -- stateful objects that layers use ------------------------------------------------
class ActivationFunction:
    """An activation as an object a layer can call: ``forward`` caches, ``backward`` uses it.

    Shapes: z (any shape) -> f(z) (same shape); ``backward(grad_out)`` takes dL/df of
    that shape and returns dL/dz = grad_out ⊙ f'(z) (a Jacobian-vector product for softmax).
    """

    name: str = "base"

    def __init__(self) -> None:
        self._cache: Any = None

    def __call__(self, z: Any) -> Any:
        return self.forward(z)

    def forward(self, z: Any) -> Any:
        raise NotImplementedError

    def backward(self, grad_out: Any) -> Any:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<activation {self.name}>"


class Linear(ActivationFunction):
    """f(z) = z; backward passes the gradient through unchanged."""

    name = "linear"

    def forward(self, z: Any) -> Any:
        return z

    def backward(self, grad_out: Any) -> Any:
        return grad_out


class ReLU(ActivationFunction):
    """f(z) = max(z, 0); dL/dz = grad_out ⊙ 1[z > 0]."""

    name = "relu"

    def forward(self, z: Any) -> Any:
        xp = array_namespace(z)
        # The mask 1[z > 0] is all backward needs. Kept as 0.0/1.0 in z's dtype because
        # a product is ~15x faster in NumPy than where(mask, g, 0) on a random mask.
        self._cache = xp.astype(z > 0, z.dtype)
        return xp.maximum(z, 0.0)

    def backward(self, grad_out: Any) -> Any:
        return grad_out * forward_cache(self._cache, f"activation {self.name!r}")


class Sigmoid(ActivationFunction):
    """f(z) = σ(z); dL/dz = grad_out ⊙ s(1 − s), with s = σ(z) cached."""

    name = "sigmoid"

    def forward(self, z: Any) -> Any:
        self._cache = sigmoid(z)
        return self._cache

    def backward(self, grad_out: Any) -> Any:
        s = forward_cache(self._cache, f"activation {self.name!r}")
        return grad_out * s * (1.0 - s)


class Tanh(ActivationFunction):
    """f(z) = tanh(z); dL/dz = grad_out ⊙ (1 − t²), with t = tanh(z) cached."""

    name = "tanh"

    def forward(self, z: Any) -> Any:
        self._cache = tanh(z)
        return self._cache

    def backward(self, grad_out: Any) -> Any:
        t = forward_cache(self._cache, f"activation {self.name!r}")
        return grad_out * (1.0 - t * t)


class GELU(ActivationFunction):
    """f(z) = gelu(z) (tanh approximation); dL/dz = grad_out ⊙ gelu'(z), z cached."""

    name = "gelu"

    def forward(self, z: Any) -> Any:
        self._cache = z
        return gelu(z)

    def backward(self, grad_out: Any) -> Any:
        return grad_out * gelu_derivative(forward_cache(self._cache, f"activation {self.name!r}"))


class Softmax(ActivationFunction):
    """s = softmax(z) over the last axis; dL/dz = s ⊙ (grad_out − Σ_j grad_out_j s_j)."""

    name = "softmax"

    def forward(self, z: Any) -> Any:
        self._cache = softmax(z, axis=-1)
        return self._cache

    def backward(self, grad_out: Any) -> Any:
        s = forward_cache(self._cache, f"activation {self.name!r}")
        xp = array_namespace(grad_out)
        return s * (grad_out - xp.sum(grad_out * s, axis=-1, keepdims=True))


class Step(ActivationFunction):
    """f(z) = 1[z ≥ 0]; backward raises (see :func:`step_derivative`)."""

    name = "step"

    def forward(self, z: Any) -> Any:
        return step(z)

    def backward(self, grad_out: Any) -> Any:
        return step_derivative(grad_out)


_REGISTRY: dict[str, type[ActivationFunction]] = {
    "linear": Linear, "relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh, "gelu": GELU,
    "softmax": Softmax, "step": Step,
}
_BY_FUNCTION: dict[Callable, type[ActivationFunction]] = {
    linear: Linear, relu: ReLU, sigmoid: Sigmoid, tanh: Tanh, gelu: GELU, softmax: Softmax,
    step: Step,
}


def get(identifier: str | Callable | ActivationFunction | None) -> ActivationFunction:
    """A fresh activation object for ``identifier``.

    Accepts a name (``"relu"``, case-insensitive; unknown names raise ``ValueError`` with a
    did-you-mean), ``None`` (identity, as Keras's ``activation=None``), one of this
    module's functions (``activations.relu``), an :class:`ActivationFunction` class or
    instance (copied, so two layers never share a cache), or any object with
    ``forward(z)`` and ``backward(grad_out)`` methods.
    """
    if identifier is None:
        return Linear()
    if isinstance(identifier, str):
        return lookup(identifier, _REGISTRY, "activation")()
    if isinstance(identifier, type) and issubclass(identifier, ActivationFunction):
        return identifier()
    if isinstance(identifier, ActivationFunction) or (
        callable(getattr(identifier, "forward", None))
        and callable(getattr(identifier, "backward", None))
    ):
        return copy.copy(identifier)
    if callable(identifier) and identifier in _BY_FUNCTION:
        return _BY_FUNCTION[identifier]()
    raise TypeError(
        "activation must be a name such as 'relu', None, one of mmlearn.activations' functions "
        f"or an object with forward/backward methods, got {identifier!r}"
    )
