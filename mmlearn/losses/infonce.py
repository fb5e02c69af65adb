"""Symmetric InfoNCE, CLIP's contrastive loss over an (N, N) matrix of logits (chapter 6)."""

from __future__ import annotations

from typing import Any

import numpy as np

from mmlearn._validation import float_matrix, forward_cache, positive_number
from mmlearn.backend import array_namespace, asarray, is_array, to_numpy
from mmlearn.losses.base import LOSS_FIRST, Loss

__all__ = ["InfoNCE"]


class InfoNCE(Loss):
    """Symmetric InfoNCE (CLIP's loss) over an (N, N) matrix of logits.

    Row i of ``y_pred`` scores image i against every caption, column j caption j against
    every image; the matched pair is (i, y_i), by default the diagonal (y_i = i). With
    Z = y_pred / τ (τ = ``temperature``; ``None`` means ``y_pred`` already is the logits,
    τ = 1) and P the matching matrix (P[i, y_i] = 1):

        L = ½ (L_rows + L_cols),
        L_rows = −(1/N) Σ_i log softmax_row(Z)[i, y_i]     (image → caption)
        L_cols = −(1/N) Σ_j log softmax_col(Z)[y⁻¹_j, j]   (caption → image)

    Both log-softmaxes subtract the row / column maximum first (stable for any logits).
    The gradient has a neat form, each softmax minus its targets:

        dL/dZ = (softmax_row(Z) + softmax_col(Z) − 2P) / (2N),    dL/dy_pred = dL/dZ / τ,

    computed with each target entry p − 1 written as −Σ(other entries), which keeps full
    float32 precision when the model is confident (p ≈ 1).

    Shapes: y_pred (N, N) float; y_true ``None`` (the diagonal) or (N,) int, a permutation
    of 0..N−1. ``loss(y_true, y_pred)`` returns a 0-d array; ``backward()`` dL/dy_pred.
    """

    name = "infonce"
    target = "pairs"

    def __init__(self, temperature: float | None = None) -> None:
        super().__init__()
        self.temperature = None if temperature is None else positive_number(
            temperature, "temperature", "InfoNCE")

    def __call__(self, y_true: Any, y_pred: Any) -> Any:
        who = "InfoNCE"
        y_pred = float_matrix(y_pred, "y_pred", who)
        n, m = int(y_pred.shape[0]), int(y_pred.shape[1])
        if n != m:
            raise ValueError(f"{who}: y_pred must be a square (N, N) matrix of image-caption "
                             f"logits, got shape {(n, m)}")
        if n == 0:
            raise ValueError(f"{who}: y_pred is empty (shape {(n, m)}); expected at least one "
                             "pair")
        xp = array_namespace(y_pred)
        return self.compute(self._matching(y_true, n, xp), y_pred)

    def compute(self, y_true: Any, y_pred: Any) -> Any:
        """On a checked square y_pred and y_true None (the diagonal) or checked indices."""
        xp = array_namespace(y_pred)
        n = int(y_pred.shape[0])
        if y_true is None:
            P = xp.eye(n, dtype=y_pred.dtype)
        else:
            P = xp.astype(y_true[:, None] == xp.arange(n, dtype=y_true.dtype)[None, :],
                          y_pred.dtype)
        z = y_pred if self.temperature is None else y_pred / self.temperature
        log_rows = _log_softmax(z, axis=1)
        log_cols = _log_softmax(z, axis=0)
        loss = -0.5 * (xp.sum(P * log_rows) + xp.sum(P * log_cols)) / n
        self._cache = {"rows": xp.exp(log_rows), "cols": xp.exp(log_cols), "P": P, "n": n}
        return xp.asarray(loss)

    @staticmethod
    def _matching(y_true: Any, n: int, xp: Any) -> Any:
        """y_true checked: None (the diagonal) or (N,) int indices, a permutation."""
        if y_true is None:
            return None
        if not is_array(y_true):
            try:
                y_true = np.asarray(y_true)
            except Exception as err:
                raise TypeError("InfoNCE: y_true must be None or an (N,) array of matched "
                                f"indices, got {type(y_true).__name__}") from err
        if array_namespace(y_true) is not xp:
            y_true = asarray(to_numpy(y_true), xp=xp)
        if y_true.ndim != 1 or int(y_true.shape[0]) != n:
            raise ValueError(f"InfoNCE: y_true must be None or an ({n},) array of matched "
                             f"indices, got shape {tuple(y_true.shape)}")
        if xp.isdtype(y_true.dtype, "real floating"):
            if not bool(xp.all(y_true == xp.round(y_true))):
                raise ValueError("InfoNCE: y_true must hold whole-number indices")
            y_true = xp.astype(y_true, xp.int64)
        elif not xp.isdtype(y_true.dtype, "integral"):
            raise TypeError(f"InfoNCE: y_true must hold integer indices, got dtype "
                            f"{y_true.dtype}")
        idx = xp.arange(n, dtype=y_true.dtype)
        if not bool(xp.all(xp.sort(y_true) == idx)):
            raise ValueError(f"InfoNCE: y_true must be a permutation of 0..{n - 1} (each caption "
                             "matched to exactly one image)")
        return y_true

    def backward(self) -> Any:
        """dL/dy_pred = (softmax_row + softmax_col − 2P) / (2N τ), shape (N, N)."""
        c = forward_cache(self._cache, "InfoNCE", LOSS_FIRST)
        xp = array_namespace(c["P"])
        P = c["P"]
        # softmax − P, with each target entry written as −(sum of the other entries of its
        # row / column): equal since a softmax sums to 1, but p − 1 is never formed, so a
        # confident p = 1 − 1e-9 keeps its precision in float32
        off_r = c["rows"] * (1.0 - P)
        off_c = c["cols"] * (1.0 - P)
        g_rows = off_r - P * xp.sum(off_r, axis=1, keepdims=True)
        g_cols = off_c - P * xp.sum(off_c, axis=0, keepdims=True)
        grad = (g_rows + g_cols) / (2.0 * c["n"])
        return grad if self.temperature is None else grad / self.temperature

    def __repr__(self) -> str:
        return f"InfoNCE(temperature={self.temperature!r})"


def _log_softmax(z: Any, axis: int) -> Any:
    """log softmax along ``axis``: z − max − log Σ exp(z − max), in a more precise form
    than :func:`mmlearn.nn.activations.log_softmax` (which the cross-entropies keep, as Keras
    computes them):

    The sum is 1 (the maximum's own term; k for k tied maxima) plus the others' terms, so
    log Σ = log1p(k − 1 + Σ others): the others' tiny terms are not lost to rounding
    against 1, and a confident row's small loss keeps its precision in float32.
    """
    xp = array_namespace(z)
    shifted = z - xp.max(z, axis=axis, keepdims=True)
    below = xp.astype(shifted < 0, z.dtype)
    others = xp.sum(xp.exp(shifted) * below, axis=axis, keepdims=True)
    n_max = xp.sum(1.0 - below, axis=axis, keepdims=True)
    return shifted - xp.log1p(others + (n_max - 1.0))
