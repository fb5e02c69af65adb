"""Embedding: integer ids -> learned vectors, y[..., :] = E[ids[...], :]."""

from __future__ import annotations

from typing import Any

from mmlearn._validation import check_int, forward_cache, size
from mmlearn.backend import array_namespace, rng
from mmlearn.nn.layer import Layer

__all__ = ["Embedding"]


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
        self.input_dim = check_int(input_dim, "input_dim", "Embedding", expected="a positive int")
        self.output_dim = check_int(output_dim, "output_dim", "Embedding",
                                    expected="a positive int")
        self._ids: Any = None
        super().__init__(input_shape=input_shape, name=name, trainable=trainable, dtype=dtype)

    def build(self, input_shape: tuple) -> None:
        self.add_param("embeddings",
                       rng().uniform(-0.05, 0.05, size=(self.input_dim, self.output_dim)))
        super().build(input_shape)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (*tuple(input_shape), self.output_dim)

    def check_input(self, x: Any) -> Any:
        """x must hold integer ids (ints, or floats with integer values) in
        [0, input_dim); a model checks all of its data this way once per fit."""
        who = f"Embedding({self.input_dim}, {self.output_dim})"
        if not hasattr(x, "dtype"):
            raise TypeError(f"{who} expected an array of integer ids, got {type(x).__name__}")
        xp = array_namespace(x)
        if xp.isdtype(x.dtype, "real floating"):
            if size(x) and not bool(xp.all(x == xp.round(x))):
                raise TypeError(f"{who} expected integer ids, got non-integer values "
                                f"(dtype {x.dtype})")
        elif not xp.isdtype(x.dtype, "integral"):
            raise TypeError(f"{who} expected integer ids, got dtype {x.dtype}")
        if size(x):
            low, high = int(xp.min(x)), int(xp.max(x))
            if low < 0 or high >= self.input_dim:
                raise ValueError(f"{who}: ids must be in [0, {self.input_dim - 1}] "
                                 f"(input_dim={self.input_dim}), got {low if low < 0 else high}")
        return x

    def forward(self, x: Any, training: bool = False) -> Any:
        E = self.params["embeddings"]
        xp = array_namespace(x, E)
        ids = xp.reshape(xp.astype(x, xp.int64), (-1,))
        self._ids = (ids, tuple(x.shape))
        out = xp.take(E, ids, axis=0)
        return self._remember_output(xp.reshape(out, (*tuple(x.shape), self.output_dim)))

    def backward(self, grad_out: Any) -> None:
        self._check_grad_out(grad_out)
        xp = array_namespace(grad_out)
        ids, _ = forward_cache(self._ids, "Embedding")
        g = xp.reshape(grad_out, (-1, self.output_dim))               # (N, D)
        vocab = xp.arange(self.input_dim, dtype=ids.dtype)
        onehot = xp.astype(ids[:, None] == vocab[None, :], g.dtype)     # (N, V)
        self.grads["embeddings"] = xp.matrix_transpose(onehot) @ g      # (V, D)
        return None
