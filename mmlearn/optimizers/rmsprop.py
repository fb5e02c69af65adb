"""RMSprop: the step divided by a running root-mean-square of the gradients."""

from __future__ import annotations

from typing import Any

from mmlearn.backend import array_namespace
from mmlearn.optimizers.base import Optimizer, _fraction, _positive

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop: divide the step by a running root-mean-square of the gradients.

        v ← ρ v + (1 − ρ) g²
        Δ = η g / √(v + ε)
        w ← w − Δ;   with momentum μ:  b ← μ b + Δ,  w ← w − b

    v starts at 0. Keras puts ε inside the square root; ``torch.optim.RMSprop``
    divides by √v + ε instead. The two steps differ by a factor of about
    1 + ε/(2v) ≈ 1 + 5e-8/g²: negligible for |g| ≳ 0.1, visible for small gradients.
    Defaults (Keras): learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7.
    """

    name = "rmsprop"

    def __init__(self, learning_rate: float = 0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7) -> None:
        super().__init__(learning_rate)
        self.rho = _fraction(rho, "rho", "RMSprop")
        self.momentum = _fraction(momentum, "momentum", "RMSprop")
        self.epsilon = _positive(epsilon, "epsilon", "RMSprop")

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon}

    def _new_slots(self, w: Any) -> dict[str, Any]:
        xp = array_namespace(w)
        slots = {"v": xp.zeros_like(w)}
        if self.momentum > 0.0:
            slots["b"] = xp.zeros_like(w)
        return slots

    def _update(self, xp: Any, g: Any, w: Any, slots: dict[str, Any]) -> None:
        v = slots["v"]
        g2 = g * g
        g2 *= 1.0 - self.rho
        v *= self.rho
        v += g2                                      # v = ρ v + (1 − ρ) g²
        denom = v + self.epsilon
        delta = g * self.learning_rate
        delta /= xp.sqrt(denom)                      # Δ = η g / √(v + ε)
        if self.momentum > 0.0:
            b = slots["b"]
            b *= self.momentum
            b += delta
            w -= b
        else:
            w -= delta
