"""How fit cuts checked data into batches: the held-out validation part, each epoch's
shuffled order, and the (x, y) slices of every batch. ``x`` is an array or a dict of
modalities (:func:`size` and :func:`rows` handle both); ``y`` may be None (pairs)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from mmlearn.backend import rng, take_rows
from mmlearn.models import checks

if TYPE_CHECKING:
    from mmlearn.models.model import Model

__all__: list[str] = []

Batch = tuple[Any, Any]                 # (x, y) of one batch; y None for a DualEncoder


def size(x: Any) -> int:
    """The number of samples of an array or of a dict of modalities."""
    if isinstance(x, dict):
        x = next(iter(x.values()))
    return int(x.shape[0])


def rows(x: Any, start: int, stop: int) -> Any:
    """Samples ``start:stop`` of an array or of every modality of a dict (views)."""
    if isinstance(x, dict):
        return {m: a[start:stop, ...] for m, a in x.items()}
    return x[start:stop, ...]


def hold_out(model: Model, x: Any, y: Any, validation_data: Any, split: float,
             who: str) -> tuple[Any, Any, Batch | None]:
    """(x, y) to train on and the checked validation pair (None without one):
    ``validation_data`` as given, else the LAST ``split`` fraction of (x, y)."""
    if validation_data is not None:
        xv, yv = checks.validation_pair(validation_data, who)
        xv, yv, _, _ = model._prepare_pair(xv, yv, "validation_data[0]", "validation_data[1]",
                                         who)
        return x, y, (xv, yv)
    if not split:
        return x, y, None
    n = size(x)
    cut = int(math.floor(n * (1.0 - split)))
    if cut in (0, n):
        raise ValueError(f"{who}: {n} samples cannot be split into training and "
                         f"validation sets with validation_split={split}")
    y_fit, y_val = (None, None) if y is None else (y[:cut, ...], y[cut:, ...])
    return rows(x, 0, cut), y_fit, (rows(x, cut, n), y_val)


def shuffled(x: Any, y: Any, n: int) -> Batch:
    """(x, y) in a new order drawn from the seeded generator: one gather per epoch, on
    the device."""
    order = rng().permutation(n)
    return take_rows(x, order), None if y is None else take_rows(y, order)


def batches(model: Model, x: Any, y: Any, batch_size: int) -> list[tuple[int, Batch]]:
    """(index, (x, y)) of every batch, in order; a batch smaller than ``model.min_batch``
    (the last one) is left out."""
    n = size(x)
    out = []
    for b in range(math.ceil(n / batch_size)):
        start, stop = b * batch_size, min(n, (b + 1) * batch_size)
        if stop - start >= model.min_batch:
            out.append((b, (rows(x, start, stop),
                            None if y is None else rows(y, start, stop))))
    return out


class Means:
    """The running means fit and evaluate log: each value's mean over the batches so far,
    weighted by batch size, keyed by name in sorted order."""

    def __init__(self, names: list[str]) -> None:
        self.names = names                      # the order of the values ``add`` gets
        self.sums = dict.fromkeys(sorted(names), 0.0)
        self.seen = 0

    def add(self, values: list[float], n: int) -> dict[str, float]:
        """Add one batch of ``n`` samples; return the means so far."""
        self.seen += n
        for name, value in zip(self.names, values, strict=True):
            self.sums[name] += value * n
        return {k: total / self.seen for k, total in self.sums.items()}
