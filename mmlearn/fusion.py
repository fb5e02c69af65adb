"""Multimodal fusion: how features from several modalities become one.

Every fusion layer takes a dict of modality arrays and returns one array,

    z = fusion({"image": x_img, "text": x_txt})          forward
    {"image": dx_img, "text": dx_txt} = fusion.backward(dz)

and is built, as any Layer, on its first call from the dict of input shapes.
The modality names are fixed then: a later call with a missing or an extra
modality, a wrong rank or feature size, or modalities with different batch
sizes raises a ``ValueError`` that names them.

======================  ============================================================
layer                   idea
======================  ============================================================
``Concat``              early fusion: concatenate the features
``Late``                decision-level fusion: average each modality's predictions
``Gated``               Gated Multimodal Unit: a learned gate mixes the modalities
``Tensor``              Tensor Fusion Network: outer product of [x; 1] vectors
``LowRank``             Low-rank Multimodal Fusion: the tensor product, factorised
``FiLM``                Feature-wise Linear Modulation: one modality scales another
``CrossAttention``      one modality's tokens attend to another's
======================  ============================================================

``get("gmu", units=16)`` builds one by name (case-insensitive, with a did-you-mean).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mmlearn._layer import Layer
from mmlearn._validation import did_you_mean, lookup, real_array, shape_str
from mmlearn.attention import MultiHeadAttention, _positive_int, glorot_uniform, store_grads
from mmlearn.backend import array_namespace, is_array, to_numpy

__all__ = ["Concat", "CrossAttention", "FiLM", "Gated", "Late", "LowRank", "Tensor", "get"]


def _sigmoid(a: Any) -> Any:
    """σ(a) = 1 / (1 + e^{−a}), computed without overflow for any a."""
    xp = array_namespace(a)
    e = xp.exp(-xp.abs(a))
    return xp.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softmax(a: Any, axis: int) -> Any:
    xp = array_namespace(a)
    e = xp.exp(a - xp.max(a, axis=axis, keepdims=True))
    return e / xp.sum(e, axis=axis, keepdims=True)


def _append_one(x: Any) -> Any:
    """[x; 1]: (batch, d) -> (batch, d + 1), the constant that keeps lower-order terms."""
    xp = array_namespace(x)
    return xp.concat([x, xp.ones((x.shape[0], 1), dtype=x.dtype)], axis=1)


class _Fusion(Layer):
    """Shared plumbing: dict checks, building from a dict of shapes, fixed modality order.

    Subclasses implement ``_check_built_shapes(shapes)`` (ranks, agreement across
    modalities), ``_build(shapes)`` (parameters), ``forward`` and ``backward``.
    """

    _min_modalities = 1
    _fixed_keys: tuple[str, ...] | None = None   # e.g. FiLM: (condition, target)

    def __init__(self, *, name: str | None = None,
                 dtype: str | None = None) -> None:
        self._keys: list[str] = []
        self._shapes: dict[str, tuple] = {}
        self._cache: dict[str, Any] = {}
        super().__init__(name=name, dtype=dtype)

    def _label(self) -> str:
        return type(self).__name__ + "()"

    # -- building -------------------------------------------------------------
    def __call__(self, x: Any, training: bool = False) -> Any:
        if not self.built:
            self._check_dict(x)
            self.build({k: tuple(v.shape) for k, v in x.items()})
        return self.forward(x, training=training)

    def _check_dict(self, x: Any) -> None:
        if not isinstance(x, dict):
            got = (f"an array of shape {tuple(x.shape)}" if is_array(x)
                   else type(x).__name__)
            raise TypeError(f"{self._label()} expects a dict of modality arrays "
                            f"{{name: array}}, got {got}")
        for k, v in x.items():
            if not isinstance(k, str):
                raise TypeError(f"{self._label()}: modality names must be str, got {k!r}")
            real_array(v, f"{self._label()}: modality {k!r}")

    def _check_keys(self, got: list[str], expected: list[str]) -> None:
        missing = [k for k in expected if k not in got]
        extra = [k for k in got if k not in expected]
        if missing or extra:
            parts = []
            if missing:
                parts.append("missing modality " + ", ".join(map(repr, missing)))
            if extra:
                parts.append("unexpected modality " + ", ".join(map(repr, extra))
                             + did_you_mean(extra[0], missing or expected))
            raise ValueError(f"{self._label()}: {'; '.join(parts)} "
                             f"(expected {expected}, got {got})")

    def build(self, input_shape: Any) -> None:
        if not isinstance(input_shape, dict):
            raise TypeError(f"{self._label()} expects a dict of modality shapes "
                            f"{{name: shape}}, got {input_shape!r}")
        shapes = {k: tuple(s) for k, s in input_shape.items()}
        if self._fixed_keys is not None:
            self._check_keys(list(shapes), list(self._fixed_keys))
            shapes = {k: shapes[k] for k in self._fixed_keys}
        if len(shapes) < self._min_modalities:
            raise ValueError(f"{self._label()} needs at least {self._min_modalities} "
                             f"modalities, got {list(shapes)}")
        self._check_built_shapes(shapes)
        self._keys = list(shapes)
        self._shapes = shapes
        self._build(shapes)
        self.input_shape = shapes      # a dict here (Layer.build would keep only its keys)
        self.built = True

    def _check_built_shapes(self, shapes: dict[str, tuple]) -> None:
        for k, s in shapes.items():
            if len(s) != 2:
                raise ValueError(f"{self._label()} expected {k!r} of shape (batch, features), "
                                 f"got {shape_str(s)}")

    def _build(self, shapes: dict[str, tuple]) -> None:
        """Create the parameters (none by default)."""

    # -- checks on every call -------------------------------------------------
    def _inputs(self, x: Any) -> list[Any]:
        """Validate ``x`` against the built modalities; return the arrays in build order."""
        self._check_dict(x)
        self._check_keys(list(x), self._keys)
        for k in self._keys:
            self._check_shape(k, tuple(x[k].shape))
        sizes = {k: int(x[k].shape[0]) for k in self._keys}
        if len(set(sizes.values())) > 1:
            raise ValueError(f"{self._label()}: every modality must have the same batch size, "
                             f"got {sizes}")
        # integer and bool data become the layer's float dtype, as Keras casts inputs
        return [real_array(x[k], f"{self._label()}: modality {k!r}", cast_to=self.dtype)
                for k in self._keys]

    def _check_shape(self, key: str, shape: tuple) -> None:
        built = self._shapes[key]
        if shape[1:] != built[1:]:
            raise ValueError(f"{self._label()} expected {key!r} of shape {shape_str(built)}, "
                             f"got {shape_str(shape)}")

    def _ready(self) -> dict[str, Any]:
        if not self._cache:
            raise RuntimeError(f"{self._label()}: call forward before backward")
        return self._cache


# ---------------------------------------------------------------------------
class Concat(_Fusion):
    """Early fusion: concatenate the modalities' features.

    z = [x_1 ; x_2 ; … ; x_M]   along ``axis`` (the feature axis by default).

    Shapes: x_m (batch, d_m) -> z (batch, Σ d_m); inputs of higher rank work too if
    they agree on every axis but ``axis``. The order is the dict's insertion order at
    the first call; later calls may list the modalities in any order.
    Backward splits dz back into the pieces: dx_m = dz[..., offset_m : offset_m + d_m].

    A classic baseline; see Baltrušaitis, T., Ahuja, C. & Morency, L.-P. (2019).
    *Multimodal Machine Learning: A Survey and Taxonomy*. IEEE TPAMI.
    """

    def __init__(self, axis: int = -1, *, name: str | None = None,
                 dtype: str | None = None) -> None:
        if isinstance(axis, bool) or not isinstance(axis, int | np.integer):
            raise TypeError(f"Concat: axis must be an int, got {axis!r}")
        self.axis = int(axis)
        self._ax = 1
        super().__init__(name=name, dtype=dtype)

    def _label(self) -> str:
        return f"Concat(axis={self.axis})"

    def _check_built_shapes(self, shapes: dict[str, tuple]) -> None:
        ranks = {k: len(s) for k, s in shapes.items()}
        if len(set(ranks.values())) > 1 or min(ranks.values()) < 2:
            raise ValueError(f"{self._label()} needs inputs of one rank (at least 2: batch "
                             f"and features), got shapes {shapes}")
        ndim = next(iter(ranks.values()))
        if not -ndim <= self.axis < ndim:
            raise ValueError(f"{self._label()}: axis out of range for inputs of rank {ndim}")
        ax = self.axis % ndim
        if ax == 0:
            raise ValueError(f"{self._label()} cannot concatenate along the batch axis 0")
        others = {k: s[1:ax] + s[ax + 1:] for k, s in shapes.items()}
        if len(set(others.values())) > 1:
            raise ValueError(f"{self._label()}: inputs must agree on every axis but {ax}, "
                             f"got shapes {shapes}")
        self._ax = ax

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shapes = list(input_shape.values())
        out = list(shapes[0])
        out[self._ax] = sum(s[self._ax] for s in shapes)
        return tuple(out)

    def forward(self, x: dict[str, Any], training: bool = False) -> Any:
        arrays = self._inputs(x)
        xp = array_namespace(*arrays)
        self._cache = {"sizes": [int(a.shape[self._ax]) for a in arrays]}
        return xp.concat(arrays, axis=self._ax)

    def backward(self, grad_out: Any) -> dict[str, Any]:
        sizes = self._ready()["sizes"]
        grads, start = {}, 0
        for k, n in zip(self._keys, sizes, strict=True):
            index = (slice(None),) * self._ax + (slice(start, start + n), ...)
            grads[k] = grad_out[index]
            start += n
        return grads


# ---------------------------------------------------------------------------
class Late(_Fusion):
    """Late (decision-level) fusion: a weighted average of per-modality predictions.

    z = Σ_m α_m x_m,  with::

        mode="mean":     α_m = 1/M
        mode="weighted": α_m = w_m / Σ w  (fixed ``weights``: a dict by modality, or a
                         sequence in the dict's order; normalised to sum to one)
        mode="learned":  α = softmax(w), w a trainable parameter ``params["w"]`` (M,),
                         starting at zeros (the plain mean)

    Shapes: every x_m (batch, k) — logits or probabilities of the same width — and
    z (batch, k). Backward: dx_m = α_m dz; for "learned", dα_m = Σ dz ⊙ x_m and
    dw = α ⊙ (dα − Σ_m α_m dα_m).

    See Snoek, C., Worring, M. & Smeulders, A. (2005). *Early versus Late Fusion in
    Semantic Video Analysis*. ACM Multimedia.
    """

    _MODES = {"mean": "mean", "weighted": "weighted", "learned": "learned"}

    def __init__(self, mode: str = "mean", weights: Any = None, *,
                 name: str | None = None,
                 dtype: str | None = None) -> None:
        self.mode = lookup(mode, self._MODES, "Late fusion mode")
        if self.mode == "weighted" and weights is None:
            raise ValueError("Late(mode='weighted') needs weights: a dict {modality: weight} "
                             "or a sequence, one per modality")
        if self.mode != "weighted" and weights is not None:
            raise ValueError(f"Late(mode={self.mode!r}) takes no weights; use "
                             "mode='weighted' for fixed weights")
        self.weights = weights
        self._alpha: list[float] = []
        super().__init__(name=name, dtype=dtype)

    def _label(self) -> str:
        return f"Late(mode={self.mode!r})"

    def _check_built_shapes(self, shapes: dict[str, tuple]) -> None:
        if len({s[1:] for s in shapes.values()}) > 1 or min(len(s) for s in shapes.values()) < 2:
            raise ValueError(f"{self._label()} needs predictions of the same shape "
                             f"(batch, k) from every modality, got {shapes}")

    def _build(self, shapes: dict[str, tuple]) -> None:
        keys = list(shapes)
        if self.mode == "mean":
            self._alpha = [1.0 / len(keys)] * len(keys)
        elif self.mode == "weighted":
            w = self.weights
            if isinstance(w, dict):
                self._check_keys(list(w), keys)
                values = [w[k] for k in keys]
            else:
                try:
                    values = list(w)
                except TypeError as err:
                    raise TypeError(f"{self._label()}: weights must be a dict or a sequence, "
                                    f"got {type(w).__name__}") from err
                if len(values) != len(keys):
                    raise ValueError(f"{self._label()}: got {len(values)} weights for "
                                     f"{len(keys)} modalities {keys}")
            try:
                values = [float(v) for v in values]
            except (TypeError, ValueError) as err:
                raise TypeError(f"{self._label()}: weights must be numbers, got {values}") \
                    from err
            if any(not math.isfinite(v) or v < 0 for v in values) or sum(values) <= 0:
                raise ValueError(f"{self._label()}: weights must be finite, non-negative and "
                                 f"not all zero, got {values}")
            self._alpha = [v / sum(values) for v in values]
        else:
            self.add_param("w", np.zeros(len(keys)))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return tuple(next(iter(input_shape.values())))

    def modality_weights(self) -> dict[str, float]:
        """α per modality, as Python floats (for plots and printing)."""
        if self.mode != "learned":
            return dict(zip(self._keys, self._alpha, strict=True))
        alpha = to_numpy(_softmax(self.params["w"], axis=0))
        return {k: float(a) for k, a in zip(self._keys, alpha, strict=True)}

    def forward(self, x: dict[str, Any], training: bool = False) -> Any:
        arrays = self._inputs(x)
        xp = array_namespace(*arrays)
        stacked = xp.stack(arrays, axis=0)                           # (M, batch, k)
        if self.mode == "learned":
            alpha = _softmax(self.params["w"], axis=0)
        else:
            alpha = xp.asarray(self._alpha, dtype=stacked.dtype)
        alpha_b = xp.reshape(alpha, (-1,) + (1,) * (stacked.ndim - 1))
        self._cache = {"stacked": stacked, "alpha": alpha}
        return xp.sum(alpha_b * stacked, axis=0)

    def backward(self, grad_out: Any) -> dict[str, Any]:
        c = self._ready()
        xp = array_namespace(grad_out)
        stacked, alpha = c["stacked"], c["alpha"]
        if self.mode == "learned":
            axes = tuple(range(1, stacked.ndim))
            d_alpha = xp.sum(stacked * grad_out, axis=axes)           # (M,)
            self.grads["w"] = alpha * (d_alpha - xp.sum(alpha * d_alpha))
        return {k: alpha[i] * grad_out for i, k in enumerate(self._keys)}


# ---------------------------------------------------------------------------
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
        self.units = _positive_int(units, "units", "Gated")
        self.gate: Any = None
        super().__init__(name=name, dtype=dtype)

    def _label(self) -> str:
        return f"Gated({self.units})"

    def _build(self, shapes: dict[str, tuple]) -> None:
        u, m = self.units, len(shapes)
        for k, s in shapes.items():
            self.add_param(f"W_{k}", glorot_uniform(s[1], u))
            self.add_param(f"b_{k}", np.zeros(u))
        total = sum(s[1] for s in shapes.values())
        width = u if m == 2 else m * u
        self.add_param("W_z", glorot_uniform(total, width))
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
            z = _sigmoid(g)
            out = z * hs[0] + (1.0 - z) * hs[1]
        else:
            z = _softmax(xp.reshape(g, (g.shape[0], len(arrays), self.units)), axis=1)
            out = xp.sum(z * xp.stack(hs, axis=1), axis=1)
        self.gate = z
        self._cache = {"x": arrays, "xc": xc, "h": hs, "z": z}
        return out

    def backward(self, grad_out: Any) -> dict[str, Any]:
        """dz = δ ⊙ (h_1 − h_2), dg = dz ⊙ z(1 − z) (softmax backward for M > 2);
        dh_m = δ ⊙ z_m, da_m = dh_m ⊙ (1 − h_m²); dW = xᵀ d•, db = Σ d•, dx = d• Wᵀ."""
        c = self._ready()
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


# ---------------------------------------------------------------------------
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
        self.units = None if units is None else _positive_int(units, "units", "Tensor")
        super().__init__(name=name, dtype=dtype)

    def _label(self) -> str:
        return f"Tensor({self.units})"

    def _product_size(self, shapes: dict[str, tuple]) -> int:
        return math.prod(s[1] + 1 for s in shapes.values())

    def _build(self, shapes: dict[str, tuple]) -> None:
        if self.units is not None:
            size = self._product_size(shapes)
            self.add_param("W", glorot_uniform(size, self.units))
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
            return zs[-1]
        return zs[-1] @ self.params["W"] + self.params["b"]

    def backward(self, grad_out: Any) -> dict[str, Any]:
        c = self._ready()
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


# ---------------------------------------------------------------------------
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
        self.units = _positive_int(units, "units", "LowRank")
        self.rank = _positive_int(rank, "rank", "LowRank")
        super().__init__(name=name, dtype=dtype)

    def _label(self) -> str:
        return f"LowRank({self.units}, rank={self.rank})"

    def _build(self, shapes: dict[str, tuple]) -> None:
        for k, s in shapes.items():
            d = s[1] + 1
            self.add_param(f"W_{k}", glorot_uniform(d, self.units, (self.rank, d, self.units)))
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
        return xp.sum(prod, axis=0) + self.params["b"]

    def backward(self, grad_out: Any) -> dict[str, Any]:
        c = self._ready()
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


# ---------------------------------------------------------------------------
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
        self.add_param("W_gamma", glorot_uniform(d_c, channels))
        self.add_param("b_gamma", np.ones(channels))
        self.add_param("W_beta", glorot_uniform(d_c, channels))
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
        return self._broadcast(gamma, t.ndim) * t + self._broadcast(beta, t.ndim)

    def backward(self, grad_out: Any) -> dict[str, Any]:
        cache = self._ready()
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


# ---------------------------------------------------------------------------
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
        self.num_heads = _positive_int(num_heads, "num_heads", "CrossAttention")
        self.key_dim = _positive_int(key_dim, "key_dim", "CrossAttention")
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
        return xp.mean(out, axis=1) if self.pool == "mean" else out

    def backward(self, grad_out: Any) -> dict[str, Any]:
        c = self._ready()
        xp = array_namespace(grad_out)
        if self.pool == "mean":
            n = c["tokens"]
            grad_out = xp.broadcast_to(xp.expand_dims(grad_out, axis=1) * (1.0 / n),
                                       (grad_out.shape[0], n, grad_out.shape[1]))
        g = self.mha.backward(grad_out)
        return {self.query: xp.reshape(g["query"], c["q_shape"]),
                self.context: xp.reshape(g["value"], c["c_shape"])}


# ---------------------------------------------------------------------------
_REGISTRY: dict[str, type[_Fusion]] = {
    "concat": Concat, "early": Concat,
    "late": Late,
    "gated": Gated, "gmu": Gated,
    "tensor": Tensor, "tfn": Tensor,
    "lowrank": LowRank, "low_rank": LowRank, "lmf": LowRank,
    "film": FiLM,
    "crossattention": CrossAttention, "cross_attention": CrossAttention,
}


def get(identifier: Any, **kwargs: Any) -> Layer:
    """A fusion layer by name, e.g. ``get("gated", units=16)`` or ``get("tfn", units=8)``.

    Names (case-insensitive): concat/early, late, gated/gmu, tensor/tfn, lowrank/lmf,
    film, crossattention. A Layer instance is returned unchanged.
    """
    if isinstance(identifier, Layer):
        if kwargs:
            raise TypeError(f"fusion.get: got a layer instance and extra arguments {kwargs}")
        return identifier
    cls = lookup(identifier, _REGISTRY, "fusion")
    return cls(**kwargs)
