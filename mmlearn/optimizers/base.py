"""The optimizer contract: per-parameter state ("slots") keyed by the parameter's ``id`` or
by explicit ``keys``, a step counter ``iterations``, and one public step,
``apply_gradients``; the number checks the optimizers share. Subclasses implement
``_update`` (one parameter, in place) and ``_new_slots`` (its zero state)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np

from mmlearn.backend import array_namespace, is_array

__all__ = ["Optimizer"]


def _positive(value: Any, arg: str, who: str, *, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{who}: {arg} must be a number, got {value!r}")
    value = float(value)
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        want = "a non-negative" if allow_zero else "a positive"
        raise ValueError(f"{who}: {arg} must be {want} finite number, got {value!r}")
    return value


def _fraction(value: Any, arg: str, who: str) -> float:
    """A decay rate in [0, 1)."""
    value = _positive(value, arg, who, allow_zero=True)
    if value >= 1.0:
        raise ValueError(f"{who}: {arg} must be in [0, 1), got {value!r}")
    return value


class Optimizer:
    """Base class: bookkeeping shared by every optimizer.

    Subclasses implement ``_update(g, w, slots)`` (one parameter, in place) and
    ``_new_slots(w)`` (the zero state for a parameter).
    """

    name = "optimizer"

    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = _positive(learning_rate, "learning_rate", type(self).__name__)
        self.iterations = 0                          # completed apply_gradients calls
        self._slots: dict[Hashable, dict[str, Any]] = {}

    # -- the public step --------------------------------------------------------
    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Any]],
                        keys: Sequence[Hashable] | None = None) -> None:
        """Update each parameter in place from its gradient, then ``iterations += 1``.

        ``grads_and_vars``: pairs ``(gradient, parameter)``, e.g. ``zip(grads, params)``
        (Keras's name and argument). A ``None`` gradient leaves its parameter alone.
        ``keys``: optional names of the parameters' state, one per pair; by default a
        parameter's state is found by its ``id``, so pass keys when the parameter
        arrays may be replaced (as models do after ``set_weights``).
        """
        pairs = list(grads_and_vars)
        if keys is not None and len(keys) != len(pairs):
            raise ValueError(f"{type(self).__name__}.apply_gradients: got {len(keys)} keys "
                             f"for {len(pairs)} (gradient, parameter) pairs")
        who = f"{type(self).__name__}.apply_gradients"
        self._begin_step()
        xp = None
        items = []
        for i, pair in enumerate(pairs):
            if not isinstance(pair, tuple | list) or len(pair) != 2:
                raise TypeError(f"{who}: expected (gradient, parameter) pairs, "
                                f"got {type(pair).__name__} at position {i}")
            g, w = pair
            if g is None:
                continue
            for arg, a in (("gradient", g), ("parameter", w)):
                if not is_array(a):
                    raise TypeError(f"{who}: {arg} {i} must be an array (of the active "
                                    f"backend), got {type(a).__name__}")
            if g.shape != w.shape:
                raise ValueError(f"{who}: gradient {i} has shape {tuple(g.shape)} but its "
                                 f"parameter has shape {tuple(w.shape)}")
            if g.dtype != w.dtype:
                raise TypeError(f"{who}: gradient {i} has dtype {g.dtype} but its parameter "
                                f"has dtype {w.dtype}; the update would change precision")
            if xp is None:
                xp = array_namespace(w)
            key = id(w) if keys is None else keys[i]
            items.append((g, w, self._slots_for(key, w)))
        if items:
            self._apply(xp, items)
        self.iterations += 1

    def _slots_for(self, key: Hashable, w: Any) -> dict[str, Any]:
        slots = self._slots.get(key)
        stale = slots is None or slots["_shape"] != tuple(w.shape)
        if not stale and isinstance(key, int) and slots["_param"] is not w:
            stale = True                             # an id reused by a new array
        if stale:
            slots = self._new_slots(w)
            slots["_shape"] = tuple(w.shape)
            # Holding the array keeps its id from being reused while the state lives.
            slots["_param"] = w if isinstance(key, int) else None
            self._slots[key] = slots
        return slots

    def _begin_step(self) -> None:
        """Per-step scalars (Adam's bias correction); nothing by default."""

    def _new_slots(self, w: Any) -> dict[str, Any]:
        return {}

    def _apply(self, xp: Any, items: list[tuple[Any, Any, dict[str, Any]]]) -> None:
        """One step for every (gradient, parameter, slots); by default one by one."""
        for g, w, slots in items:
            self._update(xp, g, w, slots)

    def _update(self, xp: Any, g: Any, w: Any, slots: dict[str, Any]) -> None:
        """Update ``w`` in place from ``g``; ``xp`` is the arrays' namespace."""
        raise NotImplementedError

    # -- introspection ----------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """The hyperparameters, as Keras's ``get_config`` (name and numbers)."""
        return {"name": self.name, "learning_rate": self.learning_rate}

    def reset(self) -> None:
        """Forget every slot and set ``iterations`` back to 0."""
        self._slots.clear()
        self.iterations = 0

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"
