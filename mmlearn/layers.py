"""Layers: the boxes data flows through (DESIGN 3.1).

Every layer follows one contract (see :class:`Layer`): ``forward(x, training=False)``
caches what ``backward`` needs; ``backward(grad_out)`` takes dL/d(output), fills
``self.grads`` (same keys and shapes as ``self.params``) and returns dL/dx.

    Dense(units, activation)   y = f(x @ W + b)
    Activation(name)           y = f(x)
    Dropout(rate)              y = x ⊙ m / (1 − rate), m ~ Bernoulli(1 − rate), when training
    Flatten()                  (batch, d1, d2, ...) -> (batch, d1·d2·...)
    Embedding(V, D)            ids (batch, steps) -> E[ids] (batch, steps, D)
    LayerNorm()                y = γ ⊙ (x − μ)/√(σ² + ε) + β over the last axis
    GlobalAveragePooling1D()   (batch, steps, features) -> mean over steps
    MultiHeadAttention         (from mmlearn.attention)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from mmlearn import activations as _activations
from mmlearn._layer import Layer
from mmlearn._validation import lookup, shape_str
from mmlearn.backend import array_namespace, asarray, rng

__all__ = [
    "Activation", "Dense", "Dropout", "Embedding", "Flatten", "GlobalAveragePooling1D",
    "Layer", "LayerNorm",
]


# -- small helpers ---------------------------------------------------------------
def _dims(shape: tuple) -> str:
    """``(batch, 31)`` from an input shape, whatever its batch size."""
    return shape_str((None, *tuple(shape)[1:]))


def _check_float(x: Any, who: str, dtype: str = "float32") -> Any:
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


def _need(cache: Any, who: str) -> Any:
    if cache is None:
        raise RuntimeError(f"{who}: backward called before forward")
    return cache


def _glorot_uniform(shape: tuple[int, int]) -> np.ndarray:
    limit = math.sqrt(6.0 / (shape[0] + shape[1]))
    return rng().uniform(-limit, limit, size=shape)


def _he_uniform(shape: tuple[int, int]) -> np.ndarray:
    limit = math.sqrt(6.0 / shape[0])
    return rng().uniform(-limit, limit, size=shape)


def _lecun_uniform(shape: tuple[int, int]) -> np.ndarray:
    limit = math.sqrt(3.0 / shape[0])
    return rng().uniform(-limit, limit, size=shape)


_INITIALIZERS: dict[str, Callable[[tuple[int, int]], np.ndarray]] = {
    "glorot_uniform": _glorot_uniform,
    "he_uniform": _he_uniform,
    "lecun_uniform": _lecun_uniform,
    "zeros": np.zeros,
    "ones": np.ones,
}


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
        if isinstance(units, bool) or not isinstance(units, int | np.integer) or units <= 0:
            raise ValueError(f"Dense: units must be a positive int, got {units!r}")
        self.units = int(units)
        self.activation = _activations.get(activation)
        self.use_bias = bool(use_bias)
        if isinstance(kernel_initializer, str):
            self.kernel_initializer = lookup(kernel_initializer, _INITIALIZERS,
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

    def _check_input(self, x: Any) -> Any:
        x = _check_float(x, f"Dense({self.units})", self.dtype)
        fan_in = int(self.params["W"].shape[0])
        if x.ndim < 2 or int(x.shape[-1]) != fan_in:
            expected = f"(batch, {fan_in})" if x.ndim <= 2 else f"(batch, ..., {fan_in})"
            got = _dims(x.shape) if x.ndim >= 1 else "a scalar"
            raise ValueError(f"Dense({self.units}) expected input of shape {expected}, got {got}")
        return x

    def forward(self, x: Any, training: bool = False) -> Any:
        x = self._check_input(x)
        self._x = x                                          # backward needs the input
        z = x @ self.params["W"]
        if self.use_bias:
            z += self.params["b"]                           # z is ours: add in place
        return self.activation.forward(z)

    def backward(self, grad_out: Any) -> Any:
        """dL/dx from dL/dy: first through the activation (δ = f'(z) ⊙ dL/dy), then linear."""
        return self.backward_linear(self.activation.backward(grad_out))

    def backward_linear(self, delta: Any) -> Any:
        """From δ = dL/dz: dL/dW = xᵀδ, dL/db = Σ_batch δ; returns dL/dx = δ Wᵀ (or None)."""
        xp = array_namespace(delta)
        x = _need(self._x, f"Dense({self.units})")
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
        self.activation = _activations.get(activation)
        super().__init__(input_shape=input_shape, name=name, dtype=dtype)

    @property
    def activation_name(self) -> str:
        return getattr(self.activation, "name", type(self.activation).__name__.lower())

    def forward(self, x: Any, training: bool = False) -> Any:
        x = _check_float(x, f"Activation({self.activation_name!r})", self.dtype)
        return self.activation.forward(x)

    def backward(self, grad_out: Any) -> Any:
        return self.activation.backward(grad_out)

    def backward_linear(self, delta: Any) -> Any:
        return delta


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

    def forward(self, x: Any, training: bool = False) -> Any:
        x = _check_float(x, f"Dropout({self.rate})", self.dtype)
        if not training or self.rate == 0.0:
            self._mask = None                                 # identity: backward passes through
            return x
        xp = array_namespace(x)
        keep = rng().random(tuple(int(d) for d in x.shape)) >= self.rate
        self._mask = xp.astype(asarray(keep, xp=xp), x.dtype) * (1.0 / (1.0 - self.rate))
        return x * self._mask

    def backward(self, grad_out: Any) -> Any:
        return grad_out if self._mask is None else grad_out * self._mask


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

    def forward(self, x: Any, training: bool = False) -> Any:
        if not hasattr(x, "shape") or x.ndim < 1:
            raise ValueError(f"Flatten expected an array with a batch axis, got {x!r}")
        xp = array_namespace(x)
        self._shape = tuple(x.shape)
        return xp.reshape(x, (int(x.shape[0]), -1) if _size(x) else (int(x.shape[0]), 0))

    def backward(self, grad_out: Any) -> Any:
        return array_namespace(grad_out).reshape(grad_out, _need(self._shape, "Flatten"))


def _size(x: Any) -> int:
    return math.prod(int(d) for d in x.shape)


# -- Embedding ---------------------------------------------------------------------
class Embedding(Layer):
    """Lookup table: integer ids -> learned vectors, y[..., :] = E[ids[...], :].

    Shapes: ids (batch, steps) (any shape of ints in [0, input_dim)) -> y (batch, steps,
    output_dim); E = params["embeddings"] (input_dim, output_dim), initialised
    U(−0.05, 0.05) as in Keras.

    Backward: row v of dL/dE is the sum of dL/dy over every position whose id is v,
    dL/dE = onehot(ids)ᵀ · dL/dy (a scatter-add written as one matmul, which every array
    backend has). The ids get no gradient: ``backward`` returns ``None``.
    """

    def __init__(self, input_dim: int, output_dim: int, *, input_shape: tuple | None = None,
                 name: str | None = None,
                 dtype: str | None = None, trainable: bool = True) -> None:
        for arg, v in (("input_dim", input_dim), ("output_dim", output_dim)):
            if isinstance(v, bool) or not isinstance(v, int | np.integer) or v <= 0:
                raise ValueError(f"Embedding: {arg} must be a positive int, got {v!r}")
        self.input_dim = int(input_dim)
        self.output_dim = int(output_dim)
        self._ids: Any = None
        super().__init__(input_shape=input_shape, name=name, trainable=trainable, dtype=dtype)

    def build(self, input_shape: tuple) -> None:
        self.add_param("embeddings",
                       rng().uniform(-0.05, 0.05, size=(self.input_dim, self.output_dim)))
        super().build(input_shape)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (*tuple(input_shape), self.output_dim)

    def forward(self, x: Any, training: bool = False) -> Any:
        who = f"Embedding({self.input_dim}, {self.output_dim})"
        if not hasattr(x, "dtype"):
            raise TypeError(f"{who} expected an array of integer ids, got {type(x).__name__}")
        E = self.params["embeddings"]
        xp = array_namespace(x, E)
        if xp.isdtype(x.dtype, "real floating"):
            if _size(x) and not bool(xp.all(x == xp.round(x))):
                raise TypeError(f"{who} expected integer ids, got non-integer values "
                                f"(dtype {x.dtype})")
        elif not xp.isdtype(x.dtype, "integral"):
            raise TypeError(f"{who} expected integer ids, got dtype {x.dtype}")
        ids = xp.reshape(xp.astype(x, xp.int64), (-1,))
        if _size(ids):
            low, high = int(xp.min(ids)), int(xp.max(ids))
            if low < 0 or high >= self.input_dim:
                raise ValueError(f"{who}: ids must be in [0, {self.input_dim - 1}] "
                                 f"(input_dim={self.input_dim}), got {low if low < 0 else high}")
        self._ids = (ids, tuple(x.shape))
        out = xp.take(E, ids, axis=0)
        return xp.reshape(out, (*tuple(x.shape), self.output_dim))

    def backward(self, grad_out: Any) -> None:
        xp = array_namespace(grad_out)
        ids, _ = _need(self._ids, "Embedding")
        g = xp.reshape(grad_out, (-1, self.output_dim))               # (N, D)
        vocab = xp.arange(self.input_dim, dtype=ids.dtype)
        onehot = xp.astype(ids[:, None] == vocab[None, :], g.dtype)     # (N, V)
        self.grads["embeddings"] = xp.matrix_transpose(onehot) @ g      # (V, D)
        return None


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

    def forward(self, x: Any, training: bool = False) -> Any:
        x = _check_float(x, "LayerNorm", self.dtype)
        d = int(self.params["gamma"].shape[0])
        if x.ndim < 2 or int(x.shape[-1]) != d:
            raise ValueError(f"LayerNorm expected input of shape (batch, ..., {d}), "
                             f"got {_dims(x.shape) if x.ndim else 'a scalar'}")
        xp = array_namespace(x)
        mu = xp.mean(x, axis=-1, keepdims=True)
        xc = x - mu
        var = xp.mean(xc * xc, axis=-1, keepdims=True)
        inv_std = 1.0 / xp.sqrt(var + self.epsilon)
        x_hat = xc * inv_std
        self._cache = (x_hat, inv_std)
        return x_hat * self.params["gamma"] + self.params["beta"]

    def backward(self, grad_out: Any) -> Any:
        xp = array_namespace(grad_out)
        x_hat, inv_std = _need(self._cache, "LayerNorm")
        d = int(x_hat.shape[-1])
        g2 = xp.reshape(grad_out, (-1, d))
        self.grads["gamma"] = xp.sum(g2 * xp.reshape(x_hat, (-1, d)), axis=0)
        self.grads["beta"] = xp.sum(g2, axis=0)
        g_hat = grad_out * self.params["gamma"]
        mean_g = xp.mean(g_hat, axis=-1, keepdims=True)
        mean_gx = xp.mean(g_hat * x_hat, axis=-1, keepdims=True)
        return (g_hat - mean_g - x_hat * mean_gx) * inv_std


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

    def forward(self, x: Any, training: bool = False) -> Any:
        x = _check_float(x, "GlobalAveragePooling1D", self.dtype)
        if x.ndim != 3 or int(x.shape[1]) == 0:
            raise ValueError("GlobalAveragePooling1D expected input of shape "
                             f"(batch, steps, features) with steps > 0, got {_dims(x.shape)}")
        self._steps = int(x.shape[1])
        return array_namespace(x).mean(x, axis=1)

    def backward(self, grad_out: Any) -> Any:
        xp = array_namespace(grad_out)
        steps = _need(self._steps, "GlobalAveragePooling1D")
        g = xp.expand_dims(grad_out / steps, axis=1)                    # (batch, 1, features)
        return xp.zeros((int(g.shape[0]), steps, int(g.shape[2])), dtype=g.dtype) + g


try:  # written by another module; layers stays importable without it
    from mmlearn.attention import MultiHeadAttention  # noqa: E402,F401

    __all__.append("MultiHeadAttention")
except ModuleNotFoundError as _err:
    if _err.name != "mmlearn.attention":
        raise
