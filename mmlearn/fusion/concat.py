"""Early and late fusion: concatenate features, or average per-modality predictions."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mmlearn._validation import forward_cache, lookup
from mmlearn.backend import array_namespace, to_numpy
from mmlearn.fusion.base import _Fusion
from mmlearn.nn.activations import softmax

__all__ = ["Concat", "Late"]


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
        return self._remember_output(xp.concat(arrays, axis=self._ax))

    def backward(self, grad_out: Any) -> dict[str, Any]:
        self._check_grad_out(grad_out)
        sizes = forward_cache(self._cache or None, self._label())["sizes"]
        grads, start = {}, 0
        for k, n in zip(self._keys, sizes, strict=True):
            index = (slice(None),) * self._ax + (slice(start, start + n), ...)
            grads[k] = grad_out[index]
            start += n
        return grads


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
        alpha = to_numpy(softmax(self.params["w"], axis=0))
        return {k: float(a) for k, a in zip(self._keys, alpha, strict=True)}

    def forward(self, x: dict[str, Any], training: bool = False) -> Any:
        arrays = self._inputs(x)
        xp = array_namespace(*arrays)
        stacked = xp.stack(arrays, axis=0)                           # (M, batch, k)
        if self.mode == "learned":
            alpha = softmax(self.params["w"], axis=0)
        else:
            alpha = xp.asarray(self._alpha, dtype=stacked.dtype)
        alpha_b = xp.reshape(alpha, (-1,) + (1,) * (stacked.ndim - 1))
        self._cache = {"stacked": stacked, "alpha": alpha}
        return self._remember_output(xp.sum(alpha_b * stacked, axis=0))

    def backward(self, grad_out: Any) -> dict[str, Any]:
        self._check_grad_out(grad_out)
        c = forward_cache(self._cache or None, self._label())
        xp = array_namespace(grad_out)
        stacked, alpha = c["stacked"], c["alpha"]
        if self.mode == "learned":
            axes = tuple(range(1, stacked.ndim))
            d_alpha = xp.sum(stacked * grad_out, axis=axes)           # (M,)
            self.grads["w"] = alpha * (d_alpha - xp.sum(alpha * d_alpha))
        return {k: alpha[i] * grad_out for i, k in enumerate(self._keys)}
