"""Embeddings in the plane: as they are when 2-d, else along their two principal components."""

from __future__ import annotations

from typing import Any

import numpy as np

from mmlearn.viz._common import _axes, _host, _labels

__all__ = ["pca_2d", "plot_embeddings"]


def pca_2d(Z: Any) -> np.ndarray:
    """Project rows of ``Z`` (n, d), d >= 2, onto their first two principal components.

    Centre the rows, take the SVD ``Zc = U S Vᵀ`` and return ``Zc V[:, :2]``
    (a NumPy array of shape (n, 2)). Each component's sign is fixed so that its
    largest-magnitude entry is positive, so the picture does not flip between runs.
    """
    Zh = _host(Z, "Z", "pca_2d")
    if Zh.ndim != 2 or Zh.shape[1] < 2:
        raise ValueError(f"pca_2d: Z must have shape (n, d) with d >= 2, got {Zh.shape}")
    if Zh.shape[0] < 2:
        raise ValueError(f"pca_2d: Z needs at least 2 rows to find directions, got {Zh.shape[0]}")
    Zc = Zh - Zh.mean(axis=0)
    _, _, Vt = np.linalg.svd(Zc, full_matrices=False)
    V = Vt[:2].T
    signs = np.sign(V[np.argmax(np.abs(V), axis=0), [0, 1]])
    return Zc @ (V * np.where(signs == 0, 1.0, signs))


def plot_embeddings(
    Z: Any,
    labels: Any = None,
    ax: Any = None,
    *,
    title: str | None = None,
) -> Any:
    """Scatter embeddings ``Z`` (n, d) in the plane, one colour per label.

    Two-dimensional ``Z`` is drawn as it is (axes z1, z2); wider ``Z`` is first
    projected with :func:`pca_2d` (axes PC1, PC2). ``labels`` (n,) may be
    numbers or strings (e.g. ``"image"``/``"text"``); each distinct label is
    one scatter collection with a legend entry. Returns the Axes.
    """
    func = "plot_embeddings"
    Zh = _host(Z, "Z", func)
    if Zh.ndim != 2 or Zh.shape[1] < 2:
        raise ValueError(f"{func}: Z must have shape (n, d) with d >= 2, got {Zh.shape}")
    if Zh.shape[0] == 0:
        raise ValueError(f"{func}: Z is empty; expected at least one embedding")
    lab = None if labels is None else _labels(labels, Zh.shape[0], func, "labels", "Z")
    if Zh.shape[1] == 2:
        P, names = Zh, ("$z_1$", "$z_2$")
    else:
        P, names = pca_2d(Zh), ("PC1", "PC2")
    ax = _axes(ax, func)
    if lab is None:
        ax.scatter(P[:, 0], P[:, 1], s=20)
    else:
        for i, c in enumerate(np.unique(lab)):
            rows = lab == c
            ax.scatter(P[rows, 0], P[rows, 1], s=20, color=f"C{i % 10}", label=str(c))
        ax.legend()
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    if title is not None:
        ax.set_title(title)
    return ax
