"""Splitting and batching, dict-aware: every modality of a sample stays with its label."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from mmlearn._validation import check_int, fraction
from mmlearn.backend import take_rows
from mmlearn.data._dataset import count_samples, unpack
from mmlearn.data._generate import generator

__all__ = ["batches", "train_test_split"]


def train_test_split(x: Any, y: Any = None, test_size: float = 0.2,
                     seed: int | None = None) -> tuple:
    """Shuffle the samples once and cut off a test part.

    ``x`` is an array or a dict of arrays (one per modality), ``y`` an array or ``None``;
    every array shares the sample axis. Returns ``(x_train, x_test, y_train, y_test)``, or
    ``(x_train, x_test)`` when ``y`` is ``None``, in scikit-learn's order. The test part has
    ``ceil(test_size · n)`` samples; every sample lands in exactly one part. A
    :class:`Dataset` may be given as ``x``; its ``y`` comes along.
    """
    who = "train_test_split"
    x, y = unpack(x, y, who)
    test_size = fraction(test_size, "test_size", who, closed=False)
    n = count_samples(x, y, who)
    n_test = math.ceil(test_size * n)
    if n_test >= n:
        raise ValueError(f"{who}: test_size={test_size} leaves no training sample out of {n}")
    perm = generator(seed, who).permutation(n)
    test_idx, train_idx = perm[:n_test], perm[n_test:]
    out = (take_rows(x, train_idx), take_rows(x, test_idx))
    if y is None:
        return out
    return (*out, take_rows(y, train_idx), take_rows(y, test_idx))


def batches(x: Any, y: Any = None, batch_size: int = 32, shuffle: bool = True,
            seed: int | None = None) -> Iterator[Any]:
    """Mini-batches of ``x`` (array or dict) and ``y``: yields ``(x_batch, y_batch)``, or just
    ``x_batch`` when ``y`` is ``None``.

    Every sample appears exactly once per pass; the last batch may be smaller. ``shuffle``
    draws the order from ``seed`` (``None``: from ``mmlearn.backend.rng()``); ``shuffle=False``
    keeps it. A :class:`Dataset` may be given as ``x``; its ``y`` comes along.
    """
    who = "batches"
    x, y = unpack(x, y, who)
    batch_size = check_int(batch_size, "batch_size", who, wrong_type=TypeError)
    n = count_samples(x, y, who)
    order = generator(seed, who).permutation(n) if shuffle else np.arange(n)

    def gen() -> Iterator[Any]:
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            xb = take_rows(x, idx)
            yield xb if y is None else (xb, take_rows(y, idx))

    return gen()
