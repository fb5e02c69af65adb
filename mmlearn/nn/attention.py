"""Multi-head scaled dot-product attention (Vaswani et al., 2017), forward and backward.

    Q = q Wq + bq,   K = k Wk + bk,   V = v Wv + bv          (split into h heads)
    A = softmax(Q Kᵀ / √key_dim  [+ mask: −∞ where masked])   (one per head)
    O = A V,  heads concatenated,   out = O Wo + bo

The backward pass is written out by hand, CS231n style: forward caches the
inputs, Q, K, V and A; backward walks the same graph in reverse.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mmlearn._validation import check_int, did_you_mean, shape_str
from mmlearn.backend import array_namespace, is_array
from mmlearn.nn.init import glorot_uniform
from mmlearn.nn.layer import Layer

__all__ = ["MultiHeadAttention"]

_INPUT_KEYS = ("query", "value", "key", "mask")


class MultiHeadAttention(Layer):
    """Multi-head attention, as ``keras.layers.MultiHeadAttention``.

    Vaswani, A. et al. (2017). *Attention Is All You Need*. NeurIPS.

    Call it on an array for self-attention, ``mha(x)`` (query = key = value = x), or on a
    dict for cross-attention, ``mha({"query": q, "value": v})``. The dict may also hold
    ``"key"`` (defaults to ``"value"``) and ``"mask"``: Keras's ``attention_mask``,
    boolean or 0/1 of shape (batch, Tq, Tk) or (Tq, Tk), where 1/True means *attend*
    (as in Keras, a float mask counts as 1 where it is > 0.5). A query whose keys are
    all masked gets all-zero attention weights (Keras would spread them uniformly).

    For each head i (of h = ``num_heads``), with d = ``key_dim``:

        Qᵢ = q Wq[:, i] + bq[i],  Kᵢ = k Wk[:, i] + bk[i],  Vᵢ = v Wv[:, i] + bv[i]
        Aᵢ = softmax(Qᵢ Kᵢᵀ / √d),   masked positions set to −∞ before the softmax
        out = [A₁V₁ ; … ; A_hV_h] Wo + bo

    Shapes:
        q (batch, Tq, d_q), k (batch, Tk, d_k), v (batch, Tk, d_v)
        -> out (batch, Tq, output_dim), output_dim defaulting to d_q.
        Wq (d_q, h·key_dim), Wk (d_k, h·key_dim), Wv (d_v, h·value_dim),
        Wo (h·value_dim, output_dim); biases bq, bk, bv, bo of the matching widths.
        ``attention_scores``: the last forward pass's A, (batch, h, Tq, Tk), for plots.

    Weights are Glorot-uniform, biases zeros. ``backward`` returns dL/dx for
    self-attention and ``{"query": dq, "value": dv}`` (plus ``"key"`` and a zero
    ``"mask"`` gradient when those were given) for cross-attention.
    """

    def __init__(self, num_heads: int, key_dim: int, *, value_dim: int | None = None,
                 output_dim: int | None = None, use_bias: bool = True,
                 input_shape: tuple[int, ...] | None = None, name: str | None = None,
                 dtype: str | None = None) -> None:
        owner = "MultiHeadAttention"
        self.num_heads = check_int(num_heads, "num_heads", owner, expected="a positive int")
        self.key_dim = check_int(key_dim, "key_dim", owner, expected="a positive int")
        self.value_dim = self.key_dim if value_dim is None else check_int(
            value_dim, "value_dim", owner, expected="a positive int")
        self.output_dim = None if output_dim is None else check_int(
            output_dim, "output_dim", owner, expected="a positive int")
        self.use_bias = bool(use_bias)
        self.attention_scores: Any = None
        self._dims: dict[str, int] = {}
        self._cache: dict[str, Any] = {}
        super().__init__(input_shape=input_shape, name=name, dtype=dtype)

    def _label(self) -> str:
        return f"MultiHeadAttention(num_heads={self.num_heads}, key_dim={self.key_dim})"

    # -- building -------------------------------------------------------------
    def _shapes(self, input_shape: Any) -> dict[str, tuple]:
        """{"query": shape, "value": shape, "key": shape} from an array or dict shape."""
        if isinstance(input_shape, dict):
            self._check_keys(input_shape)
            q = tuple(input_shape["query"])
            v = tuple(input_shape.get("value", q))
            k = tuple(input_shape.get("key", v))
        else:
            q = v = k = tuple(input_shape)
        shapes = {"query": q, "value": v, "key": k}
        for name, shape in shapes.items():
            if len(shape) != 3:
                raise ValueError(f"{self._label()} expected {name} of shape "
                                 f"(batch, time, features), got {shape_str(shape)}")
        return shapes

    def build(self, input_shape: Any) -> None:
        shapes = self._shapes(input_shape)
        h, dk, dv = self.num_heads, self.key_dim, self.value_dim
        self._dims = {name: int(shape[-1]) for name, shape in shapes.items()}
        d_q, d_k, d_v = self._dims["query"], self._dims["key"], self._dims["value"]
        out = self.output_dim or d_q
        self.add_param("Wq", glorot_uniform((d_q, h * dk)))
        if self.use_bias:
            self.add_param("bq", np.zeros(h * dk))
        self.add_param("Wk", glorot_uniform((d_k, h * dk)))
        if self.use_bias:
            self.add_param("bk", np.zeros(h * dk))
        self.add_param("Wv", glorot_uniform((d_v, h * dv)))
        if self.use_bias:
            self.add_param("bv", np.zeros(h * dv))
        self.add_param("Wo", glorot_uniform((h * dv, out)))
        if self.use_bias:
            self.add_param("bo", np.zeros(out))
        if isinstance(input_shape, dict):
            self.input_shape = {k: tuple(v) for k, v in input_shape.items()}
            self.built = True
        else:
            super().build(input_shape)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shapes = self._shapes(input_shape)
        q = shapes["query"]
        return (q[0], q[1], self.output_dim or q[-1])

    # -- checks ---------------------------------------------------------------
    def _check_keys(self, x: dict) -> None:
        unknown = [k for k in x if k not in _INPUT_KEYS]
        if unknown:
            raise ValueError(
                f"{self._label()} got unexpected input {unknown[0]!r}; expected keys among "
                f"{list(_INPUT_KEYS)}" + did_you_mean(unknown[0], _INPUT_KEYS))
        if "query" not in x:
            raise ValueError(f"{self._label()}: the input dict needs a 'query' entry, "
                             f"got keys {list(x)}")

    @staticmethod
    def _arrays(x: Any) -> tuple[dict[str, Any], Any]:
        """x as ({"query", "value", "key"}: arrays, mask or None): value defaults to the
        query, key to the value; a plain array is self-attention."""
        if not isinstance(x, dict):
            return {"query": x, "value": x, "key": x}, None
        arrays = {"query": x["query"], "value": x.get("value", x["query"])}
        arrays["key"] = x.get("key", arrays["value"])
        return arrays, x.get("mask")

    def check_input(self, x: Any) -> Any:
        """x: an array (self-attention) or a dict with "query" and optional "value", "key"
        (batch, time, features) of the built widths, one batch size, key and value of one
        length; an optional "mask" of shape (batch, Tq, Tk) or (Tq, Tk), boolean or 0/1."""
        if isinstance(x, dict):
            self._check_keys(x)
        arrays, mask = self._arrays(x)
        for name, a in arrays.items():
            if not is_array(a):
                raise TypeError(f"{self._label()}: {name} must be an array, "
                                f"got {type(a).__name__}")
            if a.ndim != 3:
                raise ValueError(f"{self._label()} expected {name} of shape "
                                 f"(batch, time, features), got {shape_str(tuple(a.shape))}")
            if a.shape[-1] != self._dims[name]:
                raise ValueError(
                    f"{self._label()} expected {name} of shape (batch, time, "
                    f"{self._dims[name]}), got {shape_str(tuple(a.shape))}")
        q, k, v = arrays["query"], arrays["key"], arrays["value"]
        batches = {n: int(a.shape[0]) for n, a in arrays.items()}
        if len(set(batches.values())) > 1:
            raise ValueError(f"{self._label()}: query, key and value must have the same "
                             f"batch size, got {batches}")
        if k.shape[1] != v.shape[1]:
            raise ValueError(f"{self._label()}: key and value must have the same length Tk, "
                             f"got key {tuple(k.shape)} and value {tuple(v.shape)}")
        if mask is not None:
            self._check_mask(mask, q.shape[0], q.shape[1], k.shape[1])
        return x

    def _check_mask(self, mask: Any, batch: int, tq: int, tk: int) -> None:
        """A mask must be an array of shape (batch, Tq, Tk) or (Tq, Tk), boolean or 0/1."""
        if not is_array(mask):
            raise TypeError(f"{self._label()}: mask must be an array, got {type(mask).__name__}")
        shape = tuple(mask.shape)
        if shape not in ((batch, tq, tk), (tq, tk)):
            raise ValueError(
                f"{self._label()} expected mask of shape (batch, Tq, Tk) = ({batch}, {tq}, {tk}) "
                f"or (Tq, Tk) = ({tq}, {tk}), got {shape}")
        xp = array_namespace(mask)
        if not xp.isdtype(mask.dtype, ("integral", "real floating", "bool")):
            raise TypeError(f"{self._label()}: mask must be boolean or 0/1, got dtype "
                            f"{mask.dtype}")

    @staticmethod
    def _allowed(mask: Any, tq: int, tk: int) -> Any:
        """Boolean (batch or 1, 1, Tq, Tk) array, True where attention is allowed."""
        xp = array_namespace(mask)
        if xp.isdtype(mask.dtype, "integral"):
            mask = mask > 0
        elif xp.isdtype(mask.dtype, "real floating"):
            mask = mask > 0.5  # as Keras: a numeric mask keeps the entries > 0.5
        return xp.reshape(mask, (-1, 1, tq, tk))

    # -- forward and backward -------------------------------------------------
    def _split(self, t: Any, width: int) -> Any:
        """(batch, T, h·width) -> (batch, h, T, width)."""
        xp = array_namespace(t)
        b, n = t.shape[0], t.shape[1]
        return xp.permute_dims(xp.reshape(t, (b, n, self.num_heads, width)), (0, 2, 1, 3))

    def _merge(self, t: Any) -> Any:
        """(batch, h, T, width) -> (batch, T, h·width)."""
        xp = array_namespace(t)
        b, h, n, w = t.shape
        return xp.reshape(xp.permute_dims(t, (0, 2, 1, 3)), (b, n, h * w))

    def _affine(self, x: Any, w: str, b: str) -> Any:
        y = x @ self.params[w]
        return y + self.params[b] if self.use_bias else y

    def forward(self, x: Any, training: bool = False) -> Any:
        """Attention output (batch, Tq, output_dim); caches q, k, v, Q, K, V, A."""
        self.require_built()
        arrays, mask = self._arrays(x)
        q_in, k_in, v_in = arrays["query"], arrays["key"], arrays["value"]
        if mask is not None:
            mask = self._allowed(mask, q_in.shape[1], k_in.shape[1])
        xp = array_namespace(q_in, k_in, v_in)
        Q = self._split(self._affine(q_in, "Wq", "bq"), self.key_dim)    # (b, h, Tq, dk)
        K = self._split(self._affine(k_in, "Wk", "bk"), self.key_dim)    # (b, h, Tk, dk)
        V = self._split(self._affine(v_in, "Wv", "bv"), self.value_dim)  # (b, h, Tk, dv)
        S = xp.matmul(Q, xp.matrix_transpose(K)) * (1.0 / math.sqrt(self.key_dim))
        A = _softmax_last(S, mask)                                       # (b, h, Tq, Tk)
        O = self._merge(xp.matmul(A, V))                                 # (b, Tq, h·dv)
        self.attention_scores = A
        self._cache = {"x": x, "q": q_in, "k": k_in, "v": v_in, "Q": Q, "K": K, "V": V,
                       "A": A, "O": O}
        return self._remember_output(self._affine(O, "Wo", "bo"))

    def backward(self, grad_out: Any) -> Any:
        """Reverse of forward, with δ = dL/dout (batch, Tq, output_dim):

            dWo = Oᵀδ,  dbo = Σδ,  dO = δ Woᵀ                      (per head: dOᵢ)
            dAᵢ = dOᵢ Vᵢᵀ,  dVᵢ = Aᵢᵀ dOᵢ
            dSᵢ = Aᵢ ⊙ (dAᵢ − Σ_k dAᵢ ⊙ Aᵢ)                        (softmax backward)
            dQᵢ = dSᵢ Kᵢ / √d,  dKᵢ = dSᵢᵀ Qᵢ / √d
            dW• = x•ᵀ d•,  db• = Σ d•,  dx• = d• W•ᵀ              (the three projections)
        """
        self._check_grad_out(grad_out)
        if not self._cache:
            raise RuntimeError(f"{self._label()}: call forward before backward")
        c = self._cache
        xp = array_namespace(grad_out)
        scale = 1.0 / math.sqrt(self.key_dim)
        grads: dict[str, Any] = {}
        dO = self._linear_backward(c["O"], grad_out, "Wo", "bo", grads)
        dO = self._split(dO, self.value_dim)                             # (b, h, Tq, dv)
        A = c["A"]
        dA = xp.matmul(dO, xp.matrix_transpose(c["V"]))
        dV = xp.matmul(xp.matrix_transpose(A), dO)
        dS = A * (dA - xp.sum(dA * A, axis=-1, keepdims=True)) * scale
        dQ = xp.matmul(dS, c["K"])
        dK = xp.matmul(xp.matrix_transpose(dS), c["Q"])
        dq = self._linear_backward(c["q"], self._merge(dQ), "Wq", "bq", grads)
        dk = self._linear_backward(c["k"], self._merge(dK), "Wk", "bk", grads)
        dv = self._linear_backward(c["v"], self._merge(dV), "Wv", "bv", grads)
        store_grads(self, grads)
        x = c["x"]
        if not isinstance(x, dict):
            return dq + dk + dv
        # value defaults to the query and key to the value: route dv, dk to their source
        v_src = "value" if "value" in x else "query"
        k_src = "key" if "key" in x else v_src
        dx: dict[str, Any] = {"query": dq}
        dx[v_src] = dx[v_src] + dv if v_src in dx else dv
        dx[k_src] = dx[k_src] + dk if k_src in dx else dk
        if "mask" in x:           # not differentiable: a zero gradient keeps the keys
            dx["mask"] = xp.zeros(tuple(x["mask"].shape), dtype=dq.dtype)
        return {k: dx[k] for k in x}

    def _linear_backward(self, x: Any, delta: Any, w: str, b: str,
                         grads: dict[str, Any]) -> Any:
        """For y = x W + b on (batch, T, ·): put dW, db in ``grads``; return dx."""
        xp = array_namespace(x, delta)
        x2 = xp.reshape(x, (-1, x.shape[-1]))
        d2 = xp.reshape(delta, (-1, delta.shape[-1]))
        grads[w] = xp.matrix_transpose(x2) @ d2
        if self.use_bias:
            grads[b] = xp.sum(d2, axis=0)
        return delta @ xp.matrix_transpose(self.params[w])


def store_grads(layer: Layer, grads: dict[str, Any]) -> None:
    """Replace ``layer.grads`` in place (the dict may be shared), in ``params`` order."""
    layer.grads.clear()
    layer.grads.update({k: grads[k] for k in layer.params})


def _softmax_last(s: Any, mask: Any = None) -> Any:
    """Softmax over the last axis; where ``mask`` is False the weight is exactly 0.

    A row with every entry masked gets all zeros (no NaN).
    """
    xp = array_namespace(s)
    if mask is None:
        e = xp.exp(s - xp.max(s, axis=-1, keepdims=True))
        return e / xp.sum(e, axis=-1, keepdims=True)
    masked = xp.where(mask, s, -xp.inf)
    m = xp.max(masked, axis=-1, keepdims=True)
    m = xp.where(xp.isfinite(m), m, 0.0)        # fully masked rows: any finite shift
    e = xp.exp(masked - m)                      # exp(−∞) = 0 on masked entries
    total = xp.sum(e, axis=-1, keepdims=True)
    return e / xp.where(total > 0, total, 1.0)
