"""Tensor Fusion (Zadeh et al., 2017) and its low-rank factorisation (Liu et al., 2018)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mmlearn._validation import check_int, forward_cache
from mmlearn.backend import array_namespace
from mmlearn.fusion.base import _Fusion
from mmlearn.nn.init import glorot_uniform

__all__ = ["LowRank", "Tensor"]


def _append_one(x: Any) -> Any:
    """[x; 1]: (batch, d) -> (batch, d + 1), the constant that keeps lower-order terms."""
    xp = array_namespace(x)
    return xp.concat([x, xp.ones((x.shape[0], 1), dtype=x.dtype)], axis=1)


class Tensor(_Fusion):
    """Tensor Fusion Network (TFN) layer.

    Zadeh, A., Chen, M., Poria, S., Cambria, E. & Morency, L.-P. (2017).
    *Tensor Fusion Network for Multimodal Sentiment Analysis*. EMNLP.

        z = vec([x_1; 1] ⊗ [x_2; 1] ⊗ … ⊗ [x_M; 1])     all uni-, bi-, …, M-modal products
        out = z W + b                                  (``units=None``: out = z)

    The appended 1 keeps every lower-order term: z contains x_1 and x_2 themselves as
    well as every product x_1i·x_2j. vec is row-major: for two modalities
    z[i·(d_2+1) + j] = [x_1;1]_i · [x_2;1]_j.

    Shapes: x_m (batch, d_m) -> z (batch, P), P = Π (d_m + 1); W (P, units), b (units,);
    out (batch, units). P grows fast: keep the inputs small (or use ``LowRank``).
    Backward of one outer product Z = u ⊗ v: du = Σ_j dZ_ij v_j, dv = Σ_i dZ_ij u_i.
    """

    def __init__(self, units: int | None = None, *, name: str | None = None,
                 dtype: str | None = None) -> None:
        self.units = None if units is None else check_int(units, "units", "Tensor",
                                                          expected="a positive int")
        super().__init__(name=name, dtype=dtype)

    def _label(self) -> str:
        return f"Tensor({self.units})"

    def _product_size(self, shapes: dict[str, tuple]) -> int:
        return math.prod(s[1] + 1 for s in shapes.values())

    def _build(self, shapes: dict[str, tuple]) -> None:
        if self.units is not None:
            size = self._product_size(shapes)
            self.add_param("W", glorot_uniform((size, self.units)))
            self.add_param("b", np.zeros(self.units))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        batch = next(iter(input_shape.values()))[0]
        return (batch, self.units or self._product_size(input_shape))

    def forward(self, x: dict[str, Any], training: bool = False) -> Any:
        arrays = self._inputs(x)
        xp = array_namespace(*arrays)
        vs = [_append_one(a) for a in arrays]                        # [x_m; 1]
        zs = [vs[0]]                                                 # running products
        for v in vs[1:]:
            z = xp.expand_dims(zs[-1], axis=2) * xp.expand_dims(v, axis=1)
            zs.append(xp.reshape(z, (z.shape[0], -1)))
        self._cache = {"v": vs, "z": zs}
        if self.units is None:
            return self._remember_output(zs[-1])
        return self._remember_output(zs[-1] @ self.params["W"] + self.params["b"])

    def backward(self, grad_out: Any) -> dict[str, Any]:
        self._check_grad_out(grad_out)
        c = forward_cache(self._cache or None, self._label())
        xp = array_namespace(grad_out)
        vs, zs = c["v"], c["z"]
        dz = grad_out
        if self.units is not None:
            self.grads["W"] = xp.matrix_transpose(zs[-1]) @ grad_out
            self.grads["b"] = xp.sum(grad_out, axis=0)
            dz = grad_out @ xp.matrix_transpose(self.params["W"])
        dvs = [None] * len(vs)
        for m in range(len(vs) - 1, 0, -1):                          # undo the last product
            prev, v = zs[m - 1], vs[m]
            d3 = xp.reshape(dz, (dz.shape[0], prev.shape[1], v.shape[1]))
            dvs[m] = xp.sum(d3 * xp.expand_dims(prev, axis=2), axis=1)
            dz = xp.sum(d3 * xp.expand_dims(v, axis=1), axis=2)
        dvs[0] = dz
        return {k: dv[:, :-1] for k, dv in zip(self._keys, dvs, strict=True)}


class LowRank(_Fusion):
    """Low-rank Multimodal Fusion (LMF).

    Liu, Z., Shen, Y., Lakshminarasimhan, V. B., Liang, P. P., Zadeh, A. & Morency, L.-P.
    (2018). *Efficient Low-rank Multimodal Fusion with Modality-Specific Factors*. ACL.

        h = Σ_{r=1..R}  Π_m ([x_m; 1] W_m^{(r)})  + b          (Π: elementwise product)

    This equals a Tensor Fusion layer whose weight tensor has rank R, without ever
    forming the outer product.

    Shapes: x_m (batch, d_m) -> h (batch, units). ``params["W_<modality>"]`` holds the
    R factors, (R, d_m + 1, units); b (units,). With P_m = [x_m;1] W_m (R, batch, units):
    dP_m = δ ⊙ Π_{m'≠m} P_m', dW_m = [x_m;1]ᵀ dP_m, d[x_m;1] = Σ_r dP_m W_mᵀ.
    """

    def __init__(self, units: int, rank: int, *, name: str | None = None,
                 dtype: str | None = None) -> None:
        self.units = check_int(units, "units", "LowRank", expected="a positive int")
        self.rank = check_int(rank, "rank", "LowRank", expected="a positive int")
        super().__init__(name=name, dtype=dtype)

    def _label(self) -> str:
        return f"LowRank({self.units}, rank={self.rank})"

    def _build(self, shapes: dict[str, tuple]) -> None:
        for k, s in shapes.items():
            d = s[1] + 1
            self.add_param(f"W_{k}", glorot_uniform((self.rank, d, self.units), fan_in=d))
        self.add_param("b", np.zeros(self.units))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (next(iter(input_shape.values()))[0], self.units)

    def forward(self, x: dict[str, Any], training: bool = False) -> Any:
        arrays = self._inputs(x)
        xp = array_namespace(*arrays)
        vs = [_append_one(a) for a in arrays]
        ps = [xp.matmul(v, self.params[f"W_{k}"]) for k, v in zip(self._keys, vs, strict=True)]
        prod = ps[0]
        for p in ps[1:]:
            prod = prod * p                                          # (R, batch, units)
        self._cache = {"v": vs, "p": ps}
        return self._remember_output(xp.sum(prod, axis=0) + self.params["b"])

    def backward(self, grad_out: Any) -> dict[str, Any]:
        self._check_grad_out(grad_out)
        c = forward_cache(self._cache or None, self._label())
        xp = array_namespace(grad_out)
        vs, ps = c["v"], c["p"]
        grads = {}
        for m, (k, v) in enumerate(zip(self._keys, vs, strict=True)):
            others = xp.ones_like(ps[0])
            for j, p in enumerate(ps):
                if j != m:
                    others = others * p
            dp = grad_out * others                                   # (R, batch, units)
            w = self.params[f"W_{k}"]
            self.grads[f"W_{k}"] = xp.matmul(xp.matrix_transpose(v), dp)
            dv = xp.sum(xp.matmul(dp, xp.matrix_transpose(w)), axis=0)
            grads[k] = dv[:, :-1]
        self.grads["b"] = xp.sum(grad_out, axis=0)
        return grads
