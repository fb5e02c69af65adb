"""Adam and AdamW, and the flat state that steps many small NumPy parameters together."""

from __future__ import annotations

from typing import Any

import numpy as np

from mmlearn.backend import array_namespace
from mmlearn.optimizers.base import Optimizer, _fraction, _positive

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam: momentum on the gradient (m) and on its square (v), bias-corrected.

        m ← β₁ m + (1 − β₁) g
        v ← β₂ v + (1 − β₂) g²              (amsgrad: v̂ ← max(v̂, v), used for v below)
        α = η √(1 − β₂ᵗ) / (1 − β₁ᵗ)        t = iterations + 1, computed in float32
        w ← w − α m / (√v + ε)

    m and v start at 0. This is Keras's form: ε is added to the raw √v.
    ``torch.optim.Adam`` computes w ← w − η m̂ / (√v̂ + ε) with m̂ = m/(1 − β₁ᵗ),
    v̂ = v/(1 − β₂ᵗ), which is the same as Keras's with ε replaced by ε √(1 − β₂ᵗ):
    identical steps unless √v is near ε (tiny gradients).
    Defaults (Keras): learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7.

    Speed: on NumPy, parameters of up to 16,384 float32 elements keep m and v in one
    shared buffer and are stepped together, with the same operations in the same order,
    so the result is bit for bit the same. Each NumPy call costs about a microsecond
    whatever its size, and stepping them together saves a dozen calls per parameter.
    """

    name = "adam"

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False) -> None:
        super().__init__(learning_rate)
        who = type(self).__name__
        self.beta_1 = _fraction(beta_1, "beta_1", who)
        self.beta_2 = _fraction(beta_2, "beta_2", who)
        self.epsilon = _positive(epsilon, "epsilon", who)
        if not isinstance(amsgrad, bool | np.bool_):
            raise TypeError(f"{who}: amsgrad must be True or False, got {amsgrad!r}")
        self.amsgrad = bool(amsgrad)
        self._alpha32 = self._alpha64 = 0.0
        self._flat: _FlatAdamState | None = None     # small NumPy parameters, see _apply

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}

    def reset(self) -> None:
        super().reset()
        self._flat = None

    def _begin_step(self) -> None:
        # α as Keras computes it for float32 variables: every factor rounded to float32.
        # These are host-side scalars; the Python float that carries α holds the float32
        # value exactly, and multiplying a float32 array by it stays float32.
        t = self.iterations + 1
        f = np.float32
        b1t, b2t = f(self.beta_1) ** f(t), f(self.beta_2) ** f(t)
        self._alpha32 = float(f(self.learning_rate) * np.sqrt(f(1) - b2t) / (f(1) - b1t))
        self._alpha64 = (self.learning_rate * (1.0 - self.beta_2 ** t) ** 0.5
                         / (1.0 - self.beta_1 ** t))

    def _new_slots(self, w: Any) -> dict[str, Any]:
        xp = array_namespace(w)
        slots = {"m": xp.zeros_like(w), "v": xp.zeros_like(w)}
        if self.amsgrad:
            slots["v_hat"] = xp.zeros_like(w)
        return slots

    def _decay(self, w: Any) -> None:
        """Weight decay before the step: none in Adam (AdamW overrides)."""

    def _apply(self, xp: Any, items: list[tuple[Any, Any, dict[str, Any]]]) -> None:
        # On NumPy, each call costs about a microsecond whatever the size, and Adam makes
        # a dozen calls per parameter: for small layers that is most of a training step.
        # Small float32 parameters therefore share one flat state (same arithmetic).
        small = [] if xp is not np or self.amsgrad else [
            it for it in items if it[1].dtype == np.float32 and it[1].size <= _FLAT_MAX_SIZE]
        if len(small) < 2:
            small = []
        flat = {id(it[2]) for it in small}
        for g, w, slots in items:
            if id(slots) not in flat:
                self._update(xp, g, w, slots)
        if small:
            if self._flat is None or not self._flat.holds(small):
                self._flat = _FlatAdamState(small)
            self._flat.step(self, small)

    def _update(self, xp: Any, g: Any, w: Any, slots: dict[str, Any]) -> None:
        self._decay(w)
        w -= self._step(xp, g, slots)                # w = w − α m / (√v + ε)

    def _step(self, xp: Any, g: Any, slots: dict[str, Any]) -> Any:
        """Update m and v in place from g; return the step α m / (√v + ε)."""
        m, v = slots["m"], slots["v"]
        m *= self.beta_1
        m += g * (1.0 - self.beta_1)                 # m = β₁ m + (1 − β₁) g
        g2 = g * g
        g2 *= 1.0 - self.beta_2
        v *= self.beta_2
        v += g2                                      # v = β₂ v + (1 − β₂) g²
        if self.amsgrad:
            slots["v_hat"] = v = xp.maximum(slots["v_hat"], v)
        alpha = self._alpha64 if g.dtype == xp.float64 else self._alpha32
        denom = xp.sqrt(v)
        denom += self.epsilon                        # √v + ε
        step = m * alpha
        step /= denom
        return step


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), Keras's order:

        w ← w · (1 − λ η)      first, on every parameter given (biases too, as in Keras)
        then the Adam step of :class:`Adam` on the decayed w.

    ``torch.optim.AdamW`` decays in the same place, with the same factor (1 − λ η).
    Defaults (Keras): learning_rate=0.001, weight_decay=0.004, beta_1=0.9,
    beta_2=0.999, epsilon=1e-7.
    """

    name = "adamw"

    def __init__(self, learning_rate: float = 0.001, weight_decay: float = 0.004,
                 beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 amsgrad: bool = False) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad)
        self.weight_decay = _positive(weight_decay, "weight_decay", "AdamW", allow_zero=True)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "weight_decay": self.weight_decay}

    def _decay(self, w: Any) -> None:
        if self.weight_decay:
            w *= 1.0 - self.weight_decay * self.learning_rate


