"""SGD, optionally with (Nesterov) momentum."""

from __future__ import annotations

from typing import Any

import numpy as np

from mmlearn.backend import array_namespace
from mmlearn.optimizers.base import Optimizer, _fraction

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum.

        plain:     w ← w − η g
        momentum:  m ← μ m − η g,   w ← w + m
        nesterov:  m ← μ m − η g,   w ← w + μ m − η g

    m starts at 0. Keras's formulation; with a constant learning rate it equals
    ``torch.optim.SGD`` (whose buffer is b = μ b + g, so m = −η b).
    Defaults (Keras): learning_rate=0.01, momentum=0.0, nesterov=False.
    """

    name = "sgd"

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0,
                 nesterov: bool = False) -> None:
        super().__init__(learning_rate)
        self.momentum = _fraction(momentum, "momentum", "SGD")
        if not isinstance(nesterov, bool | np.bool_):
            raise TypeError(f"SGD: nesterov must be True or False, got {nesterov!r}")
        self.nesterov = bool(nesterov)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}

    def _new_slots(self, w: Any) -> dict[str, Any]:
        if self.momentum == 0.0:
            return {}
        return {"m": array_namespace(w).zeros_like(w)}

    def _update(self, xp: Any, g: Any, w: Any, slots: dict[str, Any]) -> None:
        step = g * self.learning_rate                # η g, one temporary
        if self.momentum == 0.0:
            w -= step
            return
        m = slots["m"]
        m *= self.momentum
        m -= step                                    # m = μ m − η g
        if self.nesterov:
            w -= step
            w += m * self.momentum                   # w += μ m − η g
        else:
            w += m
