"""What every generator shares: its random generator, the conversion of its host-side NumPy
arrays to the active backend, and the shapes two of them draw.

Generators work in float64 NumPy on the host (so a seed gives the same arrays everywhere)
and convert once at the end: images and signals to ``floatx()``, ids and labels to int64.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mmlearn.backend import asarray, floatx, rng

SIZES = ("small", "big")


def generator(seed: Any, who: str) -> np.random.Generator:
    """A private NumPy generator: from ``seed``, or from a seed drawn off ``backend.rng()``."""
    if seed is None:
        seed = int(rng().integers(0, 2**63 - 1))
    elif isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"{who}: seed must be a non-negative int or None, got {seed!r}")
    elif seed < 0:
        raise ValueError(f"{who}: seed must be a non-negative int or None, got {seed!r}")
    return np.random.default_rng(int(seed))


def as_float(a: np.ndarray) -> Any:
    """Host data as ``floatx()`` on the active backend."""
    return asarray(np.asarray(a, dtype=floatx()), dtype=floatx())


def as_int(a: np.ndarray) -> Any:
    """Host ids or labels as int64 on the active backend."""
    return asarray(np.asarray(a, dtype=np.int64), dtype="int64")


def image_out(images: np.ndarray, flatten: bool) -> Any:
    """Images (n, H, W) as (n, H·W) when ``flatten`` (a Dense encoder reads them), as
    ``floatx()`` on the active backend."""
    n = images.shape[0]
    return as_float(images.reshape(n, -1) if flatten else images)


SHAPES = ("square", "circle", "triangle", "cross")


def draw_shapes(kind: np.ndarray, cy: np.ndarray, cx: np.ndarray, r: np.ndarray,
                 size: int) -> np.ndarray:
    """Shapes, one per image (the circle a ring, the rest filled): (n,) kind index into
    ``SHAPES``, centre (cy, cx), half-size r.

    Returns (n, size, size) float64 with 1 on the shape and 0 elsewhere.
    """
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    dy = yy[None] - cy[:, None, None]
    dx = xx[None] - cx[:, None, None]
    rr = r[:, None, None]
    square = (np.abs(dx) <= rr) & (np.abs(dy) <= rr)
    circle = np.abs(np.sqrt(dx**2 + dy**2) - rr) <= 0.75          # a ring, hollow inside
    # triangle pointing up: apex at the top, base at the bottom, width grows downwards
    triangle = (dy >= -rr) & (dy <= rr) & (np.abs(dx) <= (dy + rr) / 2 + 0.5)
    cross = ((np.abs(dx) <= 0.6 * rr / 2 + 0.3) & (np.abs(dy) <= rr)) | \
            ((np.abs(dy) <= 0.6 * rr / 2 + 0.3) & (np.abs(dx) <= rr))
    masks = np.stack([square, circle, triangle, cross])                 # (4, n, H, W)
    return masks[kind, np.arange(kind.shape[0])].astype(np.float64)