#: Parameters up to this many elements join Adam's flat state on NumPy. Gathering a
#: gradient into the flat buffer costs a copy; below ~16k elements the dozen calls it
#: saves cost more.
_FLAT_MAX_SIZE = 16384


class _FlatAdamState:
    """Adam's m and v for many small float32 NumPy parameters, as views into two flat
    buffers: ``slots["m"]`` stays the parameter's own m (a view), so nothing else changes.

    A step gathers the gradients into one buffer, runs :meth:`Adam._step` once over all
    of them (elementwise the same operations, so the same bits), then subtracts each
    parameter's slice of the step.
    """

    def __init__(self, items: list[tuple[Any, Any, dict[str, Any]]]) -> None:
        self.slots = [slots for _, _, slots in items]
        ends = np.cumsum([int(w.size) for _, w, _ in items]).tolist()
        self.bounds = list(zip([0, *ends[:-1]], ends, strict=True))
        self.m = np.concatenate([slots["m"].reshape(-1) for slots in self.slots])
        self.v = np.concatenate([slots["v"].reshape(-1) for slots in self.slots])
        for (_, w, slots), (a, b) in zip(items, self.bounds, strict=True):
            slots["m"] = self.m[a:b].reshape(w.shape)
            slots["v"] = self.v[a:b].reshape(w.shape)
        self.g = np.empty_like(self.m)

    def holds(self, items: list[tuple[Any, Any, dict[str, Any]]]) -> bool:
        """Is this the state of exactly these parameters' slots, in this order?"""
        return len(items) == len(self.slots) and all(
            slots is mine for (_, _, slots), mine in zip(items, self.slots, strict=True))

    def step(self, opt: Adam, items: list[tuple[Any, Any, dict[str, Any]]]) -> None:
        g = np.concatenate([grad.reshape(-1) for grad, _, _ in items], out=self.g)
        step = opt._step(np, g, {"m": self.m, "v": self.v})
        for (_, w, _), (a, b) in zip(items, self.bounds, strict=True):
            opt._decay(w)
            w -= step[a:b].reshape(w.shape)
