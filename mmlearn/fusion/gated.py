"""The Gated Multimodal Unit (Arevalo et al., 2017): a learned gate mixes the modalities."""

from __future__ import annotations

from typing import Any

import numpy as np

from mmlearn._validation import check_int, forward_cache
from mmlearn.backend import array_namespace
from mmlearn.fusion.base import _Fusion
from mmlearn.nn.activations import sigmoid, softmax
from mmlearn.nn.attention import store_grads
from mmlearn.nn.init import glorot_uniform

__all__ = ["Gated"]


class Gated(_Fusion):
    """Gated Multimodal Unit (GMU).

    Arevalo, J., Solorio, T., Montes-y-Gómez, M. & González, F. A. (2017).
    *Gated Multimodal Units for Information Fusion*. ICLR workshop.

    ::

        h_m = tanh(x_m W_m + b_m)                      each modality's view
        g   = [x_1 ; … ; x_M] W_z + b_z                the gate sees every modality
        two modalities:  z = σ(g),  h = z ⊙ h_1 + (1 − z) ⊙ h_2
        M > 2:           z = softmax over modalities of g reshaped (batch, M, units),
                         h = Σ_m z_m ⊙ h_m

    (For M = 2 the sigmoid is the two-way softmax with one logit fixed at 0, so both
    are the same model. h_1 is the first modality in the dict's order.)

    Shapes: x_m (batch, d_m) -> h (batch, units). W_m (d_m, units), b_m (units,);
    W_z (Σ d_m, units) for two modalities, (Σ d_m, M·units) otherwise; b_z to match.
    Parameters are named ``W_<modality>``, ``b_<modality>``, ``W_z``, ``b_z``.
    ``gate`` keeps the last z ((batch, units), or (batch, M, units)) to see which
    modality the unit trusted.
    """

    _min_modalities = 2

    def __init__(self, units: int, *, name: str | None = None,
                 dtype: str | None = None) -> None:
        self.units = check_int(units, "units", "Gated", expected="a positive int")
        self.gate: Any = None
        super().__init__(name=name, dtype=dtype)

    def _label(self) -> str:
        return f"Gated({self.units})"

    def _build(self, shapes: dict[str, tuple]) -> None:
        u, m = self.units, len(shapes)
        for k, s in shapes.items():
            self.add_param(f"W_{k}", glorot_uniform((s[1], u)))
            self.add_param(f"b_{k}", np.zeros(u))
        total = sum(s[1] for s in shapes.values())
        width = u if m == 2 else m * u
        self.add_param("W_z", glorot_uniform((total, width)))
        self.add_param("b_z", np.zeros(width))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (next(iter(input_shape.values()))[0], self.units)

    def forward(self, x: dict[str, Any], training: bool = False) -> Any:
        arrays = self._inputs(x)
        xp = array_namespace(*arrays)
        p = self.params
        hs = [xp.tanh(a @ p[f"W_{k}"] + p[f"b_{k}"]) for k, a in zip(self._keys, arrays,
                                                                     strict=True)]
        xc = xp.concat(arrays, axis=1)
        g = xc @ p["W_z"] + p["b_z"]
        if len(arrays) == 2:
            z = sigmoid(g)
            out = z * hs[0] + (1.0 - z) * hs[1]
        else:
            z = softmax(xp.reshape(g, (g.shape[0], len(arrays), self.units)), axis=1)
            out = xp.sum(z * xp.stack(hs, axis=1), axis=1)
        self.gate = z
        self._cache = {"x": arrays, "xc": xc, "h": hs, "z": z}
        return self._remember_output(out)

    def backward(self, grad_out: Any) -> dict[str, Any]:
        """dz = δ ⊙ (h_1 − h_2), dg = dz ⊙ z(1 − z) (softmax backward for M > 2);
        dh_m = δ ⊙ z_m, da_m = dh_m ⊙ (1 − h_m²); dW = xᵀ d•, db = Σ d•, dx = d• Wᵀ."""
        self._check_grad_out(grad_out)
        c = forward_cache(self._cache or None, self._label())
        xp = array_namespace(grad_out)
        p, hs, z = self.params, c["h"], c["z"]
        if len(hs) == 2:
            dh = [grad_out * z, grad_out * (1.0 - z)]
            dg = grad_out * (hs[0] - hs[1]) * z * (1.0 - z)
        else:
            d3 = xp.expand_dims(grad_out, axis=1)                      # (batch, 1, units)
            dh = [grad_out * z[:, i, :] for i in range(len(hs))]
            dz = d3 * xp.stack(hs, axis=1)
            dg3 = z * (dz - xp.sum(dz * z, axis=1, keepdims=True))
            dg = xp.reshape(dg3, (dg3.shape[0], -1))
        pg = {"W_z": xp.matrix_transpose(c["xc"]) @ dg, "b_z": xp.sum(dg, axis=0)}
        dxc = dg @ xp.matrix_transpose(p["W_z"])
        grads, start = {}, 0
        for k, a, h, dhk in zip(self._keys, c["x"], hs, dh, strict=True):
            da = dhk * (1.0 - h * h)
            pg[f"W_{k}"] = xp.matrix_transpose(a) @ da
            pg[f"b_{k}"] = xp.sum(da, axis=0)
            n = a.shape[1]
            grads[k] = da @ xp.matrix_transpose(p[f"W_{k}"]) + dxc[:, start:start + n]
            start += n
        store_grads(self, pg)
        return grads
