"""Optimizers: how a gradient becomes a step, with Keras 3's formulas and defaults.

    opt = Adam()                                  # learning_rate=0.001, as in Keras
    opt.apply_gradients(zip(grads, params))       # updates every param array IN PLACE

Each optimizer keeps per-parameter state ("slots": momentum m, velocity v, ...)
keyed by the parameter's ``id`` (or by explicit ``keys``) and a step counter
``iterations``. Updates use the in-place operators ``-=``, ``*=``, ``+=`` of the
array API, so a layer holding the array sees the new values, the dtype never
changes (float32 stays float32) and the same code runs on NumPy, CuPy and
array_api_strict. With g the gradient, w the parameter, η the learning rate
and t = iterations + 1:

=========  ==============================================================================
SGD        w ← w − η g;  with momentum μ:  m ← μ m − η g,  w ← w + m
           nesterov:  m ← μ m − η g,  w ← w + μ m − η g
RMSprop    v ← ρ v + (1 − ρ) g²,  w ← w − η g / √(v + ε)     (ε inside the root)
Adam       m ← β₁ m + (1 − β₁) g,  v ← β₂ v + (1 − β₂) g²,
           α = η √(1 − β₂ᵗ) / (1 − β₁ᵗ),  w ← w − α m / (√v + ε)
AdamW      w ← w (1 − λ η), then the Adam step (decoupled weight decay λ)
=========  ==============================================================================

PyTorch differs in where ε goes (Keras's placement is what these classes do):
``torch.optim.Adam`` divides by √v̂ + ε with v̂ = v / (1 − β₂ᵗ), i.e. its ε is
√(1 − β₂ᵗ) times larger relative to Keras's; ``torch.optim.RMSprop`` uses √v + ε
instead of √(v + ε). Adam's steps differ by a relative ≈ ε/√v (about 1e-7/|g|),
RMSprop's by ≈ ε/(2v) (about 5e-8/g²): invisible for ordinary gradients, visible
for tiny ones. tests/reference/test_torch_optimizers.py measures both.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np

from mmlearn._validation import lookup
from mmlearn.backend import array_namespace, is_array

__all__ = ["SGD", "Adam", "AdamW", "Optimizer", "RMSprop", "get"]


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


# ---------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------
_REGISTRY: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "rmsprop": RMSprop,
    "adam": Adam,
    "adamw": AdamW,
}


def get(identifier: Any) -> Optimizer:
    """An optimizer from Keras's name (``"sgd"``, ``"rmsprop"``, ``"adam"``, ``"adamw"``;
    case-insensitive, with Keras's defaults; an unknown name raises ``ValueError`` with a
    did-you-mean), an optimizer class (instantiated with its defaults) or an optimizer
    object (returned as is)."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    if isinstance(identifier, str):
        return lookup(identifier, _REGISTRY, "optimizer")()
    raise TypeError("optimizer must be a name such as 'adam' or an Optimizer object, "
                    f"got {identifier!r}")
