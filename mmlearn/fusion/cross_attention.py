"""Cross-attention fusion: one modality's tokens attend to another's."""

from __future__ import annotations

from typing import Any

from mmlearn._validation import check_int, did_you_mean, forward_cache, shape_str
from mmlearn.backend import array_namespace
from mmlearn.fusion.base import _Fusion
from mmlearn.nn.attention import MultiHeadAttention

__all__ = ["CrossAttention"]


class CrossAttention(_Fusion):
    """Cross-modal attention: the ``query`` modality's tokens attend to the ``context``'s.

    As in the Multimodal Transformer: Tsai, Y.-H. H., Bai, S., Liang, P. P., Kolter, J. Z.,
    Morency, L.-P. & Salakhutdinov, R. (2019). *Multimodal Transformer for Unaligned
    Multimodal Language Sequences*. ACL. Attention itself: Vaswani et al. (2017).

        out = MultiHeadAttention(query = x_query, key = value = x_context)
        pool="mean": z = (1/Tq) Σ_t out_t;   pool=None: z = out

    Shapes: x_query (batch, Tq, d_q), x_context (batch, Tk, d_c); a 2-D (batch, d) input
    is one token (batch, 1, d). out (batch, Tq, output_dim) with output_dim defaulting to
    d_q; z (batch, output_dim) with pool="mean". The sequence lengths may change from
    call to call; the feature sizes may not. The parameters are those of the inner
    ``MultiHeadAttention`` (``Wq``, ``bq``, …, ``Wo``, ``bo``),
    and ``attention_scores`` (batch, heads, Tq, Tk) keeps the last attention map.
    """

    _POOLS = ("mean", None)

    def __init__(self, num_heads: int, key_dim: int, query: str = "text",
                 context: str = "image", pool: str | None = "mean", *,
                 value_dim: int | None = None, output_dim: int | None = None,
                 use_bias: bool = True, name: str | None = None,
                 dtype: str | None = None) -> None:
        self.num_heads = check_int(num_heads, "num_heads", "CrossAttention",
                                   expected="a positive int")
        self.key_dim = check_int(key_dim, "key_dim", "CrossAttention", expected="a positive int")
        for arg, value in (("query", query), ("context", context)):
            if not isinstance(value, str):
                raise TypeError(f"CrossAttention: {arg} must be a modality name (str), "
                                f"got {value!r}")
        if query == context:
            raise ValueError(f"CrossAttention: query and context must differ, both are "
                             f"{query!r}; use MultiHeadAttention for self-attention")
        if pool not in self._POOLS:
            raise ValueError(f"CrossAttention: pool must be 'mean' or None, got {pool!r}"
                             + did_you_mean(pool, ["mean"]))
        self.query, self.context, self.pool = query, context, pool
        self._fixed_keys = (query, context)
        self._mha_args = {"value_dim": value_dim, "output_dim": output_dim,
                          "use_bias": use_bias}
        self.mha: MultiHeadAttention | None = None
        super().__init__(name=name, dtype=dtype)
        self.mha = MultiHeadAttention(self.num_heads, self.key_dim, **self._mha_args,
                                      name=f"{self.name}_attention")

    def _label(self) -> str:
        return (f"CrossAttention({self.num_heads}, {self.key_dim}, query={self.query!r}, "
                f"context={self.context!r})")

    @property
    def attention_scores(self) -> Any:
        """The last attention weights, (batch, heads, Tq, Tk)."""
        return self.mha.attention_scores

    def _check_built_shapes(self, shapes: dict[str, tuple]) -> None:
        for k, s in shapes.items():
            if len(s) not in (2, 3):
                raise ValueError(f"{self._label()} expected {k!r} of shape (batch, tokens, "
                                 f"features) or (batch, features), got {shape_str(s)}")

    def _check_shape(self, key: str, shape: tuple) -> None:
        built = self._shapes[key]
        if len(shape) not in (2, 3) or shape[-1] != built[-1]:
            raise ValueError(f"{self._label()} expected {key!r} of shape (batch, tokens, "
                             f"{built[-1]}) or (batch, {built[-1]}), got {shape_str(shape)}")

    @staticmethod
    def _tokens(shape: tuple) -> tuple:
        return shape if len(shape) == 3 else (shape[0], 1, shape[1])

    def _build(self, shapes: dict[str, tuple]) -> None:
        self.mha.build({"query": self._tokens(shapes[self.query]),
                        "value": self._tokens(shapes[self.context])})
        self.params = self.mha.params          # one dict: optimizers and gradcheck see them
        self.grads = self.mha.grads

    def compute_output_shape(self, input_shape: Any) -> tuple:
        q = self._tokens(tuple(input_shape[self.query]))
        out = self._mha_args["output_dim"] or q[-1]
        return (q[0], out) if self.pool == "mean" else (q[0], q[1], out)

    def forward(self, x: dict[str, Any], training: bool = False) -> Any:
        q, c = self._inputs(x)
        xp = array_namespace(q, c)
        q3 = xp.reshape(q, self._tokens(tuple(q.shape)))
        c3 = xp.reshape(c, self._tokens(tuple(c.shape)))
        out = self.mha.forward({"query": q3, "value": c3}, training=training)
        self._cache = {"q_shape": tuple(q.shape), "c_shape": tuple(c.shape),
                       "tokens": int(q3.shape[1])}
        return self._remember_output(xp.mean(out, axis=1) if self.pool == "mean" else out)

    def backward(self, grad_out: Any) -> dict[str, Any]:
        self._check_grad_out(grad_out)
        c = forward_cache(self._cache or None, self._label())
        xp = array_namespace(grad_out)
        if self.pool == "mean":
            n = c["tokens"]
            grad_out = xp.broadcast_to(xp.expand_dims(grad_out, axis=1) * (1.0 / n),
                                       (grad_out.shape[0], n, grad_out.shape[1]))
        g = self.mha.backward(grad_out)
        return {self.query: xp.reshape(g["query"], c["q_shape"]),
                self.context: xp.reshape(g["value"], c["c_shape"])}
