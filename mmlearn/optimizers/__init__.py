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

One file per optimizer: ``base.py`` (the :class:`Optimizer` contract), ``sgd.py``,
``rmsprop.py``, ``adam.py`` (Adam, AdamW and their flat state for small NumPy parameters).
"""

from __future__ import annotations

from typing import Any

from mmlearn._validation import lookup
from mmlearn.optimizers.adam import Adam, AdamW
from mmlearn.optimizers.base import Optimizer
from mmlearn.optimizers.rmsprop import RMSprop
from mmlearn.optimizers.sgd import SGD

__all__ = ["SGD", "Adam", "AdamW", "Optimizer", "RMSprop", "get"]


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
