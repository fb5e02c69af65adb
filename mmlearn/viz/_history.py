"""Training curves: one line per recorded metric against the epoch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mmlearn._i18n import _
from mmlearn._names import did_you_mean
from mmlearn.backend import is_array
from mmlearn.viz._common import _axes, _host

__all__ = ["plot_history"]


def plot_history(
    history: Any,
    keys: Sequence[str] | None = ("loss", "val_loss"),
    ax: Any = None,
    *,
    title: str | None = None,
) -> Any:
    """Draw training curves, one line per key, against the epoch (1, 2, ...).

    ``history`` is what ``model.fit`` returns (a History, whose ``.history``
    maps names such as ``"loss"`` and ``"accuracy"`` to one number per epoch)
    or such a dict itself, e.g. ``{"mistakes": perceptron.fit(...)}``.
    The default keys draw ``"loss"`` and, when it was recorded, ``"val_loss"``;
    ``keys=None`` draws every key; a key asked for by name must exist.
    Returns the Axes.
    """
    func = "plot_history"
    record = getattr(history, "history", history)
    if not isinstance(record, Mapping):
        raise TypeError(
            f"{func}: history must be a History (from model.fit) or a dict of name -> list of "
            f"numbers per epoch, got {type(history).__name__}"
        )
    if not record:
        raise ValueError(f"{func}: history is empty (was the model trained?)")
    chosen = _chosen_keys(record, keys, func)
    if not chosen:
        raise ValueError(f"{func}: keys must name at least one series, got {keys!r}")
    ax = _axes(ax, func)
    for k in chosen:
        values = _host(list(record[k]) if not is_array(record[k]) else record[k],
                       f"history[{k!r}]", func)
        if values.ndim != 1 or values.size == 0:
            raise ValueError(
                f"{func}: history[{k!r}] must be a non-empty list of numbers, one per epoch, "
                f"got shape {values.shape}"
            )
        marker = "o" if values.size <= 30 else None  # dots only while they can be told apart
        ax.plot(np.arange(1, values.size + 1), values, marker=marker, markersize=3, label=k)
    ax.set_xlabel(_("epoch"))
    ax.set_ylabel(chosen[0] if len(chosen) == 1 else _("value"))
    ax.grid(True, alpha=0.3)
    if len(chosen) > 1:
        ax.legend()
    if title is not None:
        ax.set_title(title)
    return ax


def _chosen_keys(record: Mapping[str, Any], keys: Sequence[str] | str | None,
                 func: str) -> list[str]:
    """The keys to draw: all of them for None; a named key must exist, except the default
    "val_loss", which is drawn only when it was recorded."""
    if keys is None:
        return list(record)
    if isinstance(keys, str):
        keys = (keys,)
    chosen = []
    defaults = keys == ("loss", "val_loss")
    for k in keys:
        if k in record:
            chosen.append(k)
        elif not (defaults and k == "val_loss"):
            raise ValueError(
                f"{func}: history has no key {k!r}; it has {sorted(record)}"
                + did_you_mean(k, list(record))
            )
    return chosen
